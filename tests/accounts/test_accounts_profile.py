"""The profile: what a person may say about themselves, and how bad input is answered."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fundapp.accounts.models import User
from fundapp.audit.models import AuditEvent
from fundapp.extensions import db

SCRIPT = '<script>alert("x")</script>'


def _profile(**over):
    data = {
        "full_name": "Parviz Hakimov",
        "public_name": "Parviz",
        "show_name_publicly": "y",
        "phone": "+7 (916) 123-45-67",
        "country_of_residence": "RU",
        "city_of_residence": "Yekaterinburg",
        "home_region": "sughd",
        "home_district": "khujand",
        "languages": "тоҷикӣ, русский, English",
        "skills": "Civil engineer; 12 years of road construction",
        "preferred_language": "ru",
    }
    data.update(over)
    return data


def test_profile_is_saved_and_shown(client_for):
    """Can a member fill in every profile field and see it on My page (in the chosen language)?"""
    c, user = client_for("member")
    r = c.post("/me/profile", data=_profile())
    assert r.status_code == 302
    db.session.expire_all()
    u = db.session.get(User, user.id)
    assert (u.country_of_residence, u.home_region, u.home_district) == ("RU", "sughd", "khujand")
    assert u.show_name_publicly and u.public_name == "Parviz" and u.preferred_language == "ru"
    page = c.get("/me").get_data(as_text=True)
    assert "Россия" in page and "Yekaterinburg" in page  # country name in Russian now
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.profile_updated")).one()
    assert "phone" in audit.changes["fields"] and "+7" not in str(audit.changes)


def test_profile_form_shows_current_values(client_for):
    """Does the profile page come pre-filled with what is stored?"""
    c, _ = client_for("member", city_of_residence="Almaty", country_of_residence="KZ")
    page = c.get("/me/profile").get_data(as_text=True)
    assert 'value="Almaty"' in page and '<option selected value="KZ">' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("full_name", "", "This field is required."),
        ("full_name", "x" * 201, "at most 200"),
        ("city_of_residence", "y" * 121, "at most 120"),
        ("skills", "z" * 2001, "at most 2000"),
        ("phone", "call me maybe", "digits only"),
        ("country_of_residence", "XX", "Not a valid choice"),
        ("home_region", "mars", "Not a valid choice"),
        ("home_district", "khujand", "not in the chosen region"),
        ("preferred_language", "de", "Not a valid choice"),
        ("full_name", "bad\x00name", "control characters"),
    ],
)
def test_profile_bad_input_gets_a_message(client_for, field, value, message):
    """Is each kind of bad profile input refused with a message (400), never a 500?"""
    c, _ = client_for("member")
    over = {field: value}
    if field == "home_district":
        over["home_region"] = "khatlon"
    r = c.post("/me/profile", data=_profile(**over))
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)


def test_profile_html_and_unicode_are_stored_as_text_and_shown_escaped(client_for):
    """Are HTML and any Unicode in text fields kept as typed and shown escaped, never run?"""
    c, user = client_for("member")
    data = _profile(
        full_name=SCRIPT,
        public_name="Ҷамшед 🌄 <b>bold</b>",
        city_of_residence=SCRIPT,
        languages=SCRIPT,
        skills=SCRIPT,
    )
    assert c.post("/me/profile", data=data).status_code == 302
    for path in ("/me", "/me/profile"):
        page = c.get(path).get_data(as_text=True)
        assert SCRIPT not in page and "<b>bold</b>" not in page
        assert "&lt;script&gt;" in page
    db.session.expire_all()
    assert db.session.get(User, user.id).public_name == "Ҷамшед 🌄 <b>bold</b>"


def test_registration_bad_input_never_fails(client):
    """Do malformed, over-long, HTML and Unicode registrations get messages, never a 500?"""
    cases = [
        {"email": "not-an-email"},
        {"email": "a@b"},
        {"email": "x" * 320 + "@example.org"},
        {"email": ""},
        {"full_name": ""},
        {"full_name": "n" * 201},
        {"full_name": SCRIPT, "email": "bad<script>@example.org"},
        {"email": "ümlaut@exämple.org", "full_name": "Ёқубҷон"},
    ]
    for over in cases:
        data = {"full_name": "Name", "email": "ok@example.org", "password": "long enough pass", **over}
        data["password_again"] = data["password"]
        r = client.post("/register", data=data)
        assert r.status_code in (200, 400), over
        assert SCRIPT not in r.get_data(as_text=True)


def test_login_bad_input_never_fails(client):
    """Do odd login inputs get the login page back with a message?"""
    for data in ({}, {"email": "x" * 1000, "password": "y"}, {"email": "a@b.c", "password": "p" * 5000}):
        r = client.post("/login", data=data)
        assert r.status_code == 400


def test_totp_code_bad_input(client, make_user):
    """Are non-numeric and over-long codes refused with a message?"""
    admin = make_user("administrator")
    client.post("/login", data={"email": admin.email, "password": "correct horse battery staple"})
    for code in ("abcdef", "1" * 500, SCRIPT, ""):
        r = client.post("/login/code", data={"code": code})
        assert r.status_code == 400
        assert SCRIPT not in r.get_data(as_text=True)
