"""In a real browser: the owner requests a payout with evidence, an administrator approves it, a
treasurer pays it, and the public project page shows the payout and its evidence."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from fundapp.extensions import db
from tests.conftest import PASSWORD

from .conftest import png_bytes

pytestmark = pytest.mark.browser


def _sign_in(page, base, email, secret=None):
    # a response still in flight would set the previous person's session cookie again
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


def test_request_approve_execute_then_public_page(page, live_server, cast, funded_project):
    """Request → approve → execute in Chromium; does the public page then show the payout and evidence?"""
    for person in (cast.owner, cast.admin, cast.treasurer):
        person.preferred_language = "en"
    project = funded_project()
    pid, title = project.id, project.title
    owner, admin = cast.owner.email, (cast.admin.email, cast.admin.totp_secret)
    treasurer = (cast.treasurer.email, cast.treasurer.totp_secret)
    db.session.commit()
    db.session.close()  # SQLite: leave the write lock to the server's threads

    _sign_in(page, live_server, owner)
    page.goto(f"{live_server}/projects/{pid}/disbursements/new")
    page.fill("#amount", "7500")
    page.fill("#payee_name", "Kulob Roofing LLC")
    page.fill("#payee_bank", "Amonatbonk")
    page.fill("#payee_account", "TJ12 3456 7890")
    page.fill("#work_done", "Steel sheets bought and delivered.")
    page.set_input_files(
        "#evidence_file_1", files=[{"name": "site.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    page.select_option("#evidence_kind_1", "photo")
    page.fill("#evidence_caption_1", "Sheets at the school gate")
    with page.expect_navigation():
        page.click("button:has-text('Send the request')")
    page.wait_for_url(re.compile(r"/disbursements/\d+$"))
    detail = page.url.removeprefix(live_server)

    _sign_in(page, live_server, *admin)
    page.goto(live_server + detail)
    with page.expect_navigation():
        page.click("button:has-text('Approve and reserve the amount')")
    page.wait_for_url(re.compile(r"/disbursements/\d+$"))
    expect(page.locator("body")).to_contain_text("Approved, awaiting payment")

    _sign_in(page, live_server, *treasurer)
    page.goto(live_server + detail)
    page.fill("#bank_reference", "PP-2026-0007")
    with page.expect_navigation():
        page.click("button:has-text('Record the payment')")
    page.wait_for_url(re.compile(r"/disbursements/\d+$"))
    expect(page.locator("body")).to_contain_text("PP-2026-0007")

    page.context.clear_cookies()
    page.goto(f"{live_server}/projects/{pid}?lang=en")
    section = page.locator("section.disbursements")
    text = section.inner_text()
    expect(page.locator("body")).to_contain_text(title)
    assert "Kulob Roofing LLC" in text and "Sheets at the school gate" in text
    assert "TJ12" not in text
    href = section.locator("a:has-text('Sheets at the school gate')").get_attribute("href")
    response = page.request.get(live_server + href)
    assert response.status == 200 and response.headers["content-type"] == "image/png"
