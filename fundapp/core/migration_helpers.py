"""SQL that migrations share: append-only protection of a table on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import op


def create_append_only(table: str, *, allow_update_columns: tuple[str, ...] = ()) -> None:
    """Make the database refuse DELETE (always) and UPDATE (unless only ``allow_update_columns``
    change, e.g. a seal written after the row was posted) on ``table``."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        refuse = f"RAISE EXCEPTION '{table} is append-only' USING ERRCODE = '23000';"
        if allow_update_columns:
            # a row may change only in the allowed columns, and only from NULL
            cols = " - ".join(f"'{c}'" for c in allow_update_columns)
            set_once = " OR ".join(
                f"(OLD.{c} IS NOT NULL AND NEW.{c} IS DISTINCT FROM OLD.{c})" for c in allow_update_columns
            )
            cond = f"(to_jsonb(NEW) - {cols}) IS DISTINCT FROM (to_jsonb(OLD) - {cols}) OR {set_once}"
            update_body = f"IF {cond} THEN {refuse} END IF; RETURN NEW;"
        else:
            update_body = refuse
        op.execute(
            f"""
            CREATE FUNCTION {table}_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN {update_body} END $$;
            CREATE FUNCTION {table}_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN {refuse} END $$;
            CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {table}_refuse_update();
            CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {table}_refuse_delete();
            """
        )
    else:
        if allow_update_columns:
            # SQLite: refuse an UPDATE that touches any column but the allowed ones,
            # or that changes an allowed column once it is set.
            from sqlalchemy import inspect

            cols = [c["name"] for c in inspect(op.get_bind()).get_columns(table)]
            changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in cols if c not in allow_update_columns)
            once = " OR ".join(
                f"(OLD.{c} IS NOT NULL AND NEW.{c} IS NOT OLD.{c})" for c in allow_update_columns
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"WHEN {changed} OR {once} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )


def drop_append_only(table: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_refuse_update()")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_refuse_delete()")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
