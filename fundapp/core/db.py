"""Shared column helpers and the dialect-aware bits every domain uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, TypeDecorator, event, select
from sqlalchemy.orm import Composite, Mapper, composite

from fundapp.extensions import db

from .money import Money

# The one clock of the business logic. Normally the wall clock; ``clock_at`` sets it for a block of
# code, which is how the demo writes a year of history through the real services.
_clock: ContextVar[datetime | None] = ContextVar("fundapp_clock", default=None)


def utcnow() -> datetime:
    at = _clock.get()
    return at if at is not None else datetime.now(UTC)


@contextmanager
def clock_at(at: datetime) -> Iterator[datetime]:
    """Run the block as if it were ``at`` (timezone-aware): every ``utcnow()`` inside returns it."""
    if at.tzinfo is None:
        raise ValueError("clock_at needs a timezone-aware datetime")
    token = _clock.set(at.astimezone(UTC))
    try:
        yield at
    finally:
        _clock.reset(token)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on both engines (SQLite keeps no offset, so we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def lock_one(model, object_id, missing: Exception | None):
    """The row of ``model`` with ``object_id``, re-read under a row lock (``SELECT … FOR UPDATE``
    on PostgreSQL; SQLite serialises writers already) with fresh attributes, so two people acting
    at once see each other's result. ``missing`` (an exception) is raised when there is none; with
    ``None`` the answer is ``None`` instead, for callers that say themselves what a missing row means."""
    row = db.session.scalar(
        select(model).where(model.id == object_id).with_for_update().execution_options(populate_existing=True)
    )
    if row is None and missing is not None:
        raise missing
    return row


def pg_array(values) -> str:
    """A PostgreSQL array's text literal, sent as one text parameter and cast in the statement
    (``CAST(:ids AS bigint[])``): integers as they are, None as NULL, text quoted, bytes as their
    hex digits (the statement decodes them: ``decode(x, 'hex')``). Building the literal here costs
    a fraction of the driver's element-by-element array adaptation, which dominated the cost of
    statements that take thousands of values (sealing, the public counters)."""
    values = values if isinstance(values, list | tuple) else list(values)
    if len(values) > 16:  # a batch is nearly always of one type: its literal is made in one pass
        kinds = set(map(type, values))
        if kinds == {int}:
            return "{" + ",".join(map(str, values)) + "}"
        if kinds == {bytes}:
            return "{" + ",".join(map(_hex, values)) + "}"
        if kinds == {str}:
            return "{" + ",".join(map(_quoted, values)) + "}"
    out = []
    for v in values:
        if v is None:
            out.append("NULL")
        elif isinstance(v, bool):
            out.append("t" if v else "f")
        elif isinstance(v, int):
            out.append(str(v))
        elif isinstance(v, bytes | bytearray | memoryview):
            out.append(_hex(bytes(v)))
        else:
            out.append(_quoted(str(v)))
    return "{" + ",".join(out) + "}"


def _hex(data: bytes) -> str:
    return data.hex() or '""'  # an empty element is quoted


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def one_of(column: str, values, name: str, *, nullable: bool = False) -> CheckConstraint:
    """A CHECK that ``column`` holds one of ``values`` (an Enum class or strings): the states and
    kinds a model knows are enforced by the database too, from the one list in the code. With
    ``nullable``, ``column`` may also be empty (NULL)."""
    listed = ", ".join("'" + str(getattr(v, "value", v)).replace("'", "''") + "'" for v in values)
    empty = f"{column} IS NULL OR " if nullable else ""
    return CheckConstraint(f"{empty}{column} IN ({listed})", name=name)


def money_composite(amount: str, currency: str) -> Composite[Money]:
    """``Money`` as one attribute over two columns: ``amount`` (integer minor units) and
    ``currency`` (ISO 4217), both NOT NULL. Reading gives a ``Money``; assigning a ``Money``
    writes both columns; queries may compare the attribute with a ``Money`` or keep using the
    columns. A nullable pair, or one whose currency lives elsewhere, stays a property."""
    return composite(Money, amount, currency)


@event.listens_for(Mapper, "mapper_configured")
def _money_follows_its_columns(mapper, class_) -> None:
    # SQLAlchemy keeps a composite's value until the next flush or load even when one of its
    # columns is assigned directly (``pledge.amount_minor = …``); drop it then, so the next read
    # builds it from the columns again.
    for prop in mapper.composites:
        if prop.composite_class is not Money or prop.parent is not mapper:
            continue
        for column_prop in prop.props:
            event.listen(column_prop.class_attribute, "set", _forget(prop.key), raw=True)


def _forget(key: str):
    def forget(state, value, oldvalue, initiator):
        state.dict.pop(key, None)

    return forget
