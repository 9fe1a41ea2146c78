"""Reviews of earlier versions of a proposal

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

When the author sends a changed proposal back into review, each completed review is kept here and
its assignment is opened again, so that a decision rests on reviews of the proposal as it stands.
"""

import sqlalchemy as sa
from alembic import op

from fundapp.core.db import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "past_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("recommendation", sa.String(length=10), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("superseded_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "recommendation IN ('approve', 'changes', 'reject')",
            name=op.f("ck_past_reviews_recommendation_known"),
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["review_assignments.id"],
            name=op.f("fk_past_reviews_assignment_id_review_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_past_reviews_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_past_reviews_reviewer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_past_reviews")),
    )
    op.create_index("ix_past_reviews_project_id", "past_reviews", ["project_id", "superseded_at"])
    op.create_index("ix_past_reviews_assignment_id", "past_reviews", ["assignment_id"])


def downgrade():
    op.drop_index("ix_past_reviews_assignment_id", table_name="past_reviews")
    op.drop_index("ix_past_reviews_project_id", table_name="past_reviews")
    op.drop_table("past_reviews")
