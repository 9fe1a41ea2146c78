"""Ledger fixtures: money helpers and a few accounts in TJS."""

from __future__ import annotations

import pytest

from fundapp.core.money import Money


def tjs(amount: int) -> Money:
    return Money(amount, "TJS")


@pytest.fixture
def ledger(app):
    """The ledger services module, with the accounts most stories use."""
    from fundapp.ledger import services

    return services


@pytest.fixture
def accounts(app):
    from fundapp.extensions import db
    from fundapp.ledger import services as L

    accs = {
        "stripe": L.get_account("stripe_clearing", "TJS"),
        "bank": L.get_account("bank", "TJS"),
        "fees": L.get_account("fees_expense", "TJS"),
        "general": L.get_account("general_fund", "TJS"),
        "p1": L.project_account(1, "TJS"),
        "p2": L.project_account(2, "TJS"),
    }
    db.session.commit()
    return accs
