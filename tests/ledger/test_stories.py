"""Worked examples: accounting stories told step by step, with every balance asserted."""

from __future__ import annotations

import pytest

from fundapp.core.errors import InsufficientFunds, InvalidTransition
from fundapp.extensions import db
from fundapp.ledger import posting
from fundapp.ledger import services as L
from fundapp.ledger.models import JournalEntry

from .conftest import tjs


def _balances(accounts):
    return {name: L.balance(acc).amount for name, acc in accounts.items()}


def test_a_donation_arrives_a_fee_is_taken_money_is_disbursed_and_a_refund_reverses(app, accounts):
    """Does each step of a project's money story move exactly the right balances?"""
    a = accounts
    # 1. A compatriot in Moscow gives 500.00 TJS by card to project 1.
    donation = L.post_entry(
        L.EntryKind.DONATION,
        [L.Leg.debit(a["stripe"], tjs(50000)), L.Leg.credit(a["p1"], tjs(50000))],
        memo="Card donation to project 1",
        idempotency_key="donation:1",
        source_type="donation",
        source_id=1,
        project_id=1,
        backer_label="Rustam from Moscow",
    )
    db.session.commit()
    assert _balances(a) == {"stripe": 50000, "bank": 0, "fees": 0, "general": 0, "p1": 50000, "p2": 0}

    # 2. Stripe keeps a 14.80 fee; the fund bears it from its general fund.
    L.post_entry(
        L.EntryKind.FEE,
        [L.Leg.debit(a["fees"], tjs(1480)), L.Leg.credit(a["stripe"], tjs(1480))],
        memo="Card processing fee",
        idempotency_key="fee:1",
    )
    db.session.commit()
    assert _balances(a) == {"stripe": 48520, "bank": 0, "fees": 1480, "general": 0, "p1": 50000, "p2": 0}

    # 3. Stripe pays out to the bank.
    L.post_entry(
        L.EntryKind.TRANSFER,
        [L.Leg.debit(a["bank"], tjs(48520)), L.Leg.credit(a["stripe"], tjs(48520))],
        memo="Stripe payout",
        idempotency_key="payout:1",
    )
    # the fee is covered by unrestricted money so the project keeps its whole gift
    L.post_entry(
        L.EntryKind.ADJUSTMENT,
        [L.Leg.debit(a["general"], tjs(1480)), L.Leg.credit(a["bank"], tjs(1480))],
        memo="General fund absorbs the card fee",
        idempotency_key="absorb:1",
    )
    db.session.commit()
    assert _balances(a) == {"stripe": 0, "bank": 47040, "fees": 1480, "general": -1480, "p1": 50000, "p2": 0}

    # 4. 300.00 is disbursed for the first milestone.
    L.post_entry(
        L.EntryKind.DISBURSEMENT,
        [L.Leg.debit(a["p1"], tjs(30000)), L.Leg.credit(a["bank"], tjs(30000))],
        memo="Milestone 1: materials",
        idempotency_key="disb:1",
        project_id=1,
    )
    db.session.commit()
    assert _balances(a) == {"stripe": 0, "bank": 17040, "fees": 1480, "general": -1480, "p1": 20000, "p2": 0}

    # 5. The project cannot spend more than it holds, and nothing changes when it tries.
    with pytest.raises(InsufficientFunds):
        L.post_entry(
            L.EntryKind.DISBURSEMENT,
            [L.Leg.debit(a["p1"], tjs(20001)), L.Leg.credit(a["bank"], tjs(20001))],
            memo="Too much",
            idempotency_key="disb:2",
        )
    db.session.commit()
    assert _balances(a)["p1"] == 20000
    assert db.session.scalar(db.select(db.func.count(JournalEntry.id))) == 5

    # 6. The donation is disputed: reversing it in full is refused, the project no longer holds it.
    with pytest.raises(InsufficientFunds):
        L.reverse_entry(donation, memo="Chargeback", idempotency_key="rev:donation:1")
    db.session.rollback()

    # 7. A fee charged by mistake is reversed instead; the reversal points at what it reverses.
    fee = db.session.scalar(db.select(JournalEntry).where(JournalEntry.idempotency_key == "fee:1"))
    rev = L.reverse_entry(fee, memo="Fee charged twice by mistake", idempotency_key="rev:fee:1")
    db.session.commit()
    assert rev.reverses_id == fee.id and rev.kind == "reversal"
    assert _balances(a) == {"stripe": 1480, "bank": 17040, "fees": 0, "general": -1480, "p1": 20000, "p2": 0}
    with pytest.raises(InvalidTransition):
        L.reverse_entry(fee, memo="again", idempotency_key="rev:fee:again")
    with pytest.raises(InvalidTransition):
        L.reverse_entry(rev, memo="undo the undo", idempotency_key="rev:rev")
    db.session.rollback()
    # the trial balance still balances: debit-normal balances equal credit-normal ones
    debit_side = _balances(a)["stripe"] + _balances(a)["bank"] + _balances(a)["fees"]
    credit_side = _balances(a)["general"] + _balances(a)["p1"] + _balances(a)["p2"]
    assert debit_side == credit_side


