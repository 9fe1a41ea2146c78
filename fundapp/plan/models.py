"""The Plan of Actions as data: groups, action points, indicators with targets per quarter, the
agencies' quarterly reports with their values and evidence, and the reports to the Ministry.

Quantities are integers in hundredths (``*_x100``): 12.5 % is 1250, 40 people is 4000. A money
indicator's hundredths are the minor units of its currency (diram for TJS). No floats."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundapp.core.db import UTCDateTime, one_of, utcnow
from fundapp.extensions import db


class Unit(StrEnum):
    COUNT = "count"
    PERCENT = "percent"
    MONEY = "money"
    TEXT = "text"  # qualitative: a narrative, no number


UNIT_LABELS = {
    Unit.COUNT: _l("number"),
    Unit.PERCENT: _l("percentage"),
    Unit.MONEY: _l("amount of money"),
    Unit.TEXT: _l("qualitative"),
}


class Source(StrEnum):
    AGENCY = "agency"
    COMPUTED = "computed"


class ReportState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"


REPORT_STATE_LABELS = {
    ReportState.DRAFT: _l("Draft"),
    ReportState.SUBMITTED: _l("Sent to the Ministry"),
    ReportState.RETURNED: _l("Returned for changes"),
    ReportState.ACCEPTED: _l("Accepted"),
}


class Status(StrEnum):
    """The rating of a point: before its period, without data, or green/amber/red."""

    NOT_STARTED = "not_started"
    NO_DATA = "no_data"
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


STATUS_LABELS = {
    Status.NOT_STARTED: _l("Not yet due"),
    Status.NO_DATA: _l("No evidence"),
    Status.GREEN: _l("On track"),
    Status.AMBER: _l("Some delay"),
    Status.RED: _l("Off track"),
}


class Completion(StrEnum):
    """The Open Government Partnership's completion scale, used once a point's period is over."""

    NO_EVIDENCE = "no_evidence"
    NOT_STARTED = "not_started"
    LIMITED = "limited"
    SUBSTANTIAL = "substantial"
    COMPLETE = "complete"


COMPLETION_LABELS = {
    Completion.NO_EVIDENCE: _l("No evidence"),
    Completion.NOT_STARTED: _l("Not started"),
    Completion.LIMITED: _l("Limited"),
    Completion.SUBSTANTIAL: _l("Substantial"),
    Completion.COMPLETE: _l("Complete"),
}


class PlanGroup(db.Model):
    __tablename__ = "plan_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    title_tg: Mapped[str] = mapped_column(String(300), nullable=False)
    title_ru: Mapped[str] = mapped_column(String(300), nullable=False)
    title_en: Mapped[str] = mapped_column(String(300), nullable=False)

    points: Mapped[list[ActionPoint]] = relationship(
        back_populates="group", order_by="ActionPoint.position", cascade="all, delete-orphan"
    )

    __table_args__ = (db.CheckConstraint("number BETWEEN 1 AND 99", name="number_range"),)


class ActionPoint(db.Model):
    """One action point of the Plan: what is to be done, by which agencies, over which period."""

    __tablename__ = "plan_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("plan_groups.id"), nullable=False, index=True)
    number: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    text_tg: Mapped[str] = mapped_column(Text, nullable=False)
    text_ru: Mapped[str] = mapped_column(Text, nullable=False)
    text_en: Mapped[str] = mapped_column(Text, nullable=False)
    lead_agency_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    weight: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    is_example: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    status_override: Mapped[str | None] = mapped_column(String(16))
    override_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    group: Mapped[PlanGroup] = relationship(back_populates="points")
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="point", order_by="Indicator.id", cascade="all, delete-orphan"
    )
    supporting: Mapped[list[PointAgency]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (
        db.CheckConstraint("ends_on >= starts_on", name="period_ordered"),
        db.CheckConstraint("weight BETWEEN 1 AND 100", name="weight_range"),
        one_of("status_override", Status, "override_known", nullable=True),
        db.CheckConstraint(
            "status_override IS NULL OR override_reason IS NOT NULL", name="override_has_reason"
        ),
    )

    def text(self, lang: str) -> str:
        return getattr(self, f"text_{lang}", None) or self.text_en

    @property
    def agency_ids(self) -> set[int]:
        ids = {a.organisation_id for a in self.supporting}
        if self.lead_agency_id:
            ids.add(self.lead_agency_id)
        return ids


class PointAgency(db.Model):
    """A supporting agency of a point (the lead agency is on the point itself)."""

    __tablename__ = "plan_point_agencies"

    point_id: Mapped[int] = mapped_column(ForeignKey("plan_points.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)


class PointRevision(db.Model):
    """History of a point: every edit and every status override, with who, when and why.
    Append-only in the database."""

    __tablename__ = "plan_point_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("plan_points.id"), nullable=False, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    changes: Mapped[dict] = mapped_column(db.JSON, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    actor = relationship("User")

    __table_args__ = (db.CheckConstraint("kind IN ('created', 'edited', 'status')", name="kind_known"),)


class Indicator(db.Model):
    __tablename__ = "plan_indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("plan_points.id"), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(24), nullable=False, unique=True)
    name_tg: Mapped[str] = mapped_column(String(300), nullable=False)
    name_ru: Mapped[str] = mapped_column(String(300), nullable=False)
    name_en: Mapped[str] = mapped_column(String(300), nullable=False)
    unit: Mapped[str] = mapped_column(String(8), nullable=False)
    currency: Mapped[str | None] = mapped_column(String(3))
    ascending: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    baseline_x100: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    source: Mapped[str] = mapped_column(String(8), nullable=False)
    computed_key: Mapped[str | None] = mapped_column(String(40))
    weight: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    point: Mapped[ActionPoint] = relationship(back_populates="indicators")
    targets: Mapped[list[IndicatorTarget]] = relationship(
        order_by="(IndicatorTarget.year, IndicatorTarget.quarter)", cascade="all, delete-orphan"
    )

    __table_args__ = (
        one_of("unit", Unit, "unit_known"),
        one_of("source", Source, "source_known"),
        db.CheckConstraint("(source = 'computed') = (computed_key IS NOT NULL)", name="computed_has_key"),
        db.CheckConstraint("(unit = 'money') = (currency IS NOT NULL)", name="money_has_currency"),
        db.CheckConstraint("weight BETWEEN 1 AND 100", name="weight_range"),
    )

    def name(self, lang: str) -> str:
        return getattr(self, f"name_{lang}", None) or self.name_en

    @property
    def quantitative(self) -> bool:
        return self.unit != Unit.TEXT


class IndicatorTarget(db.Model):
    __tablename__ = "plan_indicator_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("plan_indicators.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    quarter: Mapped[int] = mapped_column(Integer, nullable=False)
    target_x100: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (
        UniqueConstraint("indicator_id", "year", "quarter"),
        db.CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter_range"),
        db.CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
    )


class PointReport(db.Model):
    """An agency's report on one point for one quarter: draft → submitted → accepted (locked) or
    returned → submitted again; an accepted report is unlocked (back to returned) only by staff,
    with a reason."""

    __tablename__ = "plan_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("plan_points.id"), nullable=False)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    quarter: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[str] = mapped_column(String(12), nullable=False, default=ReportState.DRAFT)
    language: Mapped[str] = mapped_column(String(2), nullable=False, default="tg")
    narrative: Mapped[str] = mapped_column(Text, nullable=False, default="")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    point: Mapped[ActionPoint] = relationship()
    values: Mapped[list[ReportValue]] = relationship(cascade="all, delete-orphan")
    evidence: Mapped[list[ReportEvidence]] = relationship(cascade="all, delete-orphan")
    stamps: Mapped[list[ReportStamp]] = relationship(order_by="ReportStamp.id")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (
        UniqueConstraint("point_id", "year", "quarter"),
        one_of("state", ReportState, "state_known"),
        db.CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter_range"),
        db.CheckConstraint("language IN ('tg', 'ru')", name="language_known"),
        db.CheckConstraint("state = 'draft' OR submitted_at IS NOT NULL", name="submitted_when_sent"),
        db.CheckConstraint("state <> 'accepted' OR decided_by_id IS NOT NULL", name="accepted_by_someone"),
    )

    @property
    def locked(self) -> bool:
        return self.state in (ReportState.SUBMITTED, ReportState.ACCEPTED)

    @property
    def state_label(self):
        return REPORT_STATE_LABELS[ReportState(self.state)]

    def value_for(self, indicator_id: int) -> ReportValue | None:
        return next((v for v in self.values if v.indicator_id == indicator_id), None)


class ReportValue(db.Model):
    __tablename__ = "plan_report_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("plan_reports.id"), nullable=False)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("plan_indicators.id"), nullable=False)
    actual_x100: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    __table_args__ = (UniqueConstraint("report_id", "indicator_id"),)


class ReportEvidence(db.Model):
    __tablename__ = "plan_report_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("plan_reports.id"), nullable=False, index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"), nullable=False)
    caption: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    is_public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    file = relationship("StoredFile")


class ReportStamp(db.Model):
    """Who did what to a report, and when (append-only in the database)."""

    __tablename__ = "plan_report_stamps"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("plan_reports.id"), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(12), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    actor = relationship("User")

    __table_args__ = (
        db.CheckConstraint(
            "action IN ('submitted', 'returned', 'accepted', 'unlocked')", name="action_known"
        ),
    )


class PlanSettings(db.Model):
    """One row: which agency reviews the reports (MoLMEP) and how long agencies have after a
    quarter ends."""

    __tablename__ = "plan_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    ministry_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    deadline_days: Mapped[int] = mapped_column(Integer, nullable=False, default=20)

    __table_args__ = (
        db.CheckConstraint("id = 1", name="single_row"),
        db.CheckConstraint("deadline_days BETWEEN 1 AND 90", name="deadline_range"),
    )


class ReminderSent(db.Model):
    """A reminder mailed for a point and quarter, so that the cron job mails each one once."""

    __tablename__ = "plan_reminders_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("plan_points.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    quarter: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("point_id", "year", "quarter", "kind"),
        db.CheckConstraint("kind IN ('due', 'overdue')", name="kind_known"),
    )


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class MinistryReport(db.Model):
    """A report to the Ministry for a quarter or a half-year, generated in the background as PDF
    and XLSX, computed against one signed ledger checkpoint (its size and root are kept)."""

    __tablename__ = "plan_ministry_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    half: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    part: Mapped[int] = mapped_column(Integer, nullable=False)  # quarter 1–4, or half 1–2
    language: Mapped[str] = mapped_column(String(2), nullable=False)
    state: Mapped[str] = mapped_column(String(8), nullable=False, default=JobState.QUEUED)
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    tree_size: Mapped[int | None] = mapped_column(BigInteger)
    root_hex: Mapped[str | None] = mapped_column(String(64))
    pdf_data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    xlsx_data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        one_of("state", JobState, "state_known"),
        db.CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
        db.CheckConstraint("language IN ('tg', 'ru')", name="language_known"),
        db.CheckConstraint(
            "(half AND part BETWEEN 1 AND 2) OR (NOT half AND part BETWEEN 1 AND 4)", name="part_range"
        ),
    )
