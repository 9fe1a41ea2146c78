"""A walk of the disbursement forms: each submitted empty and with one bad field, by the person who
may use it, reports every problem in one 400 answer, keeps what was typed and writes nothing."""

from __future__ import annotations

import html
import io

from sqlalchemy import func, select

from fundapp.disbursements import services
from fundapp.disbursements.models import DisbursementRequest, MilestoneReport
from fundapp.extensions import db
from tests.conftest import login_as

from .conftest import pdf_bytes


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _post(app, user, url, data):
    c = app.test_client()
    login_as(c, user)
    r = c.post(url, data=data)
    return r, html.unescape(r.get_data(as_text=True))


def test_an_empty_request_reports_every_required_field_at_once(app, cast, funded_project):
    """Is an empty payout request refused with the milestone, amount, payee, work and evidence told
    together?"""
    project = funded_project()
    r, page = _post(app, cast.owner, f"/projects/{project.id}/disbursements/new", {})
    assert r.status_code == 400 and "error-summary" in page
    for name in (
        "milestone",
        "amount",
        "payee_name",
        "payee_bank",
        "payee_account",
        "work_done",
        "evidence_file_1",
    ):
        assert f'href="#{name}"' in page, name
    assert "Enter an amount" in page and "Attach at least one piece of evidence" in page
    assert _count(DisbursementRequest) == 0


def test_a_request_with_a_bad_amount_and_caption_keeps_the_rest(app, cast, funded_project):
    """Are an unreadable amount and a caption over 200 characters told together, with the payee kept?"""
    project = funded_project()
    data = {
        "milestone": str(project.milestones[0].id),
        "amount": "12,34,5.6.7",
        "payee_name": "Kulob Roofing LLC",
        "payee_bank": "Amonatbonk",
        "payee_account": "TJ12 3456",
        "work_done": "Sheets delivered.",
        "evidence_kind_2": "nonsense",
        "evidence_caption_2": "c" * 201,
    }
    r, page = _post(app, cast.owner, f"/projects/{project.id}/disbursements/new", data)
    assert r.status_code == 400
    for name in ("amount", "evidence_caption_2", "evidence_kind_2", "evidence_file_1"):
        assert f'href="#{name}"' in page, name
    assert 'value="Kulob Roofing LLC"' in page and 'value="12,34,5.6.7"' in page
    assert _count(DisbursementRequest) == 0


def test_an_amount_over_what_the_project_holds_is_shown_beside_the_amount(app, cast, funded_project):
    """Is the service's refusal of an amount beyond the project's money put beside the amount?"""
    project = funded_project(goal="30000", held="1000")
    data = {
        "milestone": str(project.milestones[0].id),
        "amount": "5000",
        "payee_name": "Kulob Roofing LLC",
        "payee_bank": "Amonatbonk",
        "payee_account": "TJ12 3456",
        "work_done": "Sheets delivered.",
        "evidence_file_1": (io.BytesIO(pdf_bytes()), "inv.pdf"),
    }
    r, page = _post(app, cast.owner, f"/projects/{project.id}/disbursements/new", data)
    assert r.status_code == 400 and 'href="#amount"' in page and "ask for no more" in page
    assert "Already attached: inv.pdf" in page
    assert _count(DisbursementRequest) == 0


def test_an_empty_milestone_report_reports_summary_and_evidence(app, cast, requested):
    """Is an empty milestone report refused with its summary and its evidence told together?"""
    req = requested()
    services.approve_disbursement(req, actor=cast.admin)
    services.execute_disbursement(req, actor=cast.treasurer, bank_reference="PP-1")
    db.session.commit()
    project = req.project
    url = f"/projects/{project.id}/milestones/{project.milestones[0].id}/report"
    r, page = _post(app, cast.owner, url, {})
    assert r.status_code == 400
    assert 'href="#summary"' in page and 'href="#evidence_file_1"' in page
    assert "Attach at least one photo or document." in page
    r, page = _post(app, cast.owner, url, {"summary": "Done.", "evidence_caption_1": "c" * 201})
    assert r.status_code == 400 and 'href="#evidence_caption_1"' in page and "Done." in page
    assert _count(MilestoneReport) == 0


def test_the_staff_forms_report_their_required_fields(app, cast, requested):
    """Sent empty by the staff who may use them, are sending back, paying and cancelling refused
    with their field named, and the request left as it was?"""
    req = requested()
    r, page = _post(app, cast.admin, f"/disbursements/{req.id}/return", {})
    assert r.status_code == 400 and 'href="#return-reason"' in page
    services.approve_disbursement(req, actor=cast.admin)
    db.session.commit()
    r, page = _post(app, cast.treasurer, f"/disbursements/{req.id}/execute", {"bank_reference": ""})
    assert r.status_code == 400 and 'href="#bank_reference"' in page
    r, page = _post(app, cast.treasurer, f"/disbursements/{req.id}/void", {})
    assert r.status_code == 400 and 'href="#void-reason"' in page
    db.session.refresh(req)
    assert req.state == "approved"
