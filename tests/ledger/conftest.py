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


@pytest.fixture
def small_ledger(app, accounts):
    """Six sealed entries covered by a signed checkpoint: gifts to two projects, a fee, a payout."""
    from fundapp.extensions import db
    from fundapp.ledger import sealing
    from fundapp.ledger import services as L

    a = accounts
    for i, (acc, amount) in enumerate([("p1", 5000), ("p2", 7000), ("p1", 1200), ("p2", 300)], start=1):
        L.post_entry(
            "donation",
            [L.Leg.debit(a["stripe"], tjs(amount)), L.Leg.credit(a[acc], tjs(amount))],
            memo=f"Gift {i} — туҳфа",
            idempotency_key=f"gift:{i}",
            backer_label="Nigora" if i == 2 else None,
        )
    L.post_entry(
        "fee",
        [L.Leg.debit(a["fees"], tjs(150)), L.Leg.credit(a["stripe"], tjs(150))],
        memo="Card fees",
        idempotency_key="fee:1",
    )
    L.post_entry(
        "disbursement",
        [L.Leg.debit(a["p1"], tjs(4000)), L.Leg.credit(a["bank"], tjs(4000))],
        memo="Milestone 1",
        idempotency_key="disb:1",
        project_id=1,
    )
    db.session.commit()
    sealing.make_checkpoint()
    db.session.commit()
    return a


def bypass_triggers(sql_statements: list[str]) -> None:
    """Run raw SQL that the append-only triggers would refuse, as an attacker with database access
    would: PostgreSQL with session_replication_role = replica, SQLite with the triggers dropped
    (in this test's own copy of the database)."""
    from sqlalchemy import text

    from fundapp.extensions import db

    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        names = db.session.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'ledger_%'")
        ).scalars()
        for name in list(names):
            db.session.execute(text(f'DROP TRIGGER "{name}"'))
    for sql in sql_statements:
        db.session.execute(text(sql))
    db.session.commit()


ENGINE_IS_PG = __import__("os").environ.get("FUNDAPP_TEST_ENGINE", "sqlite") == "postgresql"
