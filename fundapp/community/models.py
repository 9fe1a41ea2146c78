from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundapp.core import fulltext
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
    # Comma-separated codes from ``LANGUAGES`` and ``FIELDS`` (short controlled lists).
    languages: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    fields: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    year_founded: Mapped[int | None] = mapped_column(Integer)
    website: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    # Private: read by staff and the organisation's admins only (a files access rule).
    registration_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    decision_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Name, city and description folded by ``core.fulltext.fold`` for full-text search.
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # the name or title, folded the same way: a full-text hit here ranks first (core.fulltext)
    search_title: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")

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

    @property
    def language_codes(self) -> list[str]:
        return [c for c in self.languages.split(",") if c]

    @property
    def field_codes(self) -> list[str]:
        return [c for c in self.fields.split(",") if c]

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"

    def refresh_search(self) -> None:
        self.search_title = fulltext.fold(self.name)
        self.search_text = fulltext.fold(f"{self.name}\n{self.city}\n{self.description}")


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


class OrganisationInvitation(db.Model):
    """An admin's invitation sent to an address. Only a hash of the emailed token is kept; it is
    accepted once, by the signed-in person whose address it names."""

    __tablename__ = "organisation_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False, index=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship()


class OrganisationContact(db.Model):
    """That someone wrote to an organisation through the portal (the message itself is only mailed).
    Counting these rows is the rate limit, the same on every server."""

    __tablename__ = "organisation_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (db.Index("ix_organisation_contacts_sender_created", "sender_id", "created_at"),)


class ResourceKind(StrEnum):
    file = "file"
    link = "link"


class ResourceStatus(StrEnum):
    pending = "pending"
    published = "published"
    declined = "declined"


class Resource(db.Model):
    """An item of the library: a file (served by ``files``) or a link, published by staff or by a
    verified organisation (then moderated by staff)."""

    __tablename__ = "community_resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    url: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    language: Mapped[str] = mapped_column(String(8), nullable=False)
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    audience: Mapped[str] = mapped_column(String(32), nullable=False)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=ResourceStatus.pending)
    decision_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    downloads: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # the name or title, folded the same way: a full-text hit here ranks first (core.fulltext)
    search_title: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")

    organisation: Mapped[Organisation | None] = relationship()

    def refresh_search(self) -> None:
        self.search_title = fulltext.fold(self.title)
        self.search_text = fulltext.fold(f"{self.title}\n{self.description}")

    __table_args__ = (
        db.CheckConstraint("kind IN ('file', 'link')", name="kind_known"),
        db.CheckConstraint("status IN ('pending', 'published', 'declined')", name="status_known"),
        db.CheckConstraint("downloads >= 0", name="downloads_not_negative"),
        db.CheckConstraint(
            "(kind = 'file' AND file_id IS NOT NULL) OR (kind = 'link' AND url <> '')", name="file_or_link"
        ),
    )


class SupportKind(StrEnum):
    cultural_centre = "cultural_centre"
    educational_centre = "educational_centre"
    course = "course"
    school = "school"
    library = "library"
    equipment = "equipment"
    training = "training"
    teaching_materials = "teaching_materials"
    legal_help = "legal_help"


class SupportStatus(StrEnum):
    submitted = "submitted"
    in_progress = "in_progress"
    info_requested = "info_requested"
    resolved = "resolved"
    declined = "declined"


class SupportRequest(db.Model):
    """An organisation's (or a founding member's) request for the fund's help. Money, when needed,
    goes through a project proposal linked here (``project_id``), never through this row."""

    __tablename__ = "community_support_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    needs: Mapped[str] = mapped_column(Text, nullable=False, default="")
    budget_minor: Mapped[int | None] = mapped_column(BigInteger)
    budget_currency: Mapped[str | None] = mapped_column(String(3))
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=SupportStatus.submitted)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # the staff's last question, or the reason of a decision (also in the audit trail)
    staff_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    requester_answer: Mapped[str] = mapped_column(Text, nullable=False, default="")
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    organisation: Mapped[Organisation | None] = relationship()

    __table_args__ = (
        db.CheckConstraint(
            "kind IN (" + ", ".join(f"'{k.value}'" for k in SupportKind) + ")", name="kind_known"
        ),
        db.CheckConstraint(
            "status IN (" + ", ".join(f"'{s.value}'" for s in SupportStatus) + ")", name="status_known"
        ),
        db.CheckConstraint(
            "(budget_minor IS NULL AND budget_currency IS NULL) OR "
            "(budget_minor > 0 AND budget_currency IS NOT NULL)",
            name="budget_whole",
        ),
    )

    @property
    def budget(self):
        from fundapp.core.money import Money

        return Money(self.budget_minor, self.budget_currency) if self.budget_minor is not None else None


