"""Backings of projects (donations, pledges, investments), campaign settlements, repayment
schedules, repayments and their distribution, and the per-project totals kept as counters."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundapp.core.db import UTCDateTime, money_composite, one_of, utcnow
from fundapp.core.money import Money
from fundapp.extensions import db

BigId = BigInteger().with_variant(Integer, "sqlite")


class PayMethod(enum.StrEnum):
    CARD = "card"
    BANK = "bank"
    MTO = "mto"


PAY_METHOD_LABELS = {
    PayMethod.CARD: _l("Card"),
    PayMethod.BANK: _l("Bank transfer"),
    PayMethod.MTO: _l("Money-transfer operator"),
}


class DonationState(enum.StrEnum):
    PENDING = "pending"  # waiting for the card payment or the transfer
    RECEIVED = "received"  # the money is in the project's account
    FAILED = "failed"  # the payment did not go through
    REFUNDED = "refunded"  # given back by an administrator (reversing entry)
    CANCELLED = "cancelled"  # withdrawn by its backer before any money arrived


DONATION_STATE_LABELS = {
    DonationState.PENDING: _l("Waiting for payment"),
    DonationState.RECEIVED: _l("Received"),
    DonationState.FAILED: _l("Not paid"),
    DonationState.REFUNDED: _l("Refunded"),
    DonationState.CANCELLED: _l("Cancelled"),
}


class PledgeMethod(enum.StrEnum):
    CARD = "card"  # a saved card, charged off-session when the campaign succeeds
    TRANSFER = "transfer"  # paid by bank or money-transfer operator after the campaign succeeds


PLEDGE_METHOD_LABELS = {
    PledgeMethod.CARD: _l("Card"),
    PledgeMethod.TRANSFER: _l("Bank or money transfer"),
}


class PledgeState(enum.StrEnum):
    AWAITING_CARD = "awaiting_card"  # promised, card not saved yet: does not count
    ACTIVE = "active"  # card saved (or to be paid by transfer): counts towards the goal
    AWAITING_TRANSFER = "awaiting_transfer"  # the campaign succeeded: the backer is asked to transfer
    CANCELLED = "cancelled"  # withdrawn by the backer before the end
    CHARGING = "charging"  # the campaign succeeded; the charge is in flight
    COLLECTED = "collected"  # charged and in the project's account
    PAYMENT_FAILED = "payment_failed"  # the charge was declined: the backer may pay within the grace period
    LAPSED = "lapsed"  # grace period over without payment
    RELEASED = "released"  # the campaign missed its goal: nothing is charged
    REFUNDED = "refunded"


PLEDGE_STATE_LABELS = {
    PledgeState.AWAITING_CARD: _l("Card not saved yet"),
    PledgeState.ACTIVE: _l("Pledged"),
    PledgeState.AWAITING_TRANSFER: _l("Campaign succeeded: please pay by transfer"),
    PledgeState.CANCELLED: _l("Cancelled"),
    PledgeState.CHARGING: _l("Being collected"),
    PledgeState.COLLECTED: _l("Collected"),
    PledgeState.PAYMENT_FAILED: _l("Payment failed: please pay"),
    PledgeState.LAPSED: _l("Not paid"),
    PledgeState.RELEASED: _l("Released (goal not met)"),
    PledgeState.REFUNDED: _l("Refunded"),
}

OPEN_PLEDGE_STATES = (PledgeState.AWAITING_CARD, PledgeState.ACTIVE)

# How a pledge in each state counts in a project's account of its money
# (``fundapp.transparency.money.ProjectMoney``): "outstanding" — promised and still expected,
# counted towards the goal; "collected" — charged (the money itself is read from the ledger);
# "lapsed" — promised and never paid; "released" — let go when the goal was missed; None — not
# counted (no card yet, withdrawn, refunded). A new state says here how it counts.
PLEDGE_FIGURES: dict[str, str | None] = {
    PledgeState.AWAITING_CARD: None,
    PledgeState.ACTIVE: "outstanding",
    PledgeState.CHARGING: "outstanding",
    PledgeState.PAYMENT_FAILED: "outstanding",
    PledgeState.AWAITING_TRANSFER: "outstanding",  # the campaign succeeded; the transfer is awaited
    PledgeState.COLLECTED: "collected",
    PledgeState.LAPSED: "lapsed",
    PledgeState.RELEASED: "released",
    PledgeState.CANCELLED: None,
    PledgeState.REFUNDED: None,
}


class InvestmentState(enum.StrEnum):
    COMMITTED = "committed"  # counts against the cap; waiting for the money
    PAID = "paid"  # the money is in the project's account
    CANCELLED = "cancelled"  # withdrawn by the investor (until 48 hours before the deadline)
    LAPSED = "lapsed"  # never paid by the end of the campaign
    RETURN_DUE = "return_due"  # the campaign failed: the money is owed back to the investor
    REFUNDED = "refunded"


INVESTMENT_STATE_LABELS = {
    InvestmentState.COMMITTED: _l("Committed, waiting for payment"),
    InvestmentState.PAID: _l("Paid"),
    InvestmentState.CANCELLED: _l("Cancelled"),
    InvestmentState.LAPSED: _l("Lapsed (not paid in time)"),
    InvestmentState.RETURN_DUE: _l("To be returned"),
    InvestmentState.REFUNDED: _l("Returned"),
}


class ProjectTotals(db.Model):
    """Counters per project, updated in the same transaction as the backing that changes them."""

    __tablename__ = "project_totals"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    raised_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    pledged_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    committed_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    repaid_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    card_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    bank_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    mto_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    backers: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    pledgers: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        db.CheckConstraint("raised_minor >= 0", name="raised_not_negative"),
        db.CheckConstraint("pledged_minor >= 0", name="pledged_not_negative"),
        db.CheckConstraint("committed_minor >= 0", name="committed_not_negative"),
    )


class Donation(db.Model):
    __tablename__ = "donations"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False)
    backer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    amount: Mapped[Money] = money_composite("amount_minor", "currency")
    method: Mapped[str] = mapped_column(String(8), nullable=False)
    state: Mapped[str] = mapped_column(String(12), nullable=False, default=DonationState.PENDING.value)
    public_name: Mapped[str | None] = mapped_column(String(120))  # None: an anonymous backer
    message: Mapped[str | None] = mapped_column(String(500))
    reference_code: Mapped[str] = mapped_column(String(20), nullable=False)
    access_token: Mapped[str] = mapped_column(String(64), nullable=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkout_session_id: Mapped[str | None] = mapped_column(String(255))
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    fee_minor: Mapped[int | None] = mapped_column(BigInteger)
    ledger_entry_id: Mapped[int | None] = mapped_column(BigId)
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("offline_receipts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_reason: Mapped[str | None] = mapped_column(Text)
    refunded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    refund_entry_id: Mapped[int | None] = mapped_column(BigId)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255))

    project = relationship("Project")
    backer = relationship("User", foreign_keys=[backer_id])

    __table_args__ = (
        UniqueConstraint("reference_code"),
        UniqueConstraint("access_token"),
        UniqueConstraint("checkout_session_id"),
        UniqueConstraint("payment_intent_id"),
        db.CheckConstraint("amount_minor > 0", name="amount_positive"),
        one_of("state", DonationState, "state_known"),
        one_of("method", PayMethod, "method_known"),
        db.CheckConstraint("(state = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_when_dated"),
        Index("ix_donations_project_id", "project_id"),
        Index("ix_donations_backer_id", "backer_id"),
    )

    @property
    def state_label(self):
        return DONATION_STATE_LABELS[DonationState(self.state)]

    @property
    def method_label(self):
        return PAY_METHOD_LABELS[PayMethod(self.method)]


class Pledge(db.Model):
    """An all-or-nothing pledge: one per backer and project (changing it changes this row)."""

    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False)
    backer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    amount: Mapped[Money] = money_composite("amount_minor", "currency")
    state: Mapped[str] = mapped_column(String(17), nullable=False, default=PledgeState.AWAITING_CARD.value)
    method: Mapped[str] = mapped_column(String(8), nullable=False, default=PledgeMethod.CARD.value)
    public_name: Mapped[str | None] = mapped_column(String(120))
    # the code a transfer names in its purpose (``P…``), given when the backer is asked to transfer
    reference_code: Mapped[str | None] = mapped_column(String(20))
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("offline_receipts.id"))
    payment_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminders_sent: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    lapsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    setup_session_id: Mapped[str | None] = mapped_column(String(255))
    payment_method_id: Mapped[str | None] = mapped_column(String(255))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    charge_attempt: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    charge_key: Mapped[str | None] = mapped_column(String(255))
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    pay_session_id: Mapped[str | None] = mapped_column(String(255))
    fee_minor: Mapped[int | None] = mapped_column(BigInteger)
    ledger_entry_id: Mapped[int | None] = mapped_column(BigId)
    grace_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project = relationship("Project")
    backer = relationship("User")

    __table_args__ = (
        UniqueConstraint("project_id", "backer_id"),
        UniqueConstraint("reference_code"),
        db.CheckConstraint("amount_minor > 0", name="amount_positive"),
        one_of("state", PledgeState, "state_known"),
        one_of("method", PledgeMethod, "method_known"),
        # only a card pledge waits for a card; only a transfer pledge waits for a transfer, with a
        # deadline and the reference its transfer names
        db.CheckConstraint("state <> 'awaiting_card' OR method = 'card'", name="awaiting_card_is_card"),
        db.CheckConstraint(
            "state <> 'awaiting_transfer' OR (method = 'transfer' AND grace_until IS NOT NULL "
            "AND reference_code IS NOT NULL AND payment_requested_at IS NOT NULL)",
            name="awaiting_transfer_shape",
        ),
        db.CheckConstraint("(state = 'lapsed') = (lapsed_at IS NOT NULL)", name="lapsed_when_dated"),
        db.CheckConstraint("reminders_sent >= 0", name="reminders_not_negative"),
        Index("ix_pledges_state", "state"),
    )

    @property
    def state_label(self):
        return PLEDGE_STATE_LABELS[PledgeState(self.state)]

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_PLEDGE_STATES

    @property
    def method_label(self):
        return PLEDGE_METHOD_LABELS[PledgeMethod(self.method)]

    @property
    def by_transfer(self) -> bool:
        return self.method == PledgeMethod.TRANSFER


class CampaignSettlement(db.Model):
    """The claim that a campaign's end has been dealt with: inserted once per project (a second
    closer running at the same time fails on the unique key and leaves it alone)."""

    __tablename__ = "campaign_settlements"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    goal_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    counted_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    claimed_by: Mapped[str] = mapped_column(String(80), nullable=False)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("project_id"),
        db.CheckConstraint("outcome IN ('funded', 'unsuccessful')", name="outcome_known"),
    )


class Investment(db.Model):
    __tablename__ = "investments"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False)
    investor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    amount: Mapped[Money] = money_composite("amount_minor", "currency")
    state: Mapped[str] = mapped_column(String(12), nullable=False, default=InvestmentState.COMMITTED.value)
    public_name: Mapped[str | None] = mapped_column(String(120))
    method: Mapped[str | None] = mapped_column(String(8))
    reference_code: Mapped[str] = mapped_column(String(20), nullable=False)
    submission_token: Mapped[str] = mapped_column(String(64), nullable=False)
    risk_acknowledged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    checkout_session_id: Mapped[str | None] = mapped_column(String(255))
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    fee_minor: Mapped[int | None] = mapped_column(BigInteger)
    ledger_entry_id: Mapped[int | None] = mapped_column(BigId)
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("offline_receipts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project = relationship("Project")
    investor = relationship("User")

    __table_args__ = (
        UniqueConstraint("reference_code"),
        UniqueConstraint("submission_token"),
        UniqueConstraint("checkout_session_id"),
        db.CheckConstraint("amount_minor > 0", name="amount_positive"),
        db.CheckConstraint("risk_acknowledged", name="risk_acknowledged"),
        one_of("state", InvestmentState, "state_known"),
        Index("ix_investments_project_id", "project_id"),
        Index("ix_investments_investor_id", "investor_id"),
    )

    @property
    def state_label(self):
        return INVESTMENT_STATE_LABELS[InvestmentState(self.state)]

    @property
    def method_label(self):
        return PAY_METHOD_LABELS[PayMethod(self.method)] if self.method else None


class InvestmentReturn(db.Model):
    """An investment owed back, paid back by a treasurer (once: the investment is the key): a Stripe
    refund of its card payment (``reference`` = the refund's id) or a bank transfer (its reference)."""

    __tablename__ = "investment_returns"

    investment_id: Mapped[int] = mapped_column(ForeignKey("investments.id"), primary_key=True)
    method: Mapped[str] = mapped_column(String(8), nullable=False)
    reference: Mapped[str] = mapped_column(String(255), nullable=False)
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_entries.id"), nullable=False)
    returned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    returned_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    returned_by = relationship("User")

    __table_args__ = (
        UniqueConstraint("entry_id"),
        db.CheckConstraint("method IN ('card', 'bank')", name="method_known"),
    )

    @property
    def method_label(self):
        return PAY_METHOD_LABELS[PayMethod(self.method)]


class RefundState(enum.StrEnum):
    REQUESTED = "requested"  # a treasurer asked, with the reason and the transfer's reference
    DONE = "done"  # a second person confirmed: the money went back, the ledger shows it
    DECLINED = "declined"  # the second person refused: nothing moved


REFUND_STATE_LABELS = {
    RefundState.REQUESTED: _l("Waiting for a second person"),
    RefundState.DONE: _l("Refunded"),
    RefundState.DECLINED: _l("Declined"),
}


class RefundRequest(db.Model):
    """Money going back to a backer, by four eyes: a treasurer requests it (the reason, and for a
    transfer the reference of the bank payment that returns it), a second person — another
    treasurer or an administrator, never the requester and never the backer — confirms it, and
    only then does the ledger move. Donations received and investments owed back go this one way.
    At most one request of a backing is open at a time."""

    __tablename__ = "refund_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_type: Mapped[str] = mapped_column(String(16), nullable=False)
    source_id: Mapped[int] = mapped_column(Integer, nullable=False)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    amount: Mapped[Money] = money_composite("amount_minor", "currency")
    method: Mapped[str] = mapped_column(String(8), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    bank_reference: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(12), nullable=False, default=RefundState.REQUESTED.value)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str | None] = mapped_column(Text)

    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    project = relationship("Project")

    __table_args__ = (
        db.CheckConstraint("source_type IN ('donation', 'investment')", name="source_known"),
        db.CheckConstraint("method IN ('card', 'bank')", name="method_known"),
        one_of("state", RefundState, "state_known"),
        db.CheckConstraint("amount_minor > 0", name="amount_positive"),
        # money leaving by transfer is evidenced by the transfer's reference
        db.CheckConstraint("method = 'card' OR bank_reference IS NOT NULL", name="transfer_has_reference"),
        # four eyes, also for anyone writing to the table directly
        db.CheckConstraint("decided_by_id IS NULL OR decided_by_id <> requested_by_id", name="four_eyes"),
        db.CheckConstraint("(state = 'requested') = (decided_by_id IS NULL)", name="decided_when_closed"),
        Index(
            "uq_refund_requests_open",
            "source_type",
            "source_id",
            unique=True,
            sqlite_where=db.text("state = 'requested'"),
            postgresql_where=db.text("state = 'requested'"),
        ),
    )

    @property
    def state_label(self):
        return REFUND_STATE_LABELS[RefundState(self.state)]

    @property
    def method_label(self):
        return PAY_METHOD_LABELS[PayMethod(self.method)]


