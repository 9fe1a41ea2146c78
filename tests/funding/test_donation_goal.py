"""The rule for donations: a campaign that has received its whole goal is funded at once (it closes
early), so its author may ask for payouts; until then the page and the payout form say the rule."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fundapp.core.errors import InvalidTransition
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.funding import donations, settlement
from fundapp.funding import totals as funding_totals
from fundapp.funding.models import CampaignSettlement
from fundapp.ledger import services as ledger
from tests.conftest import login_as


def _give(project, minor, user=None):
    donation = donations.start_donation(
        project, amount=Money(minor, "TJS"), method="bank", email="giver@example.org", backer=user
    )
    db.session.commit()
    return donation


def test_a_donation_campaign_closes_when_it_has_received_its_goal(app, make_project, make_user):
    """Does a donation campaign stay open below its goal, become funded the moment the money
    received reaches the goal (once, with its timeline note), refuse new donations, and still
    receive a transfer started before it closed?"""
    project = make_project(model="donation", goal_minor=100_000)
    first, late = _give(project, 60_000), _give(project, 10_000)
    donations.receive_donation(first, via="bank")
    db.session.commit()
    assert project.state == "fundraising"
    second = _give(project, 40_000)
    donations.receive_donation(second, via="bank")
    db.session.commit()
    db.session.refresh(project)
    assert project.state == "funded" and project.closed_at is not None
    claim = db.session.scalars(select(CampaignSettlement)).one()
    assert claim.outcome == "funded" and claim.counted_minor == 100_000
    assert [e.text for e in project.timeline if e.kind == "mark_funded"] == [
        "campaign closed early: goal received"
    ]
    with pytest.raises(InvalidTransition):
        donations.check_donation(project, amount=Money(5_000, "TJS"), method="bank", email="x@example.org")
    donations.receive_donation(late, via="bank")  # already on its way: received and counted
    db.session.commit()
    assert funding_totals.project_totals(project)["raised"] == Money(110_000, "TJS")
    assert ledger.balance(ledger.project_account(project.id, "TJS")) == Money(110_000, "TJS")
    assert db.session.scalars(select(CampaignSettlement)).one().id == claim.id
    assert settlement.close_due_campaigns()["settled"] == []


def test_the_page_and_the_payout_form_say_the_rule(app, make_project, make_user):
    """While the campaign runs, do the project page and the author's payout form say when it becomes
    funded; once the goal is received, does the page say it closed early, in Tajik too, and may
    the author ask for a payout?"""
    owner = make_user()
    project = make_project(model="donation", goal_minor=100_000)
    project.owner_id = owner.id
    db.session.commit()
    c = app.test_client()
    login_as(c, owner)
    page = c.get(f"/projects/{project.id}?lang=en").get_data(as_text=True)
    assert "A donation campaign is funded as soon as it has received its goal" in page
    r = c.get(f"/projects/{project.id}/disbursements/new?lang=en", follow_redirects=True)
    text = r.get_data(as_text=True)
    assert "once the project is funded" in text and "funded as soon as it has received its goal" in text
    donations.receive_donation(_give(project, 100_000), via="bank")
    db.session.commit()
    page = c.get(f"/projects/{project.id}?lang=en").get_data(as_text=True)
    assert "The campaign closed early on" in page and 'href="/back/projects' not in page
    assert c.get(f"/projects/{project.id}/disbursements/new?lang=en").status_code == 200
    tajik = c.get(f"/projects/{project.id}?lang=tg").get_data(as_text=True)
    assert "The campaign closed early" not in tajik and "campaign closed early" not in tajik


def test_campaigns_that_reached_their_goal_before_are_closed_by_the_closer(app, make_project):
    """A donation campaign that already holds its goal while still open (from before the rule) is
    closed by the next run of the campaign closer, not left open until its end."""
    project = make_project(model="donation", goal_minor=50_000)
    donation = _give(project, 50_000)
    project.state = "approved"  # receive it as if the rule did not exist yet
    db.session.commit()
    donations.receive_donation(donation, via="bank")
    project.state = "fundraising"
    db.session.commit()
    assert settlement.close_due_campaigns()["settled"] == [(project.id, "funded")]
    db.session.refresh(project)
    assert project.state == "funded"
