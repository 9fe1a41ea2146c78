"""In a real browser (Chromium through Playwright), on a desktop and a 375-px phone screen:
register, confirm by the emailed link, sign in, switch language; a staff sign-in with TOTP."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from fundapp.extensions import db
from fundapp.mail.models import OutboxMessage
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _confirm_link(email: str) -> str:
    body = db.session.scalars(
        select(OutboxMessage.body_text).where(OutboxMessage.to_address == email).order_by(OutboxMessage.id)
    ).first()
    db.session.rollback()  # SQLite: leave the write lock to the server's threads
    return re.search(r"https?://\S+/confirm/\S+", body).group(0)


def _register_confirm_sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/register?lang=en")
    page.fill("#full_name", "Гулнора <b>Рахимова</b>")
    page.fill("#email", email)
    page.fill("#password", "a long enough passphrase")
    page.fill("#password_again", "a long enough passphrase")
    page.click("form.stack button[type=submit]")
    assert page.locator("h1").inner_text() == "Check your email"
    page.goto(_confirm_link(email.lower()) + "?lang=en")
    assert "your email address is confirmed" in page.locator(".flashes").inner_text()
    page.fill("#email", email)
    page.fill("#password", "a long enough passphrase")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(re.compile(r"/me$"))
    # the name is shown as typed, never as markup
    assert "<b>Рахимова</b>" in page.locator("#me-heading").inner_text()


def _switch_language(page, code: str) -> None:
    page.click(f"footer .lang-switch button[value={code}]")
    page.wait_for_load_state()


def test_register_confirm_sign_in_and_switch_language(page, live_server):
    """On a desktop: register, confirm, sign in, then switch to Russian and to Tajik."""
    _register_confirm_sign_in(page, live_server, "Gulnora@Example.org")
    _switch_language(page, "ru")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("h1").inner_text() == "Моя страница"
    page.goto(f"{live_server}/me/profile")  # remembered across pages
    assert page.locator("h1").inner_text() == "Мой профиль"
    _switch_language(page, "tg")
    assert page.locator("html").get_attribute("lang") == "tg"
    assert page.locator("h1").inner_text() == "Профили ман"


def test_phone_register_sign_in_menu_and_language(phone_page, live_server):
    """On a 375-px phone: the same journey, the menu opens without JavaScript tricks, nothing
    overflows sideways, and the language switch works."""
    page = phone_page
    _register_confirm_sign_in(page, live_server, "phone.user@example.org")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    menu = page.locator("details.menu")
    assert menu.get_attribute("open") is None
    page.click("details.menu summary")
    assert menu.get_attribute("open") is not None
    page.click("details.menu nav >> text=My page")
    page.wait_for_url(re.compile(r"/me$"))
    _switch_language(page, "ru")
    assert page.locator("h1").inner_text() == "Моя страница"
    _switch_language(page, "tg")
    assert page.locator("h1").inner_text() == "Саҳифаи ман"
    page.goto(f"{live_server}/me/profile")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("fixture", ["page", "phone_page"])
def test_staff_sign_in_with_totp(request, fixture, live_server, make_user):
    """Does an administrator sign in with password and a TOTP code, and reach the people page?"""
    page = request.getfixturevalue(fixture)
    admin = make_user("administrator", preferred_language="en")
    email, secret = admin.email, admin.totp_secret
    db.session.rollback()
    page.goto(f"{live_server}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(re.compile(r"/login/code"))
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("form.stack button[type=submit]")
    page.wait_for_url(re.compile(r"/me$"))
    page.goto(f"{live_server}/admin/users")
    assert page.locator("h1").inner_text() == "People and roles"
    assert email in page.locator("table").inner_text()
