"""The ledger's verbs: the chart of accounts, posting, reversing, two-phase transfers, balances.

Everything here flushes in the caller's transaction and never commits. Posting takes the balance
rows of the accounts it touches with ``SELECT … FOR UPDATE`` in account-id order (on SQLite the
whole transaction already holds the write lock from ``BEGIN IMMEDIATE``), checks the no-negative
rule before writing anything, then writes the entry, its legs and the new balances. The sequence
number and Merkle leaf are given after commit by ``fundapp.ledger.sealing``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from fundapp.core.db import lock_one, utcnow
from fundapp.core.errors import InvalidTransition, NotFound, NotPermitted
from fundapp.core.money import Money
from fundapp.extensions import db

from . import balances, posting
from .models import (
    Account,
    AccountBalance,
    AccountType,
    Direction,
    EntryKind,
    JournalEntry,
    Leg,
    LegSpec,
    PendingState,
    PendingTransfer,
)

__all__ = [
    "CHART",
    "AccountType",
    "EntryKind",
    "Leg",
    "available",
    "balance",
    "create_pending",
    "define_account",
    "get_account",
    "post_entry",
    "post_pending",
    "project_account",
    "register_posting_listener",
    "reverse_entry",
    "void_pending",
]


@dataclass(frozen=True)
class ChartAccount:
    code: str
    type: AccountType
    name: str
    no_negative: bool = False


# The fund's own accounts; one row per currency is created on first use.
CHART: dict[str, ChartAccount] = {}


def define_account(code: str, type: AccountType, name: str, *, no_negative: bool = False) -> None:
    """Add an account to the chart (domains may extend it at import time)."""
    if not code or len(code) > 80 or code.startswith("project:"):
        raise ValueError("bad account code")
    CHART[code] = ChartAccount(code, AccountType(type), name, no_negative)


for _code, _type, _name in (
    ("stripe_clearing", AccountType.ASSET, "Card payments in transit (Stripe)"),
    ("bank", AccountType.ASSET, "Bank account"),
    ("mto_clearing", AccountType.ASSET, "Money-transfer operators in transit"),
    ("loans_receivable", AccountType.ASSET, "Loans to projects, to be repaid"),
    ("general_fund", AccountType.EQUITY, "General fund (unrestricted)"),
    ("investor_payable", AccountType.LIABILITY, "Owed to investors"),
    ("investor_repayments_clearing", AccountType.LIABILITY, "Repayments awaiting distribution to investors"),
    ("refunds_payable", AccountType.LIABILITY, "Refunds owed to backers"),
    ("suspense", AccountType.LIABILITY, "Unidentified receipts"),
    ("donations_income", AccountType.INCOME, "Unrestricted donations"),
    ("interest_income", AccountType.INCOME, "Interest and other income"),
    ("fx_gain", AccountType.INCOME, "Foreign-exchange gains"),
    ("fees_expense", AccountType.EXPENSE, "Payment and transfer fees"),
    ("fx_loss", AccountType.EXPENSE, "Foreign-exchange losses"),
    ("grants_expense", AccountType.EXPENSE, "Grants paid out"),
):
    define_account(_code, _type, _name)


def register_posting_listener(fn: Callable[[JournalEntry], None]) -> None:
    """``fn(entry)`` is called inside the posting transaction, after the legs are written."""
    if fn not in posting.listeners:
        posting.listeners.append(fn)


# -- accounts -----------------------------------------------------------------------------------


def _ensure_account(
    code: str, currency: str, type: AccountType, name: str, no_negative: bool, project_id: int | None = None
) -> Account:
    Money.zero(currency)  # refuses an unknown currency
    found = db.session.scalar(select(Account).where(Account.code == code, Account.currency == currency))
    if found is not None:
        return found
    # ON CONFLICT: two first postings in parallel create the account once; the loser waits for
    # the winner's commit and then reads its row.
    db.session.execute(
        posting.insert(Account)
        .values(
            code=code,
            currency=currency,
            name=name,
            type=str(type),
            project_id=project_id,
            no_negative=no_negative,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["code", "currency"])
    )
    account = db.session.scalar(select(Account).where(Account.code == code, Account.currency == currency))
    db.session.execute(
        posting.insert(AccountBalance)
        .values(
            account_id=account.id,
            currency=currency,
            debit_normal=AccountType(type).debit_normal,
            no_negative=no_negative,
            debits_minor=0,
            credits_minor=0,
            balance_minor=0,
            reserved_minor=0,
            entry_count=0,
        )
        .on_conflict_do_nothing(index_elements=["account_id"])
    )
    return account


def get_account(code: str, currency: str) -> Account:
    """The fund's own account ``code`` in ``currency`` (created on first use from the chart)."""
    try:
        spec = CHART[code]
    except KeyError:
        raise ValueError(f"no account {code!r} in the chart") from None
    return _ensure_account(code, currency, spec.type, spec.name, spec.no_negative)


