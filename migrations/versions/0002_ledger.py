"""The Public Fund ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Accounts and their balance rows, journal entries and legs, pending transfers, the Merkle tree
nodes and signed checkpoints. The database itself guards the books:

- entries, legs, tree nodes, checkpoints and accounts are append-only (UPDATE/DELETE refused;
  an entry's seal columns may be written once, by the sealer); TRUNCATE stays possible;
- a leg cannot be added to an entry that already has its declared number of legs, nor to a
  sealed entry, nor in a currency other than its account's;
- an entry whose legs do not balance per currency is refused: on PostgreSQL by a constraint
  trigger DEFERRABLE INITIALLY DEFERRED checked at COMMIT, on SQLite by a trigger on the closing
  leg (the one that reaches the entry's declared ``leg_count``);
- a balance row of a no-negative account can never go below zero (CHECK constraint).
"""

import sqlalchemy as sa
from alembic import op

import fundapp.core.db
from fundapp.core.migration_helpers import create_append_only, drop_append_only

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

APPEND_ONLY = {
    "ledger_accounts": (),
    "ledger_entries": ("sequence", "leaf_hash", "reverses_sequence", "sealed_at"),
    "ledger_legs": (),
    "ledger_merkle_nodes": (),
    "ledger_checkpoints": (),
}

