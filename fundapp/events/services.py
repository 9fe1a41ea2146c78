"""Events verbs: who may act, the event's details and its life (draft, published, postponed,
cancelled). Each verb checks who may act and from which state, flushes (never commits), writes an
audit record and queues mail. Registration and the door live in ``registration``, seats and their
lock in ``seats``, the organiser's report in ``report``, mail and links in ``notices``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fundapp.audit.services import record
from fundapp.community.models import Organisation, OrganisationStatus
from fundapp.community.services import admin_organisations, is_organisation_admin
from fundapp.core.db import utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.text import clean_text
from fundapp.extensions import db
from fundapp.proposals.models import PUBLIC_STATES, Project

from .models import (
    LANGS,
    Audience,
    Event,
    EventKind,
    EventOrganisation,
    EventProject,
    EventQuestion,
    EventState,
)
from .notices import notify_people, subject_cancelled, subject_postponed, subject_rescheduled
from .seats import lock_event, promote_waiting, seats_taken

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
    """The field ``name`` of ``data``, cleaned as all text is (``core.text``); an empty
    required one asks, in the events' own words, to fill it in."""
    return clean_text(
        data.get(name), limit, name, required=required, message=message or _l("Please fill this in.")
    )


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


class EventErrors(ValidationFailed):
    """Every problem of an event's details at once (the form shows each beside its field)."""

    def __init__(self, errors: list[ValidationFailed]):
        super().__init__(errors[0].message, field=errors[0].field)
        self.errors = errors


