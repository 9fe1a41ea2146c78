"""Ledger: less work per posting and per seal

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28

- Two indexes that a longer index already covers go: ``ix_ledger_legs_account_id`` (prefix of
  ``ix_ledger_legs_account_entry``) and ``ix_ledger_entries_project_id`` (prefix of
  ``ix_ledger_entries_project_seq``).
- The foreign key from legs to accounts goes. Every posting touches a few hot accounts (the
  channels), and the key check takes a shared lock on those account rows from every concurrent
  writer at once, which PostgreSQL records as a multi-transaction lock on each posting. The leg
  guard trigger already reads the account to compare currencies; it now refuses a leg whose account
  or entry does not exist (SQLSTATE 23503, as the key did). Accounts can never be deleted (they are
  append-only), so an account that exists when the leg is written exists for good.
- The public journal's indexes on entries (by project, by kind, by date) hold sealed entries only,
  as every query of the public journal asks: a posting skips them; its seal adds it.
- A pending transfer is posted or voided by someone other than its creator: a trigger refuses
  the change of state otherwise (the services refuse it first).
- PostgreSQL: the append-only guard of entries compares the columns by name instead of through
  ``to_jsonb`` of both row versions; the seal writes every entry once, so this runs on every seal.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ENTRY_COLUMNS = (
    "id",
    "idempotency_key",
    "kind",
    "memo",
    "source_type",
    "source_id",
    "project_id",
    "actor_id",
    "backer_label",
    "reverses_id",
    "leg_count",
    "occurred_at",
    "posted_at",
)
SEAL_COLUMNS = ("sequence", "leaf_hash", "reverses_sequence", "sealed_at")

PG_GUARD = """
CREATE OR REPLACE FUNCTION ledger_guard_leg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    declared integer;
    sealed bigint;
    have integer;
    account_currency text;
BEGIN
    SELECT e.leg_count, e.sequence, a.currency,
           (SELECT count(*) FROM ledger_legs l WHERE l.entry_id = NEW.entry_id)
      INTO declared, sealed, account_currency, have
      FROM ledger_entries e, ledger_accounts a
     WHERE e.id = NEW.entry_id AND a.id = NEW.account_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'a leg must belong to an existing entry (%) and account (%)',
            NEW.entry_id, NEW.account_id USING ERRCODE = '23503';
    END IF;
    IF sealed IS NOT NULL THEN
        RAISE EXCEPTION 'ledger entry % is sealed', NEW.entry_id USING ERRCODE = '23000';
    END IF;
    IF have >= declared THEN
        RAISE EXCEPTION 'ledger entry % already has its % legs', NEW.entry_id, declared
            USING ERRCODE = '23000';
    END IF;
    IF account_currency <> NEW.currency THEN
        RAISE EXCEPTION 'a % leg cannot be posted to a % account', NEW.currency, account_currency
            USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END $$;
"""


def _pg_entries_guard() -> str:
    fixed_new = ", ".join(f"NEW.{c}" for c in ENTRY_COLUMNS)
    fixed_old = ", ".join(f"OLD.{c}" for c in ENTRY_COLUMNS)
    once = " OR ".join(f"(OLD.{c} IS NOT NULL AND NEW.{c} IS DISTINCT FROM OLD.{c})" for c in SEAL_COLUMNS)
    return f"""
CREATE OR REPLACE FUNCTION ledger_entries_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF ROW({fixed_new}) IS DISTINCT FROM ROW({fixed_old}) OR {once} THEN
        RAISE EXCEPTION 'ledger_entries is append-only' USING ERRCODE = '23000';
    END IF;
    RETURN NEW;
END $$;
"""


# SQLite: the leg guard of migration 0002, also refusing a leg without its entry or account.
SQLITE_LEG_GUARD = """
CREATE TRIGGER ledger_legs_guard BEFORE INSERT ON ledger_legs
BEGIN
    SELECT RAISE(ABORT, 'a leg must belong to an existing entry and account')
    WHERE NOT EXISTS (SELECT 1 FROM ledger_entries WHERE id = NEW.entry_id)
       OR NOT EXISTS (SELECT 1 FROM ledger_accounts WHERE id = NEW.account_id);
    SELECT RAISE(ABORT, 'ledger entry is sealed')
    WHERE (SELECT sequence FROM ledger_entries WHERE id = NEW.entry_id) IS NOT NULL;
    SELECT RAISE(ABORT, 'ledger entry already has its legs')
    WHERE (SELECT count(*) FROM ledger_legs WHERE entry_id = NEW.entry_id)
        >= (SELECT leg_count FROM ledger_entries WHERE id = NEW.entry_id);
    SELECT RAISE(ABORT, 'leg currency differs from its account')
    WHERE (SELECT currency FROM ledger_accounts WHERE id = NEW.account_id) IS NOT NEW.currency;
