"""Posting's engine: the checks of legs and texts, the balance locks and the write of one entry
with its legs and balances (PostgreSQL: one ``ledger_post()`` round trip; SQLite: the same steps
in statements). ``fundapp.ledger.services`` holds the verbs the domains call; they come here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from flask import g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from fundapp.core.db import pg_array, utcnow
from fundapp.core.errors import InsufficientFunds, InvalidTransition
from fundapp.extensions import db

from .models import Account, AccountBalance, Direction, EntryKind, JournalEntry, Leg, LegSpec


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def insert(model):
    if _dialect() == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


# Called with each entry as it is posted, in the posting's transaction (none is registered in
# this application: the public counters are kept where entries are sealed).
listeners: list[Callable[[JournalEntry], None]] = []


def shortfall(account: Account | None) -> InsufficientFunds:
    """The refusal a person sees: which account, in words they know."""
    if account is None:
        return InsufficientFunds()
    if account.project_id is not None:
        return InsufficientFunds(
            _("The money held for project %(project)s (%(currency)s) is not enough for this.")
            % {"project": account.project_id, "currency": account.currency}
        )
    return InsufficientFunds(
        _("The account %(account)s (%(currency)s) has not enough money for this.")
        % {"account": account.code, "currency": account.currency}
    )


def check_text(value, name: str, limit: int, *, required: bool = True) -> str | None:
    if value is None:
        if required:
            raise ValueError(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string")
    if required and not value.strip():
        raise ValueError(f"{name} is required")
    if len(value) > limit:
        raise ValueError(f"{name} is longer than {limit} characters")
    return value


def check_legs(legs: Iterable[LegSpec]) -> list[LegSpec]:
    legs = list(legs)
    if len(legs) < 2:
        raise ValueError("a journal entry needs at least two legs")
    totals: dict[str, int] = {}
    for leg in legs:
        if not isinstance(leg, LegSpec):
            raise TypeError("legs are made with Leg.debit(account, money) / Leg.credit(account, money)")
        sign = 1 if leg.direction is Direction.DEBIT else -1
        totals[leg.money.currency] = totals.get(leg.money.currency, 0) + sign * leg.money.amount
    unbalanced = {cur: t for cur, t in totals.items() if t}
    if unbalanced:
        raise ValueError(f"legs do not balance: {unbalanced}")
    return legs


def _deltas(legs: list[LegSpec]) -> dict[int, list[int]]:
    """Per account id: [debits, credits] of this entry."""
    out: dict[int, list[int]] = {}
    for leg in legs:
        d = out.setdefault(leg.account.id, [0, 0])
        d[0 if leg.direction is Direction.DEBIT else 1] += leg.money.amount
    return out


def lock_balances(account_ids: Iterable[int]) -> dict[int, object]:
    """Lock the balance rows in one fixed order (account id) so writers never deadlock."""
    ids = sorted(set(account_ids))
    rows = db.session.execute(
        select(
            AccountBalance.account_id,
            AccountBalance.balance_minor,
            AccountBalance.reserved_minor,
            AccountBalance.debit_normal,
            AccountBalance.no_negative,
        )
        .where(AccountBalance.account_id.in_(ids))
        .order_by(AccountBalance.account_id)
        .with_for_update()
    ).all()
    found = {r.account_id: r for r in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValueError(f"no balance row for account(s) {missing}")
    return found


def by_key(model, key: str):
    return db.session.scalar(select(model).where(model.idempotency_key == key))


_BALANCE_UPDATE = None


def balance_update():
    global _BALANCE_UPDATE
    if _BALANCE_UPDATE is None:
        t = AccountBalance.__table__
        _BALANCE_UPDATE = (
            t.update()
            .where(t.c.account_id == bindparam("b_account_id"))
            .values(
                debits_minor=t.c.debits_minor + bindparam("b_debits"),
                credits_minor=t.c.credits_minor + bindparam("b_credits"),
                balance_minor=t.c.balance_minor + bindparam("b_delta"),
                reserved_minor=t.c.reserved_minor + bindparam("b_reserve"),
                entry_count=t.c.entry_count + bindparam("b_count"),
            )
        )
    return _BALANCE_UPDATE


def _mark_unsealed() -> None:
    if has_app_context():
        g.ledger_unsealed = True


def post(
    kind: EntryKind,
    legs: list[LegSpec],
    *,
    memo: str,
    idempotency_key: str,
    source_type: str | None,
    source_id,
    project_id: int | None,
    actor,
    backer_label: str | None,
    occurred_at: datetime | None,
    reverses: JournalEntry | None = None,
    release: dict[int, int] | None = None,
) -> JournalEntry:
    release = release or {}
    connection = db.session.connection()  # the transaction's connection: one lookup serves both
    if connection.dialect.name == "postgresql" and USE_DB_FUNCTION:
        return _post_pg(
            connection.connection,
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
            reverses=reverses,
            release=release,
        )
    deltas = _deltas(legs)
    locked = lock_balances(deltas)

    # The new balances, checked before anything is written (a refusal changes nothing).
    updates = []
    short = None
    for account_id, (debits, credits) in deltas.items():
        row = locked[account_id]
        if not row.no_negative:
            # its movement is added where the entry is sealed (``balances``); only a reservation
            # released now is written now
            if account_id in release:
                updates.append(
                    {
                        "b_account_id": account_id,
                        "b_debits": 0,
                        "b_credits": 0,
                        "b_delta": 0,
                        "b_reserve": -release[account_id],
                        "b_count": 0,
                    }
                )
            continue
        delta = debits - credits if row.debit_normal else credits - debits
        new_balance = row.balance_minor + delta
        new_reserved = row.reserved_minor - release.get(account_id, 0)
        if new_balance < 0 or new_balance - new_reserved < 0:
            short = account_id
        updates.append(
            {
                "b_account_id": account_id,
                "b_debits": debits,
                "b_credits": credits,
                "b_delta": delta,
                "b_reserve": -release.get(account_id, 0),
                "b_count": 1,
            }
        )
    if short is not None or reverses is not None:
        existing = by_key(JournalEntry, idempotency_key)
        if existing is not None:
            return existing
        if reverses is not None and db.session.scalar(
            select(JournalEntry.id).where(JournalEntry.reverses_id == reverses.id)
        ):
            raise InvalidTransition(_("This entry has already been reversed."))
        if short is not None:
            account = db.session.get(Account, short)
            raise shortfall(account)

    now = utcnow()
    # The idempotency key is claimed by the entry row itself: a second writer with the same key
    # waits on ON CONFLICT for the first one's commit and then gets its entry, never an error.
    entry = db.session.scalars(
        insert(JournalEntry)
        .values(
            idempotency_key=idempotency_key,
            kind=str(kind),
            memo=memo,
            source_type=source_type,
            source_id=None if source_id is None else str(source_id),
            project_id=project_id,
            actor_id=getattr(actor, "id", None),
            backer_label=backer_label,
            reverses_id=None if reverses is None else reverses.id,
            leg_count=len(legs),
            occurred_at=occurred_at or now,
            posted_at=now,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(JournalEntry),
        execution_options={"populate_existing": True},
    ).first()
    if entry is None:
        return by_key(JournalEntry, idempotency_key)

    leg_rows = db.session.scalars(
        Leg.__table__.insert().returning(Leg.__table__.c.id, sort_by_parameter_order=True),
        [
            {
                "entry_id": entry.id,
                "account_id": leg.account.id,
                "direction": str(leg.direction),
                "amount_minor": leg.money.amount,
                "currency": leg.money.currency,
            }
            for leg in legs
        ],
    ).all()
    if updates:
        db.session.execute(balance_update(), updates)
    made = []
    for leg, leg_id in zip(legs, leg_rows, strict=True):
        obj = Leg(
            id=leg_id,
            entry_id=entry.id,
            account_id=leg.account.id,
            direction=str(leg.direction),
            amount_minor=leg.money.amount,
            currency=leg.money.currency,
        )
        set_committed_value(obj, "account", leg.account)
        made.append(obj)
    set_committed_value(entry, "legs", made)
    _mark_unsealed()
    for fn in listeners:
        fn(entry)
    return entry


# PostgreSQL posts through ledger_post() (migrations 0002, 0027, 0030): the same steps in one
# round trip. Its ``leg_ids`` is NULL: the legs are read back only if someone asks.
USE_DB_FUNCTION = True
_PG_POST = (
    "SELECT status, entry_id, leg_ids FROM ledger_post(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
    "%s::integer[], %s::text[], %s::bigint[], %s::text[], %s::integer[], %s::bigint[])"
)


def _cursor(proxied):
    """The posting cursor of a pooled connection, kept with it (in the pool's per-connection
    ``info``) so that each posting does not make a new one and adapt its parameters afresh."""
    cur = proxied.info.get("ledger_post_cursor")
    if cur is None or cur.closed or cur.connection is not proxied.dbapi_connection:
        cur = proxied.info["ledger_post_cursor"] = proxied.dbapi_connection.cursor()
    return cur


def _post_pg(
    proxied,
    kind,
    legs,
    *,
    memo,
    idempotency_key,
    source_type,
    source_id,
    project_id,
    actor,
    backer_label,
    occurred_at,
    reverses,
    release,
) -> JournalEntry:
    now = utcnow()
    occurred_at = occurred_at or now
    actor_id = getattr(actor, "id", None)
    kind = str(kind)
    source_id = None if source_id is None else str(source_id)
    reverses_id = None if reverses is None else reverses.id
    # the legs' array literals, made directly: ids and amounts are integers, and directions and
    # currencies come from fixed lists (``Direction``, the known currencies), so nothing needs quoting
    accounts, directions, amounts, currencies = [], [], [], []
    for leg in legs:
        accounts.append(str(leg.account.id))
        directions.append(leg.direction.value)
        amounts.append(str(leg.money.amount))
        currencies.append(leg.money.currency)
    # straight to the driver (psycopg prepares it after a few calls): the posting's client cost
    # is mostly SQLAlchemy's own statement machinery otherwise
    cur = _cursor(proxied)
    cur.execute(
        _PG_POST,
        (
            idempotency_key,
            kind,
            memo,
            source_type,
            source_id,
            project_id,
            actor_id,
            backer_label,
            reverses_id,
            occurred_at,
            now,
            "{" + ",".join(accounts) + "}",
            "{" + ",".join(directions) + "}",
            "{" + ",".join(amounts) + "}",
            "{" + ",".join(currencies) + "}",
            pg_array(release) if release else "{}",
            pg_array(release.values()) if release else "{}",
        ),
    )
    status, entry_id, _legs = cur.fetchone()
    if status == "exists":
        return db.session.get(JournalEntry, entry_id) or by_key(JournalEntry, idempotency_key)
    if status == "reversed":
        raise InvalidTransition(_("This entry has already been reversed."))
    if status == "insufficient":
        account = db.session.get(Account, entry_id)
        raise shortfall(account)
    # the row exists exactly as written: make it persistent without reading it back (the
    # attributes go straight into the instance's dict, as a query would load them)
    entry = _as_loaded(
        JournalEntry,
        id=entry_id,
        idempotency_key=idempotency_key,
        kind=kind,
        memo=memo,
        source_type=source_type,
        source_id=source_id,
        project_id=project_id,
        actor_id=actor_id,
        backer_label=backer_label,
        reverses_id=reverses_id,
        leg_count=len(legs),
        occurred_at=occurred_at,
        posted_at=now,
        sequence=None,
        leaf_hash=None,
        reverses_sequence=None,
        sealed_at=None,
    )
    make_transient_to_detached(entry)
    db.session.add(entry)
    # its legs are read from the database if anyone asks (rarely: a posting's caller wants the
    # entry, its id and its fields)
    _mark_unsealed()
    for fn in listeners:
        fn(entry)
    return entry


def _as_loaded(model, **values):
    """A transient instance holding ``values`` as loaded (committed) state, without the attribute
    events of the constructor."""
    obj = model.__mapper__.class_manager.new_instance()
    obj.__dict__.update(values)
    return obj
