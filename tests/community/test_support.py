"""Support requests: asking, the staff's steps (each audited and mailed), a linked project for
money, and who may see a request."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fundapp.audit.models import AuditEvent
from fundapp.community import support
from fundapp.community.forms import parse_budget
from fundapp.community.models import SupportRequest
from fundapp.core.errors import InvalidTransition, NotPermitted
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.mail.models import OutboxMessage
from tests.conftest import login_as


def _form(org_id="", **over):
    data = {
        "organisation_id": str(org_id),
        "kind": "library",
        "title": "Books for our Tajik library",
        "description": "Two hundred children come every Saturday.",
        "needs": "300 books in Tajik",
        "budget": "1500.50",
        "currency": "USD",
    }
    data.update(over)
    return data


def test_the_whole_road_of_a_request(app, people, make_org):
    """Submit → take on → ask for more → answer → resolve: does each step change the state, write
    an audit row and mail the other side, and does a linked project show its state?"""
    org = make_org()
    c = app.test_client()
    login_as(c, people.founder)
    assert c.post("/support/new", data=_form(org.id)).status_code == 303
    req = db.session.scalar(select(SupportRequest))
    assert req.budget == Money(150050, "USD") and req.status == "submitted"
    staff = app.test_client()
    login_as(staff, people.staff)
    staff.post(f"/support/{req.id}/take")
    staff.post(f"/support/{req.id}/ask", data={"note": "Which publisher?"})
    db.session.expire_all()
    assert db.session.get(SupportRequest, req.id).status == "info_requested"
    c.post(f"/support/{req.id}/answer", data={"answer": "Maorif publishers."})
    db.session.expire_all()
    assert db.session.get(SupportRequest, req.id).status == "in_progress"
    staff.post(f"/support/{req.id}/resolve", data={"note": ""})
    db.session.expire_all()
    assert db.session.get(SupportRequest, req.id).status == "in_progress"  # a note is required
    staff.post(f"/support/{req.id}/resolve", data={"note": "Books sent with the embassy."})
    db.session.expire_all()
    assert db.session.get(SupportRequest, req.id).status == "resolved"
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "community_support_requests")
    )
    assert {
        "community.submit_support_request",
        "community.assign_support_request",
        "community.ask_support_request",
        "community.answer_support_request",
        "community.resolve_support_request",
    } <= set(actions)
    bodies = [
        m.body_text
        for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == people.founder.email)
        )
    ]
    assert any("Which publisher?" in b for b in bodies) and any("embassy" in b for b in bodies)
    with pytest.raises(InvalidTransition):
        support.close(db.session.get(SupportRequest, req.id), people.staff, "decline", "late")


def test_money_goes_through_a_linked_project(app, people, make_org):
    """May the requester link only their own project, and does the request show its state?"""
    from fundapp.proposals.factories import create_complete_draft

    mine = create_complete_draft(people.founder)
    theirs = create_complete_draft(people.second)
    db.session.commit()
    req = support.submit_request(people.founder, _form())
    db.session.commit()
    c = app.test_client()
    login_as(c, people.founder)
    c.post(f"/support/{req.id}/project", data={"project_id": str(theirs.id)})
    db.session.expire_all()
    assert db.session.get(SupportRequest, req.id).project_id is None
    c.post(f"/support/{req.id}/project", data={"project_id": str(mine.id)})
    db.session.expire_all()
    assert db.session.get(SupportRequest, req.id).project_id == mine.id
    page = c.get(f"/support/{req.id}").get_data(as_text=True)
    assert mine.title in page and "Draft" in page


def test_who_sees_a_request(app, people):
    """Is a request private to its requester, staff and auditors (404 to others), and are staff
    steps refused to the requester?"""
    req = support.submit_request(people.founder, _form())
    db.session.commit()
    other = app.test_client()
    login_as(other, people.stranger)
    assert other.get(f"/support/{req.id}").status_code == 404
    assert app.test_client().get(f"/support/{req.id}").status_code == 302
    auditor = app.test_client()
    login_as(auditor, people.auditor)
    assert auditor.get(f"/support/{req.id}").status_code == 200
    own = app.test_client()
    login_as(own, people.founder)
    assert own.post(f"/support/{req.id}/take").status_code == 403
    with pytest.raises(NotPermitted):
        support.take_on(req, people.founder)


@pytest.mark.parametrize(
    "over,field",
    [
        ({"budget": "12,3.4"}, "budget"),
        ({"budget": "0"}, "budget"),
        ({"budget": "1.001"}, "budget"),
        ({"budget": "-5"}, "budget"),
        ({"kind": "rocket"}, "kind"),
        ({"title": ""}, "title"),
        ({"organisation_id": "999"}, "organisation_id"),
    ],
)
def test_bad_input_changes_nothing(app, people, over, field):
    """Is each bad value refused (400, a message by its field) with no request stored?"""
    c = app.test_client()
    login_as(c, people.founder)
    r = c.post("/support/new", data=_form(**over))
    assert r.status_code == 400 and b"field-error" in r.data
    assert db.session.scalar(select(func.count(SupportRequest.id))) == 0


def test_parse_budget_is_strict():
    """Does the local budget parser read exact amounts and refuse everything else?"""
    assert parse_budget("", "TJS") is None
    assert parse_budget("1 234,50", "TJS") == Money(123450, "TJS")
    for bad in ("abc", "1e5", "NaN", "0.00", "1.234"):
        with pytest.raises(ValueError):
            parse_budget(bad, "TJS")
