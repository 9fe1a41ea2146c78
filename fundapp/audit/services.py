"""``record``: append one audit event in the caller's transaction (flush, never commit)."""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from fundapp.extensions import db

from .models import AuditEvent


def _client_ip() -> str | None:
    if not has_request_context():
        return None
    return request.remote_addr


def record(
    action: str,
    obj=None,
    *,
    actor=None,
    object_type: str | None = None,
    object_id=None,
    reason: str | None = None,
    changes: dict | None = None,
) -> AuditEvent:
    """Record that ``actor`` (default: the current user, else the system) did ``action`` to ``obj``."""
    if actor is None and has_request_context() and getattr(current_user, "is_authenticated", False):
        actor = current_user._get_current_object()
    if obj is not None:
        object_type = object_type or getattr(obj, "__audit_type__", None) or obj.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor_label=(getattr(actor, "email", None) or "system"),
        ip_address=_client_ip(),
        action=action,
        object_type=object_type or "system",
        object_id=None if object_id is None else str(object_id),
        reason=reason,
        changes=changes,
    )
    db.session.add(event)
    db.session.flush()
    return event