def project_account(project_id: int, currency: str) -> Account:
    """The restricted liability "held for project X" in ``currency``: it can never go negative."""
    if type(project_id) is not int or project_id <= 0:
        raise TypeError("project_id must be a positive int")
    return _ensure_account(
        f"project:{project_id}",
        currency,
        AccountType.LIABILITY,
        f"Held for project {project_id}",
        True,
        project_id=project_id,
    )


def balance(account: Account) -> Money:
    """The balance with the account's natural sign (debit-normal for assets and expenses), as
    committed now (``balances``: some accounts' rows are kept where entries are sealed)."""
    return Money(balances.current(account)[0], account.currency)


def available(account: Account) -> Money:
    """The balance less what pending transfers have reserved."""
    amount, reserved = balances.current(account)
    return Money(amount - reserved, account.currency)


# -- posting ------------------------------------------------------------------------------------


def _check_common(kind, memo, idempotency_key, source_type, source_id, backer_label, occurred_at, project_id):
    kind = EntryKind(kind)
    posting.check_text(memo, "memo", 500)
    posting.check_text(idempotency_key, "idempotency_key", 200)
    posting.check_text(source_type, "source_type", 40, required=False)
    if source_id is not None and len(str(source_id)) > 64:
        raise ValueError("source_id is longer than 64 characters")
    posting.check_text(backer_label, "backer_label", 200, required=False)
    if occurred_at is not None and (not isinstance(occurred_at, datetime) or occurred_at.tzinfo is None):
        raise ValueError("occurred_at must be a timezone-aware datetime")
    if project_id is not None and type(project_id) is not int:
        raise TypeError("project_id must be an int")
    return kind


def post_entry(
    kind,
    legs,
    *,
    memo: str,
    idempotency_key: str,
    source_type: str | None = None,
    source_id: str | int | None = None,
    project_id: int | None = None,
    actor=None,
    backer_label: str | None = None,
    occurred_at: datetime | None = None,
) -> JournalEntry:
    """Post one balanced journal entry (flush, no commit) and return it.

    The same ``idempotency_key`` twice returns the first entry. Unbalanced or malformed legs raise
    ``ValueError``/``TypeError``; a no-negative account going below zero (counting reservations)
    raises ``InsufficientFunds`` and nothing is written. ``backer_label`` is the backer's public
    name when they chose to be named, else None (anonymous)."""
    kind = _check_common(
        kind, memo, idempotency_key, source_type, source_id, backer_label, occurred_at, project_id
    )
    legs = posting.check_legs(legs)
    return posting.post(
        kind,
        legs,
        memo=memo,
        idempotency_key=idempotency_key,
        source_type=source_type,
        source_id=source_id,
        project_id=project_id,
        actor=actor,
        backer_label=backer_label,
        occurred_at=occurred_at,
    )


def reverse_entry(entry: JournalEntry, *, memo: str, idempotency_key: str, actor=None) -> JournalEntry:
    """Post the mirror image of ``entry`` (kind ``reversal``, pointing at it). An entry is reversed
    at most once; a reversal is not itself reversed (post a new entry instead)."""
    if not isinstance(entry, JournalEntry):
        raise TypeError("reverse_entry() takes a JournalEntry")
    posting.check_text(memo, "memo", 500)
    posting.check_text(idempotency_key, "idempotency_key", 200)
    existing = posting.by_key(JournalEntry, idempotency_key)
    if existing is not None:
        return existing
    if entry.kind == EntryKind.REVERSAL:
        raise InvalidTransition(_("A reversal cannot itself be reversed; post a new entry instead."))
    flipped = [
        LegSpec(
            leg.account,
            Direction.CREDIT if leg.direction == Direction.DEBIT else Direction.DEBIT,
            leg.money,
        )
        for leg in entry.legs
    ]
    return posting.post(
        EntryKind.REVERSAL,
        flipped,
        memo=memo,
        idempotency_key=idempotency_key,
        source_type="ledger_entry",
        source_id=entry.id,
        project_id=entry.project_id,
        actor=actor,
        backer_label=None,
        occurred_at=None,
        reverses=entry,
    )


# -- two-phase transfers ------------------------------------------------------------------------


def _reservations(legs: list[LegSpec]) -> dict[int, int]:
    """What each account must hold back: the legs that would lower its balance."""
    out: dict[int, int] = {}
    for leg in legs:
        lowers = (leg.direction is Direction.CREDIT) == leg.account.account_type.debit_normal
        if lowers:
            out[leg.account.id] = out.get(leg.account.id, 0) + leg.money.amount
    return out


def _pending_legs(pending: PendingTransfer) -> list[LegSpec]:
    accounts = {
        a.id: a
        for a in db.session.scalars(
            select(Account).where(Account.id.in_({leg["account_id"] for leg in pending.legs_json}))
        )
    }
    return [
        LegSpec(
            accounts[leg["account_id"]], Direction(leg["direction"]), Money(leg["amount"], leg["currency"])
        )
        for leg in pending.legs_json
    ]


