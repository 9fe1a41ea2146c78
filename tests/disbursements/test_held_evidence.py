"""Evidence chosen on a refused payout request or milestone report is held: the page says it is
already attached, and the corrected submit attaches it without choosing it again."""

from __future__ import annotations

import html
import io
import re

from sqlalchemy import func, select

from fundapp.disbursements import services
from fundapp.disbursements.models import DisbursementRequest, MilestoneReport
from fundapp.extensions import db
from fundapp.files.models import StoredFile
from tests.conftest import login_as

from .conftest import pdf_bytes, png_bytes


def _held_token(page: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}-held" value="([^"]+)"', page)
    assert match, f"no held file for {name}"
    return match.group(1)


def _held_count() -> int:
    return db.session.scalar(select(func.count(StoredFile.id)).where(StoredFile.held_until.is_not(None)))


def _request(project, **kw):
    data = {
        "milestone": str(project.milestones[0].id),
        "amount": "10000",
        "payee_name": "Kulob Roofing LLC",
        "payee_bank": "Amonatbonk",
        "payee_account": "TJ12 3456",
        "work_done": "Steel sheets delivered.",
        "evidence_kind_1": "invoice",
        "evidence_caption_1": "Invoice No. 17",
    }
    data.update(kw)
    return data


def test_a_refused_request_keeps_its_evidence_and_the_corrected_one_attaches_it(app, cast, funded_project):
    """A request with an unreadable amount and an invoice: 400, the invoice shown as already attached
    and the caption kept; sent again with the amount corrected and no file chosen, is the invoice
    attached to the request (and the held copy gone)?"""
    project = funded_project()
    c = app.test_client()
    login_as(c, cast.owner)
    url = f"/projects/{project.id}/disbursements/new"
    r = c.post(
        url, data=_request(project, amount="ten", evidence_file_1=(io.BytesIO(pdf_bytes()), "inv.pdf"))
    )
    page = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 400
    assert 'href="#amount"' in page and "Already attached: inv.pdf" in page
    assert 'value="Invoice No. 17"' in page
    assert db.session.scalar(select(func.count(DisbursementRequest.id))) == 0
    assert _held_count() == 1
    token = _held_token(page, "evidence_file_1")
    r = c.post(url, data=_request(project, **{"evidence_file_1-held": token}))
    assert r.status_code == 302, r.get_data(as_text=True)
    req = db.session.scalars(select(DisbursementRequest)).one()
    assert [(e.kind, e.caption, e.file.original_filename) for e in req.evidence] == [
        ("invoice", "Invoice No. 17", "inv.pdf")
    ]
    assert _held_count() == 0


def test_a_held_file_can_be_removed(app, cast, funded_project):
    """With the box "remove this file" ticked, is the held file left out, so that a request with no
    other evidence is refused for want of evidence?"""
    project = funded_project()
    c = app.test_client()
    login_as(c, cast.owner)
    url = f"/projects/{project.id}/disbursements/new"
    r = c.post(url, data=_request(project, amount="", evidence_file_1=(io.BytesIO(pdf_bytes()), "inv.pdf")))
    token = _held_token(r.get_data(as_text=True), "evidence_file_1")
    r = c.post(
        url, data=_request(project, **{"evidence_file_1-held": token, "evidence_file_1-held-remove": "1"})
    )
    page = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 400 and "Attach at least one piece of evidence" in page
    assert "Already attached" not in page
    assert db.session.scalar(select(func.count(DisbursementRequest.id))) == 0
    assert _held_count() == 0


def test_a_refused_milestone_report_keeps_its_photo(app, cast, requested):
    """A report without its summary but with a photo: 400 and the photo kept; sent again with the
    summary, is the photo published with the report?"""
    req = requested()
    services.approve_disbursement(req, actor=cast.admin)
    services.execute_disbursement(req, actor=cast.treasurer, bank_reference="PP-1")
    db.session.commit()
    project = req.project
    milestone = project.milestones[0]
    c = app.test_client()
    login_as(c, cast.owner)
    url = f"/projects/{project.id}/milestones/{milestone.id}/report"
    r = c.post(
        url,
        data={
            "summary": "",
            "evidence_caption_1": "Roof",
            "evidence_file_1": (io.BytesIO(png_bytes()), "roof.png"),
        },
    )
    page = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 400 and 'href="#summary"' in page and "Already attached: roof.png" in page
    token = _held_token(page, "evidence_file_1")
    held = db.session.scalars(select(StoredFile).where(StoredFile.held_until.is_not(None))).one()
    assert not held.is_public
    assert app.test_client().get(f"/files/{held.id}").status_code == 404  # never public while held
    r = c.post(
        url, data={"summary": "Roof done.", "evidence_caption_1": "Roof", "evidence_file_1-held": token}
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    report = db.session.scalars(select(MilestoneReport)).one()
    assert [(f.caption, f.file.original_filename, f.file.is_public) for f in report.files] == [
        ("Roof", "roof.png", True)
    ]
    assert _held_count() == 0


def test_another_owner_cannot_claim_held_evidence(app, cast, funded_project, make_user):
    """Is evidence held for one owner refused when another owner sends its token on their own
    project's request (400, nothing requested, the file still held for its uploader)?"""
    project = funded_project()
    c = app.test_client()
    login_as(c, cast.owner)
    r = c.post(
        f"/projects/{project.id}/disbursements/new",
        data=_request(project, amount="", evidence_file_1=(io.BytesIO(pdf_bytes()), "inv.pdf")),
    )
    token = _held_token(r.get_data(as_text=True), "evidence_file_1")
    other_owner = make_user("member")
    theirs = funded_project(owner=other_owner)
    c2 = app.test_client()
    login_as(c2, other_owner)
    r = c2.post(
        f"/projects/{theirs.id}/disbursements/new", data=_request(theirs, **{"evidence_file_1-held": token})
    )
    page = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 400 and "no longer available" in page and "inv.pdf" not in page
    assert db.session.scalar(select(func.count(DisbursementRequest.id))) == 0
    assert _held_count() == 1
