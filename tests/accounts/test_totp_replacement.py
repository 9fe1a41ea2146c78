"""Replacing a working authenticator needs the password and a code from the current one; an
administrator's reset is the audited way back for a lost phone."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
from sqlalchemy import select

from fundapp.accounts.models import User
from fundapp.audit.models import AuditEvent
from fundapp.extensions import db
from tests.conftest import PASSWORD, login_as


def _secret_on_page(client):
    client.get("/account/two-factor")
    with client.session_transaction() as sess:
        return sess["totp_enrol_secret"]


def test_a_session_alone_cannot_replace_the_authenticator(app, make_user):
    """With only a signed-in staff session (no password, no current code), is the authenticator
    left as it was?"""
    user = make_user("treasurer")
    old = user.totp_secret
    c = app.test_client()
    login_as(c, user)
    new = _secret_on_page(c)
    r = c.post("/account/two-factor", data={"code": pyotp.TOTP(new).now()})
    assert r.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret == old


def test_wrong_password_or_current_code_is_refused_next_to_its_field(app, make_user):
    """Is a wrong password, or a wrong code from the current authenticator, refused with the error
    next to that field, the old secret kept?"""
    user = make_user("administrator")
    old = user.totp_secret
    c = app.test_client()
    login_as(c, user)
    new = _secret_on_page(c)
    r = c.post(
        "/account/two-factor",
        data={
            "current_password": "not the password",
            "current_code": pyotp.TOTP(old).now(),
            "code": pyotp.TOTP(new).now(),
        },
    )
    assert r.status_code == 400 and "The current password is wrong." in r.get_data(as_text=True)
    r = c.post(
        "/account/two-factor",
        data={"current_password": PASSWORD, "current_code": "000000", "code": pyotp.TOTP(new).now()},
    )
    assert r.status_code == 400 and "This code is wrong or was already used" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret == old


def test_password_and_current_code_replace_it_and_end_other_sessions(app, make_user):
    """With the password and a current code, is the new authenticator set, audited, and are the
    person's other sessions ended while this one goes on?"""
    user = make_user("reviewer")
    old = user.totp_secret
    here, there = app.test_client(), app.test_client()
    login_as(here, user)
    login_as(there, user)
    new = _secret_on_page(here)
    r = here.post(
        "/account/two-factor",
        data={
            "current_password": PASSWORD,
            "current_code": pyotp.TOTP(old).now(),
            "code": pyotp.TOTP(new).now(),
        },
    )
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret == new
    assert here.get("/me").status_code == 200
    assert there.get("/me").status_code == 302
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.totp_replaced")).one()


def test_after_an_administrators_reset_the_person_enrols_afresh(app, make_user):
    """After another administrator's audited reset, can the person set up a new authenticator
    with a code from it alone?"""
    from fundapp.accounts import services

    admin = make_user("administrator")
    user = make_user("auditor")
    services.reset_totp(user, actor=admin)
    db.session.commit()
    c = app.test_client()
    r = c.post("/login", data={"email": user.email, "password": PASSWORD})
    assert "/account/two-factor" in r.headers["Location"]
    new = _secret_on_page(c)
    r = c.post("/account/two-factor", data={"code": pyotp.TOTP(new).at(datetime.now(UTC))})
    assert r.status_code == 302
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.totp_reset")).one()
