"""A disbursement request sent back can be corrected and sent again, once

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29

``disbursement_resends`` links a request sent back to the request that corrects it. Its key is the
request sent back, so that one is sent again at most once (a double submit gets a clear refusal,
not a twin); a request corrects at most one other, never itself. A table of its own rather than a
column: adding a keyed column to ``disbursement_requests`` would make SQLite rebuild a table that
other tables refer to.
"""

import sqlalchemy as sa
from alembic import op

from fundapp.core.db import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "disbursement_resends",
        sa.Column("returned_id", sa.Integer(), nullable=False),
        sa.Column("resent_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("returned_id <> resent_id", name=op.f("ck_disbursement_resends_another")),
        sa.ForeignKeyConstraint(
            ["returned_id"],
            ["disbursement_requests.id"],
            name=op.f("fk_disbursement_resends_returned_id_disbursement_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["resent_id"],
            ["disbursement_requests.id"],
            name=op.f("fk_disbursement_resends_resent_id_disbursement_requests"),
        ),
        sa.PrimaryKeyConstraint("returned_id", name=op.f("pk_disbursement_resends")),
        sa.UniqueConstraint("resent_id", name=op.f("uq_disbursement_resends_resent_id")),
    )


def downgrade():
    op.drop_table("disbursement_resends")
