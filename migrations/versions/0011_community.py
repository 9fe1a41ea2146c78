"""Community: diaspora organisations and their members

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

Organisations registered by members and verified by staff; people belong to them as admins or
members. Events, competitions and the Plan's monitoring (government agencies) build on them.
"""

import sqlalchemy as sa
from alembic import op

import fundapp.core.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("languages", sa.String(length=200), nullable=False),
        sa.Column("fields", sa.String(length=300), nullable=False),
        sa.Column("year_founded", sa.Integer(), nullable=True),
        sa.Column("website", sa.String(length=300), nullable=False),
        sa.Column("registration_file_id", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_file_id"],
            ["stored_files.id"],
            name=op.f("fk_organisations_registration_file_id_stored_files"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_organisations_decided_by_id_users")
        ),
        sa.CheckConstraint(
            "kind IN ('association', 'cultural_centre', 'school', 'library', 'media', 'business_club', 'student_union', 'religious_club', 'sports_club', 'government_agency')",
            name=op.f("ck_organisations_kind_known"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'verified', 'declined')", name=op.f("ck_organisations_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_organisations_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
    )
    op.create_table(
        "organisation_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'member')", name=op.f("ck_organisation_members_role_known")),
        sa.CheckConstraint(
            "status IN ('requested', 'invited', 'active')", name=op.f("ck_organisation_members_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_members_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_organisation_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_members")),
        sa.UniqueConstraint(
            "organisation_id", "user_id", name=op.f("uq_organisation_members_organisation_id_user_id")
        ),
    )
    with op.batch_alter_table("organisation_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisation_members_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_organisation_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "organisation_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_invitations_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["users.id"], name=op.f("fk_organisation_invitations_invited_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"], ["users.id"], name=op.f("fk_organisation_invitations_accepted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_organisation_invitations_token_hash")),
    )
    op.create_index(
        op.f("ix_organisation_invitations_organisation_id"), "organisation_invitations", ["organisation_id"]
    )
    op.create_table(
        "organisation_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_contacts_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"], name=op.f("fk_organisation_contacts_sender_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_contacts")),
    )
    op.create_index(
        "ix_organisation_contacts_sender_created", "organisation_contacts", ["sender_id", "created_at"]
    )
    op.create_table(
        "community_resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("audience", sa.String(length=32), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('file', 'link')", name=op.f("ck_community_resources_kind_known")),
        sa.CheckConstraint(
            "status IN ('pending', 'published', 'declined')", name=op.f("ck_community_resources_status_known")
        ),
        sa.CheckConstraint("downloads >= 0", name=op.f("ck_community_resources_downloads_not_negative")),
        sa.CheckConstraint(
            "(kind = 'file' AND file_id IS NOT NULL) OR (kind = 'link' AND url <> '')",
            name=op.f("ck_community_resources_file_or_link"),
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_files.id"], name=op.f("fk_community_resources_file_id_stored_files")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_community_resources_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_community_resources_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_resources")),
    )
    op.create_index(
        op.f("ix_community_resources_organisation_id"), "community_resources", ["organisation_id"]
    )

    op.create_table(
        "community_support_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("needs", sa.Text(), nullable=False),
        sa.Column("budget_minor", sa.BigInteger(), nullable=True),
        sa.Column("budget_currency", sa.String(length=3), nullable=True),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("staff_note", sa.Text(), nullable=False),
        sa.Column("requester_answer", sa.Text(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('cultural_centre', 'educational_centre', 'course', 'school', 'library', 'equipment', "
            "'training', 'teaching_materials', 'legal_help')",
            name=op.f("ck_community_support_requests_kind_known"),
        ),
        sa.CheckConstraint(
            "status IN ('submitted', 'in_progress', 'info_requested', 'resolved', 'declined')",
            name=op.f("ck_community_support_requests_status_known"),
        ),
        sa.CheckConstraint(
            "(budget_minor IS NULL AND budget_currency IS NULL) OR "
            "(budget_minor > 0 AND budget_currency IS NOT NULL)",
            name=op.f("ck_community_support_requests_budget_whole"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_community_support_requests_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["users.id"], name=op.f("fk_community_support_requests_requester_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_community_support_requests_assignee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["stored_files.id"],
            name=op.f("fk_community_support_requests_attachment_id_stored_files"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_community_support_requests_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_support_requests")),
    )
    op.create_index(
        op.f("ix_community_support_requests_organisation_id"),
        "community_support_requests",
        ["organisation_id"],
    )
    op.create_index(
        op.f("ix_community_support_requests_requester_id"), "community_support_requests", ["requester_id"]
    )


def downgrade():
    op.drop_index(op.f("ix_community_support_requests_requester_id"), table_name="community_support_requests")
    op.drop_index(
        op.f("ix_community_support_requests_organisation_id"), table_name="community_support_requests"
    )
    op.drop_table("community_support_requests")
    op.drop_index(op.f("ix_community_resources_organisation_id"), table_name="community_resources")
    op.drop_table("community_resources")
    op.drop_index("ix_organisation_contacts_sender_created", table_name="organisation_contacts")
    op.drop_table("organisation_contacts")
    op.drop_index(op.f("ix_organisation_invitations_organisation_id"), table_name="organisation_invitations")
    op.drop_table("organisation_invitations")
    with op.batch_alter_table("organisation_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_members_user_id"))
        batch_op.drop_index(batch_op.f("ix_organisation_members_organisation_id"))

    op.drop_table("organisation_members")
    op.drop_table("organisations")
