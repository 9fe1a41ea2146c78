"""Staff sign in with a TOTP code; codes cannot be replayed; staff pages stay closed until the
session has passed TOTP; money actions ask for a fresh code (step-up)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from flask import Blueprint

from fundapp.accounts import services
from fundapp.accounts.models import User
from fundapp.core.security import MFA_SESSION_KEY, roles_required, step_up_required
from fundapp.extensions import db
from tests.conftest import PASSWORD, login_as


def _code(user, delta=0):
    return pyotp.TOTP(user.totp_secret).at(datetime.now(UTC) + timedelta(seconds=delta))


def test_staff_login_needs_a_code(client, make_user):
    """Does a staff password alone leave the person signed out until a valid code is given?"""
    admin = make_user("administrator")
    r = client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert r.status_code == 302 and "/login/code" in r.headers["Location"]
    assert client.get("/admin/users").status_code == 302  # not signed in yet
    r = client.post("/login/code", data={"code": "000000" if _code(admin) != "000000" else "111111"})
    assert r.status_code == 400 and "wrong or was already used" in r.get_data(as_text=True)
    r = client.post("/login/code", data={"code": _code(admin)})
    assert r.status_code == 302
    assert client.get("/admin/users").status_code == 200
    with client.session_transaction() as sess:
        assert sess[MFA_SESSION_KEY] > 0
    from sqlalchemy import select

    from fundapp.audit.models import AuditEvent

    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.signed_in")).one()
    assert event.actor_id == admin.id and event.changes == {"totp": True}


def test_a_used_code_cannot_be_replayed(app, make_user):
    """Is the same code refused on a second login (its time-step was already accepted)?"""
    admin = make_user("administrator")
    code = _code(admin)
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert first.post("/login/code", data={"code": code}).status_code == 302
    r = second.post("/login/code", data={"code": code})
    assert r.status_code == 400 and "already used" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).totp_last_step is not None


def test_verify_totp_refuses_old_steps(app, make_user):
    """Does the service refuse a code from a step at or before the last accepted one?"""
    admin = make_user("treasurer")
    now = datetime.now(UTC)
    assert services.verify_totp(admin, _code(admin), at=now)
    earlier = pyotp.TOTP(admin.totp_secret).at(now - timedelta(seconds=30))
    assert not services.verify_totp(admin, earlier, at=now)
    assert not services.verify_totp(admin, "12345", at=now)
    assert not services.verify_totp(admin, "abcdef", at=now)


def test_staff_without_totp_must_enrol_first(client, make_user):
    """Is a staff member with no TOTP sent to enrol, and only let in after a valid code?"""
    user = make_user("reviewer")
    user.totp_secret = None
    user.totp_enabled_at = None
    db.session.commit()
    r = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 302 and "/account/two-factor" in r.headers["Location"]
    assert "/account/two-factor" in client.get("/me").headers["Location"]
    page = client.get("/account/two-factor").get_data(as_text=True)
    with client.session_transaction() as sess:
        secret = sess["totp_enrol_secret"]
    assert secret in page and "otpauth://totp/" in page
    assert 'src="data:image/svg+xml' in page  # a QR code to scan, allowed by the CSP (img-src data:)
    r = client.post("/account/two-factor", data={"code": "999999"})
    assert r.status_code == 400
    r = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert r.status_code == 302
    assert client.get("/me").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_enabled_at is not None


def test_signed_in_staff_without_mfa_session_is_sent_to_the_code_page(client, make_user):
    """Does a staff session that skipped TOTP (e.g. a role granted meanwhile) get sent to verify?"""
    user = make_user("auditor")
    login_as(client, user, mfa=False)
    r = client.get("/me")
    assert r.status_code == 302 and "/login/code" in r.headers["Location"]
    assert client.get("/").status_code == 200  # public pages stay open
    client.post("/login/code", data={"code": _code(user)})
    assert client.get("/me").status_code == 200


def test_pending_login_expires(client, make_user):
    """Is a password step older than five minutes forgotten, so the code alone cannot sign in?"""
    admin = make_user("administrator")
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    with client.session_transaction() as sess:
        sess["pending_login"]["at"] -= 600
        sess.modified = True
    r = client.post("/login/code", data={"code": _code(admin)})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")


money = Blueprint("money_test", __name__)


@money.route("/test/pay", methods=["GET", "POST"])
@roles_required("treasurer")
@step_up_required
def pay():
    return "paid"


@pytest.fixture
def money_app(app_factory):
    a = app_factory()
    a.register_blueprint(money)
    return a


def test_step_up_asks_for_a_fresh_code(money_app, make_user):
    """Does a money action need a code newer than STEP_UP_WINDOW, then go through?"""
    treasurer = make_user("treasurer")
    secret = treasurer.totp_secret
    c = money_app.test_client()
    login_as(c, treasurer)
    db.session.rollback()  # SQLite: the other app's requests need the write lock
    assert c.get("/test/pay").get_data(as_text=True) == "paid"
    with c.session_transaction() as sess:
        sess[MFA_SESSION_KEY] -= 6 * 60
    r = c.get("/test/pay")
    assert r.status_code == 302 and "/account/confirm-it-is-you" in r.headers["Location"]
    assert "next=/test/pay" in r.headers["Location"].replace("%2F", "/")
    r = c.post(
        "/test/pay", headers={"Referer": "http://localhost/test/pay?x=1"}
    )  # a form post comes back to its page
    assert r.status_code == 302 and "next=/test/pay?x%3D1" in r.headers["Location"].replace("%2F", "/")
    # the stopped post was kept: after the code it is posted again (307), once, and done
    body = {"code": pyotp.TOTP(secret).now(), "step_up_replay": "1"}
    r = c.post("/account/confirm-it-is-you?next=/test/pay", data=body)
    assert r.status_code == 307 and r.headers["Location"].endswith("/test/pay")
    assert c.post("/test/pay", data=body).get_data(as_text=True) == "paid"
    assert c.post("/test/pay").get_data(as_text=True) == "paid"


def test_step_up_is_still_guarded_by_role(money_app, make_user):
    """Does the step-up decorator keep the role guard (a member gets 403, anonymous the login)?"""
    member = make_user()
    c = money_app.test_client()
    login_as(c, member)
    db.session.rollback()  # SQLite: the other app's requests need the write lock
    anonymous = money_app.test_client()
    assert anonymous.get("/test/pay").status_code == 302
    assert c.get("/test/pay").status_code == 403
    view = money_app.view_functions["money_test.pay"]
    assert view._fundapp_roles == ("treasurer",) and view._fundapp_step_up


def test_member_who_chose_totp_is_asked_for_a_code(client, client_for, make_user):
    """Does a member who turned TOTP on also get asked for a code at sign-in?"""
    c, member = client_for("member")
    c.get("/account/two-factor")
    with c.session_transaction() as sess:
        secret = sess["totp_enrol_secret"]
    assert c.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    r = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert r.status_code == 302 and "/login/code" in r.headers["Location"]
    assert client.get("/me").status_code == 302


def test_proxy_hops_give_the_real_client_address(app_factory):
    """Behind one trusted proxy, is the client's own address used (e.g. for rate limits)?"""
    from flask import request

    app = app_factory(TRUSTED_PROXY_HOPS=1)
    seen = {}

    @app.get("/test/ip")
    def ip():
        seen["ip"], seen["scheme"] = request.remote_addr, request.scheme
        return "ok"

    from fundapp.core.security import public

    public(ip)
    app.test_client().get(
        "/test/ip", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    )
    assert seen == {"ip": "203.0.113.7", "scheme": "https"}


@money.post("/test/pay-late")
@roles_required("treasurer")
def pay_late():
    services.require_fresh_mfa()  # decided inside the service layer
    return "paid"


def test_require_fresh_mfa_sends_to_step_up(money_app, make_user):
    """Does the service-level check answer a stale session with the step-up page, not a 403?"""
    treasurer = make_user("treasurer")
    c = money_app.test_client()
    login_as(c, treasurer)
    db.session.rollback()
    assert c.post("/test/pay-late").get_data(as_text=True) == "paid"
    with c.session_transaction() as sess:
        sess[MFA_SESSION_KEY] -= 10 * 60
    r = c.post("/test/pay-late", headers={"Referer": "http://localhost/me"})
    assert r.status_code == 302 and "/account/confirm-it-is-you?next=/me" in r.headers["Location"].replace(
        "%2F", "/"
    )
