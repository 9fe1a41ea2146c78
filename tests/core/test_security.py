"""The security baseline: error pages, headers, cookies, the idle timeout, rate limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Blueprint

from tests.conftest import PASSWORD, login_as

boom = Blueprint("boom_test", __name__)


@boom.get("/test/boom")
def explode():
    raise RuntimeError("secret internals: /etc/passwd")


def test_500_page_shows_no_stack_trace(app_factory):
    """Does an unexpected error give our friendly 500 page, without any trace of the internals?"""
    app = app_factory(PROPAGATE_TEST_ERRORS=False)
    app.register_blueprint(boom)
    # the view is public for this test: the error must be what answers, not the login guard
    from fundapp.core.security import public

    public(app.view_functions["boom_test.explode"])
    r = app.test_client().get("/test/boom")
    assert r.status_code == 500
    body = r.get_data(as_text=True)
    assert "Something went wrong on our side" in body
    assert "secret internals" not in body and "Traceback" not in body and "RuntimeError" not in body


def test_400_page_for_a_missing_csrf_token(app_factory):
    """Is a form posted without its CSRF token refused with a clear 400 page?"""
    app = app_factory(WTF_CSRF_ENABLED=True)
    r = app.test_client().post("/login", data={"email": "a@example.org", "password": PASSWORD})
    assert r.status_code == 400
    assert "The form expired or was sent from elsewhere" in r.get_data(as_text=True)


def test_csrf_message_is_in_the_users_language(app_factory):
    """Is the CSRF refusal written in the person's language (Russian here)?"""
    app = app_factory(WTF_CSRF_ENABLED=True)
    c = app.test_client()
    c.set_cookie("lang", "ru")
    r = c.post("/register", data={"email": "a@example.org"})
    assert r.status_code == 400 and 'lang="ru"' in r.get_data(as_text=True)
    assert "Форма устарела" in r.get_data(as_text=True)


def test_forms_work_with_csrf_on(app_factory, make_user):
    """With CSRF on, does a login with the page's own token go through?"""
    app = app_factory(WTF_CSRF_ENABLED=True)
    user = make_user()
    from fundapp.extensions import db

    email = user.email
    db.session.commit()
    c = app.test_client()
    page = c.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    r = c.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302


def test_403_404_405_pages(client_for, client):
    """Do forbidden, missing and wrong-method requests get our own pages with the right status?"""
    member, _ = client_for("member")
    r = member.get("/admin/users")
    assert r.status_code == 403 and "You do not have access to this page." in r.get_data(as_text=True)
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "This page does not exist." in r.get_data(as_text=True)
    r = client.get("/logout")
    assert r.status_code == 405 and "This action is not allowed here." in r.get_data(as_text=True)


def test_429_page_when_login_is_rate_limited(app_factory):
    """After too many sign-in attempts, is the next one refused with a friendly 429 page?"""
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    c = app.test_client()
    statuses = [
        c.post("/login", data={"email": "x@example.org", "password": "wrong wrong"}).status_code
        for _ in range(4)
    ]
    assert statuses[:3] == [400, 400, 400] and statuses[3] == 429
    r = c.post("/login", data={"email": "x@example.org", "password": "wrong wrong"})
    assert r.status_code == 429 and "Too many attempts" in r.get_data(as_text=True)
    assert c.get("/login").status_code == 200  # reading the page is not limited


def test_password_reset_is_rate_limited(app_factory):
    """Are password-reset requests limited too?"""
    app = app_factory(RATELIMIT_ENABLED=True, RESET_RATE_LIMIT="2 per minute")
    c = app.test_client()
    codes = [c.post("/password/forgot", data={"email": "x@example.org"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_strict_headers_on_every_page(client_for, client):
    """Do pages carry CSP without inline code, nosniff, no framing, a referrer policy, and no-store
    for signed-in people?"""
    r = client.get("/login")
    h = r.headers
    csp = h["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "object-src 'none'" in csp
    assert h["X-Frame-Options"] == "DENY" and h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in h["Permissions-Policy"]
    assert "Strict-Transport-Security" not in h
    member, _ = client_for("member")
    assert member.get("/me").headers["Cache-Control"] == "no-store"


def test_hsts_and_secure_cookies_in_production_settings(app_factory, make_user):
    """With production settings, is HSTS sent and the session cookie Secure, HttpOnly, SameSite?"""
    app = app_factory(HSTS=True, SESSION_COOKIE_SECURE=True)
    user = make_user()
    email = user.email
    from fundapp.extensions import db

    db.session.commit()
    c = app.test_client()
    r = c.post("/login", data={"email": email, "password": PASSWORD})
    assert "max-age=" in r.headers["Strict-Transport-Security"]
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    """Is the session cookie HttpOnly and SameSite=Lax (and not Secure-only in development)?"""
    user = make_user()
    r = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_idle_timeout_signs_out(app, client, make_user):
    """After IDLE_TIMEOUT of inactivity, is the person signed out and told why?"""
    user = make_user()
    login_as(client, user)
    assert client.get("/me").status_code == 200
    idle = int(app.config["IDLE_TIMEOUT"].total_seconds())
    with client.session_transaction() as sess:
        sess["last_seen"] = int(datetime.now(UTC).timestamp()) - idle - 5
    r = client.get("/me")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "signed out after a period of inactivity" in page
    assert client.get("/me").status_code == 302


def test_activity_keeps_the_session(app, client, make_user):
    """Does activity just inside the timeout keep the person signed in?"""
    user = make_user()
    login_as(client, user)
    idle = int(app.config["IDLE_TIMEOUT"].total_seconds())
    with client.session_transaction() as sess:
        sess["last_seen"] = int(datetime.now(UTC).timestamp()) - idle + 30
    assert client.get("/me").status_code == 200


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
def test_no_open_redirects(client, target):
    """Can the language switch or sign-in be bent into an open redirect? No."""
    r = client.post("/language", data={"lang": "en", "next": target})
    assert "evil" not in r.headers["Location"] and "javascript" not in r.headers["Location"]


def test_production_settings_from_the_environment():
    """With FUNDAPP_ENV=production, are cookies Secure, HSTS on and demo mode off by default?"""
    import os
    import subprocess
    import sys

    code = (
        "from fundapp.config import Config as C;"
        "print(C.SESSION_COOKIE_SECURE, C.REMEMBER_COOKIE_SECURE, C.HSTS, C.DEMO_MODE,"
        " C.SESSION_COOKIE_HTTPONLY)"
    )
    env = {**os.environ, "FUNDAPP_ENV": "production"}
    env.pop("SESSION_COOKIE_SECURE", None)
    env.pop("FUNDAPP_DEMO", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "True", "False", "True"]
