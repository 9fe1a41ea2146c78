"""Registration, email confirmation, signing in and out, password reset."""

from __future__ import annotations

import time

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import select

from fundapp.accounts.models import User
from fundapp.accounts.services import find_user_by_email, make_confirm_token, make_reset_token
from fundapp.audit.models import AuditEvent
from fundapp.extensions import db

from .conftest import link_in

GOOD = "a long enough passphrase"


def _register(client, email="Nodira@Example.ORG", password=GOOD, name="Nodira Aminova", again=None):
    return client.post(
        "/register",
        data={"full_name": name, "email": email, "password": password, "password_again": again or password},
    )


def test_register_confirm_login_logout(client, outbox):
    """Can a newcomer register, confirm by the emailed link, sign in, reach My page and sign out?"""
    r = _register(client)
    assert r.status_code == 200
    user = find_user_by_email("nodira@example.org")
    assert user is not None and user.email == "nodira@example.org"  # stored lower-case
    assert user.password_hash.startswith("$argon2id$")
    assert user.email_confirmed_at is None
    mails = outbox("nodira@example.org")
    assert len(mails) == 1
    link = link_in(mails[0].body_text, "/confirm/")
    r = client.get(link)
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    db.session.expire_all()
    assert find_user_by_email("nodira@example.org").email_confirmed_at is not None
    r = client.post("/login", data={"email": "NODIRA@example.org ", "password": GOOD})
    assert r.status_code == 302 and r.headers["Location"].endswith("/me")
    assert client.get("/me").status_code == 200
    r = client.post("/logout")
    assert r.status_code == 302
    assert client.get("/me").status_code == 302


def test_confirmation_link_is_single_use(client, outbox):
    """Does a confirmation link work once only (a second use is refused with a message)?"""
    _register(client)
    link = link_in(outbox()[0].body_text, "/confirm/")
    client.get(link)
    r = client.get(link, follow_redirects=True)
    assert "already confirmed" in r.get_data(as_text=True)


def test_wrong_and_expired_confirmation_tokens(client, make_user, monkeypatch):
    """Are tampered and expired confirmation links refused with a clear message, never a 500?"""
    user = make_user(confirmed=False)
    r = client.get("/confirm/not-a-token", follow_redirects=True)
    assert r.status_code == 200 and "not valid" in r.get_data(as_text=True)
    real = time.time()
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(real) - 4 * 24 * 3600)
    token = make_confirm_token(user)
    monkeypatch.undo()
    r = client.get(f"/confirm/{token}", follow_redirects=True)
    assert "expired" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed_at is None


def test_duplicate_registration_reveals_nothing(client, make_user, outbox):
    """Does registering an address that already has an account look the same as a new one,
    while the owner of the address is told by email?"""
    make_user(email="taken@example.org", preferred_language="en")
    r_dup = _register(client, email="Taken@example.org")
    r_new = _register(client, email="fresh@example.org")
    assert r_dup.status_code == r_new.status_code == 200
    assert "Check your email" in r_dup.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(User.id)).where(User.email == "taken@example.org")) == 1
    mails = outbox("taken@example.org")
    assert len(mails) == 1 and "already has one" in mails[0].body_text


@pytest.mark.parametrize(
    ("password", "again", "message"),
    [
        ("short", "short", "10 to 128"),
        ("x" * 129, "x" * 129, "10 to 128"),
        ("aaaaaaaaaaaa", "aaaaaaaaaaaa", "too easy"),
        ("qwertyuiop", "qwertyuiop", "too easy"),
        (GOOD, GOOD + "!", "differ"),
    ],
)
def test_password_rules(client, password, again, message):
    """Are weak or mistyped passwords refused with a reason, and no account made?"""
    r = _register(client, password=password, again=again)
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    assert find_user_by_email("nodira@example.org") is None


def test_password_may_not_be_the_email(client):
    """Is the email address itself refused as a password?"""
    r = _register(client, email="someone.long@example.org", password="someone.long@example.org")
    assert r.status_code == 400 and "must not be your email" in r.get_data(as_text=True)


def test_wrong_password_and_unknown_email_look_the_same(client, make_user):
    """Does the login page say the same thing for a wrong password and for an unknown address?"""
    make_user(email="known@example.org")
    a = client.post("/login", data={"email": "known@example.org", "password": "wrong password!"})
    b = client.post("/login", data={"email": "nobody@example.org", "password": "wrong password!"})
    assert a.status_code == b.status_code == 400
    assert "The email or password is wrong." in a.get_data(as_text=True)
    assert "The email or password is wrong." in b.get_data(as_text=True)


def test_unconfirmed_user_cannot_sign_in_and_gets_a_new_link(client, make_user, outbox):
    """Must an address be confirmed before signing in, with a fresh link sent?"""
    user = make_user(confirmed=False)
    r = client.post("/login", data={"email": user.email, "password": "correct horse battery staple"})
    assert r.status_code == 400 and "confirm your email" in r.get_data(as_text=True)
    assert len(outbox(user.email)) == 1
    assert client.get("/me").status_code == 302


