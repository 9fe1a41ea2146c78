"""A Council decision is about named projects: only they may cite it, the form records them, and
the database refuses any other citation."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from fundapp.core.errors import ValidationFailed
from fundapp.council import services
from fundapp.extensions import db
from fundapp.proposals.factories import complete_reviews
from fundapp.proposals.models import Project
from tests.conftest import login_as


def _record(admin, number, projects=()):
    return services.record_decision(
        actor=admin,
        number=number,
        decided_on=date(2026, 11, 20),
        agenda_item="Projects of compatriots",
        votes_for=9,
        votes_against=1,
        projects=projects,
    )


def test_a_project_cites_only_a_decision_about_it(app, cast, project_in):
    """Is another project's decision refused for an approval with a clear message naming it, while
    the project's own decision is accepted?"""
    from fundapp.proposals import services as ps

    mine = project_in("in_review", goal="90000")
    other = project_in("in_review", goal="90000")
    complete_reviews(mine, [cast.reviewer1, cast.reviewer2], admin=cast.admin)
    others = _record(cast.admin, "5/2026", projects=[other])
    db.session.commit()
    with pytest.raises(ValidationFailed) as err:
        ps.approve_proposal(mine, actor=cast.admin, council_decision=others)
    assert err.value.field == "council_decision"
    assert "5/2026 is not about this project" in str(err.value.message)
    db.session.rollback()
    own = _record(cast.admin, "6/2026", projects=[mine])
    ps.approve_proposal(mine, actor=cast.admin, council_decision=own)
    db.session.commit()
    assert mine.state == "approved" and mine.council_decision_id == own.id


def test_the_database_refuses_citing_another_projects_decision(app, cast, project_in):
    """Even written directly, past the services, is a citation of a decision about another project
    refused by the database?"""
    mine = project_in("in_review")
    other = project_in("in_review")
    decision = _record(cast.admin, "7/2026", projects=[other])
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(Project).where(Project.id == mine.id).values(council_decision_id=decision.id)
        )
        db.session.flush()
    db.session.rollback()
    db.session.execute(update(Project).where(Project.id == other.id).values(council_decision_id=decision.id))
    db.session.commit()
    assert db.session.get(Project, other.id).council_decision_id == decision.id


def test_the_form_records_the_projects_and_the_page_offers_only_their_decisions(app, cast, project_in):
    """Does the administrator's form record which projects a decision is about, and does the
    approval form of a project offer only decisions about it, refusing another's over HTTP?"""
    mine = project_in("in_review", goal="90000")
    other = project_in("in_review", goal="90000")
    complete_reviews(mine, [cast.reviewer1, cast.reviewer2], admin=cast.admin)
    db.session.commit()
    c = app.test_client()
    login_as(c, cast.admin)
    form = c.get("/council/new?lang=en").get_data(as_text=True)
    assert f'<option value="{mine.id}"' in form and "Projects the decision is about" in form
    r = c.post(
        "/council/new",
        data={"number": "8/2026", "decided_on": "2026-11-20", "agenda_item": "Water", "votes_for": "5",
              "votes_against": "0", "projects": [str(other.id)]},
    )  # fmt: skip
    assert r.status_code == 303
    r = c.post(
        "/council/new?lang=en",
        data={"number": "9/2026", "decided_on": "2026-11-20", "agenda_item": "X", "projects": ["999999"]},
    )
    assert r.status_code == 400 and "Choose the projects from the list." in r.get_data(as_text=True)
    decision = services.decisions_about(other)[0]
    assert decision.number == "8/2026" and services.decisions_about(mine) == []
    page = c.get(f"/projects/{mine.id}?lang=en").get_data(as_text=True)
    assert "8/2026" not in page and "No Council decision names this project yet" in page
    r = c.post(
        f"/projects/{mine.id}/transition?lang=en",
        data={"transition": "approve_proposal", "council_decision": str(decision.id)},
        follow_redirects=True,
    )
    assert "8/2026 is not about this project" in r.get_data(as_text=True)
    db.session.refresh(mine)
    assert mine.state == "in_review"
