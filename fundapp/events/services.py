"""Events verbs: the only code that changes events and registrations. Each verb checks who may
act and from which state, flushes (never commits), writes an audit record and queues mail.

Seats: every verb that takes or frees a seat first locks the event row (``_lock_event``), then
counts the confirmed seats, so concurrent registrations are admitted one after the other and the
capacity is never exceeded. The waiting list is promoted strictly in the order people joined it.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import current_app, has_request_context, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text

from fundapp.audit.services import record
from fundapp.community.models import Organisation, OrganisationStatus
from fundapp.community.services import admin_organisations, is_organisation_admin
from fundapp.core.db import utcnow
from fundapp.core.errors import DuplicateRequest, InvalidTransition, NotFound, NotPermitted, ValidationFailed
from fundapp.extensions import db
from fundapp.mail.services import queue_email

from .models import (
    LANGS,
    Audience,
    Event,
    EventKind,
    EventOrganisation,
    EventPhoto,
    EventProject,
    EventQuestion,
    EventReport,
    EventState,
    Registration,
    RegistrationStatus,
)

DEFAULT_TIMEZONE = "Asia/Dushanbe"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the door
MAX_CAPACITY = 100_000
MAX_GUESTS = 20

# The zone a reader most likely lives in, from the country on their profile (the profile has no
# time zone of its own). Countries with several zones get the one most compatriots live in.
COUNTRY_ZONES = {
    "TJ": "Asia/Dushanbe",
    "RU": "Europe/Moscow",
    "KZ": "Asia/Almaty",
    "UZ": "Asia/Tashkent",
    "KG": "Asia/Bishkek",
    "TR": "Europe/Istanbul",
    "AE": "Asia/Dubai",
    "US": "America/New_York",
    "CA": "America/Toronto",
    "GB": "Europe/London",
    "DE": "Europe/Berlin",
    "FR": "Europe/Paris",
    "PL": "Europe/Warsaw",
    "LT": "Europe/Vilnius",
    "CZ": "Europe/Prague",
    "AT": "Europe/Vienna",
    "IT": "Europe/Rome",
    "ES": "Europe/Madrid",
    "NL": "Europe/Amsterdam",
    "BY": "Europe/Minsk",
    "UA": "Europe/Kyiv",
    "KR": "Asia/Seoul",
    "CN": "Asia/Shanghai",
    "AF": "Asia/Kabul",
    "IR": "Asia/Tehran",
    "SA": "Asia/Riyadh",
}

# States an event may move to, and the verb that moves it.
TRANSITIONS = {
    EventState.draft: {EventState.published, EventState.cancelled},
    EventState.published: {EventState.postponed, EventState.cancelled},
    EventState.postponed: {EventState.published, EventState.cancelled},
    EventState.cancelled: set(),
}


# -- who may do what ---------------------------------------------------------------------------


def is_events_staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role("administrator"))


def organisations_for(user) -> list[Organisation]:
    """The organisations ``user`` may hold events for: staff any verified one, others those they
    administer (verified only)."""
    if is_events_staff(user):
        return list(
            db.session.scalars(
                select(Organisation)
                .where(Organisation.status == OrganisationStatus.verified)
                .order_by(Organisation.name)
            )
        )
    return admin_organisations(user, verified_only=True)


def can_create(user) -> bool:
    return is_events_staff(user) or bool(admin_organisations(user, verified_only=True))


def can_manage(user, event: Event) -> bool:
    """Staff, or an admin of the verified organisation holding the event."""
    if is_events_staff(user):
        return True
    org = event.organisation
    return org is not None and org.verified and is_organisation_admin(user, org)


def can_see(user, event: Event) -> bool:
    return event.is_public or can_manage(user, event)


def user_timezone(user) -> str:
    country = (
        getattr(user, "country_of_residence", None) if getattr(user, "is_authenticated", False) else None
    )
    return COUNTRY_ZONES.get((country or "").upper(), DEFAULT_TIMEZONE)


def known_timezone(name: str) -> bool:
    if not name or name not in _zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


_ZONES: set[str] | None = None


def _zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones()
    return _ZONES


def timezone_choices() -> list[str]:
    return sorted(
        z for z in _zones() if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/"))
    )


# -- input -------------------------------------------------------------------------------------


def _text(data, name: str, limit: int, *, required: bool = False, message=None) -> str:
    value = str(data.get(name) or "").strip()
    if required and not value:
        raise ValidationFailed(message or _l("Please fill this in."), field=name)
    if len(value) > limit:
        raise ValidationFailed(_l("At most %(n)s characters.", n=limit), field=name)
    return value


def _int(data, name: str, *, low: int, high: int, default=None) -> int:
    raw = str(data.get(name) if data.get(name) is not None else "").strip()
    if not raw and default is not None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(_l("Enter a whole number."), field=name) from None
    if not low <= value <= high:
        raise ValidationFailed(_l("Enter a number from %(low)s to %(high)s.", low=low, high=high), field=name)
    return value


def _local_time(data, name: str, zone: ZoneInfo, *, required: bool) -> datetime | None:
    raw = str(data.get(name) or "").strip()
    if not raw:
        if required:
            raise ValidationFailed(_l("Enter a date and time."), field=name)
        return None
    try:
        naive = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(_l("Enter a date and time as YYYY-MM-DD HH:MM."), field=name) from None
    if naive.tzinfo is not None:
        naive = naive.replace(tzinfo=None)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def _ids(values) -> list[int]:
    if isinstance(values, str):
        values = values.replace(",", " ").split()
    out = []
    for v in values or ():
        v = str(v).strip().lstrip("#")
        if v:
            if not v.isdigit() or len(v) > 9:
                raise ValueError(v)
            out.append(int(v))
    return list(dict.fromkeys(out))


def clean_event_data(data, actor, *, event: Event | None = None, now: datetime | None = None) -> dict:
    """Check the event form; return the values to store. Raises ``ValidationFailed`` naming the
    field at the first problem (so nothing is changed)."""
    now = now or utcnow()
    out: dict = {}
    kind = str(data.get("kind") or "")
    if kind not in {k.value for k in EventKind}:
        raise ValidationFailed(_l("Choose the kind of event."), field="kind")
    out["kind"] = kind
    audience = str(data.get("audience") or Audience.everyone.value)
    if audience not in {a.value for a in Audience}:
        raise ValidationFailed(_l("Choose who the event is for."), field="audience")
    out["audience"] = audience
    for lang in LANGS:
        out[f"title_{lang}"] = _text(data, f"title_{lang}", 200)
        out[f"description_{lang}"] = _text(data, f"description_{lang}", 20000)
    if not any(out[f"title_{lang}"] for lang in LANGS):
        raise ValidationFailed(_l("Give the event a title in at least one language."), field="title_tg")
    for lang in LANGS:
        if out[f"description_{lang}"] and not out[f"title_{lang}"]:
            raise ValidationFailed(
                _l("A description needs a title in the same language."), field=f"title_{lang}"
            )

    raw_org = str(data.get("organisation_id") or "").strip()
    allowed = {o.id: o for o in organisations_for(actor)}
    if raw_org:
        if not raw_org.isdigit() or int(raw_org) not in allowed:
            raise ValidationFailed(
                _l("You may hold events only for an organisation you run."), field="organisation_id"
            )
        out["organisation_id"] = int(raw_org)
    elif is_events_staff(actor):
        out["organisation_id"] = None
    else:
        raise ValidationFailed(_l("Choose the organisation holding the event."), field="organisation_id")
    if event is not None and event.organisation_id != out["organisation_id"] and not is_events_staff(actor):
        raise ValidationFailed(
            _l("Only staff may hand an event to another organisation."), field="organisation_id"
        )

    tz = str(data.get("timezone") or "").strip()
    if not known_timezone(tz):
        raise ValidationFailed(_l("Choose a time zone from the list, e.g. Europe/Moscow."), field="timezone")
    out["timezone"] = tz
    zone = ZoneInfo(tz)
    starts_at = _local_time(data, "starts_at", zone, required=True)
    ends_at = _local_time(data, "ends_at", zone, required=True)
    changed_start = event is None or starts_at != event.starts_at
    if changed_start and starts_at <= now:
        raise ValidationFailed(_l("The event cannot start in the past."), field="starts_at")
    if ends_at <= starts_at:
        raise ValidationFailed(_l("The event must end after it starts."), field="ends_at")
    if ends_at - starts_at > timedelta(days=31):
        raise ValidationFailed(_l("An event lasts at most 31 days."), field="ends_at")
    out["starts_at"], out["ends_at"] = starts_at, ends_at
    opens = _local_time(data, "registration_opens_at", zone, required=False)
    closes = _local_time(data, "registration_closes_at", zone, required=False)
    if closes is not None and closes > ends_at:
        raise ValidationFailed(
            _l("Registration must close before the event ends."), field="registration_closes_at"
        )
    if closes is not None and (event is None or closes != event.registration_closes_at) and closes <= now:
        raise ValidationFailed(_l("Registration cannot close in the past."), field="registration_closes_at")
    if opens is not None and closes is not None and opens >= closes:
        raise ValidationFailed(_l("Registration must open before it closes."), field="registration_opens_at")
    if opens is not None and opens >= ends_at:
        raise ValidationFailed(
            _l("Registration must open before the event ends."), field="registration_opens_at"
        )
    out["registration_opens_at"], out["registration_closes_at"] = opens, closes

    out["capacity"] = _int(data, "capacity", low=1, high=MAX_CAPACITY)
    out["max_guests"] = _int(data, "max_guests", low=0, high=MAX_GUESTS, default=0)

    out["country"] = _text(data, "country", 2).upper()
    out["city"] = _text(data, "city", 120)
    out["venue"] = _text(data, "venue", 200)
    out["address"] = _text(data, "address", 300)
    out["online_url"] = _text(data, "online_url", 500)
    if out["online_url"] and not out["online_url"].lower().startswith("https://"):
        raise ValidationFailed(_l("The online link must start with https://."), field="online_url")
    if out["country"] and (len(out["country"]) != 2 or not out["country"].isalpha()):
        raise ValidationFailed(_l("Choose a country."), field="country")
    if kind == EventKind.online_session and not out["online_url"]:
        raise ValidationFailed(_l("An online session needs its link."), field="online_url")
    if not out["online_url"]:
        if not out["country"]:
            raise ValidationFailed(_l("Choose a country."), field="country")
        if not out["city"]:
            raise ValidationFailed(_l("Enter the city."), field="city")
        if not out["venue"]:
            raise ValidationFailed(_l("Enter the venue, or an online link."), field="venue")

    questions = [q.strip() for q in str(data.get("questions") or "").splitlines() if q.strip()]
    if len(questions) > 10:
        raise ValidationFailed(_l("At most 10 questions."), field="questions")
    if any(len(q) > 300 for q in questions):
        raise ValidationFailed(_l("A question has at most 300 characters."), field="questions")
    out["questions"] = questions

    try:
        co_ids = _ids(data.get("co_organiser_ids") or [])
    except ValueError:
        raise ValidationFailed(_l("Choose organisations from the list."), field="co_organiser_ids") from None
    if co_ids:
        found = set(
            db.session.scalars(
                select(Organisation.id).where(
                    Organisation.id.in_(co_ids), Organisation.status == OrganisationStatus.verified
                )
            )
        )
        if found != set(co_ids):
            raise ValidationFailed(_l("Choose organisations from the list."), field="co_organiser_ids")
    out["co_organiser_ids"] = [i for i in co_ids if i != out["organisation_id"]]

    try:
        project_ids = _ids(data.get("project_ids") or "")
    except ValueError:
        raise ValidationFailed(
            _l("Enter project numbers separated by commas."), field="project_ids"
        ) from None
    out["project_ids"] = _public_project_ids(project_ids)
    return out


def _public_project_ids(ids: list[int]) -> list[int]:
    if not ids:
        return []
    from fundapp.proposals.models import PUBLIC_STATES, Project

    found = set(
        db.session.scalars(
            select(Project.id).where(
                Project.id.in_(ids),
                Project.state.in_([s.value for s in PUBLIC_STATES]),
                Project.published_at.is_not(None),
            )
        )
    )
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed(
            _l("There is no published project number %(n)s.", n=missing[0]), field="project_ids"
        )
    return ids


def _apply(event: Event, values: dict) -> None:
    for name in (
        "kind", "audience", "organisation_id", "country", "city", "venue", "address", "online_url",
        "timezone", "starts_at", "ends_at", "capacity", "max_guests", "registration_opens_at",
        "registration_closes_at",
    ):  # fmt: skip
        setattr(event, name, values[name])
    for lang in LANGS:
        setattr(event, f"title_{lang}", values[f"title_{lang}"])
        setattr(event, f"description_{lang}", values[f"description_{lang}"])
    have = [q.text for q in event.questions]
    if have != values["questions"]:
        event.questions.clear()
        db.session.flush()
        for i, q in enumerate(values["questions"]):
            event.questions.append(EventQuestion(position=i, text=q))
    co = values["co_organiser_ids"]
    event.co_organisers[:] = [c for c in event.co_organisers if c.organisation_id in co]
    for oid in co:
        if oid not in {c.organisation_id for c in event.co_organisers}:
            event.co_organisers.append(EventOrganisation(organisation_id=oid))
    pids = values["project_ids"]
    event.projects[:] = [p for p in event.projects if p.project_id in pids]
    for pid in pids:
        if pid not in {p.project_id for p in event.projects}:
            event.projects.append(EventProject(project_id=pid))


# -- events ------------------------------------------------------------------------------------


def create_event(actor, data, *, now: datetime | None = None) -> Event:
    """Create a draft event held by the fund (staff) or by an organisation the actor runs."""
    if not can_create(actor):
        raise NotPermitted(_l("Only staff and the admins of a verified organisation create events."))
    values = clean_event_data(data, actor, now=now)
    event = Event(state=EventState.draft, created_by_id=actor.id)
    db.session.add(event)
    _apply(event, values)
    db.session.flush()
    record("events.create", event, actor=actor, changes={"kind": event.kind, "state": event.state})
    return event


def update_event(event: Event, actor, data, *, now: datetime | None = None) -> Event:
    """Change an event's details; a larger capacity promotes people waiting."""
    if not can_manage(actor, event):
        raise NotPermitted()
    if event.state == EventState.cancelled:
        raise InvalidTransition(_l("A cancelled event cannot be changed."))
    locked = _lock_event(event.id)
    old_capacity = locked.capacity
    values = clean_event_data(data, actor, event=locked, now=now)
    taken = seats_taken(locked)
    if values["capacity"] < taken:
        raise ValidationFailed(
            _l("%(n)s seats are already taken: the capacity cannot be lower.", n=taken), field="capacity"
        )
    changes = {
        k: [str(getattr(locked, k)), str(values[k])]
        for k in ("starts_at", "ends_at", "capacity", "timezone", "venue", "online_url")
        if getattr(locked, k) != values[k]
    }
    _apply(locked, values)
    db.session.flush()
    record("events.update", locked, actor=actor, changes=changes)
    if values["capacity"] > old_capacity:
        _promote_waiting(locked)
    return locked