def test_the_same_idempotency_key_posts_once(app, accounts):
    """Does posting with a key already used return the first entry and move money only once?"""
    legs = [L.Leg.debit(accounts["bank"], tjs(700)), L.Leg.credit(accounts["p2"], tjs(700))]
    first = L.post_entry("donation", legs, memo="Bank transfer", idempotency_key="receipt:9")
    db.session.commit()
    again = L.post_entry("donation", legs, memo="Bank transfer", idempotency_key="receipt:9")
    assert again.id == first.id
    db.session.commit()
    assert L.balance(accounts["p2"]) == tjs(700)
    # even when the repeat would now be refused for lack of money, the first entry comes back
    out = [L.Leg.debit(accounts["p2"], tjs(700)), L.Leg.credit(accounts["bank"], tjs(700))]
    paid = L.post_entry("disbursement", out, memo="Payout", idempotency_key="payout:9")
    db.session.commit()
    assert L.post_entry("disbursement", out, memo="Payout", idempotency_key="payout:9").id == paid.id
    assert L.balance(accounts["p2"]) == tjs(0)


def test_bad_postings_are_refused_before_anything_is_written(app, accounts):
    """Are bare numbers, unbalanced legs, zero amounts, currency mismatches and a single leg refused?"""
    a = accounts
    with pytest.raises(TypeError):
        L.Leg.debit(a["bank"], 100)
    with pytest.raises(ValueError):
        L.Leg.debit(a["bank"], tjs(0))
    with pytest.raises(ValueError):
        L.Leg.debit(a["bank"], L.Money(100, "USD"))
    with pytest.raises(ValueError):
        L.post_entry(
            "donation",
            [L.Leg.debit(a["bank"], tjs(100)), L.Leg.credit(a["p1"], tjs(99))],
            memo="unbalanced",
            idempotency_key="u1",
        )
    with pytest.raises(ValueError):
        L.post_entry("donation", [L.Leg.debit(a["bank"], tjs(100))], memo="one leg", idempotency_key="u2")
    with pytest.raises(ValueError):
        L.post_entry(
            "no_such_kind",
            [L.Leg.debit(a["bank"], tjs(1)), L.Leg.credit(a["p1"], tjs(1))],
            memo="x",
            idempotency_key="u3",
        )
    with pytest.raises(ValueError):
        L.get_account("no_such_account", "TJS")
    with pytest.raises(TypeError):
        L.project_account("1", "TJS")
    assert db.session.scalar(db.select(db.func.count(JournalEntry.id))) == 0


def test_accounts_are_created_once_per_code_and_currency(app):
    """Does asking twice for an account give the same row, with a separate one per currency?"""
    one = L.project_account(5, "USD")
    assert L.project_account(5, "USD").id == one.id
    assert L.project_account(5, "TJS").id != one.id
    assert one.no_negative and one.type == "liability"
    assert L.get_account("bank", "EUR").code == "bank"
    assert L.available(one) == L.Money(0, "USD")


def test_multi_currency_entry_balances_per_currency(app, accounts):
    """Can one entry carry two currencies (a conversion) when each balances on its own?"""
    usd_bank = L.get_account("bank", "USD")
    usd_fx = L.get_account("fx_gain", "USD")
    L.post_entry(
        "donation",
        [L.Leg.debit(usd_bank, L.Money(10000, "USD")), L.Leg.credit(usd_fx, L.Money(10000, "USD"))],
        memo="USD gift",
        idempotency_key="usd:1",
    )
    e = L.post_entry(
        "fx",
        [
            L.Leg.debit(usd_fx, L.Money(10000, "USD")),
            L.Leg.credit(usd_bank, L.Money(10000, "USD")),
            L.Leg.debit(accounts["bank"], tjs(109000)),
            L.Leg.credit(accounts["general"], tjs(109000)),
        ],
        memo="Converted 100 USD at 10.90",
        idempotency_key="fx:1",
    )
    db.session.commit()
    assert len(e.legs) == 4
    assert L.balance(usd_bank) == L.Money(0, "USD")
    assert L.balance(accounts["general"]) == tjs(109000)


def test_posting_listeners_see_the_entry_with_its_legs(app, accounts):
    """Is a registered listener called inside the posting, with the legs already written?"""
    seen = []

    def listener(entry):
        seen.append(
            (entry.kind, sorted((leg.direction, leg.account.code, leg.amount_minor) for leg in entry.legs))
        )

    L.register_posting_listener(listener)
    try:
        L.post_entry(
            "donation",
            [L.Leg.debit(accounts["bank"], tjs(5)), L.Leg.credit(accounts["p1"], tjs(5))],
            memo="gift",
            idempotency_key="listen:1",
        )
    finally:
        posting.listeners.remove(listener)
    assert seen == [("donation", [("credit", "project:1", 5), ("debit", "bank", 5)])]


def test_demo_chart_is_idempotent(app):
    """Does loading the demo chart twice create each account once?"""
    from fundapp.ledger import demo
    from fundapp.ledger.models import Account

    demo.load({})
    db.session.commit()
    n = db.session.scalar(db.select(db.func.count(Account.id)))
    demo.load({})
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(Account.id))) == n == 3 * len(L.CHART)


def test_refusals_speak_the_users_language(app, accounts, client):
    """Is the refusal for a project short of money a translated sentence naming the project?"""
    from flask_babel import force_locale

    with force_locale("ru"), pytest.raises(InsufficientFunds) as info:
        L.post_entry(
            "disbursement",
            [L.Leg.debit(accounts["p1"], tjs(1)), L.Leg.credit(accounts["bank"], tjs(1))],
            memo="x",
            idempotency_key="ru:1",
        )
    assert "проекта 1" in str(info.value.message)
