"""Two-phase transfers: a reservation first, then posted or voided once, by another person."""

from __future__ import annotations

import pytest

from fundapp.core.errors import InsufficientFunds, InvalidTransition, NotPermitted
from fundapp.extensions import db
from fundapp.ledger import services as L

from .conftest import tjs


@pytest.fixture
def funded(app, accounts):
    L.post_entry(
        "donation",
        [L.Leg.debit(accounts["bank"], tjs(10000)), L.Leg.credit(accounts["p1"], tjs(10000))],
        memo="gift",
        idempotency_key="gift",
    )
    db.session.commit()
    return accounts


def _payout(a, amount):
    return [L.Leg.debit(a["p1"], tjs(amount)), L.Leg.credit(a["bank"], tjs(amount))]


def test_pending_reserves_then_a_second_person_posts_it(funded, make_user):
    """Does a pending payout lower what is available at once, and its posting the balance, once?"""
    a = funded
    owner, treasurer = make_user(), make_user("treasurer")
    p = L.create_pending(
        "disbursement",
        _payout(a, 6000),
        memo="Milestone 1",
        idempotency_key="pend:1",
        actor=owner,
        project_id=1,
    )
    db.session.commit()
    assert L.balance(a["p1"]) == tjs(10000)
    assert L.available(a["p1"]) == tjs(4000)
    # a second reservation beyond what is available is refused
    with pytest.raises(InsufficientFunds):
        L.create_pending("disbursement", _payout(a, 4001), memo="x", idempotency_key="pend:2", actor=owner)
    db.session.rollback()
    # and so is a direct posting that would eat into the reservation
    with pytest.raises(InsufficientFunds):
        L.post_entry("disbursement", _payout(a, 4001), memo="x", idempotency_key="direct:1")
    db.session.rollback()
    with pytest.raises(NotPermitted):
        L.post_pending(p, actor=owner)
    db.session.rollback()
    entry = L.post_pending(p, actor=treasurer)
    db.session.commit()
    assert entry.kind == "disbursement" and p.state == "posted" and p.entry_id == entry.id
    assert L.balance(a["p1"]) == tjs(4000) and L.available(a["p1"]) == tjs(4000)
    assert L.balance(a["bank"]) == tjs(4000)
    with pytest.raises(InvalidTransition):
        L.post_pending(p, actor=treasurer)
    with pytest.raises(InvalidTransition):
        L.void_pending(p, actor=treasurer)


def test_voiding_releases_the_reservation_and_posts_nothing(funded, make_user):
    """Does voiding give the reserved money back, move none, and happen only once?"""
    a = funded
    owner, admin = make_user(), make_user("administrator")
    p = L.create_pending("disbursement", _payout(a, 9000), memo="m", idempotency_key="pend:v", actor=owner)
    db.session.commit()
    assert L.available(a["p1"]) == tjs(1000)
    L.void_pending(p, actor=admin)
    db.session.commit()
    assert p.state == "voided" and p.entry_id is None
    assert L.available(a["p1"]) == tjs(10000) and L.balance(a["p1"]) == tjs(10000)
    with pytest.raises(InvalidTransition):
        L.void_pending(p, actor=admin)
    with pytest.raises(InvalidTransition):
        L.post_pending(p, actor=admin)


def test_create_pending_is_idempotent(funded, make_user):
    """Does the same key give back the same pending transfer without reserving twice?"""
    a = funded
    owner = make_user()
    p1 = L.create_pending("disbursement", _payout(a, 3000), memo="m", idempotency_key="pend:i", actor=owner)
    p2 = L.create_pending("disbursement", _payout(a, 3000), memo="m", idempotency_key="pend:i", actor=owner)
    db.session.commit()
    assert p1.id == p2.id
    assert L.available(a["p1"]) == tjs(7000)


def test_the_creator_cannot_void_their_own_transfer(funded, make_user):
    """Is voiding, like posting, for someone other than the creator — in the service and in the
    database itself?"""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    a = funded
    owner, admin = make_user(), make_user("administrator")
    p = L.create_pending("disbursement", _payout(a, 500), memo="m", idempotency_key="pend:own", actor=owner)
    db.session.commit()
    with pytest.raises(NotPermitted):
        L.void_pending(p, actor=owner)
    db.session.rollback()
    with pytest.raises(DBAPIError, match="someone other than"):
        db.session.execute(
            text("UPDATE ledger_pending_transfers SET state = 'voided', resolved_by_id = :u WHERE id = :i"),
            {"u": owner.id, "i": p.id},
        )
        db.session.commit()
    db.session.rollback()
    assert L.available(a["p1"]) == tjs(9500)
    L.void_pending(p, actor=admin)
    db.session.commit()
    assert p.state == "voided" and L.available(a["p1"]) == tjs(10000)
