"""Ledger checkpoints as C2SP signed notes, and witnesses' cosignatures

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

A checkpoint now records the log origin its note names (NULL for checkpoints signed before, in the
older plain statement). Cosignatures from the fund's configured witnesses are kept beside the
checkpoint they sign, append-only like the rest of the books.
"""

import sqlalchemy as sa
from alembic import op

import fundapp.core.db
from fundapp.core.migration_helpers import create_append_only, drop_append_only

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("ledger_checkpoints", sa.Column("origin", sa.String(length=200), nullable=True))
    op.create_table(
        "ledger_cosignatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("witness_name", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.LargeBinary(length=4), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("received_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("timestamp >= 0", name=op.f("ck_ledger_cosignatures_timestamp_not_negative")),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["ledger_checkpoints.id"],
            name=op.f("fk_ledger_cosignatures_checkpoint_id_ledger_checkpoints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_cosignatures")),
        sa.UniqueConstraint(
            "checkpoint_id",
            "witness_name",
            "key_id",
            name=op.f("uq_ledger_cosignatures_checkpoint_id_witness_name_key_id"),
        ),
    )
    create_append_only("ledger_cosignatures")


def downgrade():
    drop_append_only("ledger_cosignatures")
    op.drop_table("ledger_cosignatures")
    op.drop_column("ledger_checkpoints", "origin")
