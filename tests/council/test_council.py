"""Coordination Council decisions: public, recorded by administrators, with public minutes."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from fundapp.core.errors import NotPermitted, ValidationFailed
from fundapp.council import services
from fundapp.council.models import CouncilDecision
from fundapp.extensions import db
from tests.conftest import login_as

PDF = b"%PDF-1.4\n% minutes\n%%EOF\n"


def record(actor, **kw):
    data = {
        "number": "7/2026",
        "decided_on": date(2026, 11, 20),
        "agenda_item": "Водопровод в Айни",
        "summary": "Одобрить проект.",
        "votes_for": "9",
        "votes_against": "1",
        "votes_abstained": "2",
        **kw,
    }
    return services.record_decision(actor=actor, **data)


def test_an_administrator_records_a_decision_with_public_minutes(app, cast, client):
    """Does an administrator's form record the decision with its votes and a PDF of the minutes that
    anyone can download from the public pages?"""
    c = app.test_client()
    login_as(c, cast.admin)
    r = c.post(
        "/council/new",
        data={
            "number": "7/2026",
            "decided_on": "2026-11-20",
            "agenda_item": "Водопровод в Айни",
            "votes_for": "9",
            "votes_against": "1",
            "votes_abstained": "2",
            "minutes": (io.BytesIO(PDF), "minutes.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    decision = db.session.query(CouncilDecision).one()
    assert (decision.votes_for, decision.votes_against, decision.votes_abstained) == (9, 1, 2)
    assert decision.carried and decision.minutes_file.is_public
    listing = client.get("/council").get_data(as_text=True)
    assert "7/2026" in listing and "Водопровод в Айни" in listing
    detail = client.get(f"/council/{decision.id}")
    assert detail.status_code == 200
    assert client.get(f"/files/{decision.minutes_file_id}").data == PDF


def test_members_cannot_record_decisions(app, cast, client_for):
    """Is the form 403 to members and the service refused for non-administrators?"""
    c, member = client_for("member")
    assert c.get("/council/new").status_code == 403
    with pytest.raises(NotPermitted):
        record(member)
    with pytest.raises(NotPermitted):
        record(cast.auditor)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("number", ""),
        ("number", "x" * 41),
        ("agenda_item", ""),
        ("votes_for", "-1"),
        ("votes_against", "many"),
        ("decided_on", None),
        ("decided_on", date.today() + timedelta(days=2)),
    ],
)
def test_bad_decisions_are_refused_with_the_field_named(app, cast, field, value):
    """Are an empty or over-long number, a missing agenda item, negative or non-numeric votes and a
    missing or future date refused, naming the field?"""
    with pytest.raises(ValidationFailed) as err:
        record(cast.admin, **{field: value})
    assert err.value.field == field


def test_numbers_are_unique_and_minutes_must_be_pdf(app, cast):
    """Is a second decision with the same number refused, and minutes that are not a PDF?"""
    from werkzeug.datastructures import FileStorage

    record(cast.admin)
    with pytest.raises(ValidationFailed) as err:
        record(cast.admin)
    assert err.value.field == "number"
    with pytest.raises(ValidationFailed) as err:
        record(cast.admin, number="8/2026", minutes=FileStorage(io.BytesIO(b"<html>"), "m.pdf"))
    assert err.value.field == "minutes"


def test_the_decision_page_links_the_projects_it_approved(app, cast, project_in, client):
    """Once a project approved under a decision is published, does the decision page link to it?"""
    from fundapp.proposals import services as ps
    from fundapp.proposals.factories import complete_reviews

    project = project_in("in_review", goal="90000")
    decision = record(cast.admin, projects=[project])
    complete_reviews(project, [cast.reviewer1, cast.reviewer2], admin=cast.admin)
    ps.approve_proposal(project, actor=cast.admin, council_decision=decision)
    db.session.commit()
    assert project.title not in client.get(f"/council/{decision.id}").get_data(as_text=True)
    ps.open_campaign(project, actor=cast.admin)
    db.session.commit()
    assert project.title in client.get(f"/council/{decision.id}").get_data(as_text=True)
    assert "7/2026" in client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert client.get("/council/99999").status_code == 404