def _move(event: Event, actor, to: EventState, action: str, reason: str = "") -> None:
    if not can_manage(actor, event):
        raise NotPermitted()
    current = EventState(event.state)
    if to not in TRANSITIONS[current]:
        raise InvalidTransition()
    event.state = to
    event.state_reason = reason
    db.session.flush()
    record(action, event, actor=actor, reason=reason or None, changes={"state": [current.value, to.value]})


def publish_event(event: Event, actor, *, now: datetime | None = None) -> Event:
    """Draft → published, or postponed → published once it has its new dates."""
    now = now or utcnow()
    if event.state == EventState.postponed and event.starts_at <= now:
        raise InvalidTransition(_l("Give the event new dates in the future before publishing it again."))
    if event.state == EventState.draft and event.starts_at <= now:
        raise InvalidTransition(_l("The event has already started: change its dates first."))
    was = event.state
    _move(event, actor, EventState.published, "events.publish")
    event.published_at = event.published_at or now
    if was == EventState.postponed:
        _notify_people(event, _subject_rescheduled, "events/email/rescheduled")
    return event


def postpone_event(event: Event, actor, reason: str) -> Event:
    reason = (reason or "").strip()
    if not reason or len(reason) > 2000:
        raise ValidationFailed(_l("Say why, in a few words (at most 2000 characters)."), field="reason")
    _move(event, actor, EventState.postponed, "events.postpone", reason)
    _notify_people(event, _subject_postponed, "events/email/postponed", reason=reason)
    return event


