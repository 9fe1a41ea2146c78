"""Refunds by four eyes: a treasurer requests, a second person confirms

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

Money going back to a backer (a donation refunded, an investment paid back) no longer moves on
one person's word: a request row carries the reason and the transfer's reference, and a second
person's confirmation is what posts the entry.
"""

import sqlalchemy as sa
from alembic import op

import fundapp.core.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "refund_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_type", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("bank_reference", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "source_type IN ('donation', 'investment')", name=op.f("ck_refund_requests_source_known")
        ),
        sa.CheckConstraint("method IN ('card', 'bank')", name=op.f("ck_refund_requests_method_known")),
        sa.CheckConstraint(
            "state IN ('requested', 'done', 'declined')", name=op.f("ck_refund_requests_state_known")
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_refund_requests_amount_positive")),
        sa.CheckConstraint(
            "method = 'card' OR bank_reference IS NOT NULL",
            name=op.f("ck_refund_requests_transfer_has_reference"),
        ),
        sa.CheckConstraint(
            "decided_by_id IS NULL OR decided_by_id <> requested_by_id",
            name=op.f("ck_refund_requests_four_eyes"),
        ),
        sa.CheckConstraint(
            "(state = 'requested') = (decided_by_id IS NULL)",
            name=op.f("ck_refund_requests_decided_when_closed"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_refund_requests_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_refund_requests_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_refund_requests_decided_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_requests")),
    )
    op.create_index(
        "uq_refund_requests_open",
        "refund_requests",
        ["source_type", "source_id"],
        unique=True,
        sqlite_where=sa.text("state = 'requested'"),
        postgresql_where=sa.text("state = 'requested'"),
    )


def downgrade():
    op.drop_index("uq_refund_requests_open", table_name="refund_requests")
    op.drop_table("refund_requests")
