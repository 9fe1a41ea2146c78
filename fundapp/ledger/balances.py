"""Where an account's balance is kept, and how a current balance is read.

An account with the no-negative rule has its balance row written in the posting's own
transaction: the database refuses a posting that would take it below zero (counting what pending
transfers reserve). Every other account ("deferred": the clearing accounts, fees, payables) never
refuses anything, and most postings touch one of the same few of them, so its row is written where
entries are sealed, once per batch, by the one sealer (``sealing.seal_pending``), and holds
exactly the sealed entries. Its current balance is the row plus the legs of entries not yet sealed
(a handful: production seals after every request that posted), read in the same statement so
that a seal in between is seen whole or not at all."""

from __future__ import annotations

from sqlalchemy import case, func, select

from fundapp.extensions import db

from .models import Account, AccountBalance, JournalEntry, Leg


def unsealed_deferred():
    """The legs of unsealed entries on deferred accounts, per account: account_id, d (debits),
    c (credits), n (entries)."""
    return (
        select(
            Leg.account_id.label("account_id"),
            func.sum(case((Leg.direction == "debit", Leg.amount_minor), else_=0)).label("d"),
            func.sum(case((Leg.direction == "credit", Leg.amount_minor), else_=0)).label("c"),
            func.count(func.distinct(Leg.entry_id)).label("n"),
        )
        .join(JournalEntry, JournalEntry.id == Leg.entry_id)
        .join(AccountBalance, AccountBalance.account_id == Leg.account_id)
        .where(JournalEntry.sequence.is_(None), AccountBalance.no_negative.is_(False))
        .group_by(Leg.account_id)
        .subquery("unsealed_deferred")
    )


def current(account: Account) -> tuple[int, int]:
    """(balance, reserved) of ``account`` as committed now, in its natural sign."""
    signed = case((Leg.direction == "debit", Leg.amount_minor), else_=-Leg.amount_minor)
    unsealed = (
        select(func.coalesce(func.sum(signed), 0))
        .join(JournalEntry, JournalEntry.id == Leg.entry_id)
        .where(JournalEntry.sequence.is_(None), Leg.account_id == AccountBalance.account_id)
        .correlate(AccountBalance)
        .scalar_subquery()
    )
    balance = AccountBalance.balance_minor + case(
        (AccountBalance.no_negative, 0), (AccountBalance.debit_normal, unsealed), else_=-unsealed
    )
    row = db.session.execute(
        select(balance, AccountBalance.reserved_minor).where(AccountBalance.account_id == account.id)
    ).one()
    return int(row[0]), int(row[1])


def all_current():
    """Every account's (code, currency, type, debits, credits) as committed now, for the trial
    balance: rows, plus what deferred accounts have in unsealed entries."""
    u = unsealed_deferred()
    rows = db.session.execute(
        select(
            Account.code,
            Account.currency,
            Account.type,
            AccountBalance.debits_minor + func.coalesce(u.c.d, 0),
            AccountBalance.credits_minor + func.coalesce(u.c.c, 0),
        )
        .join(AccountBalance, AccountBalance.account_id == Account.id)
        .outerjoin(u, u.c.account_id == Account.id)
        .order_by(Account.currency, Account.type, Account.code)
    ).all()
    return [(code, currency, type_, int(d), int(c)) for code, currency, type_, d, c in rows]
