"""In a real browser on a 375-px phone, in Tajik: an organisation's admin creates an event and
publishes it, a member registers, and the admin checks the member in at the door by code."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from fundapp.events.models import Event
from fundapp.extensions import db
from tests.conftest import PASSWORD

from .conftest import local

pytestmark = pytest.mark.browser


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, page.url


def test_create_publish_register_and_check_in_on_a_phone_in_tajik(
    browser, live_server, make_user, org_factory
):
    """Can a Tajik-speaking organiser do the whole journey on a phone: create → publish → a member
    registers and gets a code → the organiser checks the code in at the door?"""
    admin = make_user("member", full_name="Рустам Назаров", preferred_language="tg")
    guest = make_user("member", full_name="Дилором Каримова", preferred_language="tg")
    org = org_factory("Анҷумани тоҷикони Қазон", admin=admin)
    admin_email, guest_email, org_id = admin.email, guest.email, org.id
    db.session.rollback()  # SQLite: every transaction holds the write lock; leave it to the server
    phone = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}
    organiser = browser.new_context(**phone).new_page()
    member = browser.new_context(**phone).new_page()
    try:
        _sign_in(organiser, live_server, admin_email)
        organiser.goto(f"{live_server}/events/new")
        assert organiser.locator("h1").inner_text() == "Эҷоди чорабинӣ"
        _no_sideways_scroll(organiser)
        organiser.select_option("#kind", "creative_evening")
        organiser.fill("#title_tg", "Шоми шеъри Бедил")
        organiser.select_option("#organisation_id", str(org_id))
        organiser.fill("#timezone", "Europe/Moscow")
        organiser.fill("#starts_at", local(3, 18))
        organiser.fill("#ends_at", local(3, 16))  # ends before it starts: said beside the field
        organiser.fill("#country", "RU")
        organiser.fill("#city", "Kazan")
        organiser.fill("#venue", "Хонаи дӯстӣ")
        organiser.fill("#capacity", "30")
        organiser.click("form.event-form button[type=submit]")
        assert "Чорабинӣ бояд пас аз оғозаш анҷом ёбад." in organiser.locator("#ends_at-error").inner_text()
        organiser.fill("#ends_at", local(3, 21))
        organiser.click("form.event-form button[type=submit]")
        organiser.wait_for_url(re.compile(r"/events/\d+$"))
        assert organiser.locator("h1").inner_text() == "Шоми шеъри Бедил"
        organiser.click("button:has-text('Нашр кардан')")
        assert "Чорабинӣ нашр шуд." in organiser.locator(".flashes").inner_text()
        _no_sideways_scroll(organiser)
        event_url = organiser.url

        _sign_in(member, live_server, guest_email)
        member.goto(event_url)
        member.click("#register button[type=submit]")
        member.wait_for_load_state()
        assert "Шумо сабти ном шудед." in member.locator("#my-registration").inner_text()
        code = member.locator(".event-ticket .ref-code").inner_text().strip()
        assert re.fullmatch(r"[A-Z2-9]{8}", code)
        assert member.locator(".event-ticket .qr svg").count() == 1
        _no_sideways_scroll(member)

        event_id = int(event_url.rsplit("/", 1)[1])
        event = db.session.get(Event, event_id)
        event.starts_at = datetime.now(UTC) + timedelta(hours=1)  # the evening has come
        event.ends_at = event.starts_at + timedelta(hours=3)
        db.session.commit()

        organiser.click("a:has-text('Қайди иштирокчиён дар даромадгоҳ')")
        assert organiser.locator("h1").inner_text() == "Қайд дар даромадгоҳ"
        organiser.fill("#code", code.lower())
        organiser.click("form.event-door button[type=submit]")
        organiser.wait_for_load_state()
        assert "Дилором Каримова қайд шуд" in organiser.locator(".flashes").inner_text()
        assert organiser.locator(".event-door-count").inner_text() == "Аз 1 нафар 1 нафар омаданд."
        _no_sideways_scroll(organiser)
        organiser.screenshot(path=str(_shot_dir() / "events-door-tg-375.png"), full_page=True)
    finally:
        organiser.context.close()
        member.context.close()


def _shot_dir():
    import tempfile
    from pathlib import Path

    return Path(tempfile.gettempdir())
