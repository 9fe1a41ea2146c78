"""A request sent back is corrected and sent again, once: the form comes back filled in, the
evidence can be kept, and the new request says what it corrects."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.money import Money
from fundapp.disbursements import services
from fundapp.disbursements.models import DisbursementRequest, DisbursementResend
from fundapp.extensions import db
from fundapp.files.services import read_bytes
from tests.conftest import login_as

from .conftest import evidence, pdf_bytes


@pytest.fixture
def returned(cast, requested):
    req = requested()
    services.return_disbursement(req, actor=cast.admin, reason="The invoice is not signed.")
    db.session.commit()
    return req


def _resend(req, *, keep=(), uploads=None, amount="9000"):
    return services.request_disbursement(
        req.project,
        req.milestone,
        actor=req.project.owner,
        amount=Money.parse(amount, req.project.currency),
        payee_name=req.payee_name,
        payee_bank=req.payee_bank,
        payee_account=req.payee_account,
        work_done=req.work_done,
        evidence=uploads or [],
        resends=req,
        keep_evidence=keep,
    )


def test_a_returned_request_is_sent_again_with_the_evidence_it_keeps(cast, returned):
    """Does the correction link to the request sent back, copy the evidence kept (new files, the same
    bytes), add the new uploads, and leave the request sent back as it was?"""
    signed = evidence("invoice", "signed.png", "Signed invoice")
    photo = next(e for e in returned.evidence if e.kind == "photo")
    again = _resend(returned, keep=[photo.id], uploads=[signed])
    db.session.commit()
    assert again.state == "requested" and again.resends.id == returned.id
    assert returned.state == "returned" and returned.resent_as.id == again.id
    assert [(e.kind, e.caption) for e in again.evidence] == [
        ("photo", "The sheets at the school"),
        ("invoice", "Signed invoice"),
    ]
    copied = again.evidence[0].file
    assert copied.id != photo.file_id and read_bytes(copied) == read_bytes(photo.file)
    assert len(returned.evidence) == 2  # the request sent back keeps its own files
    assert again.amount == Money.parse("9000", "TJS")


def test_a_request_is_sent_again_once_and_only_when_sent_back(cast, returned, requested, funded_project):
    """Is a second correction of the same request refused, and so are correcting a request that was
    not sent back, one of another project, evidence of another request, and no evidence at all?"""
    with pytest.raises(ValidationFailed) as err:
        _resend(returned)
    assert err.value.field == "evidence"
    other = requested(project=funded_project())
    with pytest.raises(ValidationFailed):
        _resend(returned, keep=[other.evidence[0].id])
    first = _resend(returned, keep=[e.id for e in returned.evidence])
    db.session.commit()
    with pytest.raises(InvalidTransition) as err:
        _resend(returned, keep=[returned.evidence[0].id])
    assert f"{returned.id}" in str(err.value.message) and f"{first.id}" in str(err.value.message)
    db.session.rollback()
    for refusal, resends in ((InvalidTransition, other), (NotPermitted, returned)):
        with pytest.raises(refusal):  # not sent back; another project's request
            services.request_disbursement(
                other.project,
                other.milestone,
                actor=other.project.owner,
                amount=Money.parse("100", "TJS"),
                payee_name="X",
                payee_bank="Y",
                payee_account="Z",
                work_done="W",
                evidence=[evidence()],
                resends=resends,
            )


def test_the_database_refuses_two_corrections_of_one_request(cast, returned, requested):
    """Past the services, does the key of the link keep a request sent back from being sent again
    twice, or from correcting itself?"""
    again = _resend(returned, keep=[returned.evidence[0].id])
    db.session.commit()
    other = requested(project=returned.project, milestone_index=1)
    for returned_id, resent_id in ((returned.id, other.id), (other.id, other.id)):
        db.session.add(DisbursementResend(returned_id=returned_id, resent_id=resent_id))
        with pytest.raises(Exception):  # noqa: B017 - IntegrityError on both engines
            db.session.flush()
        db.session.rollback()
    assert returned.resent_as.id == again.id


def test_correcting_over_http_fills_the_form_and_a_double_submit_makes_one(app, cast, returned):
    """Over HTTP: does the owner find a link on the request sent back, a form filled in with it and
    its reason, send it once, and get a clear message (not a twin) when the form is sent again?"""
    c = app.test_client()
    login_as(c, cast.owner)
    page = c.get(f"/disbursements/{returned.id}").get_data(as_text=True)
    assert f"resend={returned.id}" in page and "Correct it and send it again" in page
    url = f"/projects/{returned.project_id}/disbursements/new?resend={returned.id}"
    form = c.get(url).get_data(as_text=True)
    assert "The invoice is not signed." in form and "Kulob Roofing LLC" in form
    assert 'value="10,000.00"' in form and "TJ12 3456 7890 1234" in form
    assert form.count('name="keep_evidence"') == 2 and form.count("checked") >= 2
    data = {
        "milestone": str(returned.milestone_id),
        "amount": "10000",
        "payee_name": "Kulob Roofing LLC",
        "payee_bank": "Amonatbonk",
        "payee_account": "TJ12 3456 7890 1234",
        "payee_bank_code": "AMNTJ22",
        "work_done": "Steel sheets bought and delivered; the invoice is now signed.",
        "keep_evidence": [str(returned.evidence[1].id)],
        "evidence_file_1": (io.BytesIO(pdf_bytes()), "signed.pdf"),
        "evidence_kind_1": "invoice",
    }
    r = c.post(url, data=data)
    assert r.status_code == 302, r.get_data(as_text=True)
    again = db.session.get(DisbursementRequest, db.session.get(DisbursementResend, returned.id).resent_id)
    assert [e.kind for e in again.evidence] == ["photo", "invoice"]
    data["evidence_file_1"] = (io.BytesIO(pdf_bytes()), "signed.pdf")
    r = c.post(url, data=data, follow_redirects=True)
    assert r.status_code == 200 and "cannot be sent again" in r.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(DisbursementRequest.id))) == 2

    login_as(c, cast.admin)
    page = c.get(f"/disbursements/{again.id}").get_data(as_text=True)
    assert "Corrects" in page and "The invoice is not signed." in page
    assert f"/disbursements/{again.id}" in c.get(f"/disbursements/{returned.id}").get_data(as_text=True)


def test_only_the_owner_may_correct_and_only_requests_sent_back(app, cast, returned, requested):
    """Is the correction form of someone else's project not found, a request not sent back refused
    with a message, and an unknown one not found?"""
    pending = requested(project=returned.project, milestone_index=1)
    c = app.test_client()
    login_as(c, cast.stranger)
    base = f"/projects/{returned.project_id}/disbursements/new"
    assert c.get(f"{base}?resend={returned.id}").status_code == 404
    login_as(c, cast.owner)
    r = c.get(f"{base}?resend={pending.id}", follow_redirects=True)
    assert r.status_code == 200 and "cannot be sent again" in r.get_data(as_text=True)
    assert c.get(f"{base}?resend=99999").status_code == 404
    assert c.get(f"{base}?resend=abc").status_code == 404
