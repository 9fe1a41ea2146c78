"""Links in mail come only from the configured public address, and other hosts are refused."""

from __future__ import annotations

import pytest

from fundapp.extensions import db
from tests.conftest import PASSWORD


def _mails(app, to):
    from sqlalchemy import select

    from fundapp.mail.models import OutboxMessage

    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == to)))


def test_forged_host_is_refused_and_gets_no_reset_link(app, make_user):
    """Does a reset asked for with ``Host: evil.example`` get a 400, and no mail at all?"""
    user = make_user()
    r = app.test_client().post(
        "/password/forgot", data={"email": user.email}, headers={"Host": "evil.example"}
    )
    assert r.status_code == 400
    assert _mails(app, user.email) == []


def test_forwarded_host_never_reaches_a_mailed_link(app_factory, make_user):
    """Behind a proxy, does ``X-Forwarded-Host`` leave the reset link on the public address?"""
    app = app_factory(TRUSTED_PROXY_HOPS=1, PUBLIC_BASE_URL="https://fund.example.tj/")
    with app.app_context():
        user = make_user()
        r = app.test_client().post(
            "/password/forgot",
            data={"email": user.email},
            headers={"Host": "fund.example.tj", "X-Forwarded-Host": "evil.example"},
        )
        assert r.status_code == 200
        (mail,) = _mails(app, user.email)
        assert "evil.example" not in mail.body_text
        assert "https://fund.example.tj/password/reset/" in mail.body_text


@pytest.mark.parametrize("path", ["/register", "/login"])
def test_every_mailed_link_is_on_the_public_address(app_factory, path):
    """Are confirmation and "already registered" links built on PUBLIC_BASE_URL, even when the
    request came in on another trusted name (here 127.0.0.1)?"""
    app = app_factory(
        PUBLIC_BASE_URL="https://fund.example.tj", TRUSTED_HOSTS=["fund.example.tj", "127.0.0.1"]
    )
    with app.app_context():
        c = app.test_client()
        data = {
            "email": "new@example.org",
            "password": PASSWORD,
            "password_again": PASSWORD,
            "full_name": "N P",
        }
        c.post("/register", data=data, base_url="http://127.0.0.1")
        if path == "/login":  # an unconfirmed account signing in is sent a fresh link
            c.post("/login", data=data, base_url="http://127.0.0.1")
        mails = _mails(app, "new@example.org")
        assert mails
        for mail in mails:
            assert "127.0.0.1" not in mail.body_text
            assert "https://fund.example.tj/confirm/" in mail.body_text


def test_links_outside_a_request_use_the_public_address(app_factory):
    """Do links built by the command line or a scheduled job come from PUBLIC_BASE_URL too?"""
    from fundapp.core.urls import public_url

    app = app_factory(PUBLIC_BASE_URL="https://fund.example.tj/base")
    with app.app_context():
        assert public_url("core.home") == "https://fund.example.tj/base/"
        assert public_url("accounts.reset_password", token="abc") == (
            "https://fund.example.tj/base/password/reset/abc"
        )


def test_production_needs_a_public_address(app_factory):
    """Does a production start without PUBLIC_BASE_URL stop with a clear message?"""
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        app_factory(PRODUCTION=True, PUBLIC_BASE_URL=None)


def test_production_trusts_only_the_public_host(app_factory):
    """In production, is the trusted host list exactly the public address's host?"""
    app = app_factory(PRODUCTION=True, PUBLIC_BASE_URL="https://fund.example.tj", TRUSTED_HOSTS=None)
    assert app.config["TRUSTED_HOSTS"] == ["fund.example.tj"]
    r = app.test_client().get("/", headers={"Host": "localhost"})
    assert r.status_code == 400
