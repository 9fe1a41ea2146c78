"""In a real browser: a guest donates by (fake) card and by bank transfer, a treasurer records the
transfer, a second staff member confirms it, and the public progress bar moves."""

import re
import time

import pytest
from sqlalchemy import func, select

from fundapp.extensions import db
from fundapp.ledger.models import JournalEntry
from fundapp.payments.models import StripeEvent
from tests.conftest import login_as


@pytest.fixture
def app(stripe_app):
    return stripe_app


def _staff_context(browser, app, user, base):
    """A browser context signed in as ``user`` (session cookie minted by the test client)."""
    c = app.test_client()
    login_as(c, user)
    cookie = c.get_cookie("session")
    db.session.rollback()  # SQLite: never hold the write lock while the live server works
    ctx = browser.new_context(bypass_csp=True)
    ctx.add_cookies(
        [
            {"name": "session", "value": cookie.value, "url": base},
            {"name": "lang", "value": "en", "url": base},
        ]
    )
    return ctx


def _count(model) -> int:
    n = db.session.scalar(select(func.count()).select_from(model))
    db.session.rollback()  # SQLite: release the lock at once
    return n


def _progress(page, base, project_id) -> int:
    page.goto(f"{base}/projects/{project_id}?lang=en")
    return int(page.locator("progress").first.get_attribute("value"))


@pytest.mark.browser
def test_guest_card_and_transfer_donations_move_the_progress_bar(
    app, browser, live_server, fake_stripe, make_project, make_user
):
    project = make_project(model="donation", goal_minor=100_000)
    treasurer, second = make_user("treasurer"), make_user("administrator")
    pid = project.id
    db.session.rollback()  # SQLite: never hold the write lock while the live server works
    fake_stripe.webhook_target = live_server  # Stripe's webhooks race the payer's return page
    # the real Stripe page is allowed by the CSP (checkout.stripe.com); the fake lives elsewhere
    guest = browser.new_context(bypass_csp=True)
    guest.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    page = guest.new_page()
    assert _progress(page, live_server, pid) == 0

    # by card, on the (fake) hosted page
    page.get_by_role("link", name="Donate").click()
    page.get_by_label("Amount (TJS)").fill("100")
    page.get_by_label("Card (secure payment page of Stripe)").check()
    page.get_by_label("Your email (for the receipt)").fill("guest@example.org")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Confirm my donation").click()
    page.wait_for_url(re.compile(r".*/pay/cs_.*"))
    page.get_by_role("button", name=re.compile("^Pay")).click()
    page.wait_for_url(re.compile(r".*/back/donations/.*"))
    assert page.get_by_test_id("donation-state").inner_text().strip().lower() in (
        "received",
        "ҷамъ шуд",
        "получено",
    )
    assert _progress(page, live_server, pid) == 10
    # the webhooks arrive too (in their own threads) and change nothing more
    deadline = time.time() + 10
    while time.time() < deadline and _count(StripeEvent) < len(fake_stripe.events):
        time.sleep(0.2)
    assert _count(StripeEvent) == len(fake_stripe.events) >= 3
    assert _count(JournalEntry) == 2  # the gift and its fee, once
    fake_stripe.webhook_target = None

    # by bank transfer: instructions with a reference code
    page.get_by_role("link", name="Donate").click()
    page.get_by_label("Amount (TJS)").fill("50")
    page.get_by_label("Bank transfer").check()
    page.get_by_label("Your email (for the receipt)").fill("guest@example.org")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Confirm my donation").click()
    page.wait_for_url(re.compile(r".*/back/donations/.*"))
    reference = page.locator(".ref-code").inner_text().strip()
    assert reference.startswith("D")
    assert _progress(page, live_server, pid) == 10

    # the treasurer records it; it does not count yet
    tctx = _staff_context(browser, app, treasurer, live_server)
    tp = tctx.new_page()
    tp.goto(f"{live_server}/payments/receipts/new?lang=en")
    tp.get_by_label("Bank or operator").fill("Sample Bank")
    tp.get_by_label("Transfer reference").fill("SB-2026-0001")
    tp.get_by_label("Sender").fill("Guest Donor")
    tp.get_by_label("Amount received").fill("50.00")
    tp.get_by_label("Backing reference code (from the payment's purpose)").fill(reference)
    tp.get_by_role("button", name="Record the receipt").click()
    tp.wait_for_url(re.compile(r".*/payments/receipts/\d+$"))
    receipt_url = tp.url
    assert _progress(page, live_server, pid) == 10

    # a second staff member confirms it
    sctx = _staff_context(browser, app, second, live_server)
    sp = sctx.new_page()
    sp.goto(receipt_url + "?lang=en")
    sp.get_by_role("button", name="Confirm and post to the ledger").click()
    sp.wait_for_load_state()
    assert sp.get_by_test_id("receipt-state").get_attribute("data-state") == "confirmed"
    assert _progress(page, live_server, pid) == 15
    for ctx in (guest, tctx, sctx):
        ctx.close()
