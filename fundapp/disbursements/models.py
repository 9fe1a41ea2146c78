"""Disbursement requests and their evidence, milestone completion reports.

Four eyes are enforced twice: by the services (who may act) and by CHECK constraints (the approver
is never the requester; the executor is neither the requester nor the approver).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundapp.accounts.models import User
from fundapp.core.db import UTCDateTime, money_composite, one_of, utcnow
from fundapp.core.money import Money
from fundapp.council.models import CouncilDecision
from fundapp.extensions import db
from fundapp.files.models import StoredFile
from fundapp.proposals.models import Milestone, Project


class DisbursementState(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    EXECUTED = "executed"
    RETURNED = "returned"
    VOIDED = "voided"


STATE_LABELS = {
    DisbursementState.REQUESTED: _l("Requested"),
    DisbursementState.APPROVED: _l("Approved, awaiting payment"),
    DisbursementState.EXECUTED: _l("Paid"),
    DisbursementState.RETURNED: _l("Sent back"),
    DisbursementState.VOIDED: _l("Cancelled"),
}


class EvidenceKind(StrEnum):
    INVOICE = "invoice"
    PHOTO = "photo"
    ACT = "act"  # act of completion
    OTHER = "other"


EVIDENCE_LABELS = {
    EvidenceKind.INVOICE: _l("Invoice"),
    EvidenceKind.PHOTO: _l("Photo"),
    EvidenceKind.ACT: _l("Act of completion"),
    EvidenceKind.OTHER: _l("Other document"),
}


class DisbursementRequest(db.Model):
    """A project owner's request to pay for a milestone; approved, then executed or voided."""

    __tablename__ = "disbursement_requests"
    __audit_type__ = "disbursement"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("project_milestones.id"), nullable=False)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    amount_currency: Mapped[str] = mapped_column(String(3), nullable=False)
    amount: Mapped[Money] = money_composite("amount_minor", "amount_currency")
    payee_name: Mapped[str] = mapped_column(String(200), nullable=False)
    payee_bank: Mapped[str] = mapped_column(String(200), nullable=False)
    payee_account: Mapped[str] = mapped_column(String(64), nullable=False)
    payee_bank_code: Mapped[str | None] = mapped_column(String(32))
    work_done: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(String(12), nullable=False, default=DisbursementState.REQUESTED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str | None] = mapped_column(Text)
    council_decision_id: Mapped[int | None] = mapped_column(ForeignKey("council_decisions.id"))
    pending_transfer_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_pending_transfers.id", name="fk_disbursement_requests_pending_transfer")
    )

    executed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bank_reference: Mapped[str | None] = mapped_column(String(100))
    journal_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))

    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship()
    milestone: Mapped[Milestone] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    executed_by: Mapped[User | None] = relationship(foreign_keys=[executed_by_id])
    voided_by: Mapped[User | None] = relationship(foreign_keys=[voided_by_id])
    council_decision: Mapped[CouncilDecision | None] = relationship()
    # the request sent back that this one corrects, and the one that corrects this (each at most one)
    resends: Mapped[DisbursementRequest | None] = relationship(
        secondary="disbursement_resends",
        primaryjoin="DisbursementRequest.id == DisbursementResend.resent_id",
        secondaryjoin="DisbursementRequest.id == DisbursementResend.returned_id",
        uselist=False,
        viewonly=True,
    )
    resent_as: Mapped[DisbursementRequest | None] = relationship(
        secondary="disbursement_resends",
        primaryjoin="DisbursementRequest.id == DisbursementResend.returned_id",
        secondaryjoin="DisbursementRequest.id == DisbursementResend.resent_id",
        uselist=False,
        viewonly=True,
    )
    evidence: Mapped[list[DisbursementEvidence]] = relationship(
        back_populates="request", order_by="DisbursementEvidence.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        one_of("state", DisbursementState, "state_known"),
        CheckConstraint(
            "decided_by_id IS NULL OR decided_by_id <> requested_by_id", name="approver_not_requester"
        ),
        CheckConstraint(
            "executed_by_id IS NULL OR "
            "(executed_by_id <> requested_by_id AND executed_by_id <> decided_by_id)",
            name="executor_is_a_third_person",
        ),
        CheckConstraint(
            "state <> 'executed' OR (journal_entry_id IS NOT NULL AND bank_reference IS NOT NULL "
            "AND executed_by_id IS NOT NULL)",
            name="executed_is_whole",
        ),
        CheckConstraint(
            "state NOT IN ('approved', 'executed') OR "
            "(pending_transfer_id IS NOT NULL AND decided_by_id IS NOT NULL)",
            name="approved_is_reserved",
        ),
        UniqueConstraint("pending_transfer_id"),
        UniqueConstraint("journal_entry_id"),
        Index("ix_disbursement_requests_project_id", "project_id", "state"),
        Index("ix_disbursement_requests_state", "state"),
    )

    @property
    def disbursement_state(self) -> DisbursementState:
        return DisbursementState(self.state)

    @property
    def state_label(self):
        return STATE_LABELS[DisbursementState(self.state)]

    def __repr__(self) -> str:
        return f"<DisbursementRequest {self.id} {self.state}>"


class DisbursementResend(db.Model):
    """A request sent back (``returned_id``, the key: corrected once at most) and the request that
    corrects it and was sent again."""

    __tablename__ = "disbursement_resends"

    returned_id: Mapped[int] = mapped_column(ForeignKey("disbursement_requests.id"), primary_key=True)
    resent_id: Mapped[int] = mapped_column(ForeignKey("disbursement_requests.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        CheckConstraint("returned_id <> resent_id", name="another"),
        UniqueConstraint("resent_id"),
    )


class DisbursementEvidence(db.Model):
    """A document behind a request: an invoice, a photo, an act of completion."""

    __tablename__ = "disbursement_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("disbursement_requests.id"), nullable=False)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    caption: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    request: Mapped[DisbursementRequest] = relationship(back_populates="evidence")
    file: Mapped[StoredFile] = relationship()

    __table_args__ = (
        one_of("kind", EvidenceKind, "kind_known"),
        UniqueConstraint("file_id"),
        Index("ix_disbursement_evidence_request_id", "request_id"),
    )

    @property
    def kind_label(self):
        return EVIDENCE_LABELS[EvidenceKind(self.kind)]


class MilestoneReport(db.Model):
    """The owner's report that a milestone is done, with evidence. Public once the project is."""

    __tablename__ = "milestone_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("project_milestones.id"), nullable=False)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    milestone: Mapped[Milestone] = relationship()
    author: Mapped[User] = relationship()
    files: Mapped[list[MilestoneReportFile]] = relationship(
        back_populates="report", order_by="MilestoneReportFile.id", cascade="all, delete-orphan"
    )

    __table_args__ = (Index("ix_milestone_reports_project_id", "project_id", "created_at"),)


class MilestoneReportFile(db.Model):
    __tablename__ = "milestone_report_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("milestone_reports.id"), nullable=False)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"), nullable=False)
    caption: Mapped[str] = mapped_column(String(200), nullable=False, default="")

    report: Mapped[MilestoneReport] = relationship(back_populates="files")
    file: Mapped[StoredFile] = relationship()

    __table_args__ = (UniqueConstraint("file_id"), Index("ix_milestone_report_files_report_id", "report_id"))