def cancel_event(event: Event, actor, reason: str) -> Event:
    reason = (reason or "").strip()
    if not reason or len(reason) > 2000:
        raise ValidationFailed(_l("Say why, in a few words (at most 2000 characters)."), field="reason")
    _move(event, actor, EventState.cancelled, "events.cancel", reason)
    _notify_people(event, _subject_cancelled, "events/email/cancelled", reason=reason)
    return event


def _title_for_reader(event: Event) -> str:
    return event.text("title", str(get_locale()))


def _subject_postponed(event):
    return lambda: _("Postponed: %(title)s", title=_title_for_reader(event))


def _subject_cancelled(event):
    return lambda: _("Cancelled: %(title)s", title=_title_for_reader(event))


def _subject_rescheduled(event):
    return lambda: _("New dates: %(title)s", title=_title_for_reader(event))


def _notify_people(event: Event, subject, template: str, **ctx) -> int:
    regs = db.session.scalars(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.status.in_([RegistrationStatus.confirmed, RegistrationStatus.waitlisted]),
        )
    ).all()
    for reg in regs:
        _mail(reg, subject(event), template, **ctx)
    return len(regs)


def _mail(reg: Registration, subject, template: str, **ctx) -> None:
    queue_email(
        reg.user,
        subject,
        template,
        kind="event",
        event=reg.event,
        registration=reg,
        link=event_link(reg.event),
        **ctx,
    )