def create_pending(
    kind,
    legs,
    *,
    memo: str,
    idempotency_key: str,
    actor,
    source_type: str | None = None,
    source_id: str | int | None = None,
    project_id: int | None = None,
) -> PendingTransfer:
    """Reserve the amounts of a transfer to be posted or voided later by someone else.

    The available balance of each account the transfer would lower drops at once; a no-negative
    account without enough available money raises ``InsufficientFunds``."""
    kind = _check_common(kind, memo, idempotency_key, source_type, source_id, None, None, project_id)
    legs = posting.check_legs(legs)
    existing = posting.by_key(PendingTransfer, idempotency_key)
    if existing is not None:
        return existing
    reserve = _reservations(legs)
    locked = posting.lock_balances({leg.account.id for leg in legs})
    for account_id, amount in reserve.items():
        row = locked[account_id]
        if row.no_negative and row.balance_minor - row.reserved_minor - amount < 0:
            existing = posting.by_key(PendingTransfer, idempotency_key)
            if existing is not None:
                return existing
            account = db.session.get(Account, account_id)
            raise posting.shortfall(account)
    pending = db.session.scalars(
        posting.insert(PendingTransfer)
        .values(
            idempotency_key=idempotency_key,
            kind=str(kind),
            memo=memo,
            state=str(PendingState.PENDING),
            legs_json=[
                {
                    "account_id": leg.account.id,
                    "direction": str(leg.direction),
                    "amount": leg.money.amount,
                    "currency": leg.money.currency,
                }
                for leg in legs
            ],
            source_type=source_type,
            source_id=None if source_id is None else str(source_id),
            project_id=project_id,
            created_by_id=getattr(actor, "id", None),
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(PendingTransfer),
        execution_options={"populate_existing": True},
    ).first()
    if pending is None:
        return posting.by_key(PendingTransfer, idempotency_key)
    if reserve:
        db.session.execute(
            posting.balance_update(),
            [
                {
                    "b_account_id": account_id,
                    "b_debits": 0,
                    "b_credits": 0,
                    "b_delta": 0,
                    "b_reserve": amount,
                    "b_count": 0,
                }
                for account_id, amount in sorted(reserve.items())
            ],
        )
    return pending


def _lock_pending(pending: PendingTransfer) -> PendingTransfer:
    if not isinstance(pending, PendingTransfer):
        raise TypeError("expected a PendingTransfer")
    return lock_one(PendingTransfer, pending.id, NotFound())


def post_pending(pending: PendingTransfer, *, actor, idempotency_key: str | None = None) -> JournalEntry:
    """Post a pending transfer (once). The actor must be someone other than its creator."""
    pending = _lock_pending(pending)
    if pending.state != PendingState.PENDING:
        raise InvalidTransition(_("This transfer has already been posted or voided."))
    actor_id = getattr(actor, "id", None)
    if actor_id is None or actor_id == pending.created_by_id:
        raise NotPermitted(
            _("A pending transfer must be posted by someone other than the person who created it.")
        )
    legs = _pending_legs(pending)
    entry = posting.post(
        EntryKind(pending.kind),
        legs,
        memo=pending.memo,
        idempotency_key=idempotency_key or f"pending:{pending.id}:post",
        source_type=pending.source_type,
        source_id=pending.source_id,
        project_id=pending.project_id,
        actor=actor,
        backer_label=None,
        occurred_at=None,
        release=_reservations(legs),
    )
    pending.state = PendingState.POSTED
    pending.entry_id = entry.id
    pending.resolved_by_id = actor_id
    pending.resolved_at = utcnow()
    db.session.flush()
    return entry


def void_pending(pending: PendingTransfer, *, actor) -> PendingTransfer:
    """Void a pending transfer (once): its reservations are released, nothing is posted. Like
    posting it, this is for someone other than its creator: a reservation is decided by two."""
    pending = _lock_pending(pending)
    if pending.state != PendingState.PENDING:
        raise InvalidTransition(_("This transfer has already been posted or voided."))
    actor_id = getattr(actor, "id", None)
    if actor_id is None or actor_id == pending.created_by_id:
        raise NotPermitted(
            _("A pending transfer must be voided by someone other than the person who created it.")
        )
    legs = _pending_legs(pending)
    reserve = _reservations(legs)
    posting.lock_balances({leg.account.id for leg in legs})
    if reserve:
        db.session.execute(
            posting.balance_update(),
            [
                {
                    "b_account_id": account_id,
                    "b_debits": 0,
                    "b_credits": 0,
                    "b_delta": 0,
                    "b_reserve": -amount,
                    "b_count": 0,
                }
                for account_id, amount in sorted(reserve.items())
            ],
        )
    pending.state = PendingState.VOIDED
    pending.resolved_by_id = getattr(actor, "id", None)
    pending.resolved_at = utcnow()
    db.session.flush()
    return pending