def clean_event_data(data, actor, *, event: Event | None = None, now: datetime | None = None) -> dict:
    """Check the event form; return the values to store. Raises ``EventErrors`` listing every
    problem found (a check that depends on a refused value is skipped), so nothing is changed."""
    now = now or utcnow()
    out: dict = {}
    errors: list[ValidationFailed] = []

    def fail(message, name):
        errors.append(ValidationFailed(message, field=name))

    def attempt(fn, default=None):
        try:
            return fn()
        except ValidationFailed as exc:
            errors.append(exc)
            return default

    kind = str(data.get("kind") or "")
    if kind not in {k.value for k in EventKind}:
        fail(_l("Choose the kind of event."), "kind")
    out["kind"] = kind
    audience = str(data.get("audience") or Audience.everyone.value)
    if audience not in {a.value for a in Audience}:
        fail(_l("Choose who the event is for."), "audience")
    out["audience"] = audience
    for lang in LANGS:
        out[f"title_{lang}"] = attempt(lambda lang=lang: _text(data, f"title_{lang}", 200), "")
        out[f"description_{lang}"] = attempt(lambda lang=lang: _text(data, f"description_{lang}", 20000), "")
    if not any(out[f"title_{lang}"] for lang in LANGS) and not any(
        e.field.startswith("title_") for e in errors
    ):
        fail(_l("Give the event a title in at least one language."), "title_tg")
    for lang in LANGS:
        if out[f"description_{lang}"] and not out[f"title_{lang}"]:
            fail(_l("A description needs a title in the same language."), f"title_{lang}")

    raw_org = str(data.get("organisation_id") or "").strip()
    allowed = {o.id: o for o in organisations_for(actor)}
    out["organisation_id"] = None
    if raw_org:
        if not raw_org.isdigit() or int(raw_org) not in allowed:
            fail(_l("You may hold events only for an organisation you run."), "organisation_id")
        else:
            out["organisation_id"] = int(raw_org)
    elif not is_events_staff(actor):
        fail(_l("Choose the organisation holding the event."), "organisation_id")
    if (
        event is not None
        and event.organisation_id != out["organisation_id"]
        and not is_events_staff(actor)
        and not any(e.field == "organisation_id" for e in errors)
    ):
        fail(_l("Only staff may hand an event to another organisation."), "organisation_id")

    tz = str(data.get("timezone") or "").strip()
    zone = None
    if not known_timezone(tz):
        fail(_l("Choose a time zone from the list, e.g. Europe/Moscow."), "timezone")
    else:
        zone = ZoneInfo(tz)
    out["timezone"] = tz
    times = {}
    for name, required in (
        ("starts_at", True),
        ("ends_at", True),
        ("registration_opens_at", False),
        ("registration_closes_at", False),
    ):
        if zone is None:
            if required and not str(data.get(name) or "").strip():
                fail(_l("Enter a date and time."), name)
            times[name] = None
        else:
            times[name] = attempt(lambda n=name, r=required: _local_time(data, n, zone, required=r))
    starts_at, ends_at = times["starts_at"], times["ends_at"]
    opens, closes = times["registration_opens_at"], times["registration_closes_at"]
    if starts_at is not None and (event is None or starts_at != event.starts_at) and starts_at <= now:
        fail(_l("The event cannot start in the past."), "starts_at")
    if starts_at is not None and ends_at is not None:
        if ends_at <= starts_at:
            fail(_l("The event must end after it starts."), "ends_at")
        elif ends_at - starts_at > timedelta(days=31):
            fail(_l("An event lasts at most 31 days."), "ends_at")
    out["starts_at"], out["ends_at"] = starts_at, ends_at
    if closes is not None and ends_at is not None and closes > ends_at:
        fail(_l("Registration must close before the event ends."), "registration_closes_at")
    elif closes is not None and (event is None or closes != event.registration_closes_at) and closes <= now:
        fail(_l("Registration cannot close in the past."), "registration_closes_at")
    if opens is not None and closes is not None and opens >= closes:
        fail(_l("Registration must open before it closes."), "registration_opens_at")
    elif opens is not None and ends_at is not None and opens >= ends_at:
        fail(_l("Registration must open before the event ends."), "registration_opens_at")
    out["registration_opens_at"], out["registration_closes_at"] = opens, closes

    out["capacity"] = attempt(lambda: _int(data, "capacity", low=1, high=MAX_CAPACITY), 0)
    out["max_guests"] = attempt(lambda: _int(data, "max_guests", low=0, high=MAX_GUESTS, default=0), 0)

    for name, limit in (("country", 2), ("city", 120), ("venue", 200), ("address", 300), ("online_url", 500)):
        out[name] = attempt(lambda n=name, lim=limit: _text(data, n, lim), "")
    out["country"] = out["country"].upper()
    if out["online_url"] and not out["online_url"].lower().startswith("https://"):
        fail(_l("The online link must start with https://."), "online_url")
    if out["country"] and (len(out["country"]) != 2 or not out["country"].isalpha()):
        fail(_l("Choose a country."), "country")
    if kind == EventKind.online_session and not out["online_url"]:
        fail(_l("An online session needs its link."), "online_url")
    if not out["online_url"] and not any(e.field == "online_url" for e in errors):
        if not out["country"]:
            fail(_l("Choose a country."), "country")
        if not out["city"]:
            fail(_l("Enter the city."), "city")
        if not out["venue"]:
            fail(_l("Enter the venue, or an online link."), "venue")

    questions = [q.strip() for q in str(data.get("questions") or "").splitlines() if q.strip()]
    if len(questions) > 10:
        fail(_l("At most 10 questions."), "questions")
    elif any(len(q) > 300 for q in questions):
        fail(_l("A question has at most 300 characters."), "questions")
    out["questions"] = questions

    co_ids: list[int] = []
    try:
        co_ids = _ids(data.get("co_organiser_ids") or [])
    except ValueError:
        fail(_l("Choose organisations from the list."), "co_organiser_ids")
    if co_ids:
        found = set(
            db.session.scalars(
                select(Organisation.id).where(
                    Organisation.id.in_(co_ids), Organisation.status == OrganisationStatus.verified
                )
            )
        )
        if found != set(co_ids):
            fail(_l("Choose organisations from the list."), "co_organiser_ids")
    out["co_organiser_ids"] = [i for i in co_ids if i != out["organisation_id"]]

    try:
        project_ids = _ids(data.get("project_ids") or "")
    except ValueError:
        fail(_l("Enter project numbers separated by commas."), "project_ids")
        project_ids = []
    out["project_ids"] = attempt(lambda: _public_project_ids(project_ids), [])
    # the field readers above report one problem per field: keep the first of each
    seen, unique = set(), []
    for err in errors:
        if err.field not in seen:
            seen.add(err.field)
            unique.append(err)
    if unique:
        raise EventErrors(unique)
    return out


def _public_project_ids(ids: list[int]) -> list[int]:
    if not ids:
        return []
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
    locked = lock_event(event.id)
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
        promote_waiting(locked)
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
        notify_people(event, subject_rescheduled, "events/email/rescheduled")
    return event


def postpone_event(event: Event, actor, reason: str) -> Event:
    reason = (reason or "").strip()
    if not reason or len(reason) > 2000:
        raise ValidationFailed(_l("Say why, in a few words (at most 2000 characters)."), field="reason")
    _move(event, actor, EventState.postponed, "events.postpone", reason)
    notify_people(event, subject_postponed, "events/email/postponed", reason=reason)
    return event


def cancel_event(event: Event, actor, reason: str) -> Event:
    reason = (reason or "").strip()
    if not reason or len(reason) > 2000:
        raise ValidationFailed(_l("Say why, in a few words (at most 2000 characters)."), field="reason")
    _move(event, actor, EventState.cancelled, "events.cancel", reason)
    notify_people(event, subject_cancelled, "events/email/cancelled", reason=reason)
    return event
