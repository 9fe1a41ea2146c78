"""Transparency counters and open data

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from fundapp.core.db import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "transparency_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transparency_counters")),
        sa.UniqueConstraint(
            "dimension",
            "key",
            "metric",
            "currency",
            name=op.f("uq_transparency_counters_dimension_key_metric_currency"),
        ),
    )
    op.create_index(
        "ix_transparency_counters_rank",
        "transparency_counters",
        ["dimension", "metric", "currency", "amount_minor"],
    )
    op.create_table(
        "transparency_backers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("backer_key", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("first_sequence", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transparency_backers")),
        sa.UniqueConstraint("backer_key", name=op.f("uq_transparency_backers_backer_key")),
    )
    # The public journal's keyset pages: a filter by project or kind, and a date range turned into
    # a sequence range, cost the same on the first page and on a deep one.
    op.create_index("ix_ledger_entries_project_seq", "ledger_entries", ["project_id", "sequence"])
    op.create_index("ix_ledger_entries_kind_seq", "ledger_entries", ["kind", "sequence"])
    op.create_index("ix_ledger_entries_posted_at", "ledger_entries", ["posted_at"])
    op.create_index("ix_ledger_legs_account_entry", "ledger_legs", ["account_id", "entry_id"])


def downgrade():
    op.drop_index("ix_ledger_legs_account_entry", table_name="ledger_legs")
    op.drop_index("ix_ledger_entries_posted_at", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_kind_seq", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_project_seq", table_name="ledger_entries")
    op.drop_table("transparency_backers")
    op.drop_index("ix_transparency_counters_rank", table_name="transparency_counters")
    op.drop_table("transparency_counters")
