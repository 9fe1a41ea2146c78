"""Projects: a migrant's proposal and, once published, the campaign and its delivery."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundapp.accounts.models import User
from fundapp.core.db import UTCDateTime, money_composite, one_of, utcnow
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.files.models import StoredFile


class ProjectState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    FUNDRAISING = "fundraising"
    FUNDED = "funded"
    UNSUCCESSFUL = "unsuccessful"
    IMPLEMENTING = "implementing"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


STATE_LABELS = {
    ProjectState.DRAFT: _l("Draft"),
    ProjectState.SUBMITTED: _l("Submitted"),
    ProjectState.IN_REVIEW: _l("In review"),
    ProjectState.CHANGES_REQUESTED: _l("Changes requested"),
    ProjectState.APPROVED: _l("Approved"),
    ProjectState.REJECTED: _l("Rejected"),
    ProjectState.WITHDRAWN: _l("Withdrawn"),
    ProjectState.FUNDRAISING: _l("Fundraising"),
    ProjectState.FUNDED: _l("Funded"),
    ProjectState.UNSUCCESSFUL: _l("Not funded"),
    ProjectState.IMPLEMENTING: _l("Being implemented"),
    ProjectState.COMPLETED: _l("Completed"),
    ProjectState.CANCELLED: _l("Cancelled"),
}

# States in which a project is shown to the public (once it has been published).
PUBLIC_STATES = frozenset(
    {
        ProjectState.FUNDRAISING,
        ProjectState.FUNDED,
        ProjectState.UNSUCCESSFUL,
        ProjectState.IMPLEMENTING,
        ProjectState.COMPLETED,
        ProjectState.CANCELLED,
    }
)
# States in which the author may edit the proposal.
EDITABLE_STATES = frozenset({ProjectState.DRAFT, ProjectState.CHANGES_REQUESTED})


class FundingModel(enum.StrEnum):
    DONATION = "donation"
    PLEDGE = "pledge"  # all-or-nothing: pledges are collected only if the goal is met
    LOAN = "loan"  # loan/investment with an annual rate, a term and a repayment schedule


FUNDING_MODEL_LABELS = {
    FundingModel.DONATION: _l("Donations"),
    FundingModel.PLEDGE: _l("All-or-nothing pledges"),
    FundingModel.LOAN: _l("Loan / investment"),
}


class RepaymentType(enum.StrEnum):
    ANNUITY = "annuity"
    BULLET = "bullet"


REPAYMENT_LABELS = {
    RepaymentType.ANNUITY: _l("Equal monthly payments (annuity)"),
    RepaymentType.BULLET: _l("All at the end of the term (bullet)"),
}


# Timeline entries that are not state changes (those are labelled by the state they reach).
# Other domains add kinds of their own; an unknown kind is shown as a generic "event".
TIMELINE_LABELS = {
    "created": _l("Draft created"),
    "update": _l("Update posted"),
    "reviewer_assigned": _l("Reviewer assigned"),
    "review_completed": _l("Review completed"),
    "disbursement": _l("Money paid out for a milestone"),
    "milestone_done": _l("Milestone completed"),
}


class MilestoneStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"


MILESTONE_LABELS = {
    MilestoneStatus.PLANNED: _l("Planned"),
    MilestoneStatus.IN_PROGRESS: _l("In progress"),
    MilestoneStatus.DONE: _l("Done"),
}


class Project(db.Model):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    summary: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")  # Markdown source
    description_html: Mapped[str] = mapped_column(Text, nullable=False, default="")  # sanitised
    # Title and summary case-folded in Python, so that search is case-insensitive for Cyrillic
    # on both engines (SQLite's lower() only folds ASCII).
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    state: Mapped[str] = mapped_column(String(24), nullable=False, default=ProjectState.DRAFT.value)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    category: Mapped[str] = mapped_column(String(40), nullable=False)
    home_region: Mapped[str] = mapped_column(String(40), nullable=False)
    home_district: Mapped[str] = mapped_column(String(80), nullable=False)
    diaspora_organisation: Mapped[str | None] = mapped_column(String(200))
    funding_model: Mapped[str] = mapped_column(
        String(16), nullable=False, default=FundingModel.DONATION.value
    )
    goal_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="TJS")
    goal: Mapped[Money] = money_composite("goal_minor", "currency")
    campaign_days: Mapped[int] = mapped_column(Integer, nullable=False, default=60)
    campaign_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    campaign_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Loan terms (funding_model == "loan" only).
    annual_rate_bp: Mapped[int | None] = mapped_column(Integer)
    term_months: Mapped[int | None] = mapped_column(Integer)
    repayment_type: Mapped[str | None] = mapped_column(String(10))
    min_backing_minor: Mapped[int | None] = mapped_column(BigInteger)
    max_backing_minor: Mapped[int | None] = mapped_column(BigInteger)
    council_decision_id: Mapped[int | None] = mapped_column(ForeignKey("council_decisions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    council_decision = relationship("CouncilDecision")
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="BudgetLine.position"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Milestone.position"
    )
    team_members: Mapped[list[TeamMember]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="TeamMember.id"
    )
    attachments: Mapped[list[ProjectAttachment]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectAttachment.id"
    )
    updates: Mapped[list[ProjectUpdate]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectUpdate.created_at.desc()"
    )
    timeline: Mapped[list[TimelineEvent]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="TimelineEvent.id"
    )

    __table_args__ = (
        one_of("state", ProjectState, "state_known"),
        one_of("funding_model", FundingModel, "funding_model_known"),
        db.CheckConstraint("goal_minor >= 0", name="goal_not_negative"),
        db.CheckConstraint("campaign_days BETWEEN 1 AND 365", name="campaign_days_range"),
        db.CheckConstraint(
            "repayment_type IS NULL OR repayment_type IN ('annuity', 'bullet')", name="repayment_type_known"
        ),
        db.CheckConstraint(
            "funding_model <> 'loan' OR state IN ('draft', 'withdrawn') OR "
            "(annual_rate_bp IS NOT NULL AND term_months IS NOT NULL AND repayment_type IS NOT NULL)",
            name="loan_terms_complete",
        ),
        Index("ix_projects_state", "state"),
        Index("ix_projects_owner_id", "owner_id"),
        Index("ix_projects_region", "home_region", "home_district"),
    )

    @property
    def project_state(self) -> ProjectState:
        return ProjectState(self.state)

    @property
    def state_label(self):
        return STATE_LABELS[ProjectState(self.state)]

    @property
    def funding_model_label(self):
        return FUNDING_MODEL_LABELS[FundingModel(self.funding_model)]

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_STATES and self.published_at is not None

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def public_author_name(self) -> str | None:
        """The author's name for the public, or None unless they chose to be named publicly
        (``show_name_publicly`` in their profile); pages then say "Project team"."""
        owner = self.owner
        if owner is not None and owner.show_name_publicly:
            return owner.display_name
        return None

    def public_team_name(self, member: TeamMember) -> str | None:
        """A team member's name for the public. The author's own row (added with their full name
        when the draft was made) follows ``public_author_name``; other names are the author's."""
        if member.user_id is not None and member.user_id == self.owner_id:
            return self.public_author_name
        return member.name

    @property
    def budget_total(self) -> Money:
        return Money(sum(int(b.amount_minor) for b in self.budget_lines), self.currency)

    @property
    def milestones_total(self) -> Money:
        return Money(sum(int(m.amount_minor) for m in self.milestones), self.currency)

    @property
    def max_backing(self) -> Money | None:
        return None if self.max_backing_minor is None else Money(int(self.max_backing_minor), self.currency)

    def team_user_ids(self) -> set[int]:
        return {m.user_id for m in self.team_members if m.user_id is not None}

    def is_insider(self, user) -> bool:
        """The owner or a team member linked to an account: never a reviewer or decider of it."""
        uid = getattr(user, "id", None)
        return uid is not None and (uid == self.owner_id or uid in self.team_user_ids())

    def __repr__(self) -> str:
        return f"<Project {self.id} {self.state}>"


