"""Investments paid back

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29

An investment owed back (a failed loan campaign, or an investor withdrawing money already paid) is
paid back by a treasurer: by a Stripe refund of the card payment, or by a bank transfer whose
reference is recorded. One row per investment (its key): an investment is paid back once.
"""

import sqlalchemy as sa
from alembic import op

from fundapp.core.db import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "investment_returns",
        sa.Column("investment_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("returned_by_id", sa.Integer(), nullable=False),
        sa.Column("returned_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("method IN ('card', 'bank')", name=op.f("ck_investment_returns_method_known")),
        sa.ForeignKeyConstraint(
            ["investment_id"],
            ["investments.id"],
            name=op.f("fk_investment_returns_investment_id_investments"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["ledger_entries.id"], name=op.f("fk_investment_returns_entry_id_ledger_entries")
        ),
        sa.ForeignKeyConstraint(
            ["returned_by_id"], ["users.id"], name=op.f("fk_investment_returns_returned_by_id_users")
        ),
        sa.PrimaryKeyConstraint("investment_id", name=op.f("pk_investment_returns")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_investment_returns_entry_id")),
    )


def downgrade():
    op.drop_table("investment_returns")
