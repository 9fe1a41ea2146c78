"""Ledger: a posting's legs take no key lock on their entry; a seal calls no trigger function

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03

- The foreign key from legs to their entry goes, as the one to accounts went in 0007. Its check ran
  a query per leg and took a key-share lock on the entry row just written, which PostgreSQL logs
  and which the seal's update of that row then has to look past. The leg guard trigger already
  reads each leg's entry (to count its legs and refuse a sealed one) and refuses a leg whose entry
  does not exist (SQLSTATE 23503, as the key did). Entries can never be deleted (append-only), so
  an entry that exists when its leg is written exists for good; the entry's own deferred check
  still refuses an entry whose legs are missing or do not balance.
- PostgreSQL: the append-only guard of entries runs its function only when the update changes
  something it must refuse (the same condition, as the trigger's WHEN). The seal sets the seal's
  columns from NULL on every entry, and that now costs no function call per row.
"""

import importlib.util
import re
from pathlib import Path

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

ENTRY_KEY = (
    "CONSTRAINT fk_ledger_legs_entry_id_ledger_entries FOREIGN KEY(entry_id) REFERENCES ledger_entries (id)"
)


def _refused_update() -> str:
    """The condition under which ledger_entries_refuse_update() raises (migration 0007)."""
    spec = importlib.util.spec_from_file_location(
        "ledger_throughput_0007", Path(__file__).with_name("0007_ledger_throughput.py")
    )
    before = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(before)
    fixed_new = ", ".join(f"NEW.{c}" for c in before.ENTRY_COLUMNS)
    fixed_old = ", ".join(f"OLD.{c}" for c in before.ENTRY_COLUMNS)
    once = " OR ".join(
        f"(OLD.{c} IS NOT NULL AND NEW.{c} IS DISTINCT FROM OLD.{c})" for c in before.SEAL_COLUMNS
    )
    return f"ROW({fixed_new}) IS DISTINCT FROM ROW({fixed_old}) OR {once}"


def _update_guard(*, when: bool) -> None:
    condition = f"WHEN ({_refused_update()}) " if when else ""
    op.execute("DROP TRIGGER ledger_entries_no_update ON ledger_entries")
    op.execute(
        "CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries FOR EACH ROW "
        f"{condition}EXECUTE FUNCTION ledger_entries_refuse_update()"
    )


def _sqlite_entry_key(*, present: bool) -> None:
    """SQLite cannot drop a key with ALTER TABLE: the table's stored definition is edited in place,
    as 0007 does for the account key (a key is not part of what SQLite stores for the rows)."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ledger_legs'"
    ).scalar()
    if present and ENTRY_KEY not in sql:
        sql = sql.rstrip().removesuffix(")").rstrip() + ", \n\t" + ENTRY_KEY + "\n)"
    elif not present:
        sql = re.sub(r",\s*" + re.escape(ENTRY_KEY), "", sql)
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'ledger_legs'", (sql,)
        )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_ledger_legs_entry_id_ledger_entries", "ledger_legs", type_="foreignkey")
        _update_guard(when=True)
    else:
        _sqlite_entry_key(present=False)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _update_guard(when=False)
        op.create_foreign_key(
            "fk_ledger_legs_entry_id_ledger_entries", "ledger_legs", "ledger_entries", ["entry_id"], ["id"]
        )
    else:
        _sqlite_entry_key(present=True)
