"""Plan monitoring: action points, indicators, agencies' reports, reports to the Ministry

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02

The Plan of Actions as data, the agencies' quarterly reports and their review, and the reports
to the Ministry. Point history and report stamps are append-only in the database.
"""

import sqlalchemy as sa
from alembic import op

import fundapp.core.db
from fundapp.core.migration_helpers import create_append_only, drop_append_only

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "plan_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title_tg", sa.String(length=300), nullable=False),
        sa.Column("title_ru", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.CheckConstraint("number BETWEEN 1 AND 99", name=op.f("ck_plan_groups_number_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_groups")),
        sa.UniqueConstraint("number", name=op.f("uq_plan_groups_number")),
    )
    op.create_table(
        "plan_ministry_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("half", sa.Boolean(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=True),
        sa.Column("root_hex", sa.String(length=64), nullable=True),
        sa.Column("pdf_data", sa.LargeBinary(), nullable=True),
        sa.Column("xlsx_data", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("language IN ('tg', 'ru')", name=op.f("ck_plan_ministry_reports_language_known")),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'done', 'failed')",
            name=op.f("ck_plan_ministry_reports_state_known"),
        ),
        sa.CheckConstraint(
            "(half AND part BETWEEN 1 AND 2) OR (NOT half AND part BETWEEN 1 AND 4)",
            name=op.f("ck_plan_ministry_reports_part_range"),
        ),
        sa.CheckConstraint(
            "progress BETWEEN 0 AND 100", name=op.f("ck_plan_ministry_reports_progress_range")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_plan_ministry_reports_requested_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_ministry_reports")),
    )
    op.create_table(
        "plan_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text_tg", sa.Text(), nullable=False),
        sa.Column("text_ru", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("lead_agency_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("is_example", sa.Boolean(), nullable=False),
        sa.Column("status_override", sa.String(length=16), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status_override IS NULL OR status_override IN ('not_started', 'no_data', 'green', 'amber', 'red')",
            name=op.f("ck_plan_points_override_known"),
        ),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_plan_points_period_ordered")),
        sa.CheckConstraint(
            "status_override IS NULL OR override_reason IS NOT NULL",
            name=op.f("ck_plan_points_override_has_reason"),
        ),
        sa.CheckConstraint("weight BETWEEN 1 AND 100", name=op.f("ck_plan_points_weight_range")),
        sa.ForeignKeyConstraint(
            ["group_id"], ["plan_groups.id"], name=op.f("fk_plan_points_group_id_plan_groups")
        ),
        sa.ForeignKeyConstraint(
            ["lead_agency_id"], ["organisations.id"], name=op.f("fk_plan_points_lead_agency_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_points")),
        sa.UniqueConstraint("number", name=op.f("uq_plan_points_number")),
    )
    with op.batch_alter_table("plan_points", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_points_group_id"), ["group_id"], unique=False)

    op.create_table(
        "plan_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ministry_id", sa.Integer(), nullable=True),
        sa.Column("deadline_days", sa.Integer(), nullable=False),
        sa.CheckConstraint("deadline_days BETWEEN 1 AND 90", name=op.f("ck_plan_settings_deadline_range")),
        sa.CheckConstraint("id = 1", name=op.f("ck_plan_settings_single_row")),
        sa.ForeignKeyConstraint(
            ["ministry_id"], ["organisations.id"], name=op.f("fk_plan_settings_ministry_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_settings")),
    )
    op.create_table(
        "plan_indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("name_tg", sa.String(length=300), nullable=False),
        sa.Column("name_ru", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("ascending", sa.Boolean(), nullable=False),
        sa.Column("baseline_x100", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("computed_key", sa.String(length=40), nullable=True),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(source = 'computed') = (computed_key IS NOT NULL)",
            name=op.f("ck_plan_indicators_computed_has_key"),
        ),
        sa.CheckConstraint(
            "(unit = 'money') = (currency IS NOT NULL)", name=op.f("ck_plan_indicators_money_has_currency")
        ),
        sa.CheckConstraint("source IN ('agency', 'computed')", name=op.f("ck_plan_indicators_source_known")),
        sa.CheckConstraint(
            "unit IN ('count', 'percent', 'money', 'text')", name=op.f("ck_plan_indicators_unit_known")
        ),
        sa.CheckConstraint("weight BETWEEN 1 AND 100", name=op.f("ck_plan_indicators_weight_range")),
        sa.ForeignKeyConstraint(
            ["point_id"], ["plan_points.id"], name=op.f("fk_plan_indicators_point_id_plan_points")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_indicators")),
        sa.UniqueConstraint("code", name=op.f("uq_plan_indicators_code")),
    )
    with op.batch_alter_table("plan_indicators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_indicators_point_id"), ["point_id"], unique=False)

    op.create_table(
        "plan_point_agencies",
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_plan_point_agencies_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["point_id"], ["plan_points.id"], name=op.f("fk_plan_point_agencies_point_id_plan_points")
        ),
        sa.PrimaryKeyConstraint("point_id", "organisation_id", name=op.f("pk_plan_point_agencies")),
    )
    op.create_table(
        "plan_point_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('created', 'edited', 'status')", name=op.f("ck_plan_point_revisions_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_plan_point_revisions_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["point_id"], ["plan_points.id"], name=op.f("fk_plan_point_revisions_point_id_plan_points")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_point_revisions")),
    )
    with op.batch_alter_table("plan_point_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_point_revisions_point_id"), ["point_id"], unique=False)

    op.create_table(
        "plan_reminders_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("sent_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('due', 'overdue')", name=op.f("ck_plan_reminders_sent_kind_known")),
        sa.ForeignKeyConstraint(
            ["point_id"], ["plan_points.id"], name=op.f("fk_plan_reminders_sent_point_id_plan_points")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_reminders_sent")),
        sa.UniqueConstraint(
            "point_id",
            "year",
            "quarter",
            "kind",
            name=op.f("uq_plan_reminders_sent_point_id_year_quarter_kind"),
        ),
    )
    op.create_table(
        "plan_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("language IN ('tg', 'ru')", name=op.f("ck_plan_reports_language_known")),
        sa.CheckConstraint(
            "state <> 'accepted' OR decided_by_id IS NOT NULL",
            name=op.f("ck_plan_reports_accepted_by_someone"),
        ),
        sa.CheckConstraint(
            "state = 'draft' OR submitted_at IS NOT NULL", name=op.f("ck_plan_reports_submitted_when_sent")
        ),
        sa.CheckConstraint(
            "state IN ('draft', 'submitted', 'returned', 'accepted')",
            name=op.f("ck_plan_reports_state_known"),
        ),
        sa.CheckConstraint("quarter BETWEEN 1 AND 4", name=op.f("ck_plan_reports_quarter_range")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_plan_reports_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_plan_reports_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["point_id"], ["plan_points.id"], name=op.f("fk_plan_reports_point_id_plan_points")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["users.id"], name=op.f("fk_plan_reports_submitted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_reports")),
        sa.UniqueConstraint(
            "point_id", "year", "quarter", name=op.f("uq_plan_reports_point_id_year_quarter")
        ),
    )
    op.create_table(
        "plan_indicator_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("target_x100", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quarter BETWEEN 1 AND 4", name=op.f("ck_plan_indicator_targets_quarter_range")),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name=op.f("ck_plan_indicator_targets_year_range")),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["plan_indicators.id"],
            name=op.f("fk_plan_indicator_targets_indicator_id_plan_indicators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_indicator_targets")),
        sa.UniqueConstraint(
            "indicator_id",
            "year",
            "quarter",
            name=op.f("uq_plan_indicator_targets_indicator_id_year_quarter"),
        ),
    )
    op.create_table(
        "plan_report_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("caption", sa.String(length=300), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_files.id"], name=op.f("fk_plan_report_evidence_file_id_stored_files")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["plan_reports.id"], name=op.f("fk_plan_report_evidence_report_id_plan_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_report_evidence")),
    )
    with op.batch_alter_table("plan_report_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_report_evidence_report_id"), ["report_id"], unique=False)

    op.create_table(
        "plan_report_stamps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action IN ('submitted', 'returned', 'accepted', 'unlocked')",
            name=op.f("ck_plan_report_stamps_action_known"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_plan_report_stamps_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["plan_reports.id"], name=op.f("fk_plan_report_stamps_report_id_plan_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_report_stamps")),
    )
    with op.batch_alter_table("plan_report_stamps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_report_stamps_report_id"), ["report_id"], unique=False)

    op.create_table(
        "plan_report_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("actual_x100", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["plan_indicators.id"],
            name=op.f("fk_plan_report_values_indicator_id_plan_indicators"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["plan_reports.id"], name=op.f("fk_plan_report_values_report_id_plan_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_report_values")),
        sa.UniqueConstraint(
            "report_id", "indicator_id", name=op.f("uq_plan_report_values_report_id_indicator_id")
        ),
    )

    create_append_only("plan_point_revisions")
    create_append_only("plan_report_stamps")


def downgrade():
    drop_append_only("plan_report_stamps")
    drop_append_only("plan_point_revisions")
    op.drop_table("plan_report_values")
    with op.batch_alter_table("plan_report_stamps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_report_stamps_report_id"))

    op.drop_table("plan_report_stamps")
    with op.batch_alter_table("plan_report_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_report_evidence_report_id"))

    op.drop_table("plan_report_evidence")
    op.drop_table("plan_indicator_targets")
    op.drop_table("plan_reports")
    op.drop_table("plan_reminders_sent")
    with op.batch_alter_table("plan_point_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_point_revisions_point_id"))

    op.drop_table("plan_point_revisions")
    op.drop_table("plan_point_agencies")
    with op.batch_alter_table("plan_indicators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_indicators_point_id"))

    op.drop_table("plan_indicators")
    op.drop_table("plan_settings")
    with op.batch_alter_table("plan_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_points_group_id"))

    op.drop_table("plan_points")
    op.drop_table("plan_ministry_reports")
    op.drop_table("plan_groups")
