"""All-or-nothing pledges: saved cards, changes, settlement by ``flask campaigns close`` (once, even
twice or concurrently), off-session charges with declines, and crash recovery without double charges."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from fundapp.core.errors import InvalidTransition
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.funding import pledges, settlement
from fundapp.funding import totals as funding_totals
from fundapp.funding.models import CampaignSettlement, Pledge, PledgeState
from fundapp.payments import services as payment_events
from fundapp.proposals.models import Project
from tests.fakes.backing import entry_count, ledger_snapshot
from tests.fakes.stripe_server import DECLINE_LATER_CARD, GOOD_CARD


@pytest.fixture
def app(stripe_app):
    return stripe_app


def _pledge(project, backer, cents, fake, card=GOOD_CARD):
    p = pledges.make_pledge(project, backer=backer, amount=Money(cents, project.currency))
    db.session.commit()
    pledges.open_pledge_card_setup(
        p, success_url="http://x/ok?s={CHECKOUT_SESSION_ID}", cancel_url="http://x/"
    )
    db.session.commit()
    fake.complete_checkout(p.setup_session_id, card)
    from fundapp.payments import gateway

    payment_events.apply_checkout_session(gateway.retrieve_checkout(p.setup_session_id))
    db.session.commit()
    return p


def _end(project):
    project = db.session.get(Project, project.id)
    project.campaign_ends_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()


def test_same_pledge_form_twice_makes_one_pledge(app, client_for, make_project):
    """Sending the pledge form twice (double click) leaves one pledge with the amount."""
    project = make_project(model="pledge")
    c, user = client_for("member")
    for _ in range(2):
        r = c.post(
            f"/back/projects/{project.id}/pledge", data={"amount": "75", "currency": "TJS", "confirm": "1"}
        )
        assert r.status_code == 303
    pledges = db.session.scalars(select(Pledge)).all()
    assert len(pledges) == 1 and pledges[0].amount == Money(7500, "TJS") and pledges[0].backer_id == user.id
    # the saved-card step was opened with a key derived from the pledge's id
    assert pledges[0].stripe_customer_id


def test_change_and_cancel_until_the_end(app, make_user, fake_stripe, make_project):
    """A saved pledge counts; changing it moves the counter; cancelling removes it; after the end
    it can no longer be cancelled."""
    project = make_project(model="pledge", goal_minor=100_000)
    backer = make_user()
    p = _pledge(project, backer, 10_000, fake_stripe)
    assert p.state == PledgeState.ACTIVE and p.card_last4 == "4242"
    assert funding_totals.project_totals(project)["pledged"] == Money(10_000, "TJS")
    pledges.make_pledge(project, backer=backer, amount=Money(15_000, "TJS"))
    db.session.commit()
    assert funding_totals.project_totals(project)["pledged"] == Money(15_000, "TJS")
    pledges.cancel_pledge(p, actor=backer)
    db.session.commit()
    assert funding_totals.project_totals(project)["pledged"] == Money(0, "TJS")
    pledges.make_pledge(project, backer=backer, amount=Money(20_000, "TJS"))  # pledge again: card still saved
    db.session.commit()
    assert funding_totals.project_totals(project)["pledged"] == Money(20_000, "TJS")
    _end(project)
    with pytest.raises(InvalidTransition):
        pledges.cancel_pledge(p, actor=backer)
    db.session.rollback()


def test_goal_met_charges_each_pledge_once_and_declines_get_a_grace_link(
    app, runner, make_user, fake_stripe, make_project
):
    """Goal met: the project is funded, pledges are charged off-session once (idempotency key), a
    declined card is told to pay within the grace period; running the closer again changes nothing."""
    project = make_project(model="pledge", goal_minor=30_000)
    good = [_pledge(project, make_user(), 12_000, fake_stripe) for _ in range(2)]
    bad = _pledge(project, make_user(), 8_000, fake_stripe, card=DECLINE_LATER_CARD)
    assert funding_totals.project_totals(project)["pledged"] == Money(32_000, "TJS")
    _end(project)
    result = runner.invoke(args=["campaigns", "close"])
    assert result.exit_code == 0, result.output
    assert f"project {project.id}: funded" in result.output
    db.session.expire_all()
    assert db.session.get(Project, project.id).state == "funded"
    states = {p.id: db.session.get(Pledge, p.id).state for p in [*good, bad]}
    assert states == {good[0].id: "collected", good[1].id: "collected", bad.id: "payment_failed"}
    totals = funding_totals.project_totals(project)
    assert totals["raised"] == Money(24_000, "TJS") and totals["pledged"] == Money(8_000, "TJS")
    charges = fake_stripe.writes("/v1/payment_intents")
    assert len(charges) == 3 and len({k for _, _, k in charges}) == 3
    # a fresh charge's answer is Stripe's state with its fee: not read a second time
    assert [c for c in fake_stripe.calls if c[0] == "GET" and "/payment_intents/" in c[1]] == []
    for p in good:
        fee = db.session.get(Pledge, p.id).fee_minor
        assert fee == fake_stripe._fee(12_000)
    entries = entry_count()
    snap = ledger_snapshot()
    runner.invoke(args=["campaigns", "close"])
    assert len(fake_stripe.writes("/v1/payment_intents")) == 3 and entry_count() == entries
    assert ledger_snapshot() == snap
    # the declined backer is told, with a link to pay within the grace period
    bad = db.session.get(Pledge, bad.id)
    assert bad.grace_until is not None
    from fundapp.mail.models import OutboxMessage

    told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == bad.backer.email)).all()
    assert any(f"/back/pledges/{bad.id}/pay" in m.body_text for m in told)
    url = pledges.open_pledge_payment(
        bad, actor=bad.backer, success_url="http://x/?s={CHECKOUT_SESSION_ID}", cancel_url="http://x/"
    )
    db.session.commit()
    cs = fake_stripe.complete_checkout(url.rsplit("/", 1)[1], GOOD_CARD)
    from fundapp.payments import gateway

    payment_events.apply_checkout_session(gateway.retrieve_checkout(cs["id"]))
    db.session.commit()
    assert db.session.get(Pledge, bad.id).state == "collected"
    assert funding_totals.project_totals(project)["raised"] == Money(32_000, "TJS")
    assert funding_totals.project_totals(project)["pledged"] == Money(0, "TJS")


def test_goal_missed_releases_pledges_and_charges_nothing(app, runner, make_user, fake_stripe, make_project):
    """Goal missed: unsuccessful, pledges released, nothing charged, nothing posted."""
    project = make_project(model="pledge", goal_minor=1_000_000)
    p = _pledge(project, make_user(), 10_000, fake_stripe)
    _end(project)
    runner.invoke(args=["campaigns", "close"])
    db.session.expire_all()
    assert db.session.get(Project, project.id).state == "unsuccessful"
    assert db.session.get(Pledge, p.id).state == "released"
    assert fake_stripe.writes("/v1/payment_intents") == []
    assert entry_count() == 0
    assert funding_totals.project_totals(project)["pledged"] == Money(0, "TJS")


def test_crash_between_charge_and_posting_is_recovered_without_double_charge(
    app, make_user, fake_stripe, make_project, monkeypatch
):
    """The process dies after Stripe charged but before the posting: the next run sends the same
    idempotency key, gets the same PaymentIntent (no second charge) and posts it once."""
    project = make_project(model="pledge", goal_minor=10_000)
    p = _pledge(project, make_user(), 10_000, fake_stripe)
    _end(project)

    def crash():
        raise SystemExit("power cut")

    monkeypatch.setattr(pledges, "_after_charge_hook", crash)
    with pytest.raises(SystemExit):
        settlement.close_due_campaigns()
    db.session.rollback()
    assert db.session.get(Pledge, p.id).state == "charging"
    assert fake_stripe.count("charge") == 1 and entry_count() == 0
    monkeypatch.setattr(pledges, "_after_charge_hook", lambda: None)
    settlement.close_due_campaigns()
    db.session.expire_all()
    assert db.session.get(Pledge, p.id).state == "collected"
    assert fake_stripe.count("charge") == 1 and fake_stripe.count("payment_intent") == 1
    assert entry_count() == 2  # the collection and its fee
    assert db.session.scalar(select(func.count(CampaignSettlement.id))) == 1


def test_concurrent_closers_settle_each_campaign_once(app, make_user, fake_stripe, make_project):
    """Two closers at the same time: each campaign is settled once, each pledge charged once."""
    projects = []
    for _ in range(3):
        project = make_project(model="pledge", goal_minor=5_000)
        for _ in range(3):
            _pledge(project, make_user(), 2_000, fake_stripe)
        projects.append(project)
    for project in projects:
        _end(project)
    errors = []

    def close():
        try:
            with app.app_context():
                settlement.close_due_campaigns()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=close) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    db.session.expire_all()
    assert db.session.scalar(select(func.count(CampaignSettlement.id))) == 3
    assert fake_stripe.count("charge") == 9
    assert db.session.scalar(select(func.count()).where(Pledge.state == "collected")) == 9
    assert entry_count() == 18
    for project in projects:
        assert funding_totals.project_totals(project)["raised"] == Money(6_000, "TJS")
