"""The auditors' desk of the audit trail: search, filter and export ``audit_events``.

Read-only: auditors and administrators may look; nobody may change a row (the database refuses).
Exports are themselves recorded, so the trail shows who took a copy of it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from wtforms import DateField, Form, IntegerField, StringField
from wtforms.validators import NumberRange, Optional

from fundapp.core.csvfile import BOM, csv_line, csv_response
from fundapp.core.params import parse_id
from fundapp.core.security import roles_required
from fundapp.extensions import db

from .models import AuditEvent
from .services import record

bp = Blueprint("audit", __name__, url_prefix="/audit")

READERS = ("auditor", "administrator")
PAGE_SIZE = 50
EXPORT_BATCH = 1000


class AuditFilterForm(Form):
    """The filters of the audit log; all optional, all from the query string."""

    q = StringField(_l("Search"), validators=[Optional()])
    actor = StringField(_l("Who (email or user number)"), validators=[Optional()])
    action = StringField(_l("Action"), validators=[Optional()])
    object_type = StringField(_l("Object type"), validators=[Optional()])
    object_id = StringField(_l("Object number"), validators=[Optional()])
    date_from = DateField(_l("From (date, UTC)"), validators=[Optional()])
    date_to = DateField(_l("To (date, UTC)"), validators=[Optional()])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100000)])


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filtered_query(form: AuditFilterForm):
    """The SELECT of the events the (validated) filters describe, newest first."""
    stmt = select(AuditEvent)
    data = {k: (v.strip()[:200] if isinstance(v, str) else v) for k, v in form.data.items()}
    if data.get("q"):
        pattern = _like(data["q"].lower())
        stmt = stmt.where(
            or_(
                func.lower(AuditEvent.action).like(pattern, escape="\\"),
                func.lower(AuditEvent.object_type).like(pattern, escape="\\"),
                func.lower(AuditEvent.actor_label).like(pattern, escape="\\"),
                func.lower(AuditEvent.reason).like(pattern, escape="\\"),
            )
        )
    if data.get("actor"):
        actor = data["actor"]
        if parse_id(actor) is not None:
            stmt = stmt.where(AuditEvent.actor_id == parse_id(actor))
        else:
            stmt = stmt.where(func.lower(AuditEvent.actor_label).like(_like(actor.lower()), escape="\\"))
    if data.get("action"):
        stmt = stmt.where(func.lower(AuditEvent.action).like(_like(data["action"].lower()), escape="\\"))
    if data.get("object_type"):
        stmt = stmt.where(AuditEvent.object_type == data["object_type"])
    if data.get("object_id"):
        stmt = stmt.where(AuditEvent.object_id == data["object_id"])
    if data.get("date_from"):
        stmt = stmt.where(AuditEvent.occurred_at >= datetime.combine(data["date_from"], time(), UTC))
    if data.get("date_to"):
        end = datetime.combine(data["date_to"] + timedelta(days=1), time(), UTC)
        stmt = stmt.where(AuditEvent.occurred_at < end)
    return stmt.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


def _form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.validate()
    # A filter that does not parse is dropped (and shown as an error), never a 500.
    for field in form:
        if field.errors:
            field.data = None
    return form


@bp.get("/")
@roles_required(*READERS)
def index():
    """The audit log, filtered, a page at a time."""
    form = _form()
    page = form.page.data or 1
    stmt = filtered_query(form)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    events = db.session.scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    object_types = db.session.scalars(
        select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type)
    ).all()
    return render_template(
        "audit/index.html",
        form=form,
        events=events,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        args=args,
        object_types=object_types,
    )


@bp.get("/events/<int:event_id>")
@roles_required(*READERS)
def event_detail(event_id: int):
    """One event with everything it recorded."""
    event = db.get_or_404(AuditEvent, event_id)
    related = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == event.object_type, AuditEvent.object_id == event.object_id)
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
        .limit(200)
    ).all()
    return render_template("audit/event.html", event=event, related=related)


EXPORT_COLUMNS = (
    "id",
    "occurred_at_utc",
    "actor_id",
    "actor",
    "ip_address",
    "action",
    "object_type",
    "object_id",
    "reason",
    "changes_json",
)


def _csv_rows(stmt):
    yield BOM + csv_line(EXPORT_COLUMNS)
    offset = 0
    while True:
        batch = db.session.scalars(stmt.limit(EXPORT_BATCH).offset(offset)).all()
        if not batch:
            break
        yield "".join(
            csv_line(
                [
                    e.id,
                    e.occurred_at.astimezone(UTC).isoformat(),
                    e.actor_id,
                    e.actor_label,
                    e.ip_address,
                    e.action,
                    e.object_type,
                    e.object_id,
                    e.reason,
                    json.dumps(e.changes, ensure_ascii=False, sort_keys=True, default=str)
                    if e.changes is not None
                    else None,
                ]
            )
            for e in batch
        )
        offset += EXPORT_BATCH
        if len(batch) < EXPORT_BATCH:
            break


@bp.get("/export.csv")
@roles_required(*READERS)
def export_csv():
    """Every event the filters select, as CSV (UTF-8, one row per event, UTC times)."""
    form = _form()
    filters = {k: v for k, v in request.args.items() if v and k != "page"}
    record("audit.exported", object_type="audit_events", changes={"filters": filters})
    db.session.commit()
    stmt = filtered_query(form)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return csv_response(_csv_rows(stmt), f"audit-events-{stamp}.csv", no_store=True)
