"""What events tell people: the mail to registered people and the absolute links in it."""

from __future__ import annotations

from flask import current_app, has_request_context, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from fundapp.extensions import db
from fundapp.mail.services import queue_email

from .models import Event, Registration, RegistrationStatus


def title_for_reader(event: Event) -> str:
    return event.text("title", str(get_locale()))


def subject_postponed(event):
    return lambda: _("Postponed: %(title)s", title=title_for_reader(event))


def subject_cancelled(event):
    return lambda: _("Cancelled: %(title)s", title=title_for_reader(event))


def subject_rescheduled(event):
    return lambda: _("New dates: %(title)s", title=title_for_reader(event))


def notify_people(event: Event, subject, template: str, **ctx) -> int:
    regs = db.session.scalars(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.status.in_([RegistrationStatus.confirmed, RegistrationStatus.waitlisted]),
        )
    ).all()
    for reg in regs:
        mail_registration(reg, subject(event), template, **ctx)
    return len(regs)


def mail_registration(reg: Registration, subject, template: str, **ctx) -> None:
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
