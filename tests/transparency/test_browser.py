"""The dashboard on a phone, in Tajik, in a real browser (Chromium through Playwright)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect


@pytest.mark.browser
def test_dashboard_on_a_phone_in_tajik(live_server, phone_page, books, project_in):
    """On a 375 px wide phone in Tajik: is the dashboard in Tajik, are the totals and the charts
    there without sideways scrolling, and can the numbers behind a chart be opened?"""
    p = project_in("fundraising", home_district="khujand", title="Мактаби рақами 5 дар Хуҷанд")
    books.donate(p, 987_654_321)
    books.donate(p, 40_000, channel="stripe_clearing")
    books.disburse(p, 90_000)
    books.seal()

    page = phone_page
    page.goto(f"{live_server}/transparency?lang=tg")
    assert page.locator("html").get_attribute("lang") == "tg"
    assert page.locator("h1").inner_text() == "Пул ба куҷо меравад"
    assert page.locator('[data-total="received-TJS"]').inner_text().replace("\u00a0", " ").endswith("TJS")
    charts = page.locator('svg[role="img"]')
    assert charts.count() >= 6
    first = charts.first
    assert first.is_visible()
    box = first.bounding_box()
    assert box["width"] <= 375
    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not wide, "the dashboard scrolls sideways on a phone"
    card = page.locator(".totals-card").first.bounding_box()
    for amount in page.locator(".totals-card [data-total]").all():
        b = amount.bounding_box()
        assert b["x"] + b["width"] <= card["x"] + card["width"] + 1, "an amount sticks out of its card"
    details = page.locator("details.chart-numbers").first
    details.locator("summary").click()
    assert details.locator("table").is_visible()
    expect(page.locator("body")).to_contain_text("Мактаби рақами 5")


@pytest.mark.browser
def test_verify_page_and_its_specification_fit_a_phone(live_server, phone_page, books, project_in, tmp_path):
    """On a 375 px phone, with the specification opened, does the verify page (long hashes, the
    signed note, the format's code blocks and tables) stay without sideways scrolling?"""
    p = project_in("fundraising")
    books.donate(p, 5_000)
    books.seal()
    page = phone_page
    page.goto(f"{live_server}/api/v1/ledger/checkpoint")
    page.goto(f"{live_server}/transparency/verify?lang=ru")
    page.locator(".ledger-format details").evaluate("d => { d.open = true }")
    assert page.locator(".ledger-format table").first.is_visible()
    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    page.screenshot(path=str(tmp_path / "verify.png"), full_page=True)
    assert not wide, "the verify page scrolls sideways on a phone"
