"""Fixtures for reconciliation: ledger entries on the bank and Stripe accounts on known dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fundapp.core.money import Money
from fundapp.extensions import db
from tests.disbursements.conftest import cast, funded_project, requested  # noqa: F401
from tests.fakes.fixtures import fake_stripe, stripe_app  # noqa: F401


@pytest.fixture
def post_bank():
    """``post_bank("150.00", "2026-03-10", key="RCPT-001")`` → a receipt (or, negative, a payment)
    on the bank account against the general fund, posted on that date."""
    from fundapp.ledger import services as ledger

    def post(
        amount: str, on: str, *, key: str, account: str = "bank", currency: str = "TJS", other="general_fund"
    ):
        money = Money.parse(amount.lstrip("-"), currency)
        bank = ledger.get_account(account, currency)
        counter = ledger.get_account(other, currency)
        legs = (
            [ledger.Leg.credit(bank, money), ledger.Leg.debit(counter, money)]
            if amount.startswith("-")
            else [ledger.Leg.debit(bank, money), ledger.Leg.credit(counter, money)]
        )
        entry = ledger.post_entry(
            ledger.EntryKind.TRANSFER,
            legs,
            memo=f"Test movement {key}",
            idempotency_key=key,
            source_type="test",
            source_id=key,
            occurred_at=datetime.fromisoformat(on).replace(hour=12, tzinfo=UTC),
        )
        db.session.commit()
        return entry

    return post


STATEMENT = (
    "date,amount,currency,reference,counterparty\n"
    "2026-03-10,150.00,TJS,RCPT-001,Rahimov\n"  # exact, by reference
    "2026-03-11,-2500.00,TJS,PAY 77/A,Kulob Roofing\n"  # exact, by reference
    "2026-03-10,999.00,TJS,RCPT-003,Unknown sender\n"  # missing in the ledger
    "2026-03-12,490.00,TJS,RCPT-004,Karimova\n"  # the ledger says 500.00
    "2026-03-13,-15.00,TJS,,Bank fee\n"  # by amount and date
)


@pytest.fixture
def books(post_bank):
    """The ledger side of ``STATEMENT``: two exact matches, one extra entry, one difference, a fee."""
    post_bank("150.00", "2026-03-10", key="RCPT-001")
    post_bank("-2500.00", "2026-03-11", key="PAY-77-A")
    post_bank("700.00", "2026-03-10", key="RCPT-002")  # not on the statement
    post_bank("500.00", "2026-03-12", key="RCPT-004")
    post_bank("-15.00", "2026-03-14", key="FEE-MARCH", other="fees_expense")
