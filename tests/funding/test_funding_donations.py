"""Donations by card (hosted Checkout) and by transfer, their limits, receipts and refunds."""

import pytest
from sqlalchemy import func, select

from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.funding import donations
from fundapp.funding import totals as funding_totals
from fundapp.funding.models import Donation, DonationState, RefundRequest
from fundapp.mail.models import OutboxMessage
from fundapp.payments import services as payment_events
from tests.fakes.backing import entry_count, ledger_snapshot


@pytest.fixture
def app(stripe_app):
    return stripe_app


def test_guest_card_donation_through_checkout_and_return_page(app, client, fake_stripe, make_project):
    """A guest donates by card: redirected to Stripe's page, back on the return page the donation
    is received, posted once with its fee, and a receipt is emailed."""
    project = make_project(model="donation")
    form = {
        "amount": "250.50",
        "currency": "TJS",
        "method": "card",
        "email": "Guest@Example.org",
        "named": "1",
        "public_name": "Guest from Moscow",
        "message": "For the school",
    }
    r = client.post(f"/back/projects/{project.id}/donate", data=form)
    assert r.status_code == 200 and "250.50\u00a0TJS" in r.get_data(as_text=True)
    r = client.post(f"/back/projects/{project.id}/donate", data={**form, "confirm": "1"})
    assert r.status_code == 303 and r.location.startswith(fake_stripe.url + "/pay/cs_")
    session_id = r.location.rsplit("/", 1)[1]
    cs = fake_stripe.complete_checkout(session_id)
    r = client.get(f"/back/checkout/return?session_id={cs['id']}")
    assert r.status_code == 303
    page = client.get(r.location)
    assert b"Received" in page.data or "received" in page.get_data(as_text=True).lower()
    d = db.session.scalars(select(Donation)).one()
    assert (
        d.state == DonationState.RECEIVED
        and d.public_name == "Guest from Moscow"
        and d.email == "guest@example.org"
    )
    assert entry_count() == 2  # the gift and the Stripe fee
    assert ledger_snapshot()[("fees_expense", "TJS")] == 25050 * 29 // 1000 + 30
    assert funding_totals.project_totals(project)["raised"] == Money(25050, "TJS")
    mails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == "guest@example.org")
    ).all()
    assert len(mails) == 1
    # the return page again (reload) and every webhook: nothing more
    client.get(f"/back/checkout/return?session_id={cs['id']}")
    for e in fake_stripe.events:
        fake_stripe.deliver(client, e)
    assert entry_count() == 2
    # every Stripe write carried an idempotency key
    assert all(k for m, _, k in fake_stripe.calls if m == "POST")


def test_anonymous_unless_opted_in(app, client, make_project):
    """Without ticking the box, the public label is empty (an anonymous backer)."""
    project = make_project(model="donation")
    client.post(
        f"/back/projects/{project.id}/donate",
        data={
            "amount": "10",
            "method": "bank",
            "email": "a@example.org",
            "public_name": "Secret Name",
            "confirm": "1",
        },
    )
    assert db.session.scalars(select(Donation)).one().public_name is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "0"}, "greater than zero"),
        ({"amount": "-10"}, "Write the amount"),
        ({"amount": "10.001"}, "after the decimal separator"),
        ({"amount": "1" * 40}, "too large"),
        ({"amount": "ten"}, "Write the amount"),
        ({"amount": ""}, "Enter an amount"),
        ({"amount": "NaN"}, "Write the amount"),
        ({"amount": "0.50"}, "smallest amount"),
        ({"amount": "5000000"}, "largest amount"),
        ({"amount": "10", "currency": "USD"}, "funded in TJS"),
        ({"amount": "10", "method": "cash"}, "how you will pay"),
        ({"amount": "10", "email": ""}, "email"),
        ({"amount": "10", "message": "x" * 501}, "At most 500"),
    ],
)
def test_bad_amounts_are_clear_errors_and_nothing_is_posted(app, client, make_project, data, message):
    """Zero, negative, too many decimals, huge, non-numeric, out of limits, wrong currency: a 400
    with a clear message, and nothing recorded or posted."""
    project = make_project(model="donation", max_backing_minor=1_000_000)
    form = {"method": "bank", "email": "a@example.org", "currency": "TJS", **data}
    r = client.post(f"/back/projects/{project.id}/donate", data=form)
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Donation.id))) == 0
    assert entry_count() == 0