PG_TRIGGERS = """
CREATE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n integer;
    unbalanced boolean;
BEGIN
    SELECT COALESCE(SUM(t.k), 0), COALESCE(bool_or(t.s <> 0), false) INTO n, unbalanced
    FROM (SELECT count(*) AS k,
                 SUM(CASE WHEN direction = 'debit' THEN amount_minor ELSE -amount_minor END) AS s
          FROM ledger_legs WHERE entry_id = NEW.id GROUP BY currency) t;
    IF n <> NEW.leg_count THEN
        RAISE EXCEPTION 'ledger entry % has % legs but declares %', NEW.id, n, NEW.leg_count
            USING ERRCODE = '23514';
    END IF;
    IF unbalanced THEN
        RAISE EXCEPTION 'ledger entry % does not balance', NEW.id USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry();

CREATE FUNCTION ledger_guard_leg() RETURNS trigger LANGUAGE plpgsql AS $$
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
    IF sealed IS NOT NULL THEN
        RAISE EXCEPTION 'ledger entry % is sealed', NEW.entry_id USING ERRCODE = '23000';
    END IF;
    IF have >= declared THEN
        RAISE EXCEPTION 'ledger entry % already has its % legs', NEW.entry_id, declared
            USING ERRCODE = '23000';
    END IF;
    IF account_currency IS DISTINCT FROM NEW.currency THEN
        RAISE EXCEPTION 'a % leg cannot be posted to a % account', NEW.currency, account_currency
            USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER ledger_legs_guard BEFORE INSERT ON ledger_legs
    FOR EACH ROW EXECUTE FUNCTION ledger_guard_leg();

-- One round trip per posting on PostgreSQL, the steps of fundapp.ledger.services._post in an order
-- that holds the hot balance rows for the shortest time: the entry row first claims the
-- idempotency key (a racing duplicate waits here for the first commit, then gets that entry), the
-- legs follow, and only then are the balance rows locked (in account order), checked and updated.
-- A refusal rolls the block back to its start: nothing is written.
CREATE FUNCTION ledger_post(
    p_key text, p_kind text, p_memo text, p_source_type text, p_source_id text, p_project_id integer,
    p_actor_id integer, p_backer text, p_reverses_id bigint, p_occurred timestamptz,
    p_posted timestamptz, p_accounts integer[], p_directions text[], p_amounts bigint[],
    p_currencies text[], p_release_accounts integer[], p_release_amounts bigint[],
    OUT status text, OUT entry_id bigint, OUT leg_ids bigint[]
) LANGUAGE plpgsql AS $$
DECLARE
    short integer;
    short_constraint text;
BEGIN
    BEGIN
        INSERT INTO ledger_entries (idempotency_key, kind, memo, source_type, source_id, project_id,
            actor_id, backer_label, reverses_id, leg_count, occurred_at, posted_at)
        VALUES (p_key, p_kind, p_memo, p_source_type, p_source_id, p_project_id, p_actor_id, p_backer,
            p_reverses_id, cardinality(p_accounts), p_occurred, p_posted)
        ON CONFLICT DO NOTHING
        RETURNING id INTO entry_id;
        IF entry_id IS NULL THEN
            SELECT e.id INTO entry_id FROM ledger_entries e WHERE e.idempotency_key = p_key;
            -- the only other unique value of a new entry is the entry it reverses
            status := CASE WHEN entry_id IS NULL THEN 'reversed' ELSE 'exists' END;
            RETURN;
        END IF;
        WITH ins AS (
            INSERT INTO ledger_legs (entry_id, account_id, direction, amount_minor, currency)
            SELECT entry_id, a, d, m, c
            FROM unnest(p_accounts, p_directions, p_amounts, p_currencies)
                 WITH ORDINALITY AS u(a, d, m, c, n)
            ORDER BY n
            RETURNING id
        )
        SELECT array_agg(id ORDER BY id) INTO leg_ids FROM ins;
        PERFORM 1 FROM ledger_balances WHERE account_id = ANY(p_accounts)
            ORDER BY account_id FOR UPDATE;
        UPDATE ledger_balances b SET
            debits_minor = b.debits_minor + per.dr,
            credits_minor = b.credits_minor + per.cr,
            balance_minor = b.balance_minor + CASE WHEN b.debit_normal THEN per.dr - per.cr
                                                   ELSE per.cr - per.dr END,
            reserved_minor = b.reserved_minor - COALESCE(per.rel, 0),
            entry_count = b.entry_count + 1
        FROM (
            SELECT u.a, SUM(CASE WHEN u.d = 'debit' THEN u.m ELSE 0 END) AS dr,
                   SUM(CASE WHEN u.d = 'credit' THEN u.m ELSE 0 END) AS cr,
                   (SELECT SUM(r.m) FROM unnest(p_release_accounts, p_release_amounts) AS r(a, m)
                    WHERE r.a = u.a) AS rel
            FROM unnest(p_accounts, p_directions, p_amounts) AS u(a, d, m) GROUP BY u.a
        ) per
        WHERE b.account_id = per.a;
    EXCEPTION WHEN check_violation THEN
        -- the balance rows' CHECK (no-negative) refused it; anything else is a real error
        GET STACKED DIAGNOSTICS short_constraint = CONSTRAINT_NAME;
        IF short_constraint IS DISTINCT FROM 'ck_ledger_balances_no_negative' THEN
            RAISE;
        END IF;
        SELECT b.account_id INTO short FROM ledger_balances b
        WHERE b.account_id = ANY(p_accounts) AND b.no_negative ORDER BY b.account_id LIMIT 1;
        status := 'insufficient';
        entry_id := short;
        leg_ids := NULL;
        RETURN;
    END;
    status := 'posted';
END $$;
"""

PG_DROP = """
DROP FUNCTION IF EXISTS ledger_post(text, text, text, text, text, integer, integer, text, bigint,
    timestamptz, timestamptz, integer[], text[], bigint[], text[], integer[], bigint[]);
DROP TRIGGER IF EXISTS ledger_legs_guard ON ledger_legs;
DROP FUNCTION IF EXISTS ledger_guard_leg();
DROP TRIGGER IF EXISTS ledger_entries_balanced ON ledger_entries;
DROP FUNCTION IF EXISTS ledger_check_entry();
"""

