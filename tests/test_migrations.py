"""The migrations: an empty database goes to head, back to base and to head again on the active
engine, and the schema they build is exactly what the models describe.

Runs in a database of its own (a temporary SQLite file, or ``<db>_migr`` on the PostgreSQL server),
so the suite's shared template is never disturbed."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from fundapp import create_app
from fundapp.core.fulltext import is_index_object
from fundapp.core.money import Money
from fundapp.extensions import db
from tests.conftest import ENGINE, PG_URL, _base_config, need


@pytest.fixture
def migr_url(tmp_path):
    if ENGINE != "postgresql":
        yield f"sqlite:///{tmp_path / 'migr.sqlite'}"
        return
    need(bool(PG_URL), "TEST_DATABASE_URL is not set for the PostgreSQL run")
    base = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    parts = urlsplit(base)
    # one per xdist worker: two migration tests on two workers must not share (and drop) one database
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    name = parts.path.lstrip("/") + "_migr" + (f"_{worker}" if worker else "")
    url = urlunsplit(parts._replace(path="/" + name))
    # NullPool: every connection to the server is closed when its block ends, none outlives the test
    server = create_engine(
        urlunsplit(parts._replace(path="/postgres")), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def _tables(engine) -> set[str]:
    """The tables the models describe (not the full-text indexes' own, e.g. FTS5's shadow tables)."""
    return {t for t in inspect(engine).get_table_names() if t != "alembic_version" and not is_index_object(t)}


def _not_fulltext(name, type_, parent_names) -> bool:
    return not is_index_object(name)


def test_upgrade_downgrade_upgrade_and_models_match(migr_url, tmp_path):
    """Empty → head → base → head works, and autogenerate finds no difference between the
    models and the migrated schema (so every model change has its migration)."""
    instance = tmp_path / "instance"
    app = create_app(_base_config(migr_url), instance_path=str(instance))
    with app.app_context():
        assert _tables(db.engine) == set()
        upgrade()
        head_tables = _tables(db.engine)
        assert {"users", "user_roles", "audit_events", "outbox_messages"} <= head_tables
        downgrade(revision="base")
        assert _tables(db.engine) == set()
        upgrade()
        assert _tables(db.engine) == head_tables
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": _not_fulltext}
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == [], "models and migrations differ:\n" + "\n".join(map(str, diff))
        assert _tables(db.engine) == set(db.metadata.tables)
        db.session.remove()
        db.engine.dispose()


def _row_counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar() for t in sorted(_tables(engine))
        }


def test_later_migrations_go_down_and_up_on_a_populated_database(migr_url, tmp_path):
    """With the demo's data in every domain, do the migrations after 0007 go down and up again
    without losing a row? (On SQLite, a migration that rebuilt a table other tables refer to would
    fail here on the foreign keys, though it passes on an empty database.)"""
    app = create_app(_base_config(migr_url), instance_path=str(tmp_path / "instance"))
    with app.app_context():
        upgrade()
        result = app.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
        db.session.remove()
        before = _row_counts(db.engine)
        assert before["ledger_entries"] > 0 and before["disbursement_requests"] > 0
        downgrade(revision="0007")
        kept = _tables(db.engine)  # tables created later are dropped with their rows, by design
        upgrade()
        after = _row_counts(db.engine)
        assert {t: n for t, n in after.items() if t in kept} == {t: n for t, n in before.items() if t in kept}
        assert set(after) == set(before)
        db.session.remove()
        db.engine.dispose()


def test_deferred_balances_migration_moves_unsealed_legs_out_of_the_rows_and_back(migr_url, tmp_path):
    """Does 0027 take the legs of entries not yet sealed out of the clearing accounts' rows (the
    sealer adds them), and does going back to 0026 put them in again, so that no amount is ever
    counted twice or lost across the change?"""
    from fundapp.ledger import sealing
    from fundapp.ledger import services as L
    from fundapp.ledger.models import AccountBalance
    from fundapp.ledger.verify import verify_ledger

    app = create_app(_base_config(migr_url), instance_path=str(tmp_path / "instance"))
    with app.app_context():
        upgrade()
        stripe, project = L.get_account("stripe_clearing", "TJS"), L.project_account(1, "TJS")
        db.session.commit()
        L.post_entry(
            "donation",
            [L.Leg.debit(stripe, Money(2500, "TJS")), L.Leg.credit(project, Money(2500, "TJS"))],
            memo="gift",
            idempotency_key="migr:gift",
        )
        db.session.commit()
        stripe_id = stripe.id

        def row():
            db.session.remove()
            b = db.session.get(AccountBalance, stripe_id)
            return b.debits_minor, b.balance_minor, b.entry_count

        assert row() == (0, 0, 0)
        db.session.remove()
        downgrade(revision="0026")
        assert row() == (2500, 2500, 1)  # as postings kept it before 0027
        db.session.remove()
        upgrade()
        assert row() == (0, 0, 0)
        assert sealing.seal_pending() == 1
        sealing.make_checkpoint()
        db.session.commit()
        assert row() == (2500, 2500, 1)
        report = verify_ledger()
        assert report.ok, report.problems
        db.session.remove()
        db.engine.dispose()