def test_card_option_hidden_without_stripe_keys(app_factory, make_user):
    """Without STRIPE_SECRET_KEY the donation form offers transfers only and refuses "card"."""
    from tests.fakes.backing import make_project

    plain = app_factory(STRIPE_SECRET_KEY=None)
    with plain.app_context():
        project = make_project(make_user(), model="donation")
        c = plain.test_client()
        page = c.get(f"/back/projects/{project.id}/donate").get_data(as_text=True)
        assert 'value="card"' not in page and 'value="bank"' in page
        r = c.post(
            f"/back/projects/{project.id}/donate",
            data={"amount": "10", "method": "card", "email": "a@example.org"},
        )
        assert r.status_code == 400
        db.session.remove()


def test_refund_reverses_the_entry_and_refunds_through_stripe(app, client_for, fake_stripe, make_project):
    """A treasurer requests a refund with a reason and a second person confirms it: only then is the
    original entry reversed, Stripe's refund called with an idempotency key and the counters
    lowered; confirming again changes nothing, and a member cannot even ask."""
    project = make_project(model="donation")
    d = donations.start_donation(project, amount=Money(5000, "TJS"), method="card", email="x@example.org")
    db.session.commit()
    donations.open_donation_checkout(
        d, success_url="http://x/?s={CHECKOUT_SESSION_ID}", cancel_url="http://x/"
    )
    db.session.commit()
    fake_stripe.complete_checkout(d.checkout_session_id)
    from fundapp.payments import gateway

    payment_events.apply_checkout_session(gateway.retrieve_checkout(d.checkout_session_id))
    db.session.commit()
    treasurer_client, _treasurer = client_for("treasurer")
    r = treasurer_client.post(f"/back/staff/donations/{d.id}/refund", data={"reason": ""})
    assert r.status_code == 400 and f'id="reason-donation-{d.id}-error"' in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(RefundRequest)) == 0
    r = treasurer_client.post(f"/back/staff/donations/{d.id}/refund", data={"reason": "asked by the donor"})
    assert r.status_code == 303
    db.session.expire_all()
    req = db.session.scalars(select(RefundRequest)).one()
    assert db.session.get(Donation, d.id).state == DonationState.RECEIVED and fake_stripe.count("refund") == 0
    assert treasurer_client.post(f"/back/staff/refunds/{req.id}/confirm").status_code == 303
    db.session.expire_all()
    assert db.session.get(Donation, d.id).state == DonationState.RECEIVED  # not by the requester
    admin_client, _admin = client_for("administrator")
    assert admin_client.post(f"/back/staff/refunds/{req.id}/confirm").status_code == 303
    db.session.expire_all()
    d = db.session.get(Donation, d.id)
    assert d.state == DonationState.REFUNDED and d.refund_entry_id
    assert fake_stripe.count("refund") == 1
    assert [k for _, p, k in fake_stripe.writes("/v1/refunds")] == [f"donation-{d.id}-refund"]
    snap = ledger_snapshot()
    assert snap[(f"project:{project.id}", "TJS")] == 0
    assert snap[("stripe_clearing", "TJS")] == -(5000 * 29 // 1000 + 30)  # the fee is not given back
    assert funding_totals.project_totals(project)["raised"] == Money(0, "TJS")
    admin_client.post(f"/back/staff/refunds/{req.id}/confirm")
    treasurer_client.post(f"/back/staff/donations/{d.id}/refund", data={"reason": "again"})
    assert fake_stripe.count("refund") == 1
    member_client, _ = client_for("member")
    assert member_client.post(f"/back/staff/donations/{d.id}/refund", data={"reason": "x"}).status_code == 403
    assert member_client.post(f"/back/staff/refunds/{req.id}/confirm").status_code == 403


@pytest.mark.parametrize(
    "lang,typed,shown,again",
    [
        ("ru", "1 500,5", "1\u00a0500,50\u00a0TJS", "1\u00a0500,50"),
        ("en", "1,500.5", "1,500.50\u00a0TJS", "1,500.50"),
    ],
)
def test_a_donation_is_shown_for_confirmation_before_it_exists(
    app, client, make_project, lang, typed, shown, again
):
    """Does the first submit show the amount as read, in the page's language and with the
    currency, writing nothing; does "change" bring the form back with it, and only the
    confirmation create the donation?"""
    project = make_project(model="donation")
    url = f"/back/projects/{project.id}/donate?lang={lang}"
    form = {"amount": typed, "currency": "TJS", "method": "bank", "email": "a@example.org"}
    r = client.post(url, data=form)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and shown in page and 'name="confirm" value="1"' in page
    assert db.session.scalar(select(func.count(Donation.id))) == 0
    r = client.post(url, data={**form, "amount": "1500.50", "edit": "1"})
    assert r.status_code == 200 and f'value="{again}"' in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Donation.id))) == 0
    r = client.post(url, data={**form, "amount": "1500.50", "confirm": "1"})
    assert r.status_code == 303
    assert db.session.scalars(select(Donation)).one().amount == Money(150050, "TJS")
