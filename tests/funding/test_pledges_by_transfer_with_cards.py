"""Pledges by transfer when card payments are configured too."""

import pytest
from sqlalchemy import select

from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.funding import pledges, settlement
from fundapp.funding import totals as funding_totals
from fundapp.funding.models import Pledge, PledgeState
from fundapp.payments import services as payment_events
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
    assert funding_totals.project_totals(project)["pledged"] == Money(2_500, "TJS")


def test_a_declined_card_pledge_paid_by_transfer_refunds_a_late_card_payment(
    app, make_project, make_user, fake_stripe
):
    """A pledge whose card was declined gets a reference and may be paid by transfer; a card payment
    that still arrives for it afterwards is refunded, never counted twice."""
    from tests.fakes.backing import pay_by_transfer
    from tests.fakes.stripe_server import DECLINE_LATER_CARD, GOOD_CARD
    from tests.funding.test_funding_pledges import _end, _pledge

    project = make_project(model="pledge", goal_minor=8_000)
    bad = _pledge(project, make_user(), 8_000, fake_stripe, card=DECLINE_LATER_CARD)
    _end(project)
    settlement.close_due_campaigns()
    bad = db.session.get(Pledge, bad.id)
    assert bad.state == PledgeState.PAYMENT_FAILED and bad.reference_code.startswith("P")
    url = pledges.open_pledge_payment(
        bad, actor=bad.backer, success_url="http://x/?s={CHECKOUT_SESSION_ID}", cancel_url="http://x/"
    )
    db.session.commit()
    pay_by_transfer(bad, make_user("treasurer"), make_user("treasurer"))
    bad = db.session.get(Pledge, bad.id)
    assert bad.state == PledgeState.COLLECTED
    cs = fake_stripe.complete_checkout(url.rsplit("/", 1)[1], GOOD_CARD)
    from fundapp.payments import gateway

    assert (
        payment_events.apply_checkout_session(gateway.retrieve_checkout(cs["id"])) == "refunded_late_payment"
    )
    db.session.commit()
    assert funding_totals.project_totals(project)["raised"] == Money(8_000, "TJS")
    assert fake_stripe.writes("/v1/refunds")
