"""In a real browser: an approval stopped by the step-up is finished by the code alone (the 307
replay keeps the POST), with the comment typed before, and CSRF on."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pyotp
from sqlalchemy import select

from fundapp.audit.models import AuditEvent
from fundapp.extensions import db
from tests.conftest import PASSWORD


def test_the_code_finishes_the_approval_in_a_browser(app, cast, requested, live_server, phone_page):
    """At 375 px in Tajik: sign in, let the step-up window pass, approve with a comment, give the
    code — is the request approved with that comment, without clicking Approve again, and does the
    step-up page fit the phone?"""
    app.config["WTF_CSRF_ENABLED"] = True
    app.config["STEP_UP_WINDOW"] = timedelta(seconds=2)
    req = requested()
    req_id, email, secret = req.id, cast.admin.email, cast.admin.totp_secret
    db.session.rollback()
    totp = pyotp.TOTP(secret)
    page = phone_page
    page.goto(f"{live_server}/login?lang=tg")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(re.compile(r"/login/code"))
    page.fill("#code", totp.at(datetime.now(UTC) - timedelta(seconds=30)))  # the step before now
    page.click("form.stack button[type=submit]")
    page.wait_for_url(re.compile(r"/me$"))
    time.sleep(3)  # the step-up window has passed
    page.goto(f"{live_server}/disbursements/{req_id}")
    page.fill("#comment", "Ҳисобнома бо шартнома санҷида шуд.")
    page.locator(f"form[action$='/disbursements/{req_id}/approve'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/account/confirm-it-is-you"))
    assert page.locator("[data-testid=step-up-waiting]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.fill("#code", totp.now())
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/disbursements/{req_id}$"))
    db.session.expire_all()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "disbursement.approved")).one()
    assert event.reason == "Ҳисобнома бо шартнома санҷида шуд."
