"""Stripe webhooks: verified on the raw body, each event applied exactly once, in any order."""

import json
import random
import time

import pytest
from sqlalchemy import func, select

from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.funding import donations, pledges
from fundapp.funding import totals as funding_totals
from fundapp.funding.models import Donation, DonationState, Pledge, PledgeState
from fundapp.payments.models import StripeEvent
from tests.fakes.backing import entry_count, ledger_snapshot
from tests.fakes.stripe_server import DECLINE_CARD, DECLINE_LATER_CARD, GOOD_CARD, StripeError


@pytest.fixture
def app(stripe_app):
    return stripe_app


def _card_donation(project, cents, email="guest@example.org"):
    d = donations.start_donation(project, amount=Money(cents, project.currency), method="card", email=email)
    db.session.commit()
    donations.open_donation_checkout(
        d, success_url="http://x/ok?s={CHECKOUT_SESSION_ID}", cancel_url="http://x/"
    )
    db.session.commit()
    return d


def test_two_hundred_events_delivered_five_times_in_any_order(
    app, client, fake_stripe, make_project, make_user
):
    """200 distinct events, each delivered 5 times in shuffled order: each takes effect once and
    the books equal those of an in-order delivery (computed from what Stripe holds)."""
    project = make_project(model="donation", goal_minor=10**9)
    pledge_project = make_project(model="pledge", goal_minor=10**9)
    paid = []
    for i in range(40):
        d = _card_donation(project, 1000 + i * 37)
        fake_stripe.complete_checkout(d.checkout_session_id, GOOD_CARD)
        paid.append(d)
    for i in range(10):
        d = _card_donation(project, 5000 + i)
        with pytest.raises(StripeError):
            fake_stripe.complete_checkout(d.checkout_session_id, DECLINE_CARD)
    for i in range(10):
        backer = make_user()
        p = pledges.make_pledge(pledge_project, backer=backer, amount=Money(2000 + i, "TJS"))
        db.session.commit()
        pledges.open_pledge_card_setup(p, success_url="http://x/ok", cancel_url="http://x/")
        db.session.commit()
        fake_stripe.complete_checkout(p.setup_session_id, GOOD_CARD if i % 2 else DECLINE_LATER_CARD)
    events = list(fake_stripe.events)
    assert len(events) == 200 and len({e["id"] for e in events}) == 200
    deliveries = events * 5
    random.Random(20261128).shuffle(deliveries)
    statuses = [fake_stripe.deliver(client, e).status_code for e in deliveries]
    assert set(statuses) == {200}

    # exactly once: every event recorded once, two entries (gift + fee) per paid donation
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 200
    assert entry_count() == 2 * len(paid)
    fees = sum(
        fake_stripe.get(fake_stripe.get(d.checkout_session_id)["payment_intent"])["amount"] * 29 // 1000 + 30
        for d in paid
    )
    gross = sum(d.amount_minor for d in paid)
    snap = ledger_snapshot()
    assert snap[("stripe_clearing", "TJS")] == gross - fees
    assert snap[("fees_expense", "TJS")] == fees
    assert funding_totals.project_totals(project)["raised"] == Money(gross, "TJS")
    assert funding_totals.project_totals(project)["backers"] == 40
    states = dict(db.session.execute(select(Donation.state, func.count()).group_by(Donation.state)).all())
    assert states == {DonationState.RECEIVED: 40, DonationState.FAILED: 10}
    assert db.session.scalar(select(func.count()).where(Pledge.state == PledgeState.ACTIVE)) == 10
    assert funding_totals.project_totals(pledge_project)["pledged"] == Money(
        sum(2000 + i for i in range(10)), "TJS"
    )

    # a final in-order replay changes nothing
    for e in events:
        assert fake_stripe.deliver(client, e).status_code == 200
    assert ledger_snapshot() == snap and entry_count() == 2 * len(paid)