END
"""


ACCOUNT_KEY = (
    "CONSTRAINT fk_ledger_legs_account_id_ledger_accounts FOREIGN KEY(account_id) "
    "REFERENCES ledger_accounts (id)"
)


def _sqlite_account_key(*, present: bool) -> None:
    """SQLite cannot drop a key with ALTER TABLE. A key is not part of what SQLite stores for the
    rows, so the table's definition is edited in place, the way SQLite documents for removing a
    CHECK, NOT NULL or FOREIGN KEY constraint (writable schema, then a new schema version);
    rebuilding the table would make SQLite rewrite the keys of the tables that refer to it."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ledger_legs'"
    ).scalar()
    if present and ACCOUNT_KEY not in sql:
        sql = sql.replace(
            "CONSTRAINT fk_ledger_legs_entry_id_ledger_entries",
            f"{ACCOUNT_KEY}, \n\tCONSTRAINT fk_ledger_legs_entry_id_ledger_entries",
        )
    elif not present:
        sql = re.sub(r"\s*" + re.escape(ACCOUNT_KEY) + r",", "", sql)
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'ledger_legs'", (sql,)
        )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    op.execute("DROP TRIGGER IF EXISTS ledger_legs_guard")
    op.execute(SQLITE_LEG_GUARD)


SEALED_INDEXES = {
    "ix_ledger_entries_project_seq": ["project_id", "sequence"],
    "ix_ledger_entries_kind_seq": ["kind", "sequence"],
    "ix_ledger_entries_posted_at": ["posted_at"],
}


def _sealed_indexes(*, partial: bool) -> None:
    where = sa.text("sequence IS NOT NULL") if partial else None
    for name, columns in SEALED_INDEXES.items():
        op.drop_index(name, table_name="ledger_entries")
        op.create_index(name, "ledger_entries", columns, postgresql_where=where, sqlite_where=where)


PG_FOUR_EYES = """
CREATE FUNCTION ledger_pending_four_eyes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state <> 'pending' AND (NEW.resolved_by_id IS NULL OR NEW.resolved_by_id = NEW.created_by_id) THEN
        RAISE EXCEPTION 'pending transfer % must be resolved by someone other than its creator', NEW.id
            USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER ledger_pending_four_eyes BEFORE UPDATE OF state, resolved_by_id ON ledger_pending_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_pending_four_eyes();
"""
SQLITE_FOUR_EYES = """
CREATE TRIGGER ledger_pending_four_eyes BEFORE UPDATE OF state, resolved_by_id ON ledger_pending_transfers
WHEN NEW.state <> 'pending' AND (NEW.resolved_by_id IS NULL OR NEW.resolved_by_id = NEW.created_by_id)
BEGIN
    SELECT RAISE(ABORT, 'a pending transfer must be resolved by someone other than its creator');
END
"""


def upgrade():
    dialect = op.get_bind().dialect.name
    op.execute(PG_FOUR_EYES if dialect == "postgresql" else SQLITE_FOUR_EYES)
    op.drop_index("ix_ledger_legs_account_id", table_name="ledger_legs")
    op.drop_index("ix_ledger_entries_project_id", table_name="ledger_entries")
    _sealed_indexes(partial=True)
    if dialect == "postgresql":
        op.drop_constraint("fk_ledger_legs_account_id_ledger_accounts", "ledger_legs", type_="foreignkey")
        op.execute(PG_GUARD)
        op.execute(_pg_entries_guard())
    else:
        _sqlite_account_key(present=False)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_pending_four_eyes ON ledger_pending_transfers")
        op.execute("DROP FUNCTION IF EXISTS ledger_pending_four_eyes()")
    else:
        op.execute("DROP TRIGGER IF EXISTS ledger_pending_four_eyes")
    if dialect == "postgresql":
        op.create_foreign_key(
            "fk_ledger_legs_account_id_ledger_accounts",
            "ledger_legs",
            "ledger_accounts",
            ["account_id"],
            ["id"],
        )
    else:
        _sqlite_account_key(present=True)
    _sealed_indexes(partial=False)
    op.create_index("ix_ledger_entries_project_id", "ledger_entries", ["project_id"])
    op.create_index("ix_ledger_legs_account_id", "ledger_legs", ["account_id"])
