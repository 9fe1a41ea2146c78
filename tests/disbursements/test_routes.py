"""The disbursement pages: the whole flow over HTTP, step-up, CSRF, clear refusals, the public section."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from types import SimpleNamespace

from sqlalchemy import select

from fundapp.core.security import MFA_SESSION_KEY
from fundapp.disbursements.models import DisbursementRequest
from fundapp.extensions import db
from tests.conftest import login_as

from .conftest import council_decision, pdf_bytes, png_bytes


def _request_form(project, amount="10000"):
    return {
        "milestone": str(project.milestones[0].id),
        "amount": amount,
        "payee_name": "Kulob Roofing LLC",
        "payee_bank": "Amonatbonk",
        "payee_account": "TJ12 3456",
        "payee_bank_code": "",
        "work_done": "Steel sheets delivered <b>on time</b>.",
        "evidence_file_1": (io.BytesIO(png_bytes()), "site.png"),
        "evidence_kind_1": "photo",
        "evidence_caption_1": "The sheets at the school",
        "evidence_file_2": (io.BytesIO(pdf_bytes()), "invoice.pdf"),
        "evidence_kind_2": "invoice",
    }


def test_request_approve_execute_over_http_and_the_public_page(app, cast, funded_project):
    """Can the owner request, an administrator approve and a treasurer execute through the pages, and
    does the public project page then show the payout with its evidence?"""
    project = funded_project()
    c = app.test_client()
    login_as(c, cast.owner)
    assert c.get(f"/projects/{project.id}/disbursements/new").status_code == 200
    r = c.post(f"/projects/{project.id}/disbursements/new", data=_request_form(project))
    assert r.status_code == 302, r.get_data(as_text=True)
    req = db.session.scalars(select(DisbursementRequest)).one()
    assert [e.kind for e in req.evidence] == ["photo", "invoice"]

    login_as(c, cast.admin)
    page = c.get(f"/disbursements/{req.id}").get_data(as_text=True)
    assert "Approve and reserve the amount" in page and "TJ12 3456" in page
    assert c.post(f"/disbursements/{req.id}/approve", data={"council_decision": "0"}).status_code == 303

    login_as(c, cast.treasurer)
    r = c.post(f"/disbursements/{req.id}/execute", data={"bank_reference": "PP-77"})
    assert r.status_code == 303
    db.session.refresh(req)
    assert req.state == "executed"

    public = app.test_client()
    page = public.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Kulob Roofing LLC" in page and "The sheets at the school" in page
    assert "TJ12 3456" not in page  # bank details are not public
    for ev in req.evidence:
        assert public.get(f"/files/{ev.file_id}").status_code == 200


def test_evidence_is_private_until_paid(app, cast, requested):
    """Before payment, can a stranger or the public download the evidence? No; staff can."""
    req = requested()
    file_id = req.evidence[0].file_id
    assert app.test_client().get(f"/files/{file_id}").status_code == 404
    c = app.test_client()
    login_as(c, cast.stranger)
    assert c.get(f"/files/{file_id}").status_code == 404
    assert c.get(f"/disbursements/{req.id}").status_code == 404
    login_as(c, cast.treasurer)
    assert c.get(f"/files/{file_id}").status_code == 200


def test_bad_request_form_gets_messages_not_a_500(app, cast, funded_project):
    """Do a bad amount, too many decimals, an over-long payee and a fake image get clear messages?"""
    project = funded_project()
    c = app.test_client()
    login_as(c, cast.owner)
    for amount in ("abc", "10.001", "-5", "1e400"):
        r = c.post(f"/projects/{project.id}/disbursements/new", data=_request_form(project, amount))
        assert r.status_code == 400, amount
    data = _request_form(project)
    data["payee_name"] = "Ӯ" * 201
    assert c.post(f"/projects/{project.id}/disbursements/new", data=data).status_code == 400
    data = _request_form(project)
    data["evidence_file_1"] = (io.BytesIO(b"<html><script>alert(1)</script>"), "x.png")
    r = c.post(f"/projects/{project.id}/disbursements/new", data=data)
    assert r.status_code == 400 and "not accepted" in r.get_data(as_text=True)
    assert db.session.scalars(select(DisbursementRequest)).all() == []


def test_someone_elses_project_is_not_found(app, cast, funded_project):
    """Can a member open the request form of a project they do not own? No (404, nothing leaks)."""
    project = funded_project()
    c = app.test_client()
    login_as(c, cast.stranger)
    assert c.get(f"/projects/{project.id}/disbursements/new").status_code == 404
    assert c.post(f"/projects/{project.id}/disbursements/new", data=_request_form(project)).status_code == 404


def test_refusals_are_clear_pages(app, cast, requested, funded_project):
    """Is a four-eyes refusal over HTTP a 403 page with a message, with nothing changed?"""
    req = requested(project=funded_project(owner=cast.both))
    c = app.test_client()
    login_as(c, cast.both)
    r = c.post(f"/disbursements/{req.id}/approve", data={"council_decision": "0"})
    assert r.status_code == 403
    assert "your own project" in r.get_data(as_text=True)
    db.session.refresh(req)
    assert req.state == "requested"


def test_stale_step_up_redirects_and_changes_nothing(app, cast, requested):
    """With a TOTP check older than the step-up window, are approve and execute sent to the step-up
    page, with nothing changed?"""
    step_up = next(r.rule for r in app.url_map.iter_rules() if r.endpoint == "accounts.step_up")
    req = requested()
    c = app.test_client()
    login_as(c, cast.admin)
    with c.session_transaction() as sess:
        sess[MFA_SESSION_KEY] = int(datetime.now(UTC).timestamp()) - 3600
    r = c.post(f"/disbursements/{req.id}/approve", data={"council_decision": "0"})
    assert r.status_code == 302 and r.headers["Location"].startswith(step_up)
    db.session.refresh(req)
    assert req.state == "requested" and req.pending_transfer_id is None
    login_as(c, cast.admin)  # a fresh TOTP check
    assert c.post(f"/disbursements/{req.id}/approve", data={"council_decision": "0"}).status_code == 303
    login_as(c, cast.treasurer)
    with c.session_transaction() as sess:
        sess[MFA_SESSION_KEY] = int(datetime.now(UTC).timestamp()) - 3600
    for action, data in (("execute", {"bank_reference": "X"}), ("void", {"void-reason": "x"})):
        r = c.post(f"/disbursements/{req.id}/{action}", data=data)
        assert r.status_code == 302 and r.headers["Location"].startswith(step_up)
    db.session.refresh(req)
    assert req.state == "approved" and req.journal_entry_id is None


def test_forms_need_the_csrf_token(app_factory, cast, requested):
    """With CSRF protection on (as in production), is an approval without the token refused?"""
    req_id = requested().id
    sid = cast.admin.get_id()
    admin = SimpleNamespace(get_id=lambda: sid, is_staff=True)
    db.session.close()  # SQLite: let the other app's connection take the write lock
    csrf_app = app_factory(WTF_CSRF_ENABLED=True)
    with csrf_app.app_context():
        c = csrf_app.test_client()
        login_as(c, admin)
        r = c.post(f"/disbursements/{req_id}/approve", data={"council_decision": "0"})
        assert r.status_code == 400
        assert "form expired" in r.get_data(as_text=True)
        state = db.session.get(DisbursementRequest, req_id).state
        db.session.close()
    assert state == "requested"


def test_council_decision_page_lists_what_it_authorised(app, cast, requested):
    """Does the public Council decision page list the payouts it authorised?"""
    from fundapp.disbursements import services

    app.config["COUNCIL_THRESHOLD_MINOR"] = 100
    req = requested("6000")
    decision = council_decision(cast.admin, project=req.project)
    services.approve_disbursement(req, actor=cast.admin, council_decision=decision)
    services.execute_disbursement(req, actor=cast.treasurer, bank_reference="PP-1")
    db.session.commit()
    page = app.test_client().get(f"/council/{decision.id}").get_data(as_text=True)
    assert f"/disbursements/{req.id}" in page and req.project.title in page
    detail = app.test_client().get(f"/disbursements/{req.id}").get_data(as_text=True)
    assert decision.number in detail


def test_milestone_reports_complete_the_project(app, cast, requested):
    """When the owner reports every milestone done with evidence, is the project completed?"""
    from fundapp.disbursements import services

    req = requested()
    services.approve_disbursement(req, actor=cast.admin)
    services.execute_disbursement(req, actor=cast.treasurer, bank_reference="PP-1")
    db.session.commit()
    project = req.project
    c = app.test_client()
    login_as(c, cast.owner)
    assert c.get(f"/projects/{project.id}/delivery").status_code == 200
    first, second = project.milestones
    assert c.post(f"/projects/{project.id}/milestones/{first.id}/start").status_code == 302
    assert first.status == "in_progress"
    r = c.post(f"/projects/{project.id}/milestones/{first.id}/report", data={"summary": "Done"})
    assert r.status_code == 400  # no evidence
    for m in (first, second):
        r = c.post(
            f"/projects/{project.id}/milestones/{m.id}/report",
            data={
                "summary": "Delivered and accepted.",
                "evidence_file_1": (io.BytesIO(png_bytes()), "done.png"),
            },
        )
        assert r.status_code == 302
    db.session.refresh(project)
    assert project.state == "completed"
    page = app.test_client().get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Delivered and accepted." in page


def test_silent_project_is_flagged(app, cast, requested):
    """Is an implementing project with no report for more than 90 days flagged on its public page?"""
    from datetime import timedelta

    from fundapp.disbursements import services

    req = requested()
    services.approve_disbursement(req, actor=cast.admin)
    services.execute_disbursement(req, actor=cast.treasurer, bank_reference="PP-1")
    db.session.commit()
    project = req.project
    assert not services.report_overdue(project)
    assert services.report_overdue(project, now=datetime.now(UTC) + timedelta(days=91))
    app.config["REPORT_OVERDUE_AFTER"] = timedelta(seconds=0)
    page = app.test_client().get(f"/projects/{project.id}").get_data(as_text=True)
    assert "No report for more than 90 days" in page


def test_my_page_shows_delivery_and_what_awaits_staff(app, cast, requested):
    """Does My page show the owner their project's delivery and requests, and a treasurer what awaits?"""
    req = requested()
    c = app.test_client()
    login_as(c, cast.owner)
    page = c.get("/me").get_data(as_text=True)
    assert f"/projects/{req.project_id}/delivery" in page and f"/disbursements/{req.id}" in page
    login_as(c, cast.treasurer)
    page = c.get("/me").get_data(as_text=True)
    assert "Requests to decide: 1" in page
