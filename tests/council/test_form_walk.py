"""A walk of the Council forms: each submitted empty and with one bad field, by an administrator,
reports every problem in one 400 answer, keeps what was typed and writes nothing."""

from __future__ import annotations

import html

from sqlalchemy import func, select

from fundapp.council.models import CouncilDecision, ExchangeRate
from fundapp.extensions import db
from tests.conftest import login_as


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _post(app, user, url, data):
    c = app.test_client()
    login_as(c, user)
    r = c.post(url, data=data)
    return r, html.unescape(r.get_data(as_text=True))


def test_an_empty_decision_reports_every_required_field_at_once(app, cast):
    """Is an empty decision refused with the number, the date and the agenda item in one answer?"""
    r, page = _post(app, cast.admin, "/council/new", {})
    assert r.status_code == 400 and "error-summary" in page
    for message in (
        "Enter the decision's number.",
        "Enter the date of the decision.",
        "Enter the agenda item.",
    ):
        assert message in page, message
    for name in ("number", "decided_on", "agenda_item"):
        assert f'href="#{name}"' in page, name
    assert _count(CouncilDecision) == 0


def test_a_decision_with_bad_votes_and_date_reports_both_and_keeps_the_rest(app, cast):
    """Are an unreadable date and votes over the bound told together, with the number and agenda
    item kept as typed?"""
    data = {"number": "3/2026", "decided_on": "20.11.2026", "agenda_item": "Roads", "votes_against": "5000"}
    r, page = _post(app, cast.admin, "/council/new", data)
    assert r.status_code == 400
    assert "Enter a date as YYYY-MM-DD." in page and "Enter a number from 0 to 1000." in page
    assert 'href="#decided_on"' in page and 'href="#votes_against"' in page
    assert 'value="3/2026"' in page and 'value="Roads"' in page
    assert _count(CouncilDecision) == 0


def test_a_future_date_from_the_service_is_shown_beside_the_date(app, cast):
    """Is the service's refusal of a date in the future put beside the date field?"""
    data = {"number": "4/2026", "decided_on": "2999-01-01", "agenda_item": "Later"}
    r, page = _post(app, cast.admin, "/council/new", data)
    assert r.status_code == 400
    assert "The decision cannot be dated in the future." in page and 'href="#decided_on"' in page
    assert _count(CouncilDecision) == 0


def test_an_empty_rate_reports_every_field_at_once(app, cast):
    """Is an empty exchange rate refused with all four fields in one answer?"""
    r, page = _post(app, cast.admin, "/council/rates", {})
    assert r.status_code == 400
    for name in ("currency", "rate", "valid_from", "source"):
        assert f'href="#{name}"' in page, name
    r, page = _post(
        app,
        cast.admin,
        "/council/rates",
        {"currency": "USD", "rate": "ten", "valid_from": "2026-01-01", "source": "NBT"},
    )
    assert r.status_code == 400 and 'href="#rate"' in page and 'value="NBT"' in page
    assert _count(ExchangeRate) == 0