class Visibility(StrEnum):
    public = "public"
    members = "members"
    hidden = "hidden"


class NeedStatus(StrEnum):
    open = "open"
    closed = "closed"


class PlacementStatus(StrEnum):
    interested = "interested"  # the specialist asked; the need's owner answers
    invited = "invited"  # the owner asked; the specialist answers
    active = "active"
    completed = "completed"
    cut_short = "cut_short"
    declined = "declined"


class SpecialistProfile(db.Model):
    """A member's specialist profile. Codes are comma-separated from ``specialists`` lists; the
    visibility is the specialist's own choice."""

    __tablename__ = "specialist_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, unique=True)
    field: Mapped[str] = mapped_column(String(32), nullable=False)
    skills: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    tags: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    years: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    languages: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    availability: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    visibility: Mapped[str] = mapped_column(String(8), nullable=False, default=Visibility.members)
    # Private: staff, the specialist and owners of needs the specialist answered (a files rule).
    cv_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # the name or title, folded the same way: a full-text hit here ranks first (core.fulltext)
    search_title: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    user = relationship("User")

    __table_args__ = (
        db.CheckConstraint("visibility IN ('public', 'members', 'hidden')", name="visibility_known"),
        db.CheckConstraint("years >= 0 AND years <= 70", name="years_range"),
    )

    def codes(self, name: str) -> list[str]:
        return [c for c in getattr(self, name).split(",") if c]


class SpecialistNeed(db.Model):
    """A need for a specialist, posted for a project (by its author) or an organisation (by its
    admin; agencies are organisations)."""

    __tablename__ = "specialist_needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    posted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(200), nullable=False)
    skills: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    languages: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    country: Mapped[str] = mapped_column(String(2), nullable=False, default="")
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    months: Mapped[int] = mapped_column(Integer, nullable=False)
    on_site: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)
    stipend: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default=NeedStatus.open)
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # the name or title, folded the same way: a full-text hit here ranks first (core.fulltext)
    search_title: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    organisation: Mapped[Organisation | None] = relationship()
    project = relationship("Project")

    __table_args__ = (
        db.CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        db.CheckConstraint("months >= 1 AND months <= 60", name="months_range"),
        db.CheckConstraint("(project_id IS NULL) <> (organisation_id IS NULL)", name="one_owner"),
    )

    def codes(self, name: str) -> list[str]:
        return [c for c in getattr(self, name).split(",") if c]


class Placement(db.Model):
    """A specialist and a need: from interest or invitation to an end. One row per pair."""

    __tablename__ = "specialist_placements"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("specialist_needs.id"), nullable=False)
    profile_id: Mapped[int] = mapped_column(ForeignKey("specialist_profiles.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    join_team: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    need: Mapped[SpecialistNeed] = relationship()
    profile: Mapped[SpecialistProfile] = relationship()

    __table_args__ = (
        UniqueConstraint("need_id", "profile_id"),
        db.CheckConstraint(
            "status IN (" + ", ".join(f"'{s.value}'" for s in PlacementStatus) + ")", name="status_known"
        ),
    )


@db.event.listens_for(Organisation, "before_insert")
@db.event.listens_for(Organisation, "before_update")
@db.event.listens_for(Resource, "before_insert")
@db.event.listens_for(Resource, "before_update")
def _refresh_search(mapper, connection, target) -> None:
    """Whoever writes a row (a service, another domain's demo), its search columns follow it."""
    target.refresh_search()