def test_closed_account_cannot_sign_in(client, make_user):
    """Is a deactivated account refused even with the right password?"""
    user = make_user(is_active_account=False)
    r = client.post("/login", data={"email": user.email, "password": "correct horse battery staple"})
    assert r.status_code == 400 and "closed" in r.get_data(as_text=True)


def test_login_next_is_followed_only_on_site(client, make_user):
    """After login, is ?next followed for local paths and ignored for other sites?"""
    user = make_user()
    r = client.post(
        "/login?next=/me/profile", data={"email": user.email, "password": "correct horse battery staple"}
    )
    assert r.headers["Location"].endswith("/me/profile")
    client.post("/logout")
    r = client.post(
        "/login",
        data={"email": user.email, "password": "correct horse battery staple", "next": "//evil.example/x"},
    )
    assert "evil" not in r.headers["Location"]


def test_password_reset_is_single_use_and_ends_sessions(app, make_user, outbox):
    """Does a reset link change the password once, end other sessions, and refuse a second use?"""
    user = make_user()
    other = app.test_client()
    from tests.conftest import login_as

    login_as(other, user)
    assert other.get("/me").status_code == 200
    c = app.test_client()
    r = c.post("/password/forgot", data={"email": user.email.upper()})
    assert r.status_code == 200
    link = link_in(outbox(user.email)[-1].body_text, "/password/reset/")
    assert c.get(link).status_code == 200
    r = c.post(link, data={"password": "brand new passphrase", "password_again": "brand new passphrase"})
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert other.get("/me").status_code == 302  # the old session died with the old stamp
    r = c.get(link, follow_redirects=True)
    assert "not valid" in r.get_data(as_text=True)
    r = c.post("/login", data={"email": user.email, "password": "brand new passphrase"})
    assert r.status_code == 302
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(user.id))))
    assert "user.password_reset" in actions


def test_forgot_password_for_unknown_address_looks_the_same(client, outbox):
    """Does asking for a reset of an unknown address give the same answer and send nothing?"""
    r = client.post("/password/forgot", data={"email": "ghost@example.org"})
    assert r.status_code == 200 and "If an account uses this address" in r.get_data(as_text=True)
    assert outbox() == []


def test_expired_reset_link_is_refused(client, make_user, monkeypatch):
    """Is a reset link older than an hour refused with a clear message?"""
    user = make_user()
    real = time.time()
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(real) - 2 * 3600)
    token = make_reset_token(user)
    monkeypatch.undo()
    r = client.get(f"/password/reset/{token}", follow_redirects=True)
    assert "expired" in r.get_data(as_text=True)


def test_change_password_keeps_this_session_and_ends_others(app, client_for):
    """Does changing the password keep me signed in here and sign out my other devices?"""
    c, user = client_for("member")
    from tests.conftest import login_as

    other = app.test_client()
    login_as(other, user)
    r = c.post(
        "/me/password",
        data={
            "current_password": "correct horse battery staple",
            "password": "another fine passphrase",
            "password_again": "another fine passphrase",
        },
    )
    assert r.status_code == 302
    assert c.get("/me").status_code == 200
    assert other.get("/me").status_code == 302


def test_change_password_needs_the_current_one(client_for):
    """Is a wrong current password refused?"""
    c, _ = client_for("member")
    r = c.post(
        "/me/password",
        data={
            "current_password": "nope nope nope",
            "password": "another fine one",
            "password_again": "another fine one",
        },
    )
    assert r.status_code == 400 and "current password is wrong" in r.get_data(as_text=True)


def test_bad_links_and_codes_are_explained_in_the_users_language(app, make_user):
    """Do a broken link and a replayed code get their messages in Russian for a Russian reader?"""
    import pyotp

    c = app.test_client()
    c.set_cookie("lang", "ru")
    r = c.get("/confirm/garbage", follow_redirects=True)
    assert "Эта ссылка недействительна" in r.get_data(as_text=True)
    r = c.get("/password/reset/garbage", follow_redirects=True)
    assert "Эта ссылка недействительна" in r.get_data(as_text=True)
    admin = make_user("administrator")
    code = pyotp.TOTP(admin.totp_secret).now()
    c.post("/login", data={"email": admin.email, "password": "correct horse battery staple"})
    assert c.post("/login/code", data={"code": code}).status_code == 302
    c.post("/logout")
    c.post("/login", data={"email": admin.email, "password": "correct horse battery staple"})
    r = c.post("/login/code", data={"code": code})
    assert r.status_code == 400 and "уже использован" in r.get_data(as_text=True)


def test_register_race_on_the_same_address_is_not_a_500(app, make_user, monkeypatch):
    """If another registration of the same address commits between our check and our insert,
    is the unique constraint answered like a duplicate (no error, no second account)?"""
    from fundapp.accounts import services

    make_user(email="twin@example.org")
    monkeypatch.setattr(services, "find_user_by_email", lambda email: None)  # the check saw nothing
    with app.test_request_context():
        assert services.register_user("twin@example.org", GOOD, "Twin") is None
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(User.id)).where(User.email == "twin@example.org")) == 1