def test_bad_signatures_are_refused_and_nothing_is_posted(app, client, fake_stripe, make_project):
    """Tampered body, wrong secret, stale timestamp, no header: 400, no event recorded, no entry."""
    project = make_project(model="donation")
    d = _card_donation(project, 2500)
    fake_stripe.complete_checkout(d.checkout_session_id)
    event = fake_stripe.events_of("checkout.session.completed")[0]
    payload, headers = fake_stripe.signed(event)

    tampered = payload.replace('"amount_total":2500', '"amount_total":9999')
    assert tampered != payload
    assert client.post("/payments/stripe/webhook", data=tampered, headers=headers).status_code == 400
    _, wrong = fake_stripe.signed(event, secret="whsec_someone_else")
    assert client.post("/payments/stripe/webhook", data=payload, headers=wrong).status_code == 400
    _, stale = fake_stripe.signed(event, timestamp=int(time.time()) - 3600)
    assert client.post("/payments/stripe/webhook", data=payload, headers=stale).status_code == 400
    assert (
        client.post(
            "/payments/stripe/webhook", data=payload, headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/payments/stripe/webhook", data=payload, headers={"Stripe-Signature": "garbage"}
        ).status_code
        == 400
    )
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 0
    assert entry_count() == 0
    # the genuine one is applied
    r = client.post("/payments/stripe/webhook", data=payload, headers=headers)
    assert r.status_code == 200 and json.loads(r.data)["outcome"] == "received"
    assert entry_count() == 2


def test_webhook_needs_no_csrf_token_but_forms_do(app_factory, fake_stripe, make_user):
    """With CSRF on, the webhook still works (exempt) while a staff form without a token is refused."""
    from fundapp.extensions import db as _db
    from tests.fakes.backing import make_project

    csrf_app = app_factory(WTF_CSRF_ENABLED=True, **fake_stripe.config())
    with csrf_app.app_context():
        owner = make_user()
        project = make_project(owner, model="donation")
        d = _card_donation(project, 3000)
        fake_stripe.complete_checkout(d.checkout_session_id)
        c = csrf_app.test_client()
        for e in fake_stripe.events:
            assert fake_stripe.deliver(c, e).status_code == 200
        assert _db.session.get(Donation, d.id).state == DonationState.RECEIVED
        r = c.post(
            f"/back/projects/{project.id}/donate",
            data={"amount": "10", "method": "bank", "email": "a@example.org"},
        )
        assert r.status_code == 400
        assert _db.session.scalar(select(func.count(Donation.id))) == 1
        _db.session.remove()


def test_event_about_an_unknown_object_is_acknowledged(app, client, fake_stripe):
    """An event whose object Stripe no longer knows is recorded and acknowledged (no retry loop)."""
    event = {
        "id": "evt_foreign_1",
        "object": "event",
        "type": "checkout.session.completed",
        "created": int(time.time()),
        "data": {"object": {"id": "cs_test_not_ours", "object": "checkout.session"}},
    }
    r = fake_stripe.deliver(client, event)
    assert r.status_code == 200 and json.loads(r.data)["outcome"] == "missing_at_stripe"
    assert entry_count() == 0


@pytest.mark.postgres
def test_same_event_delivered_concurrently_applies_once(app, fake_stripe, make_project):
    """Stripe may deliver an event twice at the same moment; with the return page racing too, the
    gift is posted once and the event recorded once."""
    import threading

    project = make_project(model="donation")
    d = _card_donation(project, 4200)
    fake_stripe.complete_checkout(d.checkout_session_id)
    session_event = fake_stripe.events_of("checkout.session.completed")[0]
    pi_event = fake_stripe.events_of("payment_intent.succeeded")[0]
    barrier = threading.Barrier(7)
    codes = []

    def deliver(event):
        c = app.test_client()
        barrier.wait(10)
        codes.append(fake_stripe.deliver(c, event).status_code)

    def return_page():
        c = app.test_client()
        barrier.wait(10)
        codes.append(c.get(f"/back/checkout/return?session_id={d.checkout_session_id}").status_code)

    threads = [threading.Thread(target=deliver, args=(e,)) for e in [session_event] * 3 + [pi_event] * 3]
    threads.append(threading.Thread(target=return_page))
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(codes) == [200] * 6 + [303]
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 2
    assert entry_count() == 2


def test_a_signature_dated_in_the_future_is_refused(app, client, fake_stripe, make_project):
    """Is a correctly signed event dated an hour ahead refused (400, nothing recorded), while one
    within a minute of clock drift is accepted?"""
    project = make_project(model="donation")
    d = _card_donation(project, 2500)
    fake_stripe.complete_checkout(d.checkout_session_id)
    event = fake_stripe.events_of("checkout.session.completed")[0]
    payload, _headers = fake_stripe.signed(event)
    _, future = fake_stripe.signed(event, timestamp=int(time.time()) + 3600)
    assert client.post("/payments/stripe/webhook", data=payload, headers=future).status_code == 400
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 0
    _, drift = fake_stripe.signed(event, timestamp=int(time.time()) + 30)
    assert client.post("/payments/stripe/webhook", data=payload, headers=drift).status_code == 200
