"""Stripe's balance transactions, fetched through the SDK from the fake Stripe, reconciled."""

from __future__ import annotations

from collections import Counter

import pytest

from fundapp.extensions import db
from fundapp.reconciliation import services
from tests.fakes.fixtures import make_project  # noqa: F401


@pytest.fixture
def app(stripe_app):
    return stripe_app


def test_stripe_balance_transactions_are_reconciled(app, make_user, post_bank, fake_stripe):
    """Are Stripe's charges and their fees fetched through the API and matched to the clearing account,
    with a charge missing from the ledger reported?"""
    import time

    now = int(time.time())
    for txn_id, charge, amount, fee in (("txn_a", "ch_A1", 10000, 320), ("txn_b", "ch_B2", 5000, 175)):
        fake_stripe._put(
            {
                "id": txn_id, "object": "balance_transaction", "amount": amount, "fee": fee,
                "net": amount - fee, "currency": "usd", "type": "charge", "status": "available",
                "created": now, "source": charge,
            }
        )  # fmt: skip
    from datetime import UTC, datetime

    today = datetime.now(UTC).date().isoformat()
    post_bank(
        "100.00", today, key="stripe:ch_A1", account="stripe_clearing", currency="USD", other="general_fund"
    )
    post_bank(
        "-3.20",
        today,
        key="stripe:ch_A1:fee",
        account="stripe_clearing",
        currency="USD",
        other="fees_expense",
    )
    auditor = make_user("auditor")
    today_d = datetime.now(UTC).date()
    run = services.import_stripe_balance(actor=auditor, start=today_d, end=today_d, currency="USD")
    db.session.commit()
    kinds = Counter((i.kind, i.line_key) for i in run.items)
    assert kinds == {
        ("matched", "txn_a"): 1,
        ("matched", "txn_a:fee"): 1,
        ("missing_in_ledger", "txn_b"): 1,
        ("missing_in_ledger", "txn_b:fee"): 1,
    }
    assert any("balance_transactions" in path for _m, path, _k in fake_stripe.calls)


def test_card_donations_reconcile_by_payment_intent(app, client, fake_stripe, make_project, make_user):  # noqa: F811
    """After two card donations through Checkout, are both gifts and both fees matched by their
    PaymentIntent, and a Stripe movement the fund never booked reported?"""
    import time
    from datetime import UTC, datetime

    project = make_project(model="donation")
    for amount in ("250.50", "100"):
        r = client.post(
            f"/back/projects/{project.id}/donate",
            data={
                "amount": amount,
                "currency": "TJS",
                "method": "card",
                "email": "guest@example.org",
                "confirm": "1",
            },
        )
        session_id = r.location.rsplit("/", 1)[1]
        cs = fake_stripe.complete_checkout(session_id)
        assert client.get(f"/back/checkout/return?session_id={cs['id']}").status_code == 303
    fake_stripe._put(
        {
            "id": "txn_unbooked", "object": "balance_transaction", "amount": -5000, "fee": 0, "net": -5000,
            "currency": "tjs", "type": "payout", "status": "available", "created": int(time.time()),
            "source": None,
        }
    )  # fmt: skip
    today = datetime.now(UTC).date()
    run = services.import_stripe_balance(actor=make_user("auditor"), start=today, end=today, currency="TJS")
    db.session.commit()
    kinds = Counter((i.kind, i.how) for i in run.items)
    assert kinds == {("matched", "reference"): 4, ("missing_in_ledger", ""): 1}