SQLITE_TRIGGERS = (
    """
    CREATE TRIGGER ledger_legs_guard BEFORE INSERT ON ledger_legs
    BEGIN
        SELECT RAISE(ABORT, 'ledger entry is sealed')
        WHERE (SELECT sequence FROM ledger_entries WHERE id = NEW.entry_id) IS NOT NULL;
        SELECT RAISE(ABORT, 'ledger entry already has its legs')
        WHERE (SELECT count(*) FROM ledger_legs WHERE entry_id = NEW.entry_id)
            >= (SELECT leg_count FROM ledger_entries WHERE id = NEW.entry_id);
        SELECT RAISE(ABORT, 'leg currency differs from its account')
        WHERE (SELECT currency FROM ledger_accounts WHERE id = NEW.account_id) IS NOT NEW.currency;
    END
    """,
    """
    CREATE TRIGGER ledger_legs_balanced AFTER INSERT ON ledger_legs
    WHEN (SELECT count(*) FROM ledger_legs WHERE entry_id = NEW.entry_id)
        = (SELECT leg_count FROM ledger_entries WHERE id = NEW.entry_id)
    BEGIN
        SELECT RAISE(ABORT, 'ledger entry does not balance')
        WHERE EXISTS (
            SELECT 1 FROM ledger_legs WHERE entry_id = NEW.entry_id GROUP BY currency
            HAVING sum(CASE WHEN direction = 'debit' THEN amount_minor ELSE -amount_minor END) <> 0
        );
    END
    """,
)


