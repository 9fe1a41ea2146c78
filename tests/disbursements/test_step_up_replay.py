"""Step-up finishes the action: after a correct code, the staff action that asked for it is done
once, with what was typed, through the same route and with CSRF; never for another person, never
after the hold expired, never twice."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
from sqlalchemy import func, select, update

from fundapp.accounts.models import PendingStepUp
from fundapp.audit.models import AuditEvent
from fundapp.core.security import MFA_SESSION_KEY
from fundapp.extensions import db
from tests.conftest import login_as

STEP_UP = "/account/confirm-it-is-you"


def _stale(c):
    with c.session_transaction() as sess:
        sess[MFA_SESSION_KEY] = int(datetime.now(UTC).timestamp()) - 3600


def _token(c, path):
    page = c.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _code(user, *, later=0):
    totp = pyotp.TOTP(user.totp_secret)
    return totp.at(datetime.now(UTC) + timedelta(seconds=later))


def _approve_held(app, c, admin, req, comment):
    """Post the approval with a stale code: it is held, and the step-up page is next."""
    page = f"/disbursements/{req.id}"
    r = c.post(
        f"/disbursements/{req.id}/approve",
        data={"council_decision": "0", "comment": comment, "csrf_token": _token(c, page)},
        headers={"Referer": f"http://localhost{page}"},
    )
    assert r.status_code == 302 and r.headers["Location"].startswith(STEP_UP)
    return r.headers["Location"]


def test_after_the_code_the_approval_is_done_with_the_comment(app, cast, requested):
    """With CSRF on and a stale TOTP check, does an approval with a comment, once the code is given,
    end approved with that comment — with no second click — and is the held form gone?"""
    app.config["WTF_CSRF_ENABLED"] = True
    req = requested()
    c = app.test_client()
    login_as(c, cast.admin)
    _stale(c)
    step_up = _approve_held(app, c, cast.admin, req, "Invoice checked against the contract.")
    db.session.refresh(req)
    assert req.state == "requested"
    page = c.get(step_up + "&lang=en").get_data(as_text=True)
    assert "you do not need to do it again" in page and 'name="step_up_replay"' in page
    body = {"code": _code(cast.admin), "csrf_token": _token(c, step_up), "step_up_replay": "1"}
    r = c.post(step_up, data=body)
    assert r.status_code == 307 and r.headers["Location"].endswith(f"/disbursements/{req.id}/approve")
    r = c.post(r.headers["Location"], data=body)  # the browser posts the same body again
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/disbursements/{req.id}")
    db.session.refresh(req)
    assert req.state == "approved" and req.decided_by_id == cast.admin.id
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "disbursement.approved")).one()
    assert event.reason == "Invoice checked against the contract."
    assert db.session.scalar(select(func.count(PendingStepUp.id))) == 0
    # the same replay again does nothing
    r = c.post(f"/disbursements/{req.id}/approve", data=body)
    assert r.status_code == 303
    assert db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "disbursement.approved")
    ) == 1  # fmt: skip


def test_a_replay_without_csrf_is_refused(app, cast, requested):
    """Is the replayed post checked for CSRF like any other post?"""
    app.config["WTF_CSRF_ENABLED"] = True
    req = requested()
    c = app.test_client()
    login_as(c, cast.admin)
    _stale(c)
    step_up = _approve_held(app, c, cast.admin, req, "ok")
    body = {"code": _code(cast.admin), "csrf_token": _token(c, step_up), "step_up_replay": "1"}
    r = c.post(step_up, data=body)
    assert r.status_code == 307
    r = c.post(r.headers["Location"], data={"step_up_replay": "1"})
    assert r.status_code == 400
    db.session.refresh(req)
    assert req.state == "requested"


def test_a_held_action_is_never_replayed_for_another_person_or_late(app, cast, requested, make_user):
    """Does another administrator's session carrying the first one's token replay nothing, and is a
    held action past its expiry refused with a message, nothing changed?"""
    req = requested()
    first = app.test_client()
    login_as(first, cast.admin)
    _stale(first)
    _approve_held(app, first, cast.admin, req, "mine")
    with first.session_transaction() as sess:
        token = sess["step_up_pending"]
    other_admin = make_user("administrator")
    other = app.test_client()
    login_as(other, other_admin)
    with other.session_transaction() as sess:
        sess["step_up_pending"] = token
    r = other.post(
        f"/disbursements/{req.id}/approve?lang=en", data={"step_up_replay": "1"}, follow_redirects=True
    )
    assert "was not yours" in r.get_data(as_text=True)
    db.session.refresh(req)
    assert req.state == "requested"

    _approve_held(app, first, cast.admin, req, "late")
    db.session.execute(update(PendingStepUp).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    db.session.commit()
    r = first.post(STEP_UP, data={"code": _code(cast.admin)})
    assert r.status_code == 302  # nothing waiting any more: back to the page
    r = first.post(f"/disbursements/{req.id}/approve", data={"step_up_replay": "1"})
    assert r.status_code == 303
    db.session.refresh(req)
    assert req.state == "requested"
