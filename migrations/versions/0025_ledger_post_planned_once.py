"""Ledger: a posting's work in the database planned once and checked once per statement

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02

PostgreSQL only (SQLite keeps its triggers of migrations 0002 and 0007).

- ``ledger_post()`` keeps one generic plan per statement for the life of a connection
  (``plan_cache_mode = force_generic_plan``): its statements take arrays, for which PostgreSQL
  otherwise re-plans on every call, and planning was a sixth of a posting's time in the database.
  Every statement in it finds its rows by key (``enable_seqscan = off`` for its own statements), so
  a posting costs the same with ten accounts or a million.
- Balance rows are locked in account order and updated in one statement (a locking CTE joined to
  the update) instead of two.
- The leg guard runs once per statement over the inserted legs (a transition table) instead of
  once per leg, with one query that checks everything it checked before: the entry and the account
  exist, the entry is not sealed, the leg's currency is its account's, and the entry does not get
  more legs than it declares. The balance check at commit is unchanged.
"""

from alembic import op

revision = "0025"
down_revision = "0024"
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
        WITH locked AS MATERIALIZED (
            SELECT b.account_id FROM ledger_balances b
             WHERE b.account_id = ANY(p_accounts) ORDER BY b.account_id FOR UPDATE
        ), per AS MATERIALIZED (
            SELECT u.a, SUM(CASE WHEN u.d = 'debit' THEN u.m ELSE 0 END) AS dr,
                   SUM(CASE WHEN u.d = 'credit' THEN u.m ELSE 0 END) AS cr,
                   (SELECT SUM(r.m) FROM unnest(p_release_accounts, p_release_amounts) AS r(a, m)
                    WHERE r.a = u.a) AS rel
            FROM unnest(p_accounts, p_directions, p_amounts) AS u(a, d, m) GROUP BY u.a
        )
        UPDATE ledger_balances b SET
            debits_minor = b.debits_minor + per.dr,
            credits_minor = b.credits_minor + per.cr,
            balance_minor = b.balance_minor + CASE WHEN b.debit_normal THEN per.dr - per.cr
                                                   ELSE per.cr - per.dr END,
            reserved_minor = b.reserved_minor - COALESCE(per.rel, 0),
            entry_count = b.entry_count + 1
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

PG_GUARD = """
CREATE OR REPLACE FUNCTION ledger_guard_legs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.entry_id, n.account_id, n.currency, e.id AS eid, e.sequence, e.leg_count,
           a.id AS aid, a.currency AS account_currency
      INTO bad
      FROM new_legs n
      -- each leg's entry and account by key (LIMIT keeps them per-leg lookups: a join could scan
      -- the whole journal for a bulk load)
      LEFT JOIN LATERAL (SELECT x.id, x.sequence, x.leg_count FROM ledger_entries x
                          WHERE x.id = n.entry_id LIMIT 1) e ON true
      LEFT JOIN LATERAL (SELECT y.id, y.currency FROM ledger_accounts y
                          WHERE y.id = n.account_id LIMIT 1) a ON true
     WHERE e.id IS NULL OR a.id IS NULL OR e.sequence IS NOT NULL
        OR a.currency IS DISTINCT FROM n.currency
        OR (SELECT count(*) FROM ledger_legs l WHERE l.entry_id = n.entry_id) > e.leg_count
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    ELSIF bad.eid IS NULL OR bad.aid IS NULL THEN
        RAISE EXCEPTION 'a leg must belong to an existing entry (%) and account (%)',
            bad.entry_id, bad.account_id USING ERRCODE = '23503';
    ELSIF bad.sequence IS NOT NULL THEN
        RAISE EXCEPTION 'ledger entry % is sealed', bad.entry_id USING ERRCODE = '23000';
    ELSIF bad.account_currency IS DISTINCT FROM bad.currency THEN
        RAISE EXCEPTION 'a % leg cannot be posted to a % account', bad.currency, bad.account_currency
            USING ERRCODE = '23514';
    END IF;
    RAISE EXCEPTION 'ledger entry % already has its % legs', bad.entry_id, bad.leg_count
        USING ERRCODE = '23000';
END $$;
CREATE TRIGGER ledger_legs_guard AFTER INSERT ON ledger_legs REFERENCING NEW TABLE AS new_legs
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_guard_legs();
"""

# The function and trigger as migrations 0002 and 0007 left them.
PG_OLD_POST = """
CREATE OR REPLACE FUNCTION ledger_post(
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

PG_OLD_GUARD = """
DROP TRIGGER IF EXISTS ledger_legs_guard ON ledger_legs;
DROP FUNCTION IF EXISTS ledger_guard_legs();
CREATE TRIGGER ledger_legs_guard BEFORE INSERT ON ledger_legs
    FOR EACH ROW EXECUTE FUNCTION ledger_guard_leg();
"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(PG_POST)
    op.execute("DROP TRIGGER IF EXISTS ledger_legs_guard ON ledger_legs")
    op.execute(PG_GUARD)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(PG_OLD_GUARD)
    op.execute(
        "ALTER FUNCTION ledger_post(text, text, text, text, text, integer, integer, text, bigint, "
        "timestamptz, timestamptz, integer[], text[], bigint[], text[], integer[], bigint[]) RESET ALL"
    )
    op.execute(PG_OLD_POST)
