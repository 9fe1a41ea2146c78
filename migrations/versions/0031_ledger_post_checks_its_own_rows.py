"""Ledger: ``ledger_post()`` checks its own rows; the triggers check every other write

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-04

PostgreSQL only. The leg guard (a statement trigger over a transition table) and the balance check
at commit (a deferred trigger per entry) cost a posting about a tenth of its time in the database,
to verify what ``ledger_post()`` can verify on its own arguments in the statements it runs anyway:

- the legs balance in each currency: summed in the function before anything is written;
- each leg's account exists and is in the leg's currency: the legs are inserted joined to their
  accounts, and a leg that finds none is counted missing;
- the entry is new (so unsealed) and has exactly the legs it declares (``leg_count`` is their
  number, and every one was inserted).

A refusal is the same error, with the same SQLSTATE and message, that the triggers raise.

The function runs with ``ledger.posting = 'on'`` (a ``SET`` clause: the setting holds only while the
function runs, and is restored when it returns, even on error), and both triggers fire only when
it is not ``'on'``. So a row written by any other statement, including one in the same transaction
after a posting, is checked exactly as before. A session that set ``ledger.posting`` itself would
skip them, as ``session_replication_role = replica`` skips every trigger: neither is done by the
application.
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

PG_POST = """CREATE OR REPLACE FUNCTION ledger_post(
    p_key text, p_kind text, p_memo text, p_source_type text, p_source_id text, p_project_id integer,
    p_actor_id integer, p_backer text, p_reverses_id bigint, p_occurred timestamptz,
    p_posted timestamptz, p_accounts integer[], p_directions text[], p_amounts bigint[],
    p_currencies text[], p_release_accounts integer[], p_release_amounts bigint[],
    OUT status text, OUT entry_id bigint, OUT leg_ids bigint[]
) LANGUAGE plpgsql
    SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET ledger.posting = 'on' AS $$
DECLARE
    short integer;
    short_constraint text;
    acc integer;
    dr bigint;
    cr bigint;
    rel bigint;
    i integer;
    n integer;
    bad_account integer;
    bad_currency text;
    account_currency text;
    total bigint := 0;
    mixed boolean := false;
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
        -- what the triggers check for rows written elsewhere, checked here on the arguments: the
        -- legs balance in each currency (the entry declares exactly these legs: leg_count is their
        -- number, and the entry is new, so unsealed)
        FOR i IN 1 .. cardinality(p_accounts) LOOP
            mixed := mixed OR p_currencies[i] IS DISTINCT FROM p_currencies[1];
            total := total + CASE WHEN p_directions[i] = 'debit' THEN p_amounts[i]
                                  ELSE -p_amounts[i] END;
        END LOOP;
        IF mixed THEN  -- several currencies (rare): each one's sum, by a query
            IF EXISTS (SELECT 1 FROM unnest(p_currencies, p_directions, p_amounts) AS u(c, d, m)
                       GROUP BY u.c HAVING sum(CASE WHEN u.d = 'debit' THEN u.m ELSE -u.m END) <> 0) THEN
                RAISE EXCEPTION 'ledger entry % does not balance', entry_id USING ERRCODE = '23514';
            END IF;
        ELSIF total <> 0 THEN
            RAISE EXCEPTION 'ledger entry % does not balance', entry_id USING ERRCODE = '23514';
        END IF;
        -- and each leg's account exists and is in the leg's currency: a leg that does not find its
        -- account is not inserted, and then the count tells
        INSERT INTO ledger_legs (entry_id, account_id, direction, amount_minor, currency)
        SELECT entry_id, u.a, u.d, u.m, u.c
        FROM unnest(p_accounts, p_directions, p_amounts, p_currencies) AS u(a, d, m, c)
        JOIN ledger_accounts x ON x.id = u.a AND x.currency = u.c;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n <> cardinality(p_accounts) THEN
            SELECT u.a, u.c, x.currency INTO bad_account, bad_currency, account_currency
            FROM unnest(p_accounts, p_currencies) AS u(a, c)
            LEFT JOIN ledger_accounts x ON x.id = u.a
            WHERE x.currency IS DISTINCT FROM u.c LIMIT 1;
            IF account_currency IS NULL THEN
                RAISE EXCEPTION 'a leg must belong to an existing entry (%) and account (%)', entry_id,
                    bad_account USING ERRCODE = '23503';
            END IF;
            RAISE EXCEPTION 'a % leg cannot be posted to a % account', bad_currency, account_currency
                USING ERRCODE = '23514';
        END IF;
        -- each account once, in id order (the order every posting locks balance rows in); only
        -- the rows that must be current now are written: accounts that refuse going below zero,
        -- and any account whose reservation this posting releases (its movement is the sealer's)
        FOREACH acc IN ARRAY (SELECT array_agg(DISTINCT x ORDER BY x) FROM unnest(p_accounts) AS x) LOOP
            dr := 0;
            cr := 0;
            rel := 0;
            FOR i IN 1 .. cardinality(p_accounts) LOOP
                IF p_accounts[i] = acc THEN
                    IF p_directions[i] = 'debit' THEN
                        dr := dr + p_amounts[i];
                    ELSE
                        cr := cr + p_amounts[i];
                    END IF;
                END IF;
            END LOOP;
            FOR i IN 1 .. coalesce(cardinality(p_release_accounts), 0) LOOP
                IF p_release_accounts[i] = acc THEN
                    rel := rel + p_release_amounts[i];
                END IF;
            END LOOP;
            UPDATE ledger_balances b SET
                debits_minor = b.debits_minor + CASE WHEN b.no_negative THEN dr ELSE 0 END,
                credits_minor = b.credits_minor + CASE WHEN b.no_negative THEN cr ELSE 0 END,
                balance_minor = b.balance_minor + CASE WHEN NOT b.no_negative THEN 0
                                                       WHEN b.debit_normal THEN dr - cr
                                                       ELSE cr - dr END,
                reserved_minor = b.reserved_minor - rel,
                entry_count = b.entry_count + CASE WHEN b.no_negative THEN 1 ELSE 0 END
            WHERE b.account_id = acc AND (b.no_negative OR acc = ANY(p_release_accounts));
        END LOOP;
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

# the triggers fire for every write that is not ledger_post()'s own
TRIGGERS = """
DROP TRIGGER ledger_legs_guard ON ledger_legs;
CREATE TRIGGER ledger_legs_guard AFTER INSERT ON ledger_legs REFERENCING NEW TABLE AS new_legs
    FOR EACH STATEMENT WHEN (current_setting('ledger.posting', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION ledger_guard_legs();
DROP TRIGGER ledger_entries_balanced ON ledger_entries;
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (current_setting('ledger.posting', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION ledger_check_entry();
"""

TRIGGERS_BEFORE = """
DROP TRIGGER ledger_legs_guard ON ledger_legs;
CREATE TRIGGER ledger_legs_guard AFTER INSERT ON ledger_legs REFERENCING NEW TABLE AS new_legs
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_guard_legs();
DROP TRIGGER ledger_entries_balanced ON ledger_entries;
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry();
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_POST)
        op.execute(TRIGGERS)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        spec = importlib.util.spec_from_file_location(
            "ledger_post_0030", Path(__file__).with_name("0030_ledger_post_simple_statements.py")
        )
        before = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(before)
        op.execute(TRIGGERS_BEFORE)
        op.execute(before.PG_POST)