def upgrade():
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=12), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("no_negative", sa.Boolean(), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "type IN ('asset', 'liability', 'equity', 'income', 'expense')",
            name=op.f("ck_ledger_accounts_type_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("code", "currency", name=op.f("uq_ledger_accounts_code_currency")),
    )
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_accounts_project_id", ["project_id"], unique=False)

    op.create_table(
        "ledger_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signed_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.CheckConstraint("tree_size >= 0", name=op.f("ck_ledger_checkpoints_tree_size_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_checkpoints")),
    )
    with op.batch_alter_table("ledger_checkpoints", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_checkpoints_tree_size", ["tree_size"], unique=False)

    op.create_table(
        "ledger_merkle_nodes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.CheckConstraint("level >= 1", name=op.f("ck_ledger_merkle_nodes_level_positive")),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_ledger_merkle_nodes")),
    )
    op.create_table(
        "ledger_balances",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("debit_normal", sa.Boolean(), nullable=False),
        sa.Column("no_negative", sa.Boolean(), nullable=False),
        sa.Column("debits_minor", sa.BigInteger(), nullable=False),
        sa.Column("credits_minor", sa.BigInteger(), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.Column("reserved_minor", sa.BigInteger(), nullable=False),
        sa.Column("entry_count", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "NOT no_negative OR (balance_minor >= 0 AND balance_minor - reserved_minor >= 0)",
            name=op.f("ck_ledger_balances_no_negative"),
        ),
        sa.CheckConstraint(
            "balance_minor = CASE WHEN debit_normal THEN debits_minor - credits_minor ELSE credits_minor - debits_minor END",
            name=op.f("ck_ledger_balances_balance_consistent"),
        ),
        sa.CheckConstraint("reserved_minor >= 0", name=op.f("ck_ledger_balances_reserved_not_negative")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["ledger_accounts.id"], name=op.f("fk_ledger_balances_account_id_ledger_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_ledger_balances")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=False),
        sa.Column("source_type", sa.String(length=40), nullable=True),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("backer_label", sa.String(length=200), nullable=True),
        sa.Column("reverses_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("leg_count", sa.Integer(), nullable=False),
        sa.Column("occurred_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("posted_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=True),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("reverses_sequence", sa.BigInteger(), nullable=True),
        sa.Column("sealed_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('donation', 'pledge_collection', 'investment', 'disbursement', 'refund', 'fee', 'repayment', 'distribution', 'reversal', 'adjustment', 'fx', 'transfer')",
            name=op.f("ck_ledger_entries_kind_known"),
        ),
        sa.CheckConstraint(
            "(sequence IS NULL AND leaf_hash IS NULL) OR (sequence IS NOT NULL AND leaf_hash IS NOT NULL)",
            name=op.f("ck_ledger_entries_sealed_whole"),
        ),
        sa.CheckConstraint("leg_count >= 2", name=op.f("ck_ledger_entries_two_legs_at_least")),
        sa.CheckConstraint(
            "sequence IS NULL OR sequence >= 1", name=op.f("ck_ledger_entries_sequence_positive")
        ),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_ledger_entries_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["ledger_entries.id"], name=op.f("fk_ledger_entries_reverses_id_ledger_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_ledger_entries_idempotency_key")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_ledger_entries_reverses_id")),
        sa.UniqueConstraint("sequence", name=op.f("uq_ledger_entries_sequence")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entries_project_id", ["project_id"], unique=False)
        batch_op.create_index("ix_ledger_entries_source", ["source_type", "source_id"], unique=False)
        batch_op.create_index(
            "ix_ledger_entries_unsealed",
            ["id"],
            unique=False,
            postgresql_where=sa.text("sequence IS NULL"),
            sqlite_where=sa.text("sequence IS NULL"),
        )

    op.create_table(
        "ledger_legs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=6), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.CheckConstraint("direction IN ('debit', 'credit')", name=op.f("ck_ledger_legs_direction_known")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_ledger_legs_amount_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["ledger_accounts.id"], name=op.f("fk_ledger_legs_account_id_ledger_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["ledger_entries.id"], name=op.f("fk_ledger_legs_entry_id_ledger_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_legs")),
    )
    with op.batch_alter_table("ledger_legs", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_legs_account_id", ["account_id"], unique=False)
        batch_op.create_index("ix_ledger_legs_entry_id", ["entry_id"], unique=False)

    op.create_table(
        "ledger_pending_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("legs_json", sa.JSON(), nullable=False),
        sa.Column("source_type", sa.String(length=40), nullable=True),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.CheckConstraint(
            "(state = 'posted') = (entry_id IS NOT NULL)",
            name=op.f("ck_ledger_pending_transfers_posted_has_entry"),
        ),
        sa.CheckConstraint(
            "kind IN ('donation', 'pledge_collection', 'investment', 'disbursement', 'refund', 'fee', 'repayment', 'distribution', 'reversal', 'adjustment', 'fx', 'transfer')",
            name=op.f("ck_ledger_pending_transfers_kind_known"),
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'posted', 'voided')", name=op.f("ck_ledger_pending_transfers_state_known")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_ledger_pending_transfers_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_ledger_pending_transfers_entry_id_ledger_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_ledger_pending_transfers_resolved_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_pending_transfers")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_ledger_pending_transfers_idempotency_key")),
    )

    for table, columns in APPEND_ONLY.items():
        create_append_only(table, allow_update_columns=columns)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_TRIGGERS)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_DROP)
    else:
        op.execute("DROP TRIGGER IF EXISTS ledger_legs_balanced")
        op.execute("DROP TRIGGER IF EXISTS ledger_legs_guard")
    for table in APPEND_ONLY:
        drop_append_only(table)
    op.drop_table("ledger_pending_transfers")
    with op.batch_alter_table("ledger_legs", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_legs_entry_id")
        batch_op.drop_index("ix_ledger_legs_account_id")

    op.drop_table("ledger_legs")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_ledger_entries_unsealed",
            postgresql_where=sa.text("sequence IS NULL"),
            sqlite_where=sa.text("sequence IS NULL"),
        )
        batch_op.drop_index("ix_ledger_entries_source")
        batch_op.drop_index("ix_ledger_entries_project_id")

    op.drop_table("ledger_entries")
    op.drop_table("ledger_balances")
    op.drop_table("ledger_merkle_nodes")
    with op.batch_alter_table("ledger_checkpoints", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_checkpoints_tree_size")

    op.drop_table("ledger_checkpoints")
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_accounts_project_id")

    op.drop_table("ledger_accounts")
