"""Pledges by transfer when card payments are configured too."""

import pytest
from sqlalchemy import select

from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.funding import services as funding
from fundapp.funding.models import Pledge, PledgeState
from tests.conftest import login_as


@pytest.fixture
def app(stripe_app):
    return stripe_app


def test_with_cards_on_a_backer_may_still_choose_a_transfer(app, make_project, make_user):
    """When card payments are configured, both ways are offered; a transfer pledge goes to no card
    page and counts at once."""
    project = make_project(model="pledge")
    backer = make_user(preferred_language="en")
    c = app.test_client()
    login_as(c, backer)
    page = c.get(f"/back/projects/{project.id}/pledge").get_data(as_text=True)
    assert 'value="card"' in page and 'value="transfer"' in page
    r = c.post(
        f"/back/projects/{project.id}/pledge", data={"amount": "25", "method": "transfer", "confirm": "1"}
    )
    assert r.status_code == 303 and "/pay/cs_" not in r.location
    pledge = db.session.scalars(select(Pledge)).one()
    assert pledge.state == PledgeState.ACTIVE and pledge.method == "transfer"
    assert funding.project_totals(project)["pledged"] == Money(2_500, "TJS")
