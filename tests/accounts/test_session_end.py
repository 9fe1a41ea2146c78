"""Signing out, a password change, a role change and a TOTP reset end sessions on the server:
a copy of the session cookie taken before stops working."""

from __future__ import annotations

from sqlalchemy import select

from fundapp.audit.models import AuditEvent
from fundapp.extensions import db
from tests.conftest import login_as


def _replay(app, cookie_value):
    """A fresh client presenting a saved session cookie."""
    c = app.test_client()
    c.set_cookie("session", cookie_value)
    return c


def test_a_saved_cookie_stops_working_after_sign_out(app, make_user):
    """After ``POST /logout``, does a copy of the session cookie taken before lead to the login page?"""
    user = make_user()
    c = app.test_client()
    login_as(c, user)
    assert c.get("/me").status_code == 200
    saved = c.get_cookie("session").value
    assert c.post("/logout").status_code == 302
    r = _replay(app, saved).get("/me")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.signed_out")).one()


def test_a_saved_staff_cookie_stops_working_after_sign_out(app, make_user):
    """Does the same hold for a staff session that had passed its TOTP check?"""
    user = make_user("treasurer")
    c = app.test_client()
    login_as(c, user)
    assert c.get("/me").status_code == 200
    saved = c.get_cookie("session").value
    c.post("/logout")
    r = _replay(app, saved).get("/me")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_a_role_change_ends_the_holders_sessions(app, make_user):
    """When an administrator removes a role, does the holder's open session end at once, so it
    cannot keep using the role it lost?"""
    from fundapp.accounts import services

    admin = make_user("administrator")
    auditor = make_user("auditor")
    theirs = app.test_client()
    login_as(theirs, auditor)
    assert theirs.get("/audit/").status_code in (200, 308)
    services.revoke_role(auditor, "auditor", actor=admin)
    db.session.commit()
    r = theirs.get("/me")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_a_password_change_ends_other_sessions(app, make_user):
    """After a password change on one device, is a session on another device ended, while the
    device that changed it stays signed in?"""
    from tests.conftest import PASSWORD

    user = make_user()
    here, there = app.test_client(), app.test_client()
    login_as(here, user)
    login_as(there, user)
    new = "another long passphrase"
    r = here.post("/me/password", data={"current_password": PASSWORD, "password": new, "password_again": new})
    assert r.status_code == 302
    assert here.get("/me").status_code == 200
    assert there.get("/me").status_code == 302


def test_signing_in_starts_a_fresh_session(app, make_user):
    """Is whatever a session held before signing in (a planted value) gone after it, so a session
    fixed by someone else never becomes a signed-in one?"""
    user = make_user()
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["planted"] = "by someone else"
    from tests.conftest import PASSWORD

    r = c.post("/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 302
    with c.session_transaction() as sess:
        assert "planted" not in sess and sess.get("_user_id")
