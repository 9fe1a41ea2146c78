"""Seats: every verb that takes or frees a seat first locks the event row (``lock_event``), then
counts the confirmed seats, so concurrent registrations are admitted one after the other and the
capacity is never exceeded. The waiting list is promoted strictly in the order people joined it."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, text

from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import NotFound
from fundapp.extensions import db

from .models import Event, Registration, RegistrationStatus
from .notices import mail_registration, title_for_reader


def lock_event(event_id: int) -> Event:
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


def promote_waiting(event: Event, *, now: datetime | None = None) -> list[Registration]:
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
        mail_registration(
            reg,
            lambda: _("A seat is yours: %(title)s", title=title_for_reader(event)),
            "events/email/promoted",
        )
    return promoted
