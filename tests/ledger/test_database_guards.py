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


# -- ledger_post() checks its own rows (migration 0031) ------------------------------------------


def _post_raw(key: str, legs: list[tuple[int, str, int, str]]):
    """Call ledger_post() directly, as the posting engine does, with legs (account, direction,
    amount, currency) that the services would never send."""
    return db.session.execute(
        text(
            "SELECT status, entry_id FROM ledger_post(:k, 'adjustment', 'raw', NULL, NULL, NULL, NULL, "
            "NULL, NULL, now(), now(), CAST(:a AS integer[]), CAST(:d AS text[]), CAST(:m AS bigint[]), "
            "CAST(:c AS text[]), '{}', '{}')"
        ),
        {
            "k": key,
            "a": [a for a, _, _, _ in legs],
            "d": [d for _, d, _, _ in legs],
            "m": [m for _, _, m, _ in legs],
            "c": [c for _, _, _, c in legs],
        },
    ).one()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "legs, error",
    [
        ([("bank", "debit", 100, "TJS"), ("p1", "credit", 99, "TJS")], "does not balance"),
        # balanced overall, not in each currency
        ([("bank", "debit", 100, "TJS"), ("usd_bank", "credit", 100, "USD")], "does not balance"),
        ([("bank", "debit", 100, "USD"), ("p1", "credit", 100, "USD")], "cannot be posted to a TJS account"),
        ([("missing", "debit", 100, "TJS"), ("p1", "credit", 100, "TJS")], "existing entry"),
    ],
)
def test_ledger_post_refuses_what_the_triggers_refuse(accounts, legs, error):
    """Called directly, does ledger_post() refuse unbalanced legs, a leg in another currency than
    its account's and an unknown account, writing nothing, as the triggers it no longer fires for
    its own rows do?"""
    from fundapp.ledger import services as L

    ids = {
        "bank": accounts["bank"].id,
        "p1": accounts["p1"].id,
        "usd_bank": L.get_account("bank", "USD").id,
        "missing": db.session.scalar(text("SELECT MAX(id) + 1000 FROM ledger_accounts")),
    }
    db.session.commit()
    with pytest.raises(DBAPIError, match=error):
        _post_raw("raw:bad", [(ids[a], d, m, c) for a, d, m, c in legs])
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(text("SELECT COUNT(*) FROM ledger_entries")) == 0
    assert db.session.scalar(text("SELECT COUNT(*) FROM ledger_legs")) == 0


@pytest.mark.postgres
def test_ledger_post_balances_each_currency_of_a_mixed_entry(accounts):
    """Does a balanced entry in two currencies go through the function's own check?"""
    from fundapp.ledger import services as L

    usd_bank, usd_p1 = L.get_account("bank", "USD").id, L.project_account(1, "USD").id
    status, _ = _post_raw(
        "raw:mixed",
        [
            (accounts["bank"].id, "debit", 100, "TJS"),
            (accounts["general"].id, "credit", 100, "TJS"),
            (usd_bank, "debit", 7, "USD"),
            (usd_p1, "credit", 7, "USD"),
        ],
    )
    db.session.commit()
    assert status == "posted"
    assert db.session.scalar(text("SELECT COUNT(*) FROM ledger_legs")) == 4


@pytest.mark.postgres
def test_the_triggers_still_check_writes_after_a_posting_in_the_same_transaction(accounts):
    """ledger_post() skips the triggers only for its own rows: is a leg slipped into the new entry
    by a later statement of the same transaction still refused, and is the setting that marks the
    function's rows gone once it has returned?"""
    _, entry_id = _post_raw(
        "raw:ok", [(accounts["bank"].id, "debit", 100, "TJS"), (accounts["p1"].id, "credit", 100, "TJS")]
    )
    assert db.session.scalar(text("SELECT current_setting('ledger.posting', true)")) in (None, "")
    with pytest.raises(DBAPIError, match="already has its 2 legs"):
        db.session.execute(
            text(
                "INSERT INTO ledger_legs (entry_id, account_id, direction, amount_minor, currency) "
                "VALUES (:e, :a, 'debit', 5, 'TJS')"
            ),
            {"e": entry_id, "a": accounts["bank"].id},
        )
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(text("SELECT COUNT(*) FROM ledger_entries")) == 0
