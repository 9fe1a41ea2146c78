"""In a real browser, with no card payments configured: two members pledge by transfer, the
campaign closes funded, one backer finds the bank details and reference on "My backing" and pays;
a treasurer records the transfer (short by a bank fee), a second staff member confirms it and the
pledge is collected; the other pledge lapses after its deadline."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from fundapp.extensions import db
from fundapp.funding.models import Pledge
from fundapp.proposals.models import Project
from tests.conftest import login_as


def _context(browser, app, user, base):
    c = app.test_client()
    login_as(c, user)
    cookie = c.get_cookie("session")
    db.session.rollback()  # SQLite: never hold the write lock while the live server works
    ctx = browser.new_context()
    ctx.add_cookies(
        [
            {"name": "session", "value": cookie.value, "url": base},
            {"name": "lang", "value": "en", "url": base},
        ]
    )
    return ctx


def _pledge(page, base, pid, amount):
    page.goto(f"{base}/back/projects/{pid}/pledge?lang=en")
    page.get_by_label("Amount (TJS)").fill(amount)
    assert page.get_by_label(re.compile("By bank or money transfer")).is_checked()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Confirm my pledge").click()
    page.wait_for_url(re.compile(rf".*/back/projects/{pid}/pledge$"))
    assert page.get_by_test_id("my-pledge-state").inner_text().strip() == "Pledged"


def _cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.rollback()
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.browser
def test_pledge_by_transfer_from_promise_to_collection_and_lapse(
    app, browser, live_server, make_project, make_user
):
    project = make_project(model="pledge", goal_minor=100_000)
    pid = project.id
    payer, forgetful = make_user(preferred_language="en"), make_user(preferred_language="en")
    treasurer, second = make_user("treasurer"), make_user("administrator")
    db.session.rollback()
    payer_ctx = _context(browser, app, payer, live_server)
    forgetful_ctx = _context(browser, app, forgetful, live_server)
    pp, fp = payer_ctx.new_page(), forgetful_ctx.new_page()
    _pledge(pp, live_server, pid, "600")
    _pledge(fp, live_server, pid, "400")

    # the campaign ends with its goal met by the two promises
    p = db.session.get(Project, pid)
    p.campaign_ends_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    assert "funded" in _cli(app, "campaigns", "close")

    # the backer sees what to do on "My backing" and follows it to the bank details
    pp.goto(f"{live_server}/back/mine?lang=en")
    notice = pp.locator("[data-testid^='pledge-to-pay-']")
    assert "reached its goal" in notice.inner_text()
    notice.get_by_role("link", name="How to pay").click()
    reference = pp.get_by_test_id("pledge-reference").inner_text().strip()
    assert reference.startswith("P") and "Beneficiary" in pp.content()

    # the transfer arrives less a bank fee; one treasurer records it, a second confirms it
    tctx = _context(browser, app, treasurer, live_server)
    tp = tctx.new_page()
    tp.goto(f"{live_server}/payments/receipts/new?lang=en")
    tp.get_by_label("Money-transfer operator").check()
    tp.get_by_label("Bank or operator").fill("Zolotaya Korona")
    tp.get_by_label("Transfer reference").fill("ZK-2026-0042")
    tp.get_by_label("Sender").fill("Payer")
    tp.get_by_label("Amount received").fill("599.50")
    tp.get_by_label("Backing reference code (from the payment's purpose)").fill(reference)
    tp.get_by_role("button", name="Record the receipt").click()
    tp.wait_for_url(re.compile(r".*/payments/receipts/\d+$"))
    receipt_url = tp.url
    assert "0.50" in tp.get_by_test_id("receipt-fee").inner_text()
    sctx = _context(browser, app, second, live_server)
    sp = sctx.new_page()
    sp.goto(receipt_url + "?lang=en")
    sp.get_by_role("button", name="Confirm and post to the ledger").click()
    sp.wait_for_load_state()
    assert sp.get_by_test_id("receipt-state").get_attribute("data-state") == "confirmed"
    pp.goto(f"{live_server}/back/mine?lang=en")
    payer_pledge = db.session.query(Pledge).filter_by(backer_id=payer.id).one()
    assert pp.get_by_test_id(f"pledge-state-{payer_pledge.id}").inner_text().strip() == "Collected"

    # the other pledge is not paid by its deadline and lapses
    other = db.session.query(Pledge).filter_by(backer_id=forgetful.id).one()
    other.grace_until = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    assert "lapsed pledges: 1" in _cli(app, "campaigns", "lapse")
    fp.goto(f"{live_server}/back/mine?lang=en")
    assert fp.get_by_test_id(f"pledge-state-{other.id}").inner_text().strip() == "Not paid"
    db.session.rollback()
    for ctx in (payer_ctx, forgetful_ctx, tctx, sctx):
        ctx.close()
