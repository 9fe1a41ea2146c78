"""Reconciliation runs: an outside record (a bank statement, Stripe's balance transactions) matched
against the ledger legs of one account, each mismatch reviewed by a named person, and adjusting
entries proposed by one person and approved by another before they are posted."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundapp.accounts.models import User
from fundapp.core.db import UTCDateTime, money_composite, one_of, utcnow
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.ledger.models import Leg

from .matching import MatchKind


class RunSource(StrEnum):
    BANK_STATEMENT = "bank_statement"
    STRIPE = "stripe"


class ItemStatus(StrEnum):
    OK = "ok"  # matched, nothing to review
    OPEN = "open"  # a mismatch nobody has reviewed yet
    ADJUSTMENT_PROPOSED = "adjusting"
    RESOLVED = "resolved"


class AdjustmentState(StrEnum):
    PROPOSED = "proposed"
    POSTED = "posted"
    REJECTED = "rejected"


SOURCE_LABELS = {RunSource.BANK_STATEMENT: _l("Bank statement"), RunSource.STRIPE: _l("Stripe balance")}
KIND_LABELS = {
    MatchKind.MATCHED: _l("Matched"),
    MatchKind.DIFFERENCE: _l("Amount differs"),
    MatchKind.MISSING_IN_LEDGER: _l("Not in the ledger"),
    MatchKind.MISSING_ON_STATEMENT: _l("Not on the statement"),
}
STATUS_LABELS = {
    ItemStatus.OK: _l("Matched"),
    ItemStatus.OPEN: _l("To review"),
    ItemStatus.ADJUSTMENT_PROPOSED: _l("Adjustment awaiting approval"),
    ItemStatus.RESOLVED: _l("Resolved"),
}


class ReconciliationRun(db.Model):
    __tablename__ = "reconciliation_runs"
    __audit_type__ = "reconciliation_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    account_code: Mapped[str] = mapped_column(String(80), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    window_days: Mapped[int] = mapped_column(Integer, nullable=False)
    filename: Mapped[str | None] = mapped_column(String(255))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    matched_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    mismatch_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    created_by: Mapped[User | None] = relationship()
    items: Mapped[list[ReconciliationItem]] = relationship(
        back_populates="run", order_by="ReconciliationItem.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        one_of("source", RunSource, "source_known"),
        CheckConstraint("period_end >= period_start", name="period_ordered"),
        CheckConstraint("window_days >= 0", name="window_not_negative"),
    )

    @property
    def source_label(self):
        return SOURCE_LABELS[RunSource(self.source)]


class ReconciliationItem(db.Model):
    """One result of a run: a statement line, a ledger leg, or both (matched or differing)."""

    __tablename__ = "reconciliation_items"
    __audit_type__ = "reconciliation_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("reconciliation_runs.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    how: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    # the statement side
    line_key: Mapped[str | None] = mapped_column(String(80))
    line_on: Mapped[date | None] = mapped_column(Date)
    line_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    line_reference: Mapped[str | None] = mapped_column(String(300))
    line_counterparty: Mapped[str | None] = mapped_column(String(300))
    # the ledger side
    leg_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_legs.id"))
    leg_on: Mapped[date | None] = mapped_column(Date)
    leg_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    # the review
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_note: Mapped[str | None] = mapped_column(Text)

    run: Mapped[ReconciliationRun] = relationship(back_populates="items")
    leg: Mapped[Leg | None] = relationship()
    reviewed_by: Mapped[User | None] = relationship()
    adjustments: Mapped[list[ReconciliationAdjustment]] = relationship(
        back_populates="item", order_by="ReconciliationAdjustment.id"
    )

    __table_args__ = (
        one_of("kind", MatchKind, "kind_known"),
        one_of("status", ItemStatus, "status_known"),
        CheckConstraint("line_key IS NOT NULL OR leg_id IS NOT NULL", name="has_a_side"),
        CheckConstraint("status <> 'resolved' OR reviewed_by_id IS NOT NULL", name="resolved_by_someone"),
        Index("ix_reconciliation_items_run_id", "run_id", "status"),
    )

    @property
    def line_amount(self) -> Money | None:
        return None if self.line_amount_minor is None else Money(int(self.line_amount_minor), self.currency)

    @property
    def leg_amount(self) -> Money | None:
        return None if self.leg_amount_minor is None else Money(int(self.leg_amount_minor), self.currency)

    @property
    def difference(self) -> Money:
        """What the ledger lacks: statement minus ledger (a missing side counts as zero)."""
        return Money(int(self.line_amount_minor or 0) - int(self.leg_amount_minor or 0), self.currency)

    @property
    def kind_label(self):
        return KIND_LABELS[MatchKind(self.kind)]

    @property
    def status_label(self):
        return STATUS_LABELS[ItemStatus(self.status)]


class ReconciliationAdjustment(db.Model):
    """An adjusting entry for a mismatch: proposed by one person, approved (and posted) by another."""

    __tablename__ = "reconciliation_adjustments"
    __audit_type__ = "reconciliation_adjustment"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("reconciliation_items.id"), nullable=False)
    account_code: Mapped[str] = mapped_column(String(80), nullable=False)  # the reconciled account
    counter_account_code: Mapped[str] = mapped_column(String(80), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)  # signed, on the account
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    amount: Mapped[Money] = money_composite("amount_minor", "currency")
    memo: Mapped[str] = mapped_column(String(400), nullable=False)
    state: Mapped[str] = mapped_column(String(10), nullable=False, default=AdjustmentState.PROPOSED.value)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))

    item: Mapped[ReconciliationItem] = relationship(back_populates="adjustments")
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __table_args__ = (
        one_of("state", AdjustmentState, "state_known"),
        CheckConstraint("amount_minor <> 0", name="amount_not_zero"),
        CheckConstraint("decided_by_id IS NULL OR decided_by_id <> proposed_by_id", name="four_eyes"),
        CheckConstraint("(state = 'posted') = (entry_id IS NOT NULL)", name="posted_has_entry"),
        Index("ix_reconciliation_adjustments_item_id", "item_id"),
    )
