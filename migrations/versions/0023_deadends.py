"""Council decisions tied to their projects; staff actions held during a step-up

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02

A Council decision names the projects it is about (``council_decision_projects``, append-only);
a project's approval and a payout may cite only a decision that names their project. The
database refuses any other citation (triggers on ``projects`` and ``disbursement_requests``).
Existing citations are kept: each cited decision is recorded as being about the projects that
cite it.

``pending_step_ups`` keeps, for five minutes, a staff form post stopped by the step-up (TOTP
re-check), so that it is finished after the code.
"""

import sqlalchemy as sa
from alembic import op

import fundapp.core.db
from fundapp.core.migration_helpers import create_append_only, drop_append_only

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

MESSAGE = "a project may cite only a Council decision about it"
# (table, trigger name, the project id column of the citing row)
CITERS = (
    ("projects", "projects_cite_own_council_decision", "id"),
    ("disbursement_requests", "disbursement_requests_cite_own_council_decision", "project_id"),
)


def _not_tied(project_column: str) -> str:
    # project_column is one of the constant column names of CITERS, never input
    exists = "SELECT 1 FROM council_decision_projects c WHERE c.decision_id = NEW.council_decision_id"
    return f"NEW.council_decision_id IS NOT NULL AND NOT EXISTS ({exists} AND c.project_id = NEW.{project_column})"


def upgrade():
    op.create_table(
        "pending_step_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=2000), nullable=False),
        sa.Column("form_json", sa.Text(), nullable=False),
        sa.Column("back_to", sa.String(length=2000), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", fundapp.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_pending_step_ups_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_step_ups")),
        sa.UniqueConstraint("token", name=op.f("uq_pending_step_ups_token")),
    )
    op.create_index("ix_pending_step_ups_user_id", "pending_step_ups", ["user_id"], unique=False)
    op.create_table(
        "council_decision_projects",
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["council_decisions.id"],
            name=op.f("fk_council_decision_projects_decision_id_council_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_council_decision_projects_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("decision_id", "project_id", name=op.f("pk_council_decision_projects")),
    )
    op.create_index(
        "ix_council_decision_projects_project_id", "council_decision_projects", ["project_id"], unique=False
    )
    # what was cited so far stays valid: the decision is about the projects that cited it
    op.execute(
        "INSERT INTO council_decision_projects (decision_id, project_id) "
        "SELECT council_decision_id, id FROM projects WHERE council_decision_id IS NOT NULL "
        "UNION SELECT council_decision_id, project_id FROM disbursement_requests "
        "WHERE council_decision_id IS NOT NULL"
    )
    create_append_only("council_decision_projects")
    dialect = op.get_bind().dialect.name
    for table, name, column in CITERS:
        if dialect == "postgresql":
            op.execute(
                f"""
                CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF {_not_tied(column)} THEN
                        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = '23514';
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER {name} BEFORE INSERT OR UPDATE OF council_decision_id ON {table}
                    FOR EACH ROW EXECUTE FUNCTION {name}();
                """
            )
        else:
            for event, suffix in (("INSERT", "insert"), ("UPDATE OF council_decision_id", "update")):
                op.execute(
                    f"CREATE TRIGGER {name}_{suffix} BEFORE {event} ON {table} "
                    f"WHEN {_not_tied(column)} "
                    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
                )


def downgrade():
    dialect = op.get_bind().dialect.name
    for table, name, _column in CITERS:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}_insert")
            op.execute(f"DROP TRIGGER IF EXISTS {name}_update")
    drop_append_only("council_decision_projects")
    op.drop_index("ix_council_decision_projects_project_id", table_name="council_decision_projects")
    op.drop_table("council_decision_projects")
    op.drop_index("ix_pending_step_ups_user_id", table_name="pending_step_ups")
    op.drop_table("pending_step_ups")
