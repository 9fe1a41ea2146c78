"""Money going back to a backer moves only on four eyes: a treasurer requests with the reason and
the transfer's reference, a second person confirms, and only then do the books change."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from fundapp.core.errors import NotPermitted, ValidationFailed
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.funding import donations, refunds
from fundapp.funding.models import Donation, DonationState, RefundRequest
from tests.fakes.backing import ledger_snapshot


@pytest.fixture
def bank_donation(make_project, make_user):
    """A 75.00 TJS donation received by bank transfer."""
    project = make_project(model="donation")
    d = donations.start_donation(project, amount=Money(7500, "TJS"), method="bank", email="d@example.org")
    db.session.commit()
    donations.receive_donation(d, actor=make_user("treasurer"), via="bank")
    db.session.commit()
    return d


def test_an_administrator_alone_cannot_refund_a_transfer(app, client_for, bank_donation):
    """Can an administrator, with no treasurer, no bank reference and no second person, give a
    bank-transfer donation back? No: the request is refused and the books do not move."""
    before = ledger_snapshot()
    admin, admin_user = client_for("administrator")
    r = admin.post(f"/back/staff/donations/{bank_donation.id}/refund", data={"reason": "asked"})
    assert r.status_code == 403
    with pytest.raises(NotPermitted):
        refunds.request_refund(bank_donation, actor=admin_user, reason="asked", bank_reference="X")
    db.session.rollback()
    assert ledger_snapshot() == before
    assert db.session.get(Donation, bank_donation.id).state == DonationState.RECEIVED


def test_a_transfer_refund_needs_its_reference_and_a_second_person(app, client_for, bank_donation):
    """Does a bank refund need the outgoing transfer's reference, wait for a second person, and
    then leave the bank account and the project's account by the donation's amount, once?"""
    treasurer, t1 = client_for("treasurer")
    url = f"/back/staff/donations/{bank_donation.id}/refund"
    treasurer.post(url, data={"reason": "sent twice", "bank_reference": ""})
    assert db.session.scalar(select(func.count()).select_from(RefundRequest)) == 0
    with pytest.raises(ValidationFailed) as err:
        refunds.request_refund(bank_donation, actor=t1, reason="sent twice", bank_reference=" ")
    assert err.value.field == "bank_reference"
    db.session.rollback()
    before = ledger_snapshot()
    assert treasurer.post(url, data={"reason": "sent twice", "bank_reference": "PP-9"}).status_code == 303
    req = db.session.scalars(select(RefundRequest)).one()
    assert (req.bank_reference, req.requested_by_id, req.state) == ("PP-9", t1.id, "requested")
    assert ledger_snapshot() == before
    second, t2 = client_for("treasurer")
    assert second.post(f"/back/staff/refunds/{req.id}/confirm").status_code == 303
    db.session.expire_all()
    after = ledger_snapshot()
    assert db.session.get(Donation, bank_donation.id).state == DonationState.REFUNDED
    account = (f"project:{bank_donation.project_id}", "TJS")
    assert after[account] == before[account] - 7500
    assert after[("bank", "TJS")] == before[("bank", "TJS")] - 7500
    assert db.session.get(RefundRequest, req.id).decided_by_id == t2.id
    second.post(f"/back/staff/refunds/{req.id}/confirm")
    assert ledger_snapshot() == after


def test_a_declined_refund_moves_nothing(app, client_for, bank_donation):
    """Does a declined request leave the donation received and the books unchanged, and may the
    treasurer ask again afterwards?"""
    _c, t1 = client_for("treasurer")
    req = refunds.request_refund(bank_donation, actor=t1, reason="asked", bank_reference="PP-1")
    db.session.commit()
    before = ledger_snapshot()
    admin, _admin = client_for("administrator")
    r = admin.post(f"/back/staff/refunds/{req.id}/decline", data={"decline_reason": ""})
    assert r.status_code == 400 and f'id="decline_reason-refund-{req.id}-error"' in r.get_data(as_text=True)
    assert db.session.get(RefundRequest, req.id).state == "requested"
    r = admin.post(f"/back/staff/refunds/{req.id}/decline", data={"decline_reason": "wrong reference"})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(RefundRequest, req.id).state == "declined"
    assert ledger_snapshot() == before
    again = refunds.request_refund(bank_donation, actor=t1, reason="asked", bank_reference="PP-2")
    assert again.id != req.id


def test_the_database_refuses_one_person_deciding_their_own_request(app, make_user, bank_donation):
    """Even written directly, is a refund decided by the person who requested it refused by the
    database's own CHECK constraint, and so is a transfer refund without a reference?"""
    t1 = make_user("treasurer")
    req = refunds.request_refund(bank_donation, actor=t1, reason="asked", bank_reference="PP-1")
    db.session.commit()
    req.state, req.decided_by_id = "done", t1.id
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    req = db.session.get(RefundRequest, req.id)
    req.bank_reference = None
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
