"""Settlement of the other cases: donation campaigns keep what they raised, a failed loan owes paid
investments back, a cancelled project releases pledges, a saved card activates a pledge on return."""

from datetime import UTC, datetime, timedelta

import pytest

from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.funding import donations, investments, pledges, settlement
from fundapp.funding import totals as funding_totals
from fundapp.funding.models import Investment, Pledge
from fundapp.proposals.models import Project
from tests.fakes.backing import ledger_snapshot


@pytest.fixture
def app(stripe_app):
    return stripe_app


def _end(project):
    p = db.session.get(Project, project.id)
    p.campaign_ends_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()


def test_donation_campaign_keeps_what_it_raised(app, make_user, make_project):
    """A donation campaign ends funded when money arrived, unsuccessful when nothing did."""
    with_money, empty = make_project(model="donation", goal_minor=10**7), make_project(model="donation")
    t1, t2 = make_user("treasurer"), make_user("treasurer")
    d = donations.start_donation(with_money, amount=Money(5_000, "TJS"), method="bank", email="a@example.org")
    db.session.commit()
    from datetime import date

    from fundapp.payments import services as payments

    r = payments.record_offline_receipt(
        actor=t1,
        method="bank",
        operator="B",
        transfer_reference="X1",
        sender_name="A",
        amount_text="50",
        currency="TJS",
        received_on=date.today(),
        backing_reference=d.reference_code,
    )
    db.session.commit()
    payments.confirm_offline_receipt(r, actor=t2)
    db.session.commit()
    _end(with_money)
    _end(empty)
    result = settlement.close_due_campaigns()
    assert sorted(result["settled"]) == sorted([(with_money.id, "funded"), (empty.id, "unsuccessful")])


def test_failed_loan_owes_paid_investments_back(app, make_user, make_project):
    """A loan that misses its goal: paid money moves to refunds payable, unpaid commitments lapse."""
    from datetime import date

    from fundapp.payments import services as payments

    project = make_project(model="loan", goal_minor=100_000)
    t1, t2 = make_user("treasurer"), make_user("treasurer")
    paid = investments.commit_investment(
        project,
        investor=make_user(),
        amount=Money(20_000, "TJS"),
        submission_token="a",
        risk_acknowledged=True,
    )
    unpaid = investments.commit_investment(
        project,
        investor=make_user(),
        amount=Money(30_000, "TJS"),
        submission_token="b",
        risk_acknowledged=True,
    )
    db.session.commit()
    r = payments.record_offline_receipt(
        actor=t1,
        method="bank",
        operator="B",
        transfer_reference="L1",
        sender_name="A",
        amount_text="200",
        currency="TJS",
        received_on=date.today(),
        backing_reference=paid.reference_code,
    )
    db.session.commit()
    payments.confirm_offline_receipt(r, actor=t2)
    db.session.commit()
    _end(project)
    settlement.close_due_campaigns()
    db.session.expire_all()
    assert db.session.get(Project, project.id).state == "unsuccessful"
    assert db.session.get(Investment, paid.id).state == "return_due"
    assert db.session.get(Investment, unpaid.id).state == "lapsed"
    snap = ledger_snapshot()
    assert snap[("refunds_payable", "TJS")] == 20_000 and snap[(f"project:{project.id}", "TJS")] == 0
    totals = funding_totals.project_totals(project)
    assert totals["committed"] == Money(0, "TJS") and totals["raised"] == Money(0, "TJS")


def test_cancelled_project_releases_pledges(app, make_user, make_project):
    """An administrator cancels a fundraising project: open pledges are released, counters drop."""
    from fundapp.proposals import services as proposals

    project = make_project(model="pledge")
    backer = make_user()
    p = pledges.make_pledge(project, backer=backer, amount=Money(9_000, "TJS"))
    p.stripe_customer_id = "cus_x"
    pledges.save_pledge_card(p, payment_method="pm_x")
    db.session.commit()
    assert funding_totals.project_totals(project)["pledged"] == Money(9_000, "TJS")
    admin = make_user("administrator")
    proposals.cancel_project(db.session.get(Project, project.id), actor=admin, comment="the site was flooded")
    db.session.commit()
    assert db.session.get(Pledge, p.id).state == "released"
    assert funding_totals.project_totals(project)["pledged"] == Money(0, "TJS")


def test_saved_card_on_the_return_page_activates_the_pledge(app, client_for, fake_stripe, make_project):
    """Back from Stripe's setup page, the pledge counts towards the goal (no webhook needed)."""
    project = make_project(model="pledge")
    c, _user = client_for("member")
    r = c.post(
        f"/back/projects/{project.id}/pledge", data={"amount": "40", "currency": "TJS", "confirm": "1"}
    )
    assert r.status_code == 303 and "/pay/cs_" in r.location
    cs = fake_stripe.complete_checkout(r.location.rsplit("/", 1)[1])
    r = c.get(f"/back/checkout/return?session_id={cs['id']}")
    assert r.status_code == 303
    pledge = db.session.scalars(db.select(Pledge)).one()
    db.session.refresh(pledge)
    assert pledge.state == "active" and pledge.card_last4 == "4242"
    assert funding_totals.project_totals(project)["pledged"] == Money(4_000, "TJS")
    page = c.get(f"/back/projects/{project.id}/pledge").get_data(as_text=True)
    assert "4242" in page