class RepaymentSchedule(db.Model):
    __tablename__ = "repayment_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False)
    principal_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    principal: Mapped[Money] = money_composite("principal_minor", "currency")
    annual_rate_bp: Mapped[int] = mapped_column(Integer, nullable=False)
    term_months: Mapped[int] = mapped_column(Integer, nullable=False)
    repayment_type: Mapped[str] = mapped_column(String(10), nullable=False)
    start_on: Mapped[date] = mapped_column(Date, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    instalments: Mapped[list[ScheduledRepayment]] = relationship(
        back_populates="schedule", order_by="ScheduledRepayment.number", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("project_id"),
        db.CheckConstraint("principal_minor > 0", name="principal_positive"),
    )


class ScheduledRepayment(db.Model):
    __tablename__ = "scheduled_repayments"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("repayment_schedules.id"), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    principal_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    interest_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    paid_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)

    schedule: Mapped[RepaymentSchedule] = relationship(back_populates="instalments")

    __table_args__ = (
        UniqueConstraint("schedule_id", "number"),
        db.CheckConstraint("amount_minor = principal_minor + interest_minor", name="amount_sum"),
        db.CheckConstraint("paid_minor >= 0 AND paid_minor <= amount_minor", name="paid_range"),
    )


class Repayment(db.Model):
    """Money the project paid back, recorded by a treasurer and distributed to the investors."""

    __tablename__ = "repayments"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    amount: Mapped[Money] = money_composite("amount_minor", "currency")
    method: Mapped[str] = mapped_column(String(8), nullable=False)
    reference: Mapped[str] = mapped_column(String(120), nullable=False)
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    ledger_entry_id: Mapped[int | None] = mapped_column(BigId)
    distribution_entry_id: Mapped[int | None] = mapped_column(BigId)

    shares: Mapped[list[RepaymentShare]] = relationship(
        back_populates="repayment", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("project_id", "reference"),
        db.CheckConstraint("amount_minor > 0", name="amount_positive"),
    )


class RepaymentShare(db.Model):
    __tablename__ = "repayment_shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    repayment_id: Mapped[int] = mapped_column(ForeignKey("repayments.id"), nullable=False)
    investment_id: Mapped[int] = mapped_column(ForeignKey("investments.id"), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)

    repayment: Mapped[Repayment] = relationship(back_populates="shares")
    investment: Mapped[Investment] = relationship()

    __table_args__ = (
        UniqueConstraint("repayment_id", "investment_id"),
        db.CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        Index("ix_repayment_shares_investment_id", "investment_id"),
    )
