"""How an event reads: its times in its own zone and the reader's, calendar files and links,
the celebrations the home page features."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fundapp.core.db import utcnow
from fundapp.core.i18n import country_name
from fundapp.extensions import db

from .models import Event, EventKind, EventState
from .notices import event_link, external_url


def format_in_zone(value: datetime, zone: str) -> str:
    """``value`` as a reader in ``zone`` sees it, in the page's language."""
    return format_datetime(value, "d MMMM y, HH:mm", tzinfo=ZoneInfo(zone), locale=str(get_locale()))


def utc_offset(value: datetime, zone: str) -> str:
    off = value.astimezone(ZoneInfo(zone)).utcoffset() or timedelta(0)
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def event_times(event: Event, reader_zone: str) -> dict:
    """Start and end in the event's zone, and in the reader's when its clock differs then."""
    out = {
        "start": format_in_zone(event.starts_at, event.timezone),
        "end": format_in_zone(event.ends_at, event.timezone),
        "zone": event.timezone,
        "offset": utc_offset(event.starts_at, event.timezone),
        "reader": None,
    }
    if utc_offset(event.starts_at, reader_zone) != out["offset"]:
        out["reader"] = {
            "start": format_in_zone(event.starts_at, reader_zone),
            "end": format_in_zone(event.ends_at, reader_zone),
            "zone": reader_zone,
            "offset": utc_offset(event.starts_at, reader_zone),
        }
    return out


def place_line(event: Event) -> str:
    parts = [event.venue, event.address, event.city, country_name(event.country) if event.country else ""]
    return ", ".join(p for p in parts if p)


def _stamp(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%SZ")


def add_to_calendar_links(event: Event, lang: str) -> dict:
    """ "Add to calendar" links for Google and Outlook (times in UTC; Google also gets the zone)."""
    from datetime import UTC

    title = event.text("title", lang)
    link = event_link(event)
    start, end = event.starts_at.astimezone(UTC), event.ends_at.astimezone(UTC)
    google = "https://calendar.google.com/calendar/render?" + urlencode(
        {
            "action": "TEMPLATE",
            "text": title,
            "dates": f"{_stamp(start)}/{_stamp(end)}",
            "details": link,
            "location": place_line(event),
            "ctz": event.timezone,
        }
    )
    outlook = "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(
        {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": title,
            "startdt": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "enddt": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "body": link,
            "location": place_line(event),
        }
    )
    return {"google": google, "outlook": outlook}


def calendar_file(events, name: str, lang: str) -> bytes:
    """An RFC 5545 calendar of ``events``: times with TZID and the matching VTIMEZONE, each entry
    linking back to its page. Online links are never in it (the file is public)."""
    from icalendar import Calendar
    from icalendar import Event as VEvent

    cal = Calendar()
    cal.add("prodid", "-//Hamvatan Fund//Events//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    now = utcnow()
    host = urlsplit(event_link_base()).hostname or "localhost"
    for event in events:
        link = event_link(event)
        entry = VEvent()
        entry.add("uid", f"event-{event.id}@{host}")
        entry.add("dtstamp", now)
        entry.add("dtstart", event.local_start)
        entry.add("dtend", event.local_end)
        entry.add("summary", event.text("title", lang))
        description = event.text("description", lang)
        entry.add("description", (description + "\n\n" if description else "") + link)
        entry.add("url", link)
        place = place_line(event)
        if place:
            entry.add("location", place)
        status = {
            EventState.cancelled.value: "CANCELLED",
            EventState.postponed.value: "TENTATIVE",
        }.get(event.state, "CONFIRMED")
        entry.add("status", status)
        entry.add("categories", [event.kind])
        cal.add_component(entry)
    cal.add_missing_timezones()
    return cal.to_ical()


def event_link_base() -> str:

    return external_url("events.calendar")


# -- national celebrations ---------------------------------------------------------------------

CELEBRATIONS = (
    ("independence", 9, 9, _l("Independence Day of the Republic of Tajikistan")),
    ("navruz", 3, 21, _l("Navruz")),
)
FEATURE_DAYS_BEFORE = 30
FEATURE_DAYS_AFTER = 1


def featured_celebration(today: date | None = None) -> dict | None:
    """The national celebration near ``today`` (within a month before it, or the day after) with
    the published celebration events held for it, or None."""
    today = today or utcnow().date()
    for key, month, day, name in CELEBRATIONS:
        for year in (today.year, today.year + 1):
            when = date(year, month, day)
            if -FEATURE_DAYS_AFTER <= (when - today).days <= FEATURE_DAYS_BEFORE:
                start = datetime(when.year, when.month, when.day) - timedelta(days=FEATURE_DAYS_BEFORE)
                end = datetime(when.year, when.month, when.day) + timedelta(days=FEATURE_DAYS_BEFORE)
                from datetime import UTC

                events = db.session.scalars(
                    select(Event)
                    .where(
                        Event.state == EventState.published,
                        Event.kind == EventKind.celebration,
                        Event.ends_at > max(utcnow(), start.replace(tzinfo=UTC)),
                        Event.starts_at < end.replace(tzinfo=UTC),
                    )
                    .order_by(Event.starts_at)
                    .limit(5)
                ).all()
                return {"key": key, "name": name, "date": when, "days": (when - today).days, "events": events}
    return None


def default_lang() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def event_when(event: Event) -> str:
    """The start of ``event`` in its own zone, with the zone named (for mail and lists)."""
    offset = utc_offset(event.starts_at, event.timezone)
    return f"{format_in_zone(event.starts_at, event.timezone)} ({event.timezone}, {offset})"
