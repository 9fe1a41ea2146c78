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


def downgrade():
    with op.batch_alter_table("organisation_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_members_user_id"))
        batch_op.drop_index(batch_op.f("ix_organisation_members_organisation_id"))

    op.drop_table("organisation_members")
    op.drop_table("organisations")
