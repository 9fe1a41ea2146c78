"""The figures of events the Plan's monitoring reads, all from here: events held (by kind and
country), attendance, organisations involved. An event counts as held when it was published and
not cancelled, and ended within the period ``[start, end)`` (timezone-aware UTC datetimes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, union

from fundapp.community.models import Organisation
from fundapp.extensions import db

from .models import Event, EventOrganisation, EventReport, EventState, Registration


def _held(start: datetime, end: datetime):
    return (Event.state == EventState.published, Event.ends_at >= start, Event.ends_at < end)


def events_held(start: datetime, end: datetime) -> list[dict]:
    """Events held in the period, counted by kind and country (online events have country '')."""
    rows = db.session.execute(
        select(Event.kind, Event.country, func.count(Event.id))
        .where(*_held(start, end))
        .group_by(Event.kind, Event.country)
        .order_by(Event.kind, Event.country)
    ).all()
    return [{"kind": k, "country": c, "events": n} for k, c, n in rows]


def attendance(start: datetime, end: datetime, country: str | None = None) -> dict:
    """People at events held in the period: checked in at the door (with their guests), and as
    the organisers' reports state them (reports cover events without door check-in). With
    ``country``, only events held in that country."""
    held = _held(start, end) + ((Event.country == country,) if country is not None else ())
    checked_in = db.session.scalar(
        select(func.coalesce(func.sum(1 + Registration.attended_guests), 0))
        .join(Event, Event.id == Registration.event_id)
        .where(*held, Registration.attended_at.is_not(None))
    )
    reported = db.session.scalar(
        select(func.coalesce(func.sum(EventReport.attendance), 0))
        .join(Event, Event.id == EventReport.event_id)
        .where(*held)
    )
    events = db.session.scalar(select(func.count(Event.id)).where(*held))
    return {"events": int(events), "checked_in": int(checked_in), "reported": int(reported)}


def organisations_involved(start: datetime, end: datetime) -> list[dict]:
    """Organisations that held or co-organised events held in the period, with how many."""
    holders = select(Event.organisation_id.label("oid"), Event.id.label("eid")).where(
        *_held(start, end), Event.organisation_id.is_not(None)
    )
    co = (
        select(EventOrganisation.organisation_id.label("oid"), Event.id.label("eid"))
        .join(Event, Event.id == EventOrganisation.event_id)
        .where(*_held(start, end))
    )
    both = union(holders, co).subquery()
    rows = db.session.execute(
        select(
            Organisation.id, Organisation.name, Organisation.country, func.count(func.distinct(both.c.eid))
        )
        .join(both, both.c.oid == Organisation.id)
        .group_by(Organisation.id, Organisation.name, Organisation.country)
        .order_by(func.count(func.distinct(both.c.eid)).desc(), Organisation.name)
    ).all()
    return [{"id": i, "name": n, "country": c, "events": k} for i, n, c, k in rows]
