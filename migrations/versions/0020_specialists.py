"""Community: specialists, needs and placements

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02

Members' specialist profiles (with the visibility they choose), needs posted for a project or an
organisation, and placements between them, tracked from interest or invitation to an end.
"""

import sqlalchemy as sa
from alembic import op

import fundapp.core.db

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "specialist_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("skills", sa.String(length=300), nullable=False),
        sa.Column("tags", sa.String(length=300), nullable=False),
        sa.Column("years", sa.Integer(), nullable=False),
        sa.Column("languages", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("availability", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=8), nullable=False),
        sa.Column("cv_file_id", sa.Integer(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "visibility IN ('public', 'members', 'hidden')",
            name=op.f("ck_specialist_profiles_visibility_known"),
        ),
        sa.CheckConstraint("years >= 0 AND years <= 70", name=op.f("ck_specialist_profiles_years_range")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_specialist_profiles_user_id_users")),
        sa.ForeignKeyConstraint(
            ["cv_file_id"], ["stored_files.id"], name=op.f("fk_specialist_profiles_cv_file_id_stored_files")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specialist_profiles")),
        sa.UniqueConstraint("user_id", name=op.f("uq_specialist_profiles_user_id")),
    )
    op.create_table(
        "specialist_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("posted_by_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("skills", sa.String(length=300), nullable=False),
        sa.Column("languages", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("on_site", sa.Boolean(), nullable=False),
        sa.Column("stipend", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_specialist_needs_status_known")),
        sa.CheckConstraint("months >= 1 AND months <= 60", name=op.f("ck_specialist_needs_months_range")),
        sa.CheckConstraint(
            "(project_id IS NULL) <> (organisation_id IS NULL)", name=op.f("ck_specialist_needs_one_owner")
        ),
        sa.ForeignKeyConstraint(
            ["posted_by_id"], ["users.id"], name=op.f("fk_specialist_needs_posted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_specialist_needs_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_specialist_needs_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specialist_needs")),
    )
    op.create_index(op.f("ix_specialist_needs_project_id"), "specialist_needs", ["project_id"])
    op.create_index(op.f("ix_specialist_needs_organisation_id"), "specialist_needs", ["organisation_id"])
    op.create_table(
        "specialist_placements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("join_team", sa.Boolean(), nullable=False),
        sa.Column("started_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('interested', 'invited', 'active', 'completed', 'cut_short', 'declined')",
            name=op.f("ck_specialist_placements_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["need_id"],
            ["specialist_needs.id"],
            name=op.f("fk_specialist_placements_need_id_specialist_needs"),
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["specialist_profiles.id"],
            name=op.f("fk_specialist_placements_profile_id_specialist_profiles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specialist_placements")),
        sa.UniqueConstraint(
            "need_id", "profile_id", name=op.f("uq_specialist_placements_need_id_profile_id")
        ),
    )
    op.create_index(op.f("ix_specialist_placements_profile_id"), "specialist_placements", ["profile_id"])
    op.create_index(op.f("ix_specialist_placements_started_at"), "specialist_placements", ["started_at"])


def downgrade():
    op.drop_index(op.f("ix_specialist_placements_started_at"), table_name="specialist_placements")
    op.drop_index(op.f("ix_specialist_placements_profile_id"), table_name="specialist_placements")
    op.drop_table("specialist_placements")
    op.drop_index(op.f("ix_specialist_needs_organisation_id"), table_name="specialist_needs")
    op.drop_index(op.f("ix_specialist_needs_project_id"), table_name="specialist_needs")
    op.drop_table("specialist_needs")
    op.drop_table("specialist_profiles")
