"""A walk of the events forms: each submitted empty and with one bad field, as the person who may use
it, reports every problem in one 400 answer, keeps what was typed and writes nothing."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from fundapp.events.models import Event, EventReport, Registration
from fundapp.extensions import db
from tests.conftest import login_as

from .conftest import event_form, move_event


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_an_empty_event_form_reports_every_required_field_at_once(app, cast):
    c = app.test_client()
    login_as(c, cast.org_admin)
    before = _count(Event)
    r = c.post("/events/new", data={})
    page = _page(r)
    assert r.status_code == 400
    for message in (
        "Choose the kind of event.",
        "Give the event a title in at least one language.",
        "Choose the organisation holding the event.",
        "Choose a time zone from the list",
        "Enter a date and time.",
        "Enter a whole number.",
        "Choose a country.",
        "Enter the city.",
        "Enter the venue, or an online link.",
    ):
        assert message in page, message
    assert "error-summary" in page
    for name in ("kind", "title_tg", "organisation_id", "timezone", "starts_at", "ends_at", "capacity"):
        assert f'href="#{name}"' in page, name
    assert _count(Event) == before


def test_one_bad_field_is_reported_and_the_rest_is_kept(app, cast):
    c = app.test_client()
    login_as(c, cast.org_admin)
    before = _count(Event)
    r = c.post("/events/new", data=event_form(organisation_id=str(cast.org.id), capacity="many"))
    page = _page(r)
    assert r.status_code == 400
    assert "Enter a whole number." in page and 'href="#capacity"' in page
    assert 'value="Poetry evening"' in page and 'value="House of Nationalities"' in page
    assert _count(Event) == before


def test_several_rule_errors_come_together(app, cast):
    c = app.test_client()
    login_as(c, cast.staff)
    r = c.post(
        "/events/new",
        data=event_form(
            timezone="Europe/Atlantis", capacity="0", online_url="ftp://x", title_tg="", title_en=""
        ),
    )
    page = _page(r)
    assert r.status_code == 400
    for message in (
        "Choose a time zone from the list",
        "Enter a number from 1 to 100000.",
        "The online link must start with https://.",
        "Give the event a title in at least one language.",
    ):
        assert message in page, message
    assert _count(Event) == 0


def test_the_report_form_empty_and_with_one_bad_field(app, cast, make_event):
    event = make_event()
    move_event(event, start=datetime.now(UTC) - timedelta(days=2))
    c = app.test_client()
    login_as(c, cast.org_admin)
    before = _count(EventReport)
    r = c.post(f"/events/{event.id}/report", data={})
    page = _page(r)
    assert r.status_code == 400
    assert "Write a short summary." in page and "Enter a whole number." in page
    assert 'href="#summary"' in page and 'href="#attendance"' in page
    r = c.post(f"/events/{event.id}/report", data={"summary": "We sang.", "attendance": "-4"})
    page = _page(r)
    assert r.status_code == 400 and "We sang." in page
    assert _count(EventReport) == before


def test_the_door_refuses_an_unknown_code_and_writes_nothing(app, cast, make_event):
    event = make_event()
    move_event(event, start=datetime.now(UTC) + timedelta(hours=1))
    c = app.test_client()
    login_as(c, cast.org_admin)
    before = _count(Registration)
    r = c.post(f"/events/{event.id}/door", data={"code": "NOPE2345"})
    assert r.status_code == 400 and "No registration has this code." in _page(r)
    assert _count(Registration) == before
