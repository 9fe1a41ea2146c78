"""The Plan's journey in a real browser, in Tajik, on a phone: an agency writes and submits its
quarterly report, the Ministry accepts it, and the public scorecard and point page show it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from fundapp.extensions import db
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _tajik_sign_in(page, base, email):
    page.goto(base + "/login")
    page.click("form.lang-switch button[value=tg]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "tg"
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_agency_report_to_public_scorecard(app, live_server, browser, plan, tmp_path):
    """Can an agency report in Tajik on a 375 px phone, the Ministry accept it, and a visitor see
    it on the point's public page — with no page wider than the phone?"""
    from fundapp.plan.models import PointReport

    base = live_server
    ids = {
        "point": plan.point.id,
        "centres": plan.centres.id,
        "story": plan.story.id,
        "reporter": plan.reporter.email,
        "reviewer": plan.reviewer.email,
    }
    db.session.rollback()  # hold no read transaction while the server writes (SQLite)
    phone = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}
    ctx = browser.new_context(**phone)
    page = ctx.new_page()
    _tajik_sign_in(page, base, ids["reporter"])
    page.goto(base + "/plan/my")
    assert _fits(page)
    page.click(f'a[href="/plan/points/{ids["point"]}/reports/2026/3"]')
    page.wait_for_load_state()
    # an empty submit lists every missing field at once, in Tajik
    page.click("#submit")
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    assert summary.count() == 1 and summary.locator("li").count() >= 3
    assert "Тавсиф кунед" in summary.inner_text()
    page.select_option("#language", "tg")
    page.fill(f"#value_{ids['centres']}", "1 200,5")
    page.fill(f"#note_{ids['story']}", "Курсҳои забони тоҷикӣ дар Маскав")
    page.fill("#narrative", "Ду маркази фарҳангӣ кушода шуд.")
    assert _fits(page)
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    page.click("#submit")
    page.wait_for_load_state()
    report = db.session.scalar(select(PointReport))
    assert report.state == "submitted" and report.value_for(ids["centres"]).actual_x100 == 120050
    report_id = report.id
    db.session.rollback()
    ctx.close()

    ctx = browser.new_context(**phone)
    page = ctx.new_page()
    _tajik_sign_in(page, base, ids["reviewer"])
    page.goto(base + "/plan/review")
    assert _fits(page)
    page.click(f'a[href="/plan/reports/{report_id}"]')
    page.wait_for_load_state()
    page.fill("#comment", "Қабул шуд, ташаккур.")
    page.click("#accept")
    page.wait_for_load_state()
    assert re.search(r"/plan/review$", page.url)
    ctx.close()

    ctx = browser.new_context(**phone)
    page = ctx.new_page()
    page.goto(base + "/plan")
    page.click("form.lang-switch button[value=tg]")
    page.wait_for_load_state()
    assert _fits(page)
    assert "Нақшаи чорабиниҳо" in page.locator("h1").inner_text()
    page.click(f'a[href="/plan/points/{ids["point"]}"]')
    page.wait_for_load_state()
    assert _fits(page)
    text = page.locator("main").inner_text()
    assert "Ду маркази фарҳангӣ кушода шуд." in text
    assert "1 200,5" in text.replace("\u00a0", " ").replace("\u202f", " ")
    page.screenshot(path=str(tmp_path / "point.png"), full_page=True)
    ctx.close()