def external_url(endpoint: str, **values) -> str:
    """An absolute link on the configured public address (``PUBLIC_BASE_URL``), never on the Host
    a request happened to carry; without that setting, on the request's own address (or
    localhost outside a request, e.g. the reminder job)."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if base:
        if has_request_context():
            return base + url_for(endpoint, **values)
        with current_app.test_request_context(base_url=base + "/"):
            return url_for(endpoint, _external=True, **values)
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url="http://localhost/"):
        return url_for(endpoint, _external=True, **values)


def event_link(event: Event) -> str:
    return external_url("events.event_detail", event_id=event.id)


# -- seats -------------------------------------------------------------------------------------


def _lock_event(event_id: int) -> Event:
    """Lock the event row for the rest of the transaction and return it fresh.

    PostgreSQL: SELECT … FOR UPDATE. SQLite has no row locks; writing to the row takes the
    database's write lock first, which serialises writers the same way."""
    if db.session.get_bind().dialect.name == "postgresql":
        event = db.session.scalars(
            select(Event)
            .where(Event.id == event_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()
    else:
        db.session.execute(text("UPDATE events SET capacity = capacity WHERE id = :id"), {"id": event_id})
        event = db.session.get(Event, event_id, populate_existing=True)
    if event is None:
        raise NotFound()
    return event


def seats_taken(event: Event) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(1 + Registration.guests), 0)).where(
                Registration.event_id == event.id, Registration.status == RegistrationStatus.confirmed
            )
        )
    )


