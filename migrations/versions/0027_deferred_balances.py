"""Ledger: the balances of accounts that never refuse a posting are kept where entries are sealed

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03

An account with the no-negative rule (a project's money, the prize fund) must have its balance
current inside the posting's transaction: that is how a posting that would take it below zero is
refused. The others (the clearing accounts of Stripe, the bank and the transfer operators, fees,
payables) never refuse anything, yet every donation wrote to the same few of them, so concurrent
postings queued on those rows until each other's commit. Their debits, credits, balance and entry
count are now added by the sealer, in the transaction that seals the entries, in one statement per
batch; ``ledger_post()`` writes only the rows it must (no-negative accounts, and any account whose
reservation the posting releases). A reader of a current balance adds the legs of entries not yet
sealed (``fundapp.ledger.balances``); the database's checks of each row hold as before.

Upgrade takes the legs of entries not yet sealed back out of those rows, since the sealer will add
them; downgrade puts them back.
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

PG_POST = """
CREATE OR REPLACE FUNCTION ledger_post(
    p_key text, p_kind text, p_memo text, p_source_type text, p_source_id text, p_project_id integer,
    p_actor_id integer, p_backer text, p_reverses_id bigint, p_occurred timestamptz,
    p_posted timestamptz, p_accounts integer[], p_directions text[], p_amounts bigint[],
    p_currencies text[], p_release_accounts integer[], p_release_amounts bigint[],
    OUT status text, OUT entry_id bigint, OUT leg_ids bigint[]
) LANGUAGE plpgsql
    SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
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
        -- only the rows that must be current now: accounts that refuse going below zero, and any
        -- account whose reservation this posting releases (its movement is still the sealer's)
        WITH locked AS MATERIALIZED (
            SELECT b.account_id, b.no_negative FROM ledger_balances b
             WHERE b.account_id = ANY(p_accounts)
               AND (b.no_negative OR b.account_id = ANY(p_release_accounts))
             ORDER BY b.account_id FOR UPDATE
        ), per AS MATERIALIZED (
            SELECT u.a, SUM(CASE WHEN u.d = 'debit' THEN u.m ELSE 0 END) AS dr,
                   SUM(CASE WHEN u.d = 'credit' THEN u.m ELSE 0 END) AS cr,
                   (SELECT SUM(r.m) FROM unnest(p_release_accounts, p_release_amounts) AS r(a, m)
                    WHERE r.a = u.a) AS rel
            FROM unnest(p_accounts, p_directions, p_amounts) AS u(a, d, m) GROUP BY u.a
        )
        UPDATE ledger_balances b SET
            debits_minor = b.debits_minor + CASE WHEN locked.no_negative THEN per.dr ELSE 0 END,
            credits_minor = b.credits_minor + CASE WHEN locked.no_negative THEN per.cr ELSE 0 END,
            balance_minor = b.balance_minor + CASE WHEN NOT locked.no_negative THEN 0
                                                   WHEN b.debit_normal THEN per.dr - per.cr
                                                   ELSE per.cr - per.dr END,
            reserved_minor = b.reserved_minor - COALESCE(per.rel, 0),
            entry_count = b.entry_count + CASE WHEN locked.no_negative THEN 1 ELSE 0 END
        FROM locked JOIN per ON per.a = locked.account_id
        WHERE b.account_id = locked.account_id;
    EXCEPTION WHEN check_violation THEN
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

# The legs of unsealed entries on accounts without the no-negative rule, per account.
_UNSEALED = (
    "SELECT l.account_id AS account_id, "
    "SUM(CASE WHEN l.direction = 'debit' THEN l.amount_minor ELSE 0 END) AS d, "
    "SUM(CASE WHEN l.direction = 'credit' THEN l.amount_minor ELSE 0 END) AS c, "
    "COUNT(DISTINCT l.entry_id) AS n "
    "FROM ledger_legs l JOIN ledger_entries e ON e.id = l.entry_id "
    "WHERE e.sequence IS NULL GROUP BY l.account_id"
)


def _move_unsealed(sign: str) -> None:
    op.execute(
        "UPDATE ledger_balances SET "  # noqa: S608 - a sign and a constant
        f"debits_minor = debits_minor {sign} m.d, credits_minor = credits_minor {sign} m.c, "
        f"balance_minor = balance_minor {sign} CASE WHEN debit_normal THEN m.d - m.c ELSE m.c - m.d END, "
        f"entry_count = entry_count {sign} m.n "
        f"FROM ({_UNSEALED}) AS m "
        "WHERE ledger_balances.account_id = m.account_id AND NOT ledger_balances.no_negative"
    )


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_POST)
    _move_unsealed("-")


def downgrade():
    _move_unsealed("+")
    if op.get_bind().dialect.name == "postgresql":
        spec = importlib.util.spec_from_file_location(
            "ledger_post_0025", Path(__file__).with_name("0025_ledger_post_planned_once.py")
        )
        before = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(before)
        op.execute(before.PG_POST)
