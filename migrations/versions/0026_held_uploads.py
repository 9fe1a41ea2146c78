"""Held uploads: a file chosen on a form refused for another field is kept for its uploader

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02

``stored_files.held_until`` is set while a file is only held (not attached to anything, never
public); the next submit of the form attaches it, or it expires.
"""

import sqlalchemy as sa
from alembic import op

import fundapp.core.db

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


# Plain ALTERs, not a batch: on SQLite a batch rebuilds the table, which the many tables that
# refer to stored files forbid once there are rows.


def upgrade():
    op.add_column(
        "stored_files", sa.Column("held_until", fundapp.core.db.UTCDateTime(timezone=True), nullable=True)
    )
    op.create_index("ix_stored_files_held_until", "stored_files", ["held_until"], unique=False)


def downgrade():
    op.execute("DELETE FROM stored_files WHERE held_until IS NOT NULL")
    op.drop_index("ix_stored_files_held_until", table_name="stored_files")
    op.drop_column("stored_files", "held_until")
