"""Events: events held by the fund or by organisations, registrations and the waiting list,
reports and photos

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

import fundapp.core.db

revision = "0017"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("title_tg", sa.String(length=200), nullable=False),
        sa.Column("title_ru", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("description_tg", sa.Text(), nullable=False),
        sa.Column("description_ru", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=False),
        sa.Column("venue", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("online_url", sa.String(length=500), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("starts_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("max_guests", sa.Integer(), nullable=False),
        sa.Column("registration_opens_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("registration_closes_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("state_reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "audience IN ('everyone', 'youth', 'children', 'families', 'specialists')",
            name=op.f("ck_events_audience_known"),
        ),
        sa.CheckConstraint(
            "kind IN ('conference', 'workshop', 'creative_evening', 'youth', 'children', 'celebration', 'online_session')",
            name=op.f("ck_events_kind_known"),
        ),
        sa.CheckConstraint(
            "state IN ('draft', 'published', 'postponed', 'cancelled')", name=op.f("ck_events_state_known")
        ),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_events_capacity_positive")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_events_ends_after_start")),
        sa.CheckConstraint("max_guests >= 0 AND max_guests <= 20", name=op.f("ck_events_max_guests_range")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_events_created_by_id_users")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_events_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_starts_at"), ["starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_state"), ["state"], unique=False)

    op.create_table(
        "event_organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_organisations_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_event_organisations_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_organisations")),
        sa.UniqueConstraint(
            "event_id", "organisation_id", name=op.f("uq_event_organisations_event_id_organisation_id")
        ),
    )
    with op.batch_alter_table("event_organisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_organisations_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_event_organisations_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "event_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("caption", sa.String(length=300), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_event_photos_event_id_events")),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_files.id"], name=op.f("fk_event_photos_file_id_stored_files")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_photos")),
    )
    with op.batch_alter_table("event_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_photos_event_id"), ["event_id"], unique=False)

    op.create_table(
        "event_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_event_questions_event_id_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_questions")),
    )
    with op.batch_alter_table("event_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_questions_event_id"), ["event_id"], unique=False)

    op.create_table(
        "event_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("guests", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("queued_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attended_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attended_guests", sa.Integer(), nullable=False),
        sa.Column("checked_in_by_id", sa.Integer(), nullable=True),
        sa.Column("certificate_code", sa.String(length=16), nullable=True),
        sa.CheckConstraint(
            "attended_at IS NULL OR status = 'confirmed'",
            name=op.f("ck_event_registrations_attended_only_confirmed"),
        ),
        sa.CheckConstraint(
            "status IN ('confirmed', 'waitlisted', 'cancelled')",
            name=op.f("ck_event_registrations_status_known"),
        ),
        sa.CheckConstraint(
            "attended_guests >= 0 AND attended_guests <= guests",
            name=op.f("ck_event_registrations_attended_guests_range"),
        ),
        sa.CheckConstraint("guests >= 0 AND guests <= 20", name=op.f("ck_event_registrations_guests_range")),
        sa.ForeignKeyConstraint(
            ["checked_in_by_id"], ["users.id"], name=op.f("fk_event_registrations_checked_in_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_registrations_event_id_events")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_event_registrations_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_registrations")),
        sa.UniqueConstraint("certificate_code", name=op.f("uq_event_registrations_certificate_code")),
        sa.UniqueConstraint("code", name=op.f("uq_event_registrations_code")),
        sa.UniqueConstraint("event_id", "user_id", name=op.f("uq_event_registrations_event_id_user_id")),
    )
    with op.batch_alter_table("event_registrations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_registrations_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_registrations_user_id"), ["user_id"], unique=False)

    op.create_table(
        "event_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("attendance", sa.Integer(), nullable=False),
        sa.Column("partners", sa.Text(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("attendance >= 0", name=op.f("ck_event_reports_attendance_not_negative")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_event_reports_event_id_events")),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_event_reports_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_reports")),
        sa.UniqueConstraint("event_id", name=op.f("uq_event_reports_event_id")),
    )
    op.create_table(
        "event_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_event_projects_event_id_events")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_event_projects_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_projects")),
        sa.UniqueConstraint("event_id", "project_id", name=op.f("uq_event_projects_event_id_project_id")),
    )
    with op.batch_alter_table("event_projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_projects_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_projects_project_id"), ["project_id"], unique=False)


def downgrade():
    with op.batch_alter_table("event_projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_projects_project_id"))
        batch_op.drop_index(batch_op.f("ix_event_projects_event_id"))

    op.drop_table("event_projects")
    op.drop_table("event_reports")
    with op.batch_alter_table("event_registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_registrations_user_id"))
        batch_op.drop_index(batch_op.f("ix_event_registrations_event_id"))

    op.drop_table("event_registrations")
    with op.batch_alter_table("event_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_questions_event_id"))

    op.drop_table("event_questions")
    with op.batch_alter_table("event_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_photos_event_id"))

    op.drop_table("event_photos")
    with op.batch_alter_table("event_organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_organisations_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_event_organisations_event_id"))

    op.drop_table("event_organisations")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_state"))
        batch_op.drop_index(batch_op.f("ix_events_starts_at"))
        batch_op.drop_index(batch_op.f("ix_events_organisation_id"))

    op.drop_table("events")
