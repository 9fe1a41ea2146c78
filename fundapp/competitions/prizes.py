"""Prizes: honours, and money paid from the prize fund through the ledger under four eyes — an
administrator asks (the amount is reserved), a treasurer other than them pays (it is posted);
both with a fresh TOTP step-up.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fundapp.accounts.services import require_fresh_mfa
from fundapp.audit.services import record
from fundapp.core.db import lock_one, utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.money import Money
from fundapp.core.phrases import canonical
from fundapp.core.text import clean_text
from fundapp.extensions import db
from fundapp.ledger import services as ledger
from fundapp.ledger.models import PendingTransfer

from .models import (
    Category,
    Edition,
    EditionState,
    NominationState,
    Prize,
    PrizeKind,
    PrizeState,
)
from .phrases import PRIZE_MEMO
from .services import PRIZE_FUND, _require_admin

ES = EditionState
NS = NominationState


# -- prizes ------------------------------------------------------------------------------------


def _step_up() -> None:
    """Inside a web request the person must have passed TOTP within ``STEP_UP_WINDOW`` (the routes
    ask first with ``@step_up_required``; this repeats it where the money moves). The command line
    and the demo loader run without a session, as operators of the server."""
    from flask import has_request_context

    if has_request_context():
        require_fresh_mfa()


def add_prize(
    edition: Edition, *, actor, category: Category | None, place: int, amount: Money | None, description: str
) -> Prize:
    """A prize for a place in a category: money (from the prize fund) or an honour."""
    _require_admin(actor)
    if edition.state == ES.RESULTS_PUBLISHED:
        raise InvalidTransition(_l("Prizes are set before the results are published."))
    if category is None or category.edition_id != edition.id:
        raise ValidationFailed(_l("Choose a category."), field="category")
    if not isinstance(place, int) or not 1 <= place <= 20:
        raise ValidationFailed(_l("A place is a whole number from 1 to 20."), field="place")
    if amount is not None and not isinstance(amount, Money):
        raise TypeError("a prize amount must be Money")
    description = clean_text(description, 300, "description", required=amount is None)
    if db.session.scalar(select(Prize.id).where(Prize.category_id == category.id, Prize.place == place)):
        raise ValidationFailed(_l("This place already has a prize."), field="place")
    prize = Prize(
        edition_id=edition.id,
        category_id=category.id,
        place=place,
        kind=PrizeKind.MONEY if amount is not None else PrizeKind.HONOUR,
        description=description,
        amount_minor=amount.amount if amount is not None else None,
        amount_currency=amount.currency if amount is not None else None,
    )
    db.session.add(prize)
    db.session.flush()
    record("competition.prize_added", prize, actor=actor, changes={"amount": str(amount) if amount else None})
    return prize


def lock_prize(prize_id: int) -> Prize:
    return lock_one(Prize, prize_id, InvalidTransition(_l("This prize does not exist.")))


def award_honour(prize: Prize, *, actor) -> Prize:
    _require_admin(actor)
    prize = lock_prize(prize.id)
    if prize.kind != PrizeKind.HONOUR or prize.state != PrizeState.OFFERED or prize.nomination_id is None:
        raise InvalidTransition(_l("This prize cannot be awarded now."))
    prize.state = PrizeState.AWARDED
    db.session.flush()
    record("competition.prize_awarded", prize, actor=actor)
    return prize


def request_prize_payment(prize: Prize, *, actor, payee: str) -> Prize:
    """An administrator asks for a money prize to be paid to its winner; the amount is reserved
    in the ledger (debit the prize fund, credit the bank) until a treasurer pays it."""

    _require_admin(actor)
    _step_up()
    prize = lock_prize(prize.id)
    if prize.kind != PrizeKind.MONEY or prize.state != PrizeState.OFFERED:
        raise InvalidTransition(_l("This prize cannot be paid now."))
    if prize.edition.state != ES.RESULTS_PUBLISHED or prize.nomination_id is None:
        raise InvalidTransition(_l("A prize is paid once the results name its winner."))
    payee = clean_text(payee, 300, "payee", required=True)
    amount = prize.amount
    pending = ledger.create_pending(
        ledger.EntryKind.DISBURSEMENT,
        [
            ledger.Leg.debit(ledger.get_account(PRIZE_FUND, amount.currency), amount),
            ledger.Leg.credit(ledger.get_account("bank", amount.currency), amount),
        ],
        memo=canonical(
            PRIZE_MEMO,
            prize=prize.id,
            competition=prize.edition.competition_id,
            edition=prize.edition.title[:60],
            place=prize.place,
        ),
        idempotency_key=f"competition-prize:{prize.id}:reserve",
        actor=actor,
        source_type="competition_prize",
        source_id=prize.id,
    )
    prize.pending_transfer_id = pending.id
    prize.requested_by_id = actor.id
    prize.requested_at = utcnow()
    prize.payee = payee
    prize.state = PrizeState.REQUESTED
    db.session.flush()
    record(
        "competition.prize_requested",
        prize,
        actor=actor,
        changes={"state": ["offered", "requested"], "pending_transfer": pending.id},
    )
    return prize


def execute_prize_payment(prize: Prize, *, actor, bank_reference: str) -> Prize:
    """A treasurer other than the requester records the bank payment; the reservation is posted."""
    if actor is None or not actor.has_role("treasurer"):
        raise NotPermitted(_l("Only a treasurer can pay a prize."))
    _step_up()
    prize = lock_prize(prize.id)
    if prize.state != PrizeState.REQUESTED:
        raise InvalidTransition(_l("This prize is not waiting to be paid."))
    if actor.id == prize.requested_by_id:
        raise NotPermitted(_l("The payment must be made by someone other than the person who asked for it."))
    bank_reference = clean_text(bank_reference, 100, "bank_reference", required=True)
    pending = db.session.get(PendingTransfer, prize.pending_transfer_id)
    entry = ledger.post_pending(pending, actor=actor, idempotency_key=f"competition-prize:{prize.id}:pay")
    prize.journal_entry_id = entry.id
    prize.executed_by_id = actor.id
    prize.executed_at = utcnow()
    prize.bank_reference = bank_reference
    prize.state = PrizeState.PAID
    db.session.flush()
    record(
        "competition.prize_paid",
        prize,
        actor=actor,
        changes={"state": ["requested", "paid"], "journal_entry": entry.id, "bank_reference": bank_reference},
    )
    return prize


def prize_fund_balance(currency: str) -> Money:
    return ledger.balance(ledger.get_account(PRIZE_FUND, currency))
