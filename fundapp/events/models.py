from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundapp.core.db import UTCDateTime, one_of, utcnow
from fundapp.extensions import db

LANGS = ("tg", "ru", "en")


class EventKind(StrEnum):
    conference = "conference"
    workshop = "workshop"
    creative_evening = "creative_evening"
    youth = "youth"
    children = "children"
    celebration = "celebration"
    online_session = "online_session"


KIND_LABELS = {
    EventKind.conference: _l("Conference"),
    EventKind.workshop: _l("Workshop"),
    EventKind.creative_evening: _l("Creative evening"),
    EventKind.youth: _l("Youth event"),
    EventKind.children: _l("Children's event"),
    EventKind.celebration: _l("Celebration"),
    EventKind.online_session: _l("Online session"),
}


class Audience(StrEnum):
    everyone = "everyone"
    youth = "youth"
    children = "children"
    families = "families"
    specialists = "specialists"


AUDIENCE_LABELS = {
    Audience.everyone: _l("Everyone"),
    Audience.youth: _l("Young people"),
    Audience.children: _l("Children"),
    Audience.families: _l("Families"),
    Audience.specialists: _l("Specialists"),
}


class EventState(StrEnum):
    draft = "draft"
    published = "published"
    postponed = "postponed"
    cancelled = "cancelled"


STATE_LABELS = {
    EventState.draft: _l("Draft"),
    EventState.published: _l("Published"),
    EventState.postponed: _l("Postponed"),
    EventState.cancelled: _l("Cancelled"),
}

# The public sees these; a draft only its organisers and staff.
PUBLIC_EVENT_STATES = (EventState.published, EventState.postponed, EventState.cancelled)


class Event(db.Model):
    """An event held by the fund or by a verified organisation, in its own time zone."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    audience: Mapped[str] = mapped_column(String(16), nullable=False, default=Audience.everyone)
    state: Mapped[str] = mapped_column(String(12), nullable=False, default=EventState.draft, index=True)
    title_tg: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    title_ru: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    title_en: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    description_tg: Mapped[str] = mapped_column(Text, nullable=False, default="")
    description_ru: Mapped[str] = mapped_column(Text, nullable=False, default="")
    description_en: Mapped[str] = mapped_column(Text, nullable=False, default="")
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    country: Mapped[str] = mapped_column(String(2), nullable=False, default="")
    city: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    venue: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    address: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    online_url: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    capacity: Mapped[int] = mapped_column(Integer, nullable=False)
    max_guests: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation = relationship("Organisation", foreign_keys=[organisation_id])
    co_organisers: Mapped[list[EventOrganisation]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )
    projects: Mapped[list[EventProject]] = relationship(back_populates="event", cascade="all, delete-orphan")
    questions: Mapped[list[EventQuestion]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventQuestion.position"
    )
    registrations: Mapped[list[Registration]] = relationship(back_populates="event")
    report: Mapped[EventReport | None] = relationship(back_populates="event", uselist=False)
    photos: Mapped[list[EventPhoto]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventPhoto.id"
    )

    __table_args__ = (
        one_of("kind", EventKind, "kind_known"),
        one_of("audience", Audience, "audience_known"),
        one_of("state", EventState, "state_known"),
        db.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        db.CheckConstraint("capacity > 0", name="capacity_positive"),
        db.CheckConstraint("max_guests >= 0 AND max_guests <= 20", name="max_guests_range"),
    )

    def text(self, field: str, lang: str) -> str:
        """``title`` or ``description`` in ``lang`` when written, else in the first language that is."""
        value = getattr(self, f"{field}_{lang}", "")
        if value:
            return value
        for other in LANGS:
            value = getattr(self, f"{field}_{other}", "")
            if value:
                return value
        return ""

    def text_lang(self, field: str, lang: str) -> str:
        """The language the ``text`` of ``field`` is shown in (for ``lang`` attributes)."""
        if getattr(self, f"{field}_{lang}", ""):
            return lang
        return next((o for o in LANGS if getattr(self, f"{field}_{o}", "")), lang)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(self.zone)

    @property
    def is_online(self) -> bool:
        return bool(self.online_url) and not self.venue

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_EVENT_STATES

    @property
    def kind_label(self):
        return KIND_LABELS[EventKind(self.kind)]

    @property
    def audience_label(self):
        return AUDIENCE_LABELS[Audience(self.audience)]

    @property
    def state_label(self):
        return STATE_LABELS[EventState(self.state)]

    def is_over(self, now: datetime | None = None) -> bool:
        return self.ends_at <= (now or utcnow())

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.kind} {self.state}>"


class EventOrganisation(db.Model):
    """An organisation co-organising an event (besides the one holding it)."""

    __tablename__ = "event_organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), nullable=False, index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False, index=True)

    event: Mapped[Event] = relationship(back_populates="co_organisers")
    organisation = relationship("Organisation")

    __table_args__ = (UniqueConstraint("event_id", "organisation_id"),)


class EventProject(db.Model):
    """A fund project linked to an event (presented there, or the event's fruit)."""

    __tablename__ = "event_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), nullable=False, index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)

    event: Mapped[Event] = relationship(back_populates="projects")
    project = relationship("Project")

    __table_args__ = (UniqueConstraint("event_id", "project_id"),)


class EventQuestion(db.Model):
    """A question asked when registering; answers are optional."""

    __tablename__ = "event_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    text: Mapped[str] = mapped_column(String(300), nullable=False)

    event: Mapped[Event] = relationship(back_populates="questions")


class RegistrationStatus(StrEnum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"


REGISTRATION_LABELS = {
    RegistrationStatus.confirmed: _l("Registered"),
    RegistrationStatus.waitlisted: _l("On the waiting list"),
    RegistrationStatus.cancelled: _l("Cancelled"),
}


class Registration(db.Model):
    """A person's place at an event (with guests), or their place in the waiting queue.

    One row per person and event: cancelling and registering again reuses it, joining the end of
    the queue (``queued_at``)."""

    __tablename__ = "event_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    guests: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    code: Mapped[str] = mapped_column(String(12), nullable=False, unique=True)
    answers: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # JSON: question id → text
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended_guests: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    certificate_code: Mapped[str | None] = mapped_column(String(16), unique=True)

    event: Mapped[Event] = relationship(back_populates="registrations")
    user = relationship("User", foreign_keys=[user_id])

    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        one_of("status", RegistrationStatus, "status_known"),
        db.CheckConstraint("guests >= 0 AND guests <= 20", name="guests_range"),
        db.CheckConstraint(
            "attended_guests >= 0 AND attended_guests <= guests", name="attended_guests_range"
        ),
        db.CheckConstraint("attended_at IS NULL OR status = 'confirmed'", name="attended_only_confirmed"),
    )

    @property
    def seats(self) -> int:
        return 1 + self.guests

    @property
    def status_label(self):
        return REGISTRATION_LABELS[RegistrationStatus(self.status)]


class EventReport(db.Model):
    """What happened: the organiser's account after the event."""

    __tablename__ = "event_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), nullable=False, unique=True)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    attendance: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    partners: Mapped[str] = mapped_column(Text, nullable=False, default="")
    published: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    event: Mapped[Event] = relationship(back_populates="report")

    __table_args__ = (db.CheckConstraint("attendance >= 0", name="attendance_not_negative"),)


class EventPhoto(db.Model):
    """A photo of the event (a public stored file) with its caption."""

    __tablename__ = "event_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), nullable=False, index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"), nullable=False)
    caption: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    event: Mapped[Event] = relationship(back_populates="photos")
    file = relationship("StoredFile")
