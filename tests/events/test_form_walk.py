"""A walk of the events forms: each submitted empty and with one bad field, as the person who may use
it, reports every problem in one 400 answer, keeps what was typed and writes nothing."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from fundapp.events.models import Event, EventPhoto, EventReport, Registration
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


def _reported(response, ids) -> str:
    page = _page(response)
    assert response.status_code == 400
    assert "error-summary" in page
    for name in ids:
        assert f'id="{name}-error"' in page, name  # beside the field
        assert f'href="#{name}"' in page, name  # and linked from the summary
    return page


def test_registration_reports_every_error_at_once_and_writes_nothing(app, cast, make_event):
    """A member registers with guests that are not a number and an answer too long: both are
    reported beside their fields in one 400, the event's page is shown again with what was typed,
    and nobody is registered; too many guests (the service's rule) is reported the same way."""
    event = make_event(questions="Your city?\nWhat do you bring?")
    first, second = (f"q{q.id}" for q in event.questions)
    c = app.test_client()
    login_as(c, cast.member)
    before = _count(Registration)
    r = c.post(f"/events/{event.id}/register", data={"guests": "many", first: "x" * 1001, second: "songs"})
    page = _reported(r, ["guests", first])
    assert 'value="many"' in page and "songs</textarea>" in page
    assert _count(Registration) == before
    r = c.post(f"/events/{event.id}/register", data={"guests": "9", first: "Kazan"})
    page = _reported(r, ["guests"])
    assert "Kazan</textarea>" in page and 'value="9"' in page
    assert _count(Registration) == before


def test_postponing_without_a_reason_is_reported_beside_it(app, cast, make_event):
    """Postponing with no reason answers 400 on the event's page with the error beside the
    postpone form's reason; the event stays published."""
    event = make_event()
    c = app.test_client()
    login_as(c, cast.org_admin)
    r = c.post(f"/events/{event.id}/state", data={"action": "postpone", "reason": ""})
    _reported(r, ["reason-postpone"])
    db.session.expire_all()
    assert db.session.get(Event, event.id).state == "published"
    r = c.post(f"/events/{event.id}/state", data={"action": "cancel", "reason": "x" * 2001})
    _reported(r, ["reason-cancel"])
    db.session.expire_all()
    assert db.session.get(Event, event.id).state == "published"


def test_a_photo_sent_without_a_file_is_reported_beside_it(app, cast, make_event):
    """The photo form sent with no file (and a caption) answers 400 on the report page with the
    error beside the file field and the caption kept; no photo is written."""
    event = make_event()
    move_event(event, start=datetime.now(UTC) - timedelta(days=2))
    c = app.test_client()
    login_as(c, cast.org_admin)
    assert (
        c.post(f"/events/{event.id}/report", data={"summary": "We sang.", "attendance": "12"}).status_code
        == 303
    )
    before = _count(EventPhoto)
    r = c.post(f"/events/{event.id}/photos", data={"caption": "The choir"})
    page = _reported(r, ["photo"])
    assert 'value="The choir"' in page
    assert _count(EventPhoto) == before
