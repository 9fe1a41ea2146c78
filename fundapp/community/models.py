from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundapp.core.db import UTCDateTime, utcnow
from fundapp.extensions import db


class OrganisationKind(StrEnum):
    association = "association"
    cultural_centre = "cultural_centre"
    school = "school"
    library = "library"
    media = "media"
    business_club = "business_club"
    student_union = "student_union"
    religious_club = "religious_club"
    sports_club = "sports_club"
    government_agency = "government_agency"


class OrganisationStatus(StrEnum):
    pending = "pending"
    verified = "verified"
    declined = "declined"


class Organisation(db.Model):
    """A diaspora organisation (or a government agency), registered by a member, verified by staff."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False)  # ISO 3166-1 alpha-2
    city: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=OrganisationStatus.pending)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    members: Mapped[list[OrganisationMember]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )

    __table_args__ = (
        db.CheckConstraint(
            "kind IN (" + ", ".join(f"'{k.value}'" for k in OrganisationKind) + ")", name="kind_known"
        ),
        db.CheckConstraint(
            "status IN (" + ", ".join(f"'{s.value}'" for s in OrganisationStatus) + ")", name="status_known"
        ),
    )

    @property
    def verified(self) -> bool:
        return self.status == OrganisationStatus.verified

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class MemberRole(StrEnum):
    admin = "admin"
    member = "member"


class MembershipStatus(StrEnum):
    requested = "requested"
    invited = "invited"
    active = "active"


class OrganisationMember(db.Model):
    """A person's place in an organisation: admin or member, once active."""

    __tablename__ = "organisation_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(8), nullable=False, default=MemberRole.member)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=MembershipStatus.active)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    organisation: Mapped[Organisation] = relationship(back_populates="members")

    __table_args__ = (
        UniqueConstraint("organisation_id", "user_id"),
        db.CheckConstraint("role IN ('admin', 'member')", name="role_known"),
        db.CheckConstraint("status IN ('requested', 'invited', 'active')", name="status_known"),
    )
