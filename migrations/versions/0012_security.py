"""Security: role grants approved by a second administrator

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

A staff role asked for by one administrator is given only when another approves; the table keeps
every request and decision, and refuses an approval by the asker or the person concerned.
"""

import sqlalchemy as sa
from alembic import op

import fundapp.core.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "role_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('reviewer', 'administrator', 'treasurer', 'auditor')",
            name=op.f("ck_role_grants_role_known"),
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'refused')", name=op.f("ck_role_grants_state_known")
        ),
        sa.CheckConstraint(
            "state <> 'approved' OR (decided_by_id IS NOT NULL AND decided_by_id <> requested_by_id "
            "AND decided_by_id <> user_id)",
            name=op.f("ck_role_grants_approved_by_a_second_person"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_role_grants_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_role_grants_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_role_grants_decided_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grants")),
    )
    op.create_index(
        "uq_role_grants_one_pending",
        "role_grants",
        ["user_id", "role"],
        unique=True,
        sqlite_where=sa.text("state = 'pending'"),
        postgresql_where=sa.text("state = 'pending'"),
    )


def downgrade():
    op.drop_index("uq_role_grants_one_pending", table_name="role_grants")
    op.drop_table("role_grants")
