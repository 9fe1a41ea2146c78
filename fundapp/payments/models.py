"""Payment records: Stripe events seen, Stripe write calls (their idempotency keys, stored before
the call) and offline receipts recorded by the treasury."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundapp.core.db import UTCDateTime, money_composite, one_of, utcnow
from fundapp.core.money import Money
from fundapp.extensions import db

BigId = BigInteger().with_variant(Integer, "sqlite")


class StripeEvent(db.Model):
    """A webhook event, written in the same transaction as its effect: a replay finds the row and
    changes nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), nullable=False)
    type: Mapped[str] = mapped_column(String(100), nullable=False)
    object_id: Mapped[str | None] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(40), nullable=False, default="applied")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("event_id"),)


class StripeCall(db.Model):
    """A write call to Stripe and the idempotency key it carries, committed before the call."""

    __tablename__ = "stripe_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), nullable=False)
    operation: Mapped[str] = mapped_column(String(40), nullable=False)
    object_type: Mapped[str] = mapped_column(String(40), nullable=False)
    object_id: Mapped[int] = mapped_column(Integer, nullable=False)
    stripe_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        Index("ix_stripe_calls_object", "object_type", "object_id"),
    )


class ReceiptMethod(enum.StrEnum):
    BANK = "bank"
    MTO = "mto"


RECEIPT_METHOD_LABELS = {
    ReceiptMethod.BANK: _l("Bank transfer"),
    ReceiptMethod.MTO: _l("Money-transfer operator"),
}


class ReceiptState(enum.StrEnum):
    RECORDED = "recorded"  # entered by one staff member, waiting for a second one
    CONFIRMED = "confirmed"  # confirmed by a second staff member and posted to the ledger
    REJECTED = "rejected"  # kept for the record, never posted


RECEIPT_STATE_LABELS = {
    ReceiptState.RECORDED: _l("Waiting for confirmation"),
    ReceiptState.CONFIRMED: _l("Confirmed"),
    ReceiptState.REJECTED: _l("Rejected"),
}


class OfflineReceipt(db.Model):
    """Money that arrived by bank transfer or through a money-transfer operator."""

    __tablename__ = "offline_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(12), nullable=False, default=ReceiptState.RECORDED.value)
    method: Mapped[str] = mapped_column(String(8), nullable=False)
    operator: Mapped[str] = mapped_column(String(120), nullable=False)
    transfer_reference: Mapped[str] = mapped_column(String(120), nullable=False)
    # normalised forms of operator and transfer reference: the same transfer cannot be recorded twice
    operator_key: Mapped[str] = mapped_column(String(120), nullable=False)
    reference_key: Mapped[str] = mapped_column(String(120), nullable=False)
    sender_name: Mapped[str] = mapped_column(String(200), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    amount: Mapped[Money] = money_composite("amount_minor", "currency")
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    # what the money is for: a backing's reference code, or a project chosen by the treasurer
    backing_reference: Mapped[str | None] = mapped_column(String(20))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False)
    # the amount in the project's currency (equal to the amount when the currencies are the same)
    fx_rate: Mapped[str | None] = mapped_column(String(40))
    credited_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    credited_currency: Mapped[str] = mapped_column(String(3), nullable=False)
    credited: Mapped[Money] = money_composite("credited_minor", "credited_currency")
    # what the banks kept on the way (the backing is credited in full; the fund bears the fee)
    fee_minor: Mapped[int | None] = mapped_column(BigInteger)
    fee_entry_id: Mapped[int | None] = mapped_column(BigId)
    evidence_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    ledger_entry_id: Mapped[int | None] = mapped_column(BigId)

    project = relationship("Project")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    evidence = relationship("StoredFile")

    __table_args__ = (
        UniqueConstraint("operator_key", "reference_key"),
        one_of("state", ReceiptState, "state_known"),
        one_of("method", ReceiptMethod, "method_known"),
        db.CheckConstraint("amount_minor > 0", name="amount_positive"),
        db.CheckConstraint("credited_minor > 0", name="credited_positive"),
        db.CheckConstraint("fee_minor IS NULL OR fee_minor > 0", name="fee_positive"),
        db.CheckConstraint(
            "state = 'recorded' OR (decided_by_id IS NOT NULL AND decided_by_id <> recorded_by_id)",
            name="four_eyes",
        ),
        Index("ix_offline_receipts_project_id", "project_id"),
        Index("ix_offline_receipts_state", "state"),
    )

    @property
    def fee(self) -> Money | None:
        return Money(int(self.fee_minor), self.currency) if self.fee_minor else None

    @property
    def gross(self) -> Money:
        """What the sender paid: the amount received plus the banks' fee."""
        return Money(int(self.amount_minor) + int(self.fee_minor or 0), self.currency)

    @property
    def state_label(self):
        return RECEIPT_STATE_LABELS[ReceiptState(self.state)]

    @property
    def method_label(self):
        return RECEIPT_METHOD_LABELS[ReceiptMethod(self.method)]
