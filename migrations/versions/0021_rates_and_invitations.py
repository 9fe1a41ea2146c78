"""Exchange rates for the Council threshold; team invitations

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02

The Council threshold is counted in somoni: a goal or a payout in another currency is converted
at a rate an administrator recorded (append-only). A team member named by an address of an
account is only invited: the account is linked to the project when its holder accepts.
"""

import sqlalchemy as sa
from alembic import op

import fundapp.core.db
from fundapp.core.migration_helpers import create_append_only, drop_append_only

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "exchange_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("somoni_numerator", sa.BigInteger(), nullable=False),
        sa.Column("somoni_denominator", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "somoni_numerator > 0 AND somoni_denominator > 0", name=op.f("ck_exchange_rates_rate_positive")
        ),
        sa.CheckConstraint("currency <> 'TJS'", name=op.f("ck_exchange_rates_not_somoni")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_exchange_rates_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rates")),
    )
    op.create_index("ix_exchange_rates_currency_valid_from", "exchange_rates", ["currency", "valid_from"])
    create_append_only("exchange_rates")
    with op.batch_alter_table("project_team_members") as batch:
        batch.add_column(sa.Column("invited_user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("invited_at", fundapp.core.db.UTCDateTime(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_project_team_members_invited_user_id_users"), "users", ["invited_user_id"], ["id"]
        )
        batch.create_check_constraint(
            op.f("ck_project_team_members_linked_or_invited"), "user_id IS NULL OR invited_user_id IS NULL"
        )
    op.create_index("ix_project_team_members_invited_user_id", "project_team_members", ["invited_user_id"])


def downgrade():
    op.drop_index("ix_project_team_members_invited_user_id", table_name="project_team_members")
    with op.batch_alter_table("project_team_members") as batch:
        batch.drop_constraint(op.f("ck_project_team_members_linked_or_invited"), type_="check")
        batch.drop_constraint(op.f("fk_project_team_members_invited_user_id_users"), type_="foreignkey")
        batch.drop_column("invited_at")
        batch.drop_column("invited_user_id")
    drop_append_only("exchange_rates")
    op.drop_index("ix_exchange_rates_currency_valid_from", table_name="exchange_rates")
    op.drop_table("exchange_rates")