class BudgetLine(db.Model):
    __tablename__ = "project_budget_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)

    project: Mapped[Project] = relationship(back_populates="budget_lines")

    __table_args__ = (
        db.CheckConstraint("amount_minor > 0", name="amount_positive"),
        Index("ix_project_budget_lines_project_id", "project_id"),
    )

    @property
    def amount(self) -> Money:
        return Money(int(self.amount_minor), self.project.currency)


class Milestone(db.Model):
    __tablename__ = "project_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=MilestoneStatus.PLANNED.value)

    project: Mapped[Project] = relationship(back_populates="milestones")

    __table_args__ = (
        db.CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        one_of("status", MilestoneStatus, "status_known"),
        Index("ix_project_milestones_project_id", "project_id"),
    )

    @property
    def amount(self) -> Money:
        return Money(int(self.amount_minor), self.project.currency)

    @property
    def status_label(self):
        return MILESTONE_LABELS[MilestoneStatus(self.status)]


class TeamMember(db.Model):
    __tablename__ = "project_team_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # An account the author named by its address: invited, linked (``user_id``) only once its
    # holder accepts. Until then the person is no insider of the project.
    invited_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship(back_populates="team_members")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    invited_user: Mapped[User | None] = relationship(foreign_keys=[invited_user_id])

    __table_args__ = (
        db.CheckConstraint("user_id IS NULL OR invited_user_id IS NULL", name="linked_or_invited"),
        Index("ix_project_team_members_project_id", "project_id"),
        Index("ix_project_team_members_invited_user_id", "invited_user_id"),
    )


class ProjectAttachment(db.Model):
    """A document or picture of a proposal. Seen by those who may see the proposal; public with it."""

    __tablename__ = "project_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    project: Mapped[Project] = relationship(back_populates="attachments")
    file: Mapped[StoredFile] = relationship()

    __table_args__ = (UniqueConstraint("file_id"), Index("ix_project_attachments_project_id", "project_id"))


class ProjectUpdate(db.Model):
    """News posted by the owner of a published project; followers and backers are told."""

    __tablename__ = "project_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    body_html: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    project: Mapped[Project] = relationship(back_populates="updates")
    author: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_project_updates_project_id", "project_id"),)


class TimelineEvent(db.Model):
    """Something that happened to a project: a transition, an update, a payout. Public ones are
    shown on the project page; the rest (e.g. review comments) only to the author and staff."""

    __tablename__ = "project_timeline_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    project: Mapped[Project] = relationship(back_populates="timeline")
    actor: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_project_timeline_events_project_id", "project_id", "id"),)

    @property
    def label(self):
        if self.to_state:
            return STATE_LABELS.get(ProjectState(self.to_state), self.to_state)
        return TIMELINE_LABELS.get(self.kind, _l("Event"))


class ProjectFollower(db.Model):
    __tablename__ = "project_followers"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("project_id", "user_id"),)
