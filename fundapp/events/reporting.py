"""After the event: the organiser's report and its photos."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.extensions import db
from fundapp.files.services import store_upload

from .models import Event, EventPhoto, EventProject, EventReport, EventState
from .services import _ids, _int, _public_project_ids, _text, can_manage

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
    stored = store_upload(
        upload, uploaded_by=actor, allowed=("png", "jpeg", "webp"), is_public=True, field="photo"
    )
    photo = EventPhoto(event_id=event.id, file_id=stored.id, caption=caption)
    db.session.add(photo)
    db.session.flush()
    record("events.add_photo", event, actor=actor, changes={"file": stored.id})
    return photo
