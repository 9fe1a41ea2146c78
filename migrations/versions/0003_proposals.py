"""files, council, proposals and reviews

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Uploaded files, Coordination Council decisions, projects with their budget lines, milestones,
team, attachments, updates, timeline and followers, and reviewer assignments.
"""

import sqlalchemy as sa
from alembic import op

import fundapp.core.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stored_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("storage_name", sa.String(length=64), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.CheckConstraint("size >= 0", name=op.f("ck_stored_files_size_not_negative")),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_stored_files_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_files")),
        sa.UniqueConstraint("storage_name", name=op.f("uq_stored_files_storage_name")),
    )
    op.create_table(
        "council_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("agenda_item", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("votes_for", sa.Integer(), nullable=False),
        sa.Column("votes_against", sa.Integer(), nullable=False),
        sa.Column("votes_abstained", sa.Integer(), nullable=False),
        sa.Column("minutes_file_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "votes_for >= 0 AND votes_against >= 0 AND votes_abstained >= 0",
            name=op.f("ck_council_decisions_votes_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["minutes_file_id"],
            ["stored_files.id"],
            name=op.f("fk_council_decisions_minutes_file_id_stored_files"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_council_decisions_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_decisions")),
        sa.UniqueConstraint("number", name=op.f("uq_council_decisions_number")),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("description_html", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("home_region", sa.String(length=40), nullable=False),
        sa.Column("home_district", sa.String(length=80), nullable=False),
        sa.Column("diaspora_organisation", sa.String(length=200), nullable=True),
        sa.Column("funding_model", sa.String(length=16), nullable=False),
        sa.Column("goal_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("campaign_days", sa.Integer(), nullable=False),
        sa.Column("campaign_starts_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("campaign_ends_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("annual_rate_bp", sa.Integer(), nullable=True),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("repayment_type", sa.String(length=10), nullable=True),
        sa.Column("min_backing_minor", sa.BigInteger(), nullable=True),
        sa.Column("max_backing_minor", sa.BigInteger(), nullable=True),
        sa.Column("council_decision_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "funding_model <> 'loan' OR state IN ('draft', 'withdrawn') OR (annual_rate_bp IS NOT NULL AND term_months IS NOT NULL AND repayment_type IS NOT NULL)",
            name=op.f("ck_projects_loan_terms_complete"),
        ),
        sa.CheckConstraint(
            "funding_model IN ('donation', 'pledge', 'loan')", name=op.f("ck_projects_funding_model_known")
        ),
        sa.CheckConstraint(
            "repayment_type IS NULL OR repayment_type IN ('annuity', 'bullet')",
            name=op.f("ck_projects_repayment_type_known"),
        ),
        sa.CheckConstraint(
            "state IN ('draft', 'submitted', 'in_review', 'changes_requested', 'approved', 'rejected', 'withdrawn', 'fundraising', 'funded', 'unsuccessful', 'implementing', 'completed', 'cancelled')",
            name=op.f("ck_projects_state_known"),
        ),
        sa.CheckConstraint("campaign_days BETWEEN 1 AND 365", name=op.f("ck_projects_campaign_days_range")),
        sa.CheckConstraint("goal_minor >= 0", name=op.f("ck_projects_goal_not_negative")),
        sa.ForeignKeyConstraint(
            ["council_decision_id"],
            ["council_decisions.id"],
            name=op.f("fk_projects_council_decision_id_council_decisions"),
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_projects_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index("ix_projects_owner_id", ["owner_id"], unique=False)
        batch_op.create_index("ix_projects_region", ["home_region", "home_district"], unique=False)
        batch_op.create_index("ix_projects_state", ["state"], unique=False)
    op.create_table(
        "project_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_files.id"], name=op.f("fk_project_attachments_file_id_stored_files")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_attachments_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_attachments")),
        sa.UniqueConstraint("file_id", name=op.f("uq_project_attachments_file_id")),
    )
    with op.batch_alter_table("project_attachments", schema=None) as batch_op:
        batch_op.create_index("ix_project_attachments_project_id", ["project_id"], unique=False)
    op.create_table(
        "project_budget_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_project_budget_lines_amount_positive")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_budget_lines_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_budget_lines")),
    )
    with op.batch_alter_table("project_budget_lines", schema=None) as batch_op:
        batch_op.create_index("ix_project_budget_lines_project_id", ["project_id"], unique=False)
    op.create_table(
        "project_followers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_followers_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_project_followers_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_followers")),
        sa.UniqueConstraint("project_id", "user_id", name=op.f("uq_project_followers_project_id_user_id")),
    )
    op.create_table(
        "project_milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'in_progress', 'done')", name=op.f("ck_project_milestones_status_known")
        ),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_project_milestones_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_milestones_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_milestones")),
    )
    with op.batch_alter_table("project_milestones", schema=None) as batch_op:
        batch_op.create_index("ix_project_milestones_project_id", ["project_id"], unique=False)
    op.create_table(
        "project_team_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_team_members_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_project_team_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_team_members")),
    )
    with op.batch_alter_table("project_team_members", schema=None) as batch_op:
        batch_op.create_index("ix_project_team_members_project_id", ["project_id"], unique=False)
    op.create_table(
        "project_timeline_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("from_state", sa.String(length=24), nullable=True),
        sa.Column("to_state", sa.String(length=24), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_project_timeline_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_timeline_events_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_timeline_events")),
    )
    with op.batch_alter_table("project_timeline_events", schema=None) as batch_op:
        batch_op.create_index("ix_project_timeline_events_project_id", ["project_id", "id"], unique=False)
    op.create_table(
        "project_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_project_updates_author_id_users")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_updates_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_updates")),
    )
    with op.batch_alter_table("project_updates", schema=None) as batch_op:
        batch_op.create_index("ix_project_updates_project_id", ["project_id"], unique=False)
    op.create_table(
        "review_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("declared_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("conflict_note", sa.Text(), nullable=True),
        sa.Column("relevance_score", sa.Integer(), nullable=True),
        sa.Column("relevance_comment", sa.Text(), nullable=True),
        sa.Column("feasibility_score", sa.Integer(), nullable=True),
        sa.Column("feasibility_comment", sa.Text(), nullable=True),
        sa.Column("budget_score", sa.Integer(), nullable=True),
        sa.Column("budget_comment", sa.Text(), nullable=True),
        sa.Column("team_score", sa.Integer(), nullable=True),
        sa.Column("team_comment", sa.Text(), nullable=True),
        sa.Column("sustainability_score", sa.Integer(), nullable=True),
        sa.Column("sustainability_comment", sa.Text(), nullable=True),
        sa.Column("recommendation", sa.String(length=10), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("submitted_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "recommendation IS NULL OR recommendation IN ('approve', 'changes', 'reject')",
            name=op.f("ck_review_assignments_recommendation_known"),
        ),
        sa.CheckConstraint(
            "status <> 'completed' OR (recommendation IS NOT NULL AND submitted_at IS NOT NULL AND relevance_score IS NOT NULL AND feasibility_score IS NOT NULL AND budget_score IS NOT NULL AND team_score IS NOT NULL AND sustainability_score IS NOT NULL)",
            name=op.f("ck_review_assignments_completed_is_complete"),
        ),
        sa.CheckConstraint(
            "status IN ('assigned', 'accepted', 'recused', 'completed', 'withdrawn')",
            name=op.f("ck_review_assignments_status_known"),
        ),
        sa.CheckConstraint(
            "(relevance_score IS NULL OR relevance_score BETWEEN 1 AND 5) AND (feasibility_score IS NULL OR feasibility_score BETWEEN 1 AND 5) AND (budget_score IS NULL OR budget_score BETWEEN 1 AND 5) AND (team_score IS NULL OR team_score BETWEEN 1 AND 5) AND (sustainability_score IS NULL OR sustainability_score BETWEEN 1 AND 5)",
            name=op.f("ck_review_assignments_scores_range"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"], ["users.id"], name=op.f("fk_review_assignments_assigned_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_review_assignments_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_review_assignments_reviewer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_assignments")),
        sa.UniqueConstraint(
            "project_id", "reviewer_id", name=op.f("uq_review_assignments_project_id_reviewer_id")
        ),
    )
    with op.batch_alter_table("review_assignments", schema=None) as batch_op:
        batch_op.create_index("ix_review_assignments_reviewer_id", ["reviewer_id", "status"], unique=False)


def downgrade():
    with op.batch_alter_table("review_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_review_assignments_reviewer_id")
    op.drop_table("review_assignments")
    with op.batch_alter_table("project_updates", schema=None) as batch_op:
        batch_op.drop_index("ix_project_updates_project_id")
    op.drop_table("project_updates")
    with op.batch_alter_table("project_timeline_events", schema=None) as batch_op:
        batch_op.drop_index("ix_project_timeline_events_project_id")
    op.drop_table("project_timeline_events")
    with op.batch_alter_table("project_team_members", schema=None) as batch_op:
        batch_op.drop_index("ix_project_team_members_project_id")
    op.drop_table("project_team_members")
    with op.batch_alter_table("project_milestones", schema=None) as batch_op:
        batch_op.drop_index("ix_project_milestones_project_id")
    op.drop_table("project_milestones")
    op.drop_table("project_followers")
    with op.batch_alter_table("project_budget_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_project_budget_lines_project_id")
    op.drop_table("project_budget_lines")
    with op.batch_alter_table("project_attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_project_attachments_project_id")
    op.drop_table("project_attachments")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index("ix_projects_state")
        batch_op.drop_index("ix_projects_region")
        batch_op.drop_index("ix_projects_owner_id")
    op.drop_table("projects")
    op.drop_table("council_decisions")
    op.drop_table("stored_files")
