from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
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

    __table_args__ = (
        db.CheckConstraint(
            "votes_for >= 0 AND votes_against >= 0 AND votes_abstained >= 0", name="votes_not_negative"
        ),
    )

    @property
    def carried(self) -> bool:
        return self.votes_for > self.votes_against

    def __repr__(self) -> str:
        return f"<CouncilDecision {self.number}>"
