"""Investments owed back are paid back by four eyes, once: a treasurer requests it (a card payment
refunded through Stripe, anything else with the bank transfer's reference) and a second person
confirms; the ledger then empties refunds payable into the channel the money leaves by."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.funding import investments, refunds, settlement
from fundapp.funding.models import Investment, InvestmentReturn
from fundapp.ledger.models import JournalEntry
from fundapp.mail.models import OutboxMessage
from fundapp.payments import services as payment_events
from fundapp.proposals.models import Project
from tests.conftest import login_as
from tests.fakes.backing import ledger_snapshot, pay_by_transfer


@pytest.fixture
def app(stripe_app):
    return stripe_app


def _invest(project, investor, cents):
    inv = investments.commit_investment(
        project,
        investor=investor,
        amount=Money(cents, "TJS"),
        submission_token=f"t-{investor.id}-{cents}",
        risk_acknowledged=True,
    )
    db.session.commit()
    return inv


@pytest.fixture
def owed(make_user, make_project):
    """A loan that failed with one investment paid by bank transfer: owed back."""
    project = make_project(model="loan", goal_minor=1_000_000)
    t1, t2 = make_user("treasurer"), make_user("treasurer")
    inv = _invest(project, make_user(), 20_000)
    pay_by_transfer(inv, t1, t2)
    p = db.session.get(Project, project.id)
    p.campaign_ends_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    settlement.close_due_campaigns()
    db.session.commit()
    inv = db.session.get(Investment, inv.id)
    assert inv.state == "return_due"
    return inv, t1


def _pay_back(inv, treasurer, confirmer, bank_reference=None):
    req = refunds.request_refund(inv, actor=treasurer, bank_reference=bank_reference)
    refunds.confirm_refund(req, actor=confirmer)
    return req


def _entries_of(inv) -> int:
    return db.session.scalar(
        select(func.count(JournalEntry.id)).where(
            JournalEntry.source_type == "investment", JournalEntry.source_id == str(inv.id)
        )
    )


def test_a_bank_investment_is_paid_back_once_with_its_reference(owed, make_user):
    """Does the treasurer's request, once a second person confirms it, empty refunds payable into
    the bank, record the reference, tell the investor, and does a second click change nothing?"""
    inv, treasurer = owed
    confirmer = make_user("administrator")
    before = ledger_snapshot()
    assert before[("refunds_payable", "TJS")] == 20_000
    assert inv in investments.investments_to_return()
    with pytest.raises(ValidationFailed) as err:
        refunds.request_refund(inv, actor=treasurer, bank_reference="  ")
    assert err.value.field == "bank_reference"
    db.session.rollback()
    entries = _entries_of(inv)
    req = refunds.request_refund(inv, actor=treasurer, bank_reference="PP-2026-118")
    db.session.commit()
    assert ledger_snapshot() == before and inv.state == "return_due"  # nothing moves on one word
    refunds.confirm_refund(req, actor=confirmer)
    db.session.commit()
    after = ledger_snapshot()
    assert after[("refunds_payable", "TJS")] == 0
    assert after[("bank", "TJS")] == before[("bank", "TJS")] - 20_000
    assert inv.state == "refunded" and inv not in investments.investments_to_return()
    paid = investments.return_of(inv)
    assert (paid.method, paid.reference, paid.returned_by_id) == ("bank", "PP-2026-118", confirmer.id)
    assert _entries_of(inv) == entries + 1
    mail = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.user_id == inv.investor_id)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert "PP-2026-118" in mail.body_text
    refunds.confirm_refund(req, actor=confirmer)
    with pytest.raises(InvalidTransition):
        refunds.request_refund(inv, actor=treasurer, bank_reference="PP-again")
    db.session.rollback()
    assert ledger_snapshot() == after and investments.return_of(inv).reference == "PP-2026-118"


def test_only_a_treasurer_asks_and_only_someone_else_confirms(owed, make_user, make_project):
    """Are an administrator asking, the investor (even as a treasurer), the requester confirming
    their own request, a member confirming, and an investment not owed back all refused, with
    nothing paid back?"""
    inv, treasurer = owed
    with pytest.raises(NotPermitted):
        refunds.request_refund(inv, actor=make_user("administrator"), bank_reference="X")
    investor_treasurer = make_user("treasurer")
    project = make_project(model="loan", goal_minor=1_000_000)
    own = _invest(project, investor_treasurer, 5_000)
    with pytest.raises(NotPermitted):
        refunds.request_refund(own, actor=investor_treasurer, bank_reference="X")
    with pytest.raises(InvalidTransition):
        refunds.request_refund(own, actor=treasurer, bank_reference="X")
    db.session.rollback()
    req = refunds.request_refund(inv, actor=treasurer, bank_reference="PP-1")
    db.session.commit()
    for who in (treasurer, make_user("member"), make_user("auditor")):
        with pytest.raises(NotPermitted):
            refunds.confirm_refund(req, actor=who)
        db.session.rollback()
    assert refunds.request_refund(inv, actor=make_user("treasurer"), bank_reference="Y").id == req.id
    refunds.decline_refund(req, actor=make_user("treasurer"), reason="The reference is wrong")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(InvestmentReturn)) == 0
    assert db.session.get(Investment, inv.id).state == "return_due"


def test_a_card_investment_is_refunded_through_stripe_once(app, fake_stripe, make_user, make_project):
    """An investor withdraws a card payment: does paying it back refund it through Stripe (once, with
    an idempotency key) and move the amount from refunds payable back to Stripe clearing?"""
    investor, treasurer = make_user(), make_user("treasurer")
    project = make_project(model="loan", goal_minor=1_000_000)
    inv = _invest(project, investor, 10_000)
    investments.open_investment_checkout(
        inv, actor=investor, success_url="http://x/?s={CHECKOUT_SESSION_ID}", cancel_url="http://x/"
    )
    db.session.commit()
    fake_stripe.complete_checkout(inv.checkout_session_id)
    from fundapp.payments import gateway

    payment_events.apply_checkout_session(gateway.retrieve_checkout(inv.checkout_session_id))
    db.session.commit()
    investments.cancel_investment(db.session.get(Investment, inv.id), actor=investor)
    db.session.commit()
    inv = db.session.get(Investment, inv.id)
    assert inv.state == "return_due" and inv.method == "card"
    before = ledger_snapshot()
    req = _pay_back(inv, treasurer, make_user("treasurer"))
    db.session.commit()
    assert fake_stripe.count("refund") == 1
    after = ledger_snapshot()
    assert after[("refunds_payable", "TJS")] == before[("refunds_payable", "TJS")] - 10_000 == 0
    assert after[("stripe_clearing", "TJS")] == before[("stripe_clearing", "TJS")] - 10_000
    paid = investments.return_of(inv)
    assert paid.method == "card" and paid.reference.startswith("re_")
    refunds.confirm_refund(req, actor=make_user("administrator"))
    db.session.commit()
    assert fake_stripe.count("refund") == 1 and ledger_snapshot() == after


def test_the_staff_page_pays_back_over_http(app, owed, make_user):
    """Does the treasurer find the investment on the staff page and request the pay-back there
    (with a fresh step-up), does a second person confirm it there, does an auditor see it without
    the forms, and does the investor see it paid?"""
    inv, treasurer = owed
    c = app.test_client()
    login_as(c, make_user("auditor"))
    from flask import url_for

    with app.test_request_context():
        url = url_for("funding.staff_backings")
        action = url_for("funding.pay_back_investment", investment_id=inv.id)
        mine = url_for("funding.investment_detail", investment_id=inv.id)
    page = c.get(url).get_data(as_text=True)
    assert inv.reference_code in page and action not in page
    login_as(c, treasurer)
    page = c.get(url).get_data(as_text=True)
    assert action in page and 'name="bank_reference"' in page
    r = c.post(action, data={"bank_reference": ""})
    assert r.status_code == 400 and db.session.get(Investment, inv.id).state == "return_due"
    assert f'id="bank_reference-investment-{inv.id}-error"' in r.get_data(as_text=True)
    assert c.post(action, data={"bank_reference": "PP-77"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Investment, inv.id).state == "return_due"
    req = refunds.open_request_of(inv)
    with app.test_request_context():
        confirm = url_for("funding.confirm_refund", refund_id=req.id)
    assert confirm not in c.get(url).get_data(as_text=True)  # not for the one who asked
    assert c.post(confirm).status_code == 303
    db.session.expire_all()
    assert db.session.get(Investment, inv.id).state == "return_due"
    second = app.test_client()
    login_as(second, make_user("administrator"))
    assert confirm in second.get(url).get_data(as_text=True)
    assert second.post(confirm).status_code == 303
    db.session.expire_all()
    assert db.session.get(Investment, inv.id).state == "refunded"
    investor = app.test_client()
    login_as(investor, inv.investor)
    page = investor.get(mine).get_data(as_text=True)
    assert "PP-77" in page
    member = app.test_client()
    login_as(member, make_user())
    assert member.post(action, data={"bank_reference": "X"}).status_code == 403
