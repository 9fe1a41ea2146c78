"""Counters behind the public dashboard, kept current by the sealer as entries are sealed.

One row per (dimension, key, metric, currency): e.g. ("region", "Sughd", "received", "TJS"). The
ledger's seal listener adds each sealed batch's amounts to the rows it touches, so every public total is
a handful of index look-ups, whatever the size of the journal. ``flask transparency check``
recomputes them from the journal and compares.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from fundapp.core.db import UTCDateTime, utcnow
from fundapp.extensions import db
from fundapp.ledger.models import JournalEntry, Leg


class Counter(db.Model):
    __tablename__ = "transparency_counters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # fund | month | project | region | district | category | country | channel | project_channel | kind
    dimension: Mapped[str] = mapped_column(String(16), nullable=False)
    # "" for the fund; a region, "Region/District", a category, an ISO country, "YYYY-MM", a project id …
    key: Mapped[str] = mapped_column(String(120), nullable=False)
    # received | disbursed | refunded | repaid | repayments | interest | fees | entries | backers
    metric: Mapped[str] = mapped_column(String(16), nullable=False)
    # ISO 4217, or "" for counts that are not money (backers)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    entries: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("dimension", "key", "metric", "currency"),
        # top-N per dimension (top projects, regions …): the rows of one ranking, sorted by amount.
        # No changing column is indexed, so the sealer's update of a counter stays in its page
        # (PostgreSQL: heap-only; the table keeps half of each page free for it, migration 0029)
        Index("ix_transparency_counters_rank", "dimension", "metric", "currency"),
    )

    def __repr__(self) -> str:
        return f"<Counter {self.dimension}:{self.key} {self.metric} {self.amount_minor} {self.currency}>"


class Backer(db.Model):
    """Each distinct backer once, so the number of backers is a counter, not a DISTINCT over money.

    ``backer_key`` is internal (never shown): the funding object's owner, e.g. ``user:42``."""

    __tablename__ = "transparency_backers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    backer_key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    country: Mapped[str | None] = mapped_column(String(2))
    first_sequence: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


# Indexes on the ledger's tables that the public journal needs (created by migration 0006, declared
# here so that the models and the migrations agree).
def _ledger_indexes():

    # the public journal shows sealed entries only: a posting (still unsealed) skips these three,
    # and its seal adds it to them
    sealed = text("sequence IS NOT NULL")
    return (
        Index(
            "ix_ledger_entries_project_seq",
            JournalEntry.project_id,
            JournalEntry.sequence,
            postgresql_where=sealed,
            sqlite_where=sealed,
        ),
        Index(
            "ix_ledger_entries_kind_seq",
            JournalEntry.kind,
            JournalEntry.sequence,
            postgresql_where=sealed,
            sqlite_where=sealed,
        ),
        Index(
            "ix_ledger_entries_posted_at",
            JournalEntry.posted_at,
            postgresql_where=sealed,
            sqlite_where=sealed,
        ),
        Index("ix_ledger_legs_account_entry", Leg.account_id, Leg.entry_id),
    )


LEDGER_INDEXES = _ledger_indexes()