def waiting_count(event: Event) -> int:
    return int(
        db.session.scalar(
            select(func.count(Registration.id)).where(
                Registration.event_id == event.id, Registration.status == RegistrationStatus.waitlisted
            )
        )
    )


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
    event = _lock_event(event.id)
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
        _mail(
            reg,
            lambda: _("You are registered: %(title)s", title=_title_for_reader(event)),
            "events/email/registered",
        )
    else:
        _mail(
            reg,
            lambda: _("On the waiting list: %(title)s", title=_title_for_reader(event)),
            "events/email/waitlisted",
        )
    return reg


def cancel_registration(reg: Registration, actor, *, now: datetime | None = None) -> Registration:
    """The person (or an organiser) gives up the place; people waiting move up in order."""
    event = _lock_event(reg.event_id)
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
        _promote_waiting(event, now=now)
    return reg


def _promote_waiting(event: Event, *, now: datetime | None = None) -> list[Registration]:
    """Give free seats to people waiting, strictly in the order they joined (the event is locked).
    Stops at the first person whose party does not fit: nobody jumps the queue."""
    now = now or utcnow()
    if event.is_over(now):
        return []
    free = event.capacity - seats_taken(event)
    promoted = []
    waiting = db.session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.waitlisted)
        .order_by(Registration.queued_at, Registration.id)
    ).all()
    for reg in waiting:
        if reg.seats > free:
            break
        reg.status = RegistrationStatus.confirmed
        reg.confirmed_at = now
        free -= reg.seats
        promoted.append(reg)
        db.session.flush()
        record("events.promote", reg, changes={"status": ["waitlisted", "confirmed"]})
        _mail(
            reg,
            lambda: _("A seat is yours: %(title)s", title=_title_for_reader(event)),
            "events/email/promoted",
        )
    return promoted


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
        _mail(
            reg,
            (lambda e: lambda: _("Tomorrow: %(title)s", title=_title_for_reader(e)))(reg.event),
            "events/email/reminder",
        )
    db.session.flush()
    return len(regs)


