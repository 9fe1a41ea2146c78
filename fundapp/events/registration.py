"""Registration, the door and reminders: people take and give up seats, organisers check them in
and the reminder job mails them the day before. Seats are counted under the event's lock
(``seats.lock_event``)."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import DuplicateRequest, InvalidTransition, NotPermitted, ValidationFailed
from fundapp.extensions import db

from .models import Event, EventState, Registration, RegistrationStatus
from .notices import mail_registration, title_for_reader
from .seats import lock_event, promote_waiting, seats_taken, waiting_count
from .services import CODE_ALPHABET, _int, can_manage


def registration_open(event: Event, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if event.state != EventState.published or now >= event.ends_at:
        return False
    if event.registration_opens_at and now < event.registration_opens_at:
        return False
    closes = event.registration_closes_at or event.starts_at
    return now < closes


def registration_of(event: Event, user) -> Registration | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalars(
        select(Registration).where(Registration.event_id == event.id, Registration.user_id == user.id)
    ).one_or_none()


def is_registered(event: Event, user) -> bool:
    reg = registration_of(event, user)
    return reg is not None and reg.status == RegistrationStatus.confirmed


def _new_code(column) -> str:
    for _attempt in range(20):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if db.session.scalar(select(Registration.id).where(column == code)) is None:
            return code
    raise RuntimeError("no free code")  # 32^8 codes: never in practice


def register(event: Event, user, *, guests=0, answers: dict | None = None, now: datetime | None = None):
    """Register ``user`` (with ``guests``): a seat when the guests fit and nobody waits before
    them, else a place at the end of the waiting list. Returns the registration."""
    if not getattr(user, "is_authenticated", False):
        raise NotPermitted()
    event = lock_event(event.id)
    now = now or utcnow()  # read under the lock: the queue's order is the order of the lock
    if not registration_open(event, now):
        raise InvalidTransition(_l("Registration for this event is not open."))
    guests = _int({"guests": guests}, "guests", low=0, high=event.max_guests, default=0)
    clean_answers = {}
    for q in event.questions:
        value = str((answers or {}).get(str(q.id)) or "").strip()
        if len(value) > 1000:
            raise ValidationFailed(_l("At most %(n)s characters.", n=1000), field=f"q{q.id}")
        if value:
            clean_answers[str(q.id)] = value
    if 1 + guests > event.capacity:
        raise ValidationFailed(_l("There are not that many seats at this event."), field="guests")
    reg = db.session.scalars(
        select(Registration).where(Registration.event_id == event.id, Registration.user_id == user.id)
    ).one_or_none()
    if reg is not None and reg.status != RegistrationStatus.cancelled:
        raise DuplicateRequest(_l("You are already registered for this event."))
    fits = seats_taken(event) + 1 + guests <= event.capacity and waiting_count(event) == 0
    if reg is None:
        reg = Registration(
            event_id=event.id, user_id=user.id, code=_new_code(Registration.code), created_at=now
        )
        db.session.add(reg)
    reg.guests = guests
    reg.answers = json.dumps(clean_answers, ensure_ascii=False)
    reg.queued_at = now
    reg.cancelled_at = None
    if fits:
        reg.status = RegistrationStatus.confirmed
        reg.confirmed_at = now
    else:
        reg.status = RegistrationStatus.waitlisted
        reg.confirmed_at = None
    db.session.flush()
    record(
        "events.register",
        reg,
        actor=user,
        changes={"status": reg.status, "guests": guests, "event": event.id},
    )
    if reg.status == RegistrationStatus.confirmed:
        mail_registration(
            reg,
            lambda: _("You are registered: %(title)s", title=title_for_reader(event)),
            "events/email/registered",
        )
    else:
        mail_registration(
            reg,
            lambda: _("On the waiting list: %(title)s", title=title_for_reader(event)),
            "events/email/waitlisted",
        )
    return reg


def cancel_registration(reg: Registration, actor, *, now: datetime | None = None) -> Registration:
    """The person (or an organiser) gives up the place; people waiting move up in order."""
    event = lock_event(reg.event_id)
    now = now or utcnow()
    db.session.refresh(reg)
    if actor is None or (actor.id != reg.user_id and not can_manage(actor, event)):
        raise NotPermitted()
    if reg.status == RegistrationStatus.cancelled:
        return reg  # a second click changes nothing
    if reg.attended_at is not None:
        raise InvalidTransition(_l("Attendance is already recorded for this registration."))
    was = reg.status
    reg.status = RegistrationStatus.cancelled
    reg.cancelled_at = now
    reg.confirmed_at = None
    db.session.flush()
    record("events.cancel_registration", reg, actor=actor, changes={"status": [was, reg.status]})
    if was == RegistrationStatus.confirmed and event.state == EventState.published:
        promote_waiting(event, now=now)
    return reg


# -- at the door -------------------------------------------------------------------------------


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:12]


def find_registration(event: Event, code: str) -> Registration | None:
    code = normalise_code(code)
    if not code:
        return None
    return db.session.scalars(
        select(Registration).where(Registration.event_id == event.id, Registration.code == code)
    ).one_or_none()


def check_in(event: Event, actor, code: str, *, guests=None, now: datetime | None = None) -> Registration:
    """Record that the holder of ``code`` came (with ``guests``, at most those registered)."""
    now = now or utcnow()
    if not can_manage(actor, event):
        raise NotPermitted()
    if event.state != EventState.published:
        raise InvalidTransition(_l("Only a published event checks people in."))
    if now < event.starts_at - timedelta(hours=12):
        raise InvalidTransition(_l("Check-in opens on the day of the event."))
    reg = find_registration(event, code)
    if reg is None:
        raise ValidationFailed(_l("No registration has this code."), field="code")
    if reg.status != RegistrationStatus.confirmed:
        raise ValidationFailed(
            _l("This registration has no seat (%(status)s).", status=reg.status_label), field="code"
        )
    came = reg.guests if guests in (None, "") else _int({"guests": guests}, "guests", low=0, high=reg.guests)
    if reg.attended_at is not None:
        raise DuplicateRequest(_l("Already checked in."))
    reg.attended_at = now
    reg.attended_guests = came
    reg.checked_in_by_id = actor.id
    reg.certificate_code = reg.certificate_code or _new_code(Registration.certificate_code)
    db.session.flush()
    record("events.check_in", reg, actor=actor, changes={"guests": came, "event": event.id})
    return reg


def find_certificate(code: str) -> Registration | None:
    code = normalise_code(code)
    if not code:
        return None
    return db.session.scalars(
        select(Registration).where(
            Registration.certificate_code == code, Registration.attended_at.is_not(None)
        )
    ).one_or_none()


# -- reminders ---------------------------------------------------------------------------------


def send_reminders(now: datetime | None = None) -> int:
    """Mail everyone with a seat at an event starting within the next 24 hours, once each."""
    now = now or utcnow()
    regs = db.session.scalars(
        select(Registration)
        .join(Event, Event.id == Registration.event_id)
        .where(
            Event.state == EventState.published,
            Event.starts_at > now,
            Event.starts_at <= now + timedelta(hours=24),
            Registration.status == RegistrationStatus.confirmed,
            Registration.reminded_at.is_(None),
        )
        .order_by(Registration.id)
        .with_for_update(skip_locked=True, of=Registration)
    ).all()
    for reg in regs:
        reg.reminded_at = now
        mail_registration(
            reg,
            (lambda e: lambda: _("Tomorrow: %(title)s", title=title_for_reader(e)))(reg.event),
            "events/email/reminder",
        )
    db.session.flush()
    return len(regs)


def attendees(event: Event) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.event_id == event.id)
            .order_by(Registration.status, Registration.queued_at, Registration.id)
        )
    )
