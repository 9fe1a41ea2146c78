"""Prizes: money from the prize fund through the ledger under four eyes and step-up; honours;
amounts read strictly."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from fundapp.competitions import prizes, services
from fundapp.competitions.forms import PrizeForm
from fundapp.competitions.models import Ballot, PrizeState
from fundapp.core.errors import (
    InsufficientFunds,
    InvalidTransition,
    NotPermitted,
    StepUpRequired,
    ValidationFailed,
)
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.ledger import services as ledger
from fundapp.ledger.models import JournalEntry

from .helpers import nominate_orgs, score_all, through_eligibility


def fund_prizes(amount: str, currency="TJS"):
    money = Money.parse(amount, currency)
    ledger.post_entry(
        ledger.EntryKind.DONATION,
        [
            ledger.Leg.debit(ledger.get_account("bank", currency), money),
            ledger.Leg.credit(ledger.get_account(prizes.PRIZE_FUND, currency), money),
        ],
        memo="Gift to the competition prize fund",
        idempotency_key=f"test-prize-fund:{amount}",
    )
    db.session.commit()


@pytest.fixture
def fresh_mfa(monkeypatch):
    """Services that move money ask, inside a request, for a fresh TOTP step-up; here it is given."""
    monkeypatch.setattr("fundapp.core.security.mfa_is_fresh", lambda: True)


@pytest.fixture
def decided(edition_factory, people):
    """A published edition with a 5,000 TJS first prize and an honour for second place."""
    edition = edition_factory()
    services.transition(edition, "open_nominations", actor=people.admin)
    noms = nominate_orgs(edition, people, names=("Navruz Centre", "Somon Centre"))
    cat = edition.categories[0]
    money_prize = prizes.add_prize(
        edition, actor=people.admin, category=cat, place=1, amount=Money.parse("5000", "TJS"), description=""
    )
    honour = prizes.add_prize(
        edition, actor=people.admin, category=cat, place=2, amount=None, description="Diploma of honour"
    )
    through_eligibility(edition, people, noms, [people.juror1])
    score_all(edition, [people.juror1], [[(9, 9), (4, 4)]])
    services.transition(edition, "publish_results", actor=people.admin)
    db.session.commit()
    return edition, noms, money_prize, honour


def test_a_money_prize_is_paid_by_a_second_person_through_the_ledger(decided, people, fresh_mfa):
    """Is the first prize reserved when an administrator asks, refused to the same person as payer,
    paid by a treasurer, and then a posted entry from the prize fund to the bank?"""
    edition, noms, prize, _ = decided
    fund_prizes("8000")
    assert prize.nomination_id == noms[0].id  # the winner, from the published ranking
    prizes.request_prize_payment(prize, actor=people.admin, payee="Navruz Centre, account 40702…")
    db.session.commit()
    assert prize.state == PrizeState.REQUESTED
    assert ledger.available(ledger.get_account(prizes.PRIZE_FUND, "TJS")) == Money.parse("3000", "TJS")
    people.admin.roles  # noqa: B018
    from fundapp.accounts.models import UserRole

    people.admin.roles.append(UserRole(role="treasurer"))
    db.session.commit()
    with pytest.raises(NotPermitted):  # asked for it: may not pay it, even as a treasurer
        prizes.execute_prize_payment(prize, actor=people.admin, bank_reference="PAY-1")
    db.session.rollback()
    with pytest.raises(NotPermitted):
        prizes.execute_prize_payment(prize, actor=people.nominator, bank_reference="PAY-1")
    with pytest.raises(ValidationFailed):
        prizes.execute_prize_payment(prize, actor=people.treasurer, bank_reference="  ")
    db.session.rollback()
    prizes.execute_prize_payment(prize, actor=people.treasurer, bank_reference="PAY-1")
    db.session.commit()
    assert prize.state == PrizeState.PAID
    entry = db.session.get(JournalEntry, prize.journal_entry_id)
    assert entry.kind == "disbursement"
    assert prizes.prize_fund_balance("TJS") == Money.parse("3000", "TJS")
    with pytest.raises(InvalidTransition):
        prizes.execute_prize_payment(prize, actor=people.treasurer, bank_reference="PAY-2")


def test_a_prize_needs_money_in_the_prize_fund(decided, people, fresh_mfa):
    """Is asking for a prize larger than what the prize fund holds refused, changing nothing?"""
    _, _, prize, _ = decided
    fund_prizes("100")
    with pytest.raises(InsufficientFunds):
        prizes.request_prize_payment(prize, actor=people.admin, payee="Navruz Centre")
    db.session.rollback()
    assert prize.state == PrizeState.OFFERED


def test_money_moves_only_with_a_fresh_code(app, decided, people):
    """Without a fresh TOTP step-up, is the request for payment refused?"""
    _, _, prize, _ = decided
    fund_prizes("8000")
    with app.test_request_context(), pytest.raises(StepUpRequired):
        prizes.request_prize_payment(prize, actor=people.admin, payee="Navruz Centre")


def test_only_an_administrator_asks_and_only_after_the_results(edition_factory, decided, people, fresh_mfa):
    """Is a member refused, and is an honour awarded (not paid) to the second place?"""
    edition, noms, prize, honour = decided
    with pytest.raises(NotPermitted):
        prizes.request_prize_payment(prize, actor=people.treasurer, payee="x")
    with pytest.raises(InvalidTransition):
        prizes.request_prize_payment(honour, actor=people.admin, payee="x")
    prizes.award_honour(honour, actor=people.admin)
    assert honour.state == PrizeState.AWARDED and honour.nomination_id == noms[1].id


def _prize_amount(app, text, currency):
    with app.test_request_context(method="POST", data={"amount": text, "currency": currency, "place": "1"}):
        form = PrizeForm(meta={"csrf": False})
        form.category.choices = [(1, "c")]
        form.category.data = 1
        form.validate()
        return form.amount


@pytest.mark.parametrize(
    "text, currency, minor",
    [("5000", "TJS", 500000), ("1 500,50", "TJS", 150050), ("12.5", "USD", 1250), ("0.01", "EUR", 1)],
)
def test_prize_amounts_parse_exactly(app, text, currency, minor):
    """Are typed prize amounts read exactly into minor units, through the one money field?"""
    field = _prize_amount(app, text, currency)
    assert not field.errors and field.data.amount == minor and field.data.currency == currency


@pytest.mark.parametrize("text", ["abc", "0", "-5", "1.234", "1e3", "1.2.3", "NaN", "٥", "12,5,0", "."])
def test_bad_prize_amounts_are_refused(app, text):
    """Is anything that is not a plain positive amount with at most two decimals refused?"""
    field = _prize_amount(app, text, "TJS")
    assert field.errors and field.data is None


def test_an_empty_prize_amount_is_an_honour(app):
    field = _prize_amount(app, "", "TJS")
    assert not field.errors and field.data is None


def test_the_database_allows_one_ballot_per_account_and_category(decided, people):
    """Does the database itself refuse a second ballot of an account in a category?"""
    edition, *_ = decided
    cat = edition.categories[0]
    db.session.add(Ballot(edition_id=edition.id, category_id=cat.id, voter_id=people.stranger.id))
    db.session.commit()
    db.session.add(Ballot(edition_id=edition.id, category_id=cat.id, voter_id=people.stranger.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
