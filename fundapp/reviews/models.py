"""Reviewer assignments: one row per (project, reviewer) holding the conflict declaration,
the rubric scores and the recommendation of the proposal as it stands; reviews of earlier versions
are kept as past reviews."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundapp.accounts.models import User
from fundapp.core.db import UTCDateTime, utcnow
from fundapp.extensions import db
from fundapp.proposals.models import Project


class AssignmentStatus(enum.StrEnum):
    ASSIGNED = "assigned"  # waiting for the conflict-of-interest declaration
    ACCEPTED = "accepted"  # no conflict declared: may read and score
    RECUSED = "recused"  # declared a conflict: may not see or score
    COMPLETED = "completed"  # review submitted
    WITHDRAWN = "withdrawn"  # the administrator took the assignment back


class Recommendation(enum.StrEnum):
    APPROVE = "approve"
    CHANGES = "changes"
    REJECT = "reject"


RECOMMENDATION_LABELS = {
    Recommendation.APPROVE: _l("Approve"),
    Recommendation.CHANGES: _l("Ask for changes"),
    Recommendation.REJECT: _l("Reject"),
}

STATUS_LABELS = {
    AssignmentStatus.ASSIGNED: _l("Awaiting declaration"),
    AssignmentStatus.ACCEPTED: _l("Reviewing"),
    AssignmentStatus.RECUSED: _l("Recused (conflict of interest)"),
    AssignmentStatus.COMPLETED: _l("Review completed"),
    AssignmentStatus.WITHDRAWN: _l("Withdrawn"),
}

# The rubric: criterion key → label. Each is scored 1–5 with a comment.
CRITERIA = {
    "relevance": _l("Relevance to the home community"),
    "feasibility": _l("Feasibility"),
    "budget": _l("Budget realism"),
    "team": _l("Team capacity"),
    "sustainability": _l("Sustainability"),
}

# What each score means, shown beside the choices so that reviewers score alike.
SCORE_MEANINGS = {
    1: _l("does not meet the criterion"),
    2: _l("meets it with serious gaps"),
    3: _l("meets it, with gaps to fix"),
    4: _l("meets it well"),
    5: _l("meets it fully, nothing to fix"),
}


class ReviewAssignment(db.Model):
    __tablename__ = "review_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=AssignmentStatus.ASSIGNED.value)
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    conflict_note: Mapped[str | None] = mapped_column(Text)
    relevance_score: Mapped[int | None] = mapped_column(Integer)
    relevance_comment: Mapped[str | None] = mapped_column(Text)
    feasibility_score: Mapped[int | None] = mapped_column(Integer)
    feasibility_comment: Mapped[str | None] = mapped_column(Text)
    budget_score: Mapped[int | None] = mapped_column(Integer)
    budget_comment: Mapped[str | None] = mapped_column(Text)
    team_score: Mapped[int | None] = mapped_column(Integer)
    team_comment: Mapped[str | None] = mapped_column(Text)
    sustainability_score: Mapped[int | None] = mapped_column(Integer)
    sustainability_comment: Mapped[str | None] = mapped_column(Text)
    recommendation: Mapped[str | None] = mapped_column(String(10))
    summary: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])
    past_reviews: Mapped[list[PastReview]] = relationship(
        order_by="PastReview.id", viewonly=True, lazy="select"
    )

    __table_args__ = (
        UniqueConstraint("project_id", "reviewer_id"),
        db.CheckConstraint(
            "status IN ('assigned', 'accepted', 'recused', 'completed', 'withdrawn')", name="status_known"
        ),
        db.CheckConstraint(
            "recommendation IS NULL OR recommendation IN ('approve', 'changes', 'reject')",
            name="recommendation_known",
        ),
        db.CheckConstraint(
            " AND ".join(
                f"({c}_score IS NULL OR {c}_score BETWEEN 1 AND 5)"
                for c in ("relevance", "feasibility", "budget", "team", "sustainability")
            ),
            name="scores_range",
        ),
        db.CheckConstraint(
            "status <> 'completed' OR (recommendation IS NOT NULL AND submitted_at IS NOT NULL "
            "AND relevance_score IS NOT NULL AND feasibility_score IS NOT NULL AND budget_score IS NOT NULL "
            "AND team_score IS NOT NULL AND sustainability_score IS NOT NULL)",
            name="completed_is_complete",
        ),
        Index("ix_review_assignments_reviewer_id", "reviewer_id", "status"),
    )

    @property
    def status_label(self):
        return STATUS_LABELS[AssignmentStatus(self.status)]

    @property
    def recommendation_label(self):
        return RECOMMENDATION_LABELS[Recommendation(self.recommendation)] if self.recommendation else None

    @property
    def total_score(self) -> int | None:
        scores = [getattr(self, f"{c}_score") for c in CRITERIA]
        return None if any(s is None for s in scores) else sum(scores)

    def score(self, criterion: str) -> int | None:
        return getattr(self, f"{criterion}_score")

    def comment(self, criterion: str) -> str | None:
        return getattr(self, f"{criterion}_comment")


class PastReview(db.Model):
    """A completed review of an earlier version of a proposal, kept when the author sent the changed
    proposal back into review and the assignment was opened again. Never changed afterwards."""

    __tablename__ = "past_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("review_assignments.id", ondelete="CASCADE"), nullable=False
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    # criterion key -> {"score": 1..5, "comment": text or null}, for the rubric of its time
    scores: Mapped[dict] = mapped_column(JSON, nullable=False)
    recommendation: Mapped[str] = mapped_column(String(10), nullable=False)
    summary: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    superseded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    reviewer: Mapped[User] = relationship()

    __table_args__ = (
        db.CheckConstraint("recommendation IN ('approve', 'changes', 'reject')", name="recommendation_known"),
        Index("ix_past_reviews_project_id", "project_id", "superseded_at"),
        Index("ix_past_reviews_assignment_id", "assignment_id"),
    )

    @property
    def recommendation_label(self):
        return RECOMMENDATION_LABELS[Recommendation(self.recommendation)]

    @property
    def total_score(self) -> int | None:
        values = [(self.scores.get(c) or {}).get("score") for c in CRITERIA]
        return None if any(v is None for v in values) else sum(values)

    def score(self, criterion: str) -> int | None:
        return (self.scores.get(criterion) or {}).get("score")

    def comment(self, criterion: str) -> str | None:
        return (self.scores.get(criterion) or {}).get("comment")
