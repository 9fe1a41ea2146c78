from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundapp.core.db import UTCDateTime, utcnow
from fundapp.extensions import db
from fundapp.files.models import StoredFile


class CouncilDecision(db.Model):
    """A decision of the Coordination Council, as recorded by an administrator."""

    __tablename__ = "council_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    decided_on: Mapped[date] = mapped_column(Date, nullable=False)
    agenda_item: Mapped[str] = mapped_column(String(300), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    votes_for: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    votes_against: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    votes_abstained: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    minutes_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    minutes_file: Mapped[StoredFile | None] = relationship()
    # The projects the decision is about: only they may cite it (an approval, a payout). The
    # database refuses any other citation (triggers of migration 0023).
    projects = relationship(
        "Project",
        secondary="council_decision_projects",
        primaryjoin="CouncilDecision.id == CouncilDecisionProject.decision_id",
        secondaryjoin="CouncilDecisionProject.project_id == Project.id",
        order_by="Project.id",
    )

    __table_args__ = (
        db.CheckConstraint(
            "votes_for >= 0 AND votes_against >= 0 AND votes_abstained >= 0", name="votes_not_negative"
        ),
    )

    @property
    def carried(self) -> bool:
        return self.votes_for > self.votes_against

    def concerns(self, project) -> bool:
        """Is ``project`` one of the projects this decision is about?"""
        return any(p.id == project.id for p in self.projects)

    def __repr__(self) -> str:
        return f"<CouncilDecision {self.number}>"


class CouncilDecisionProject(db.Model):
    """A project a Council decision is about (a decision may cover several). Append-only: what the
    Council decided is history; a project or a payout may cite only a decision listing it."""

    __tablename__ = "council_decision_projects"

    decision_id: Mapped[int] = mapped_column(ForeignKey("council_decisions.id"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)

    __table_args__ = (Index("ix_council_decision_projects_project_id", "project_id"),)


class ExchangeRate(db.Model):
    """How many somoni one unit of ``currency`` is worth from ``valid_from`` on, as an administrator
    recorded it (with its source, e.g. the National Bank's rate of that day). Exact: a ratio of
    integers, never a float. Append-only: a new rate is a new row, so every past threshold check
    can be retraced."""

    __tablename__ = "exchange_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    somoni_numerator: Mapped[int] = mapped_column(BigInteger, nullable=False)
    somoni_denominator: Mapped[int] = mapped_column(BigInteger, nullable=False)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    source: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    recorded_by = relationship("User")

    __table_args__ = (
        db.CheckConstraint("somoni_numerator > 0 AND somoni_denominator > 0", name="rate_positive"),
        db.CheckConstraint("currency <> 'TJS'", name="not_somoni"),
        Index("ix_exchange_rates_currency_valid_from", "currency", "valid_from"),
    )

    @property
    def rate(self) -> Fraction:
        return Fraction(int(self.somoni_numerator), int(self.somoni_denominator))

    @property
    def rate_text(self) -> str:
        """The rate as the decimal an administrator typed (at most 8 decimals)."""
        whole, rest = divmod(self.rate.numerator * 10**8 // self.rate.denominator, 10**8)
        return f"{whole}.{rest:08d}".rstrip("0").rstrip(".")

    def __repr__(self) -> str:
        return f"<ExchangeRate {self.currency} {self.rate_text} from {self.valid_from}>"
