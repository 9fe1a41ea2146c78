"""The database itself refuses what the services never do: changing or deleting posted rows,
unbalanced entries, extra legs, and a restricted account below zero."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from fundapp.extensions import db
from fundapp.ledger.models import JournalEntry

from .conftest import ENGINE_IS_PG


def _refused(sql: str, **params) -> None:
    with pytest.raises(DBAPIError):
        db.session.execute(text(sql), params)
        db.session.commit()
    db.session.rollback()


def _first_entry():
    return db.session.scalar(db.select(JournalEntry).order_by(JournalEntry.id).limit(1))


def test_posted_rows_cannot_be_updated_or_deleted(small_ledger):
    """Does raw SQL UPDATE or DELETE of an entry, a leg, a checkpoint or a tree node fail?"""
    e = _first_entry()
    _refused("UPDATE ledger_legs SET amount_minor = amount_minor + 1 WHERE entry_id = :i", i=e.id)
    _refused("UPDATE ledger_entries SET memo = 'changed' WHERE id = :i", i=e.id)
    _refused("UPDATE ledger_entries SET sequence = 99 WHERE id = :i", i=e.id)  # the seal is written once
    _refused("DELETE FROM ledger_legs WHERE entry_id = :i", i=e.id)
    _refused("DELETE FROM ledger_entries WHERE id = :i", i=e.id)
    _refused("UPDATE ledger_checkpoints SET tree_size = 1")
    _refused("DELETE FROM ledger_checkpoints")
    _refused("DELETE FROM ledger_merkle_nodes")
    _refused("UPDATE ledger_accounts SET code = 'bank2'")
    assert db.session.scalar(text("SELECT memo FROM ledger_entries WHERE id = :i"), {"i": e.id}) == e.memo


def test_a_leg_cannot_be_added_to_a_posted_entry(small_ledger):
    """Can nobody slip an extra leg into an entry that already has its legs?"""
    e = _first_entry()
    acc = small_ledger["bank"].id
    _refused(
        "INSERT INTO ledger_legs (entry_id, account_id, direction, amount_minor, currency) "
        "VALUES (:e, :a, 'debit', 5, 'TJS')",
        e=e.id,
        a=acc,
    )


def _raw_entry(legs: list[tuple[int, str, int]]) -> None:
    db.session.execute(
        text(
            "INSERT INTO ledger_entries (idempotency_key, kind, memo, leg_count, occurred_at, posted_at) "
            "VALUES ('raw:1', 'adjustment', 'raw', :n, :t, :t)"
        ),
        {"n": len(legs), "t": "2026-11-28 12:00:00.000000" if not ENGINE_IS_PG else "2026-11-28T12:00:00Z"},
    )
    entry_id = db.session.scalar(text("SELECT id FROM ledger_entries WHERE idempotency_key = 'raw:1'"))
    for account_id, direction, amount in legs:
        db.session.execute(
            text(
                "INSERT INTO ledger_legs (entry_id, account_id, direction, amount_minor, currency) "
                "VALUES (:e, :a, :d, :m, 'TJS')"
            ),
            {"e": entry_id, "a": account_id, "d": direction, "m": amount},
        )


def test_an_unbalanced_entry_is_refused_by_the_database(accounts):
    """Is an entry whose legs do not balance, inserted by raw SQL, refused (at COMMIT on PostgreSQL)?"""
    bank, p1 = accounts["bank"].id, accounts["p1"].id
    with pytest.raises(DBAPIError):
        _raw_entry([(bank, "debit", 100), (p1, "credit", 99)])
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(text("SELECT COUNT(*) FROM ledger_entries")) == 0
    # a balanced one goes through, so the guard is not simply refusing everything
    _raw_entry([(bank, "debit", 100), (p1, "credit", 100)])
    db.session.commit()
    assert db.session.scalar(text("SELECT COUNT(*) FROM ledger_legs")) == 2


@pytest.mark.postgres
def test_postgres_checks_the_balance_at_commit_not_before(accounts):
    """On PostgreSQL is the unbalanced entry accepted statement by statement and refused at COMMIT?"""
    bank, p1 = accounts["bank"].id, accounts["p1"].id
    _raw_entry([(bank, "debit", 100), (p1, "credit", 99)])  # no error yet: the trigger is deferred
    with pytest.raises(DBAPIError, match="does not balance"):
        db.session.commit()
    db.session.rollback()


def test_an_entry_missing_legs_is_refused(accounts):
    """Is an entry that declares two legs but has one refused (PostgreSQL: at commit)?"""
    bank = accounts["bank"].id
    if ENGINE_IS_PG:
        with pytest.raises(DBAPIError):
            _raw_entry([(bank, "debit", 100)])
            db.session.commit()
        db.session.rollback()
    with pytest.raises(DBAPIError):
        _raw_entry([(bank, "debit", 100), (bank, "debit", 100), (bank, "credit", 200)])  # 3 legs into 3
        db.session.execute(
            text(
                "INSERT INTO ledger_legs (entry_id, account_id, direction, amount_minor, currency) "
                "SELECT id, :a, 'debit', 1, 'TJS' FROM ledger_entries WHERE idempotency_key = 'raw:1'"
            ),
            {"a": bank},
        )
        db.session.commit()
    db.session.rollback()


def test_a_restricted_balance_cannot_go_negative_even_by_raw_sql(accounts):
    """Does the CHECK constraint on the balance row refuse a negative project balance?"""
    _refused(
        "UPDATE ledger_balances SET credits_minor = 0, debits_minor = 5, balance_minor = -5 "
        "WHERE account_id = :a",
        a=accounts["p1"].id,
    )
    # an unrestricted account may go negative (the general fund can run a deficit)
    db.session.execute(
        text("UPDATE ledger_balances SET debits_minor = 5, balance_minor = -5 WHERE account_id = :a"),
        {"a": accounts["general"].id},
    )
    db.session.commit()


def test_leg_currency_must_be_its_accounts(accounts):
    """Is a leg in a currency other than its account's refused by the database?"""
    from fundapp.ledger import services as L

    usd = L.get_account("bank", "USD").id
    with pytest.raises(DBAPIError):
        _raw_entry([(usd, "debit", 100), (accounts["p1"].id, "credit", 100)])
        db.session.commit()
    db.session.rollback()


def test_a_leg_needs_an_existing_account_and_entry(accounts):
    """Is a leg naming an account or an entry that does not exist refused by the database (the
    leg guard stands in for the account key and the entry key, see migrations 0007 and 0028)?"""
    bank, p1 = accounts["bank"].id, accounts["p1"].id
    missing = db.session.scalar(text("SELECT MAX(id) + 1000 FROM ledger_accounts"))
    with pytest.raises(DBAPIError, match="existing entry"):
        _raw_entry([(missing, "debit", 100), (p1, "credit", 100)])
        db.session.commit()
    db.session.rollback()
    with pytest.raises(DBAPIError, match="existing entry"):
        db.session.execute(
            text(
                "INSERT INTO ledger_legs (entry_id, account_id, direction, amount_minor, currency) "
                "VALUES (987654, :a, 'debit', 5, 'TJS')"
            ),
            {"a": bank},
        )
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(text("SELECT COUNT(*) FROM ledger_legs")) == 0
