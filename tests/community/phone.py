"""Steps the community's browser tests share: sign in as someone, and check a page fits a phone."""

from __future__ import annotations

import re

import pyotp

from tests.conftest import PASSWORD


def sign_in(page, base, email, secret=None):
    """Sign in (with a TOTP code for staff); the pages then speak the person's own language."""
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


def fits(page):
    """No horizontal scrolling on a 375 px screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, page.url
