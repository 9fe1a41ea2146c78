"""Step-up finishes the action: a staff form post that needed a fresh TOTP code is done, with what
the person typed, once the code is given.

When ``@step_up_required`` (or a service's ``require_fresh_mfa``) stops a POST, :func:`hold` keeps
its form on the server (``pending_step_ups``: the person, the action's address, the fields, five
minutes) and puts only a random token in the session. After a correct code the step-up page
answers ``307`` to the action's address, so the browser posts again — the step-up form's own body,
with its CSRF token and the marker ``step_up_replay``. Before that post reaches its view,
:func:`replay_before_request` takes the held row (deleted at once: never twice), checks the session's
token, the person, the address and the expiry, and puts the held fields in place of the body. The
route then runs as if the person had posted again, CSRF checked as for any post. A marked post
that matches nothing is refused and changes nothing."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import delete
from werkzeug.datastructures import ImmutableMultiDict

from fundapp.core.db import utcnow
from fundapp.extensions import db

from .models import PendingStepUp

SESSION_KEY = "step_up_pending"
REPLAY_FIELD = "step_up_replay"
HOLD_SECONDS = 300
MAX_FORM_BYTES = 64 * 1024
# fields of the step-up form itself, never part of the action's own form
_OWN_FIELDS = {"csrf_token", "code", "next", REPLAY_FIELD}


def _action_path() -> str:
    return request.full_path if request.query_string else request.path


def hold(back_to: str) -> bool:
    """Keep the current POST for replay after the step-up; False when it cannot be kept (files,
    too large, nobody signed in), in which case the person repeats the action themselves."""
    if request.method != "POST" or not current_user.is_authenticated:
        return False
    if any(f.filename for f in request.files.values()):
        return False
    fields = [[k, v] for k, v in request.form.items(multi=True) if k not in _OWN_FIELDS]
    form_json = json.dumps(fields, ensure_ascii=False)
    if len(form_json.encode()) > MAX_FORM_BYTES:
        return False
    now = utcnow()
    db.session.rollback()  # nothing of the refused request is kept, only the held form
    db.session.execute(delete(PendingStepUp).where(PendingStepUp.expires_at < now))
    db.session.execute(delete(PendingStepUp).where(PendingStepUp.user_id == current_user.id))
    token = secrets.token_urlsafe(32)
    db.session.add(
        PendingStepUp(
            token=token,
            user_id=current_user.id,
            path=_action_path(),
            form_json=form_json,
            back_to=back_to,
            created_at=now,
            expires_at=now + timedelta(seconds=HOLD_SECONDS),
        )
    )
    db.session.commit()
    session[SESSION_KEY] = token
    return True


def waiting() -> PendingStepUp | None:
    """The action this session's person is about to finish, if any (for the step-up page)."""
    token = session.get(SESSION_KEY)
    if not token or not current_user.is_authenticated:
        return None
    row = db.session.query(PendingStepUp).filter_by(token=token).one_or_none()
    if row is None or row.user_id != current_user.id or row.expires_at < utcnow():
        return None
    return row


def _take(token: str) -> PendingStepUp | None:
    """The held row, removed at once (committed), so that it is replayed at most once."""
    row = db.session.query(PendingStepUp).filter_by(token=token).one_or_none()
    if row is None:
        return None
    held = {c: getattr(row, c) for c in ("user_id", "path", "form_json", "back_to", "expires_at")}
    result = db.session.execute(delete(PendingStepUp).where(PendingStepUp.id == row.id))
    db.session.commit()
    if result.rowcount != 1:  # taken by a racing request
        return None
    return PendingStepUp(**held)


def _is_form_post() -> bool:
    """Only a browser form's post is looked at (a webhook's raw body is never parsed here)."""
    return request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")


def replay_before_request():
    """Put the held form in place of a replayed post's body, or refuse a replay that matches none."""
    if request.method != "POST" or request.endpoint == "accounts.step_up" or not _is_form_post():
        return None
    if REPLAY_FIELD not in request.form:
        return None
    token = session.pop(SESSION_KEY, None)
    row = _take(token) if token else None
    if (
        row is None
        or not current_user.is_authenticated
        or row.user_id != current_user.id
        or row.path != _action_path()
        or row.expires_at < utcnow()
    ):
        flash(
            _("That action was not carried out: it waited too long or was not yours. Please do it again."),
            "error",
        )
        return redirect(row.back_to if row is not None and row.user_id == getattr(current_user, "id", None)
                        else url_for("accounts.dashboard"), code=303)  # fmt: skip
    fields = [(k, v) for k, v in json.loads(row.form_json)]
    fields.append(("csrf_token", request.form.get("csrf_token", "")))
    request.__dict__["form"] = ImmutableMultiDict(fields)
    request.__dict__.pop("values", None)
    return None


def finish_after_code():
    """After a correct code: send the browser to post the held action again (307 keeps the POST)."""
    row = waiting()
    if row is None:
        session.pop(SESSION_KEY, None)
        return None
    return redirect(row.path, code=307)
