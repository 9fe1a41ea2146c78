"""In a real browser on a phone (375 px): a member registers an organisation, staff verify it,
another member asks to join and is accepted, and the organisation appears in the public
directory — with no horizontal scrolling on any page."""

from __future__ import annotations

import re

import pyotp
import pytest

from fundapp.extensions import db
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page, base, email, secret=None):
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    page.goto(f"{base}/login?lang=en")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    if secret:
        page.wait_for_url(re.compile(r"/login/code"))
        page.fill("#code", pyotp.TOTP(secret).now())
        page.click("form.stack button[type=submit]")
    page.wait_for_url(re.compile(r"/me$"))


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, page.url


def test_register_verify_join_on_a_phone(phone_page, live_server, people):
    """Register → verify → ask to join → accept, in Chromium at 375 px: is the organisation then
    public, with its new member, and did every page fit the screen?"""
    page = phone_page
    founder, second = people.founder.email, people.second.email
    staff = (people.staff.email, people.staff.totp_secret)
    for person in (people.founder, people.second, people.staff):
        person.preferred_language = "en"
    db.session.commit()
    db.session.close()  # SQLite: leave the write lock to the server's threads

    _sign_in(page, live_server, founder)
    page.goto(f"{live_server}/organisations/new")
    _fits(page)
    page.fill("#name", "Tajik Sunday School of Kazan")
    page.select_option("#kind", "school")
    page.select_option("#country", "RU")
    page.fill("#city", "Kazan")
    page.check("input[name=languages][value=tg]")
    page.check("input[name=fields][value=education]")
    page.fill("#year_founded", "2019")
    page.fill("#description", "Tajik lessons for children every Sunday.")
    with page.expect_navigation():
        page.click("button:has-text('Register')")
    assert "Waiting for verification" in page.content()
    org_path = page.url.removeprefix(live_server)
    _fits(page)

    _sign_in(page, live_server, *staff)
    page.goto(f"{live_server}/community/review")
    page.click("text=Tajik Sunday School of Kazan")
    with page.expect_navigation():
        page.click("button:has-text('Verify and list publicly')")
    assert "verified and listed publicly" in page.content()
    _fits(page)

    _sign_in(page, live_server, second)
    page.goto(f"{live_server}/organisations?q=sunday")
    _fits(page)
    page.click("text=Tajik Sunday School of Kazan")
    with page.expect_navigation():
        page.click("button:has-text('Ask to join')")
    assert "sent to the organisation's admins" in page.content()

    _sign_in(page, live_server, founder)
    page.goto(f"{live_server}{org_path}/members")
    _fits(page)
    with page.expect_navigation():
        page.click("button:has-text('Accept')")
    assert "The member is accepted." in page.content()

    page.context.clear_cookies()
    page.goto(f"{live_server}/organisations?country=RU&lang=en")
    assert "Tajik Sunday School of Kazan" in page.content()
    page.goto(f"{live_server}/organisations/countries")
    _fits(page)