# -- after the event ---------------------------------------------------------------------------


def save_report(event: Event, actor, data, *, now: datetime | None = None) -> EventReport:
    """Record (or correct) the organiser's report once the event has begun."""
    now = now or utcnow()
    if not can_manage(actor, event):
        raise NotPermitted()
    if event.state != EventState.published or event.starts_at > now:
        raise InvalidTransition(_l("A report is written once a published event has taken place."))
    summary = _text(data, "summary", 20000, required=True, message=_l("Write a short summary."))
    attendance = _int(data, "attendance", low=0, high=1_000_000)
    partners = _text(data, "partners", 2000)
    try:
        project_ids = _public_project_ids(_ids(data.get("project_ids") or ""))
    except ValueError:
        raise ValidationFailed(
            _l("Enter project numbers separated by commas."), field="project_ids"
        ) from None
    report = event.report or EventReport(event_id=event.id)
    report.summary, report.attendance, report.partners = summary, attendance, partners
    report.updated_by_id, report.updated_at = actor.id, now
    db.session.add(report)
    event.projects[:] = [p for p in event.projects if p.project_id in project_ids]
    for pid in project_ids:
        if pid not in {p.project_id for p in event.projects}:
            event.projects.append(EventProject(project_id=pid))
    db.session.flush()
    record("events.report", event, actor=actor, changes={"attendance": attendance})
    return report


def add_photo(event: Event, actor, upload, caption: str) -> EventPhoto:
    if not can_manage(actor, event):
        raise NotPermitted()
    if event.report is None:
        raise InvalidTransition(_l("Write the report first, then add its photos."))
    caption = _text({"caption": caption}, "caption", 300)
    if len(event.photos) >= 30:
        raise ValidationFailed(_l("At most 30 photos."), field="photo")
    from fundapp.files.services import store_upload

    stored = store_upload(
        upload, uploaded_by=actor, allowed=("png", "jpeg", "webp"), is_public=True, field="photo"
    )
    photo = EventPhoto(event_id=event.id, file_id=stored.id, caption=caption)
    db.session.add(photo)
    db.session.flush()
    record("events.add_photo", event, actor=actor, changes={"file": stored.id})
    return photo


def attendees(event: Event) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.event_id == event.id)
            .order_by(Registration.status, Registration.queued_at, Registration.id)
        )
    )
