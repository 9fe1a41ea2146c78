"""Disbursements, milestone reports and reconciliation

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

Disbursement requests under four eyes (CHECK constraints name the rule), their evidence, milestone
completion reports, and reconciliation runs with their items and adjusting entries.
"""

import sqlalchemy as sa
from alembic import op

import fundapp.core.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reconciliation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("account_code", sa.String(length=80), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("matched_count", sa.Integer(), nullable=False),
        sa.Column("mismatch_count", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "source IN ('bank_statement', 'stripe')", name=op.f("ck_reconciliation_runs_source_known")
        ),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_reconciliation_runs_period_ordered")),
        sa.CheckConstraint("window_days >= 0", name=op.f("ck_reconciliation_runs_window_not_negative")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_reconciliation_runs_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_runs")),
    )
    op.create_table(
        "reconciliation_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("line_key", sa.String(length=80), nullable=True),
        sa.Column("line_on", sa.Date(), nullable=True),
        sa.Column("line_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("line_reference", sa.String(length=300), nullable=True),
        sa.Column("line_counterparty", sa.String(length=300), nullable=True),
        sa.Column("leg_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("leg_on", sa.Date(), nullable=True),
        sa.Column("leg_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('matched', 'difference', 'missing_in_ledger', 'missing_on_statement')",
            name=op.f("ck_reconciliation_items_kind_known"),
        ),
        sa.CheckConstraint(
            "status <> 'resolved' OR reviewed_by_id IS NOT NULL",
            name=op.f("ck_reconciliation_items_resolved_by_someone"),
        ),
        sa.CheckConstraint(
            "status IN ('ok', 'open', 'adjusting', 'resolved')",
            name=op.f("ck_reconciliation_items_status_known"),
        ),
        sa.CheckConstraint(
            "line_key IS NOT NULL OR leg_id IS NOT NULL", name=op.f("ck_reconciliation_items_has_a_side")
        ),
        sa.ForeignKeyConstraint(
            ["leg_id"], ["ledger_legs.id"], name=op.f("fk_reconciliation_items_leg_id_ledger_legs")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_reconciliation_items_reviewed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["reconciliation_runs.id"],
            name=op.f("fk_reconciliation_items_run_id_reconciliation_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_items")),
    )
    with op.batch_alter_table("reconciliation_items", schema=None) as batch_op:
        batch_op.create_index("ix_reconciliation_items_run_id", ["run_id", "status"], unique=False)
    op.create_table(
        "reconciliation_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("account_code", sa.String(length=80), nullable=False),
        sa.Column("counter_account_code", sa.String(length=80), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("memo", sa.String(length=400), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.CheckConstraint(
            "(state = 'posted') = (entry_id IS NOT NULL)",
            name=op.f("ck_reconciliation_adjustments_posted_has_entry"),
        ),
        sa.CheckConstraint(
            "state IN ('proposed', 'posted', 'rejected')",
            name=op.f("ck_reconciliation_adjustments_state_known"),
        ),
        sa.CheckConstraint("amount_minor <> 0", name=op.f("ck_reconciliation_adjustments_amount_not_zero")),
        sa.CheckConstraint(
            "decided_by_id IS NULL OR decided_by_id <> proposed_by_id",
            name=op.f("ck_reconciliation_adjustments_four_eyes"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_reconciliation_adjustments_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_reconciliation_adjustments_entry_id_ledger_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["reconciliation_items.id"],
            name=op.f("fk_reconciliation_adjustments_item_id_reconciliation_items"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["users.id"], name=op.f("fk_reconciliation_adjustments_proposed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_adjustments")),
    )
    with op.batch_alter_table("reconciliation_adjustments", schema=None) as batch_op:
        batch_op.create_index("ix_reconciliation_adjustments_item_id", ["item_id"], unique=False)
    op.create_table(
        "disbursement_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_currency", sa.String(length=3), nullable=False),
        sa.Column("payee_name", sa.String(length=200), nullable=False),
        sa.Column("payee_bank", sa.String(length=200), nullable=False),
        sa.Column("payee_account", sa.String(length=64), nullable=False),
        sa.Column("payee_bank_code", sa.String(length=32), nullable=True),
        sa.Column("work_done", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("council_decision_id", sa.Integer(), nullable=True),
        sa.Column("pending_transfer_id", sa.Integer(), nullable=True),
        sa.Column("executed_by_id", sa.Integer(), nullable=True),
        sa.Column("executed_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("bank_reference", sa.String(length=100), nullable=True),
        sa.Column("journal_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("voided_by_id", sa.Integer(), nullable=True),
        sa.Column("voided_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state <> 'executed' OR (journal_entry_id IS NOT NULL AND bank_reference IS NOT NULL AND executed_by_id IS NOT NULL)",
            name=op.f("ck_disbursement_requests_executed_is_whole"),
        ),
        sa.CheckConstraint(
            "state IN ('requested', 'approved', 'executed', 'returned', 'voided')",
            name=op.f("ck_disbursement_requests_state_known"),
        ),
        sa.CheckConstraint(
            "state NOT IN ('approved', 'executed') OR (pending_transfer_id IS NOT NULL AND decided_by_id IS NOT NULL)",
            name=op.f("ck_disbursement_requests_approved_is_reserved"),
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_disbursement_requests_amount_positive")),
        sa.CheckConstraint(
            "decided_by_id IS NULL OR decided_by_id <> requested_by_id",
            name=op.f("ck_disbursement_requests_approver_not_requester"),
        ),
        sa.CheckConstraint(
            "executed_by_id IS NULL OR (executed_by_id <> requested_by_id AND executed_by_id <> decided_by_id)",
            name=op.f("ck_disbursement_requests_executor_is_a_third_person"),
        ),
        sa.ForeignKeyConstraint(
            ["council_decision_id"],
            ["council_decisions.id"],
            name=op.f("fk_disbursement_requests_council_decision_id_council_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_disbursement_requests_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["executed_by_id"], ["users.id"], name=op.f("fk_disbursement_requests_executed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["journal_entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_disbursement_requests_journal_entry_id_ledger_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["project_milestones.id"],
            name=op.f("fk_disbursement_requests_milestone_id_project_milestones"),
        ),
        sa.ForeignKeyConstraint(
            ["pending_transfer_id"],
            ["ledger_pending_transfers.id"],
            name="fk_disbursement_requests_pending_transfer",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_disbursement_requests_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_disbursement_requests_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["voided_by_id"], ["users.id"], name=op.f("fk_disbursement_requests_voided_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disbursement_requests")),
        sa.UniqueConstraint("journal_entry_id", name=op.f("uq_disbursement_requests_journal_entry_id")),
        sa.UniqueConstraint("pending_transfer_id", name=op.f("uq_disbursement_requests_pending_transfer_id")),
    )
    with op.batch_alter_table("disbursement_requests", schema=None) as batch_op:
        batch_op.create_index("ix_disbursement_requests_project_id", ["project_id", "state"], unique=False)
        batch_op.create_index("ix_disbursement_requests_state", ["state"], unique=False)
    op.create_table(
        "milestone_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_milestone_reports_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["project_milestones.id"],
            name=op.f("fk_milestone_reports_milestone_id_project_milestones"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_milestone_reports_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone_reports")),
    )
    with op.batch_alter_table("milestone_reports", schema=None) as batch_op:
        batch_op.create_index("ix_milestone_reports_project_id", ["project_id", "created_at"], unique=False)
    op.create_table(
        "disbursement_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("caption", sa.String(length=200), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('invoice', 'photo', 'act', 'other')", name=op.f("ck_disbursement_evidence_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_files.id"], name=op.f("fk_disbursement_evidence_file_id_stored_files")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["disbursement_requests.id"],
            name=op.f("fk_disbursement_evidence_request_id_disbursement_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disbursement_evidence")),
        sa.UniqueConstraint("file_id", name=op.f("uq_disbursement_evidence_file_id")),
    )
    with op.batch_alter_table("disbursement_evidence", schema=None) as batch_op:
        batch_op.create_index("ix_disbursement_evidence_request_id", ["request_id"], unique=False)
    op.create_table(
        "milestone_report_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("caption", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_files.id"], name=op.f("fk_milestone_report_files_file_id_stored_files")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["milestone_reports.id"],
            name=op.f("fk_milestone_report_files_report_id_milestone_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone_report_files")),
        sa.UniqueConstraint("file_id", name=op.f("uq_milestone_report_files_file_id")),
    )
    with op.batch_alter_table("milestone_report_files", schema=None) as batch_op:
        batch_op.create_index("ix_milestone_report_files_report_id", ["report_id"], unique=False)


def downgrade():
    with op.batch_alter_table("milestone_report_files", schema=None) as batch_op:
        batch_op.drop_index("ix_milestone_report_files_report_id")
    op.drop_table("milestone_report_files")
    with op.batch_alter_table("disbursement_evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_disbursement_evidence_request_id")
    op.drop_table("disbursement_evidence")
    with op.batch_alter_table("milestone_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_milestone_reports_project_id")
    op.drop_table("milestone_reports")
    with op.batch_alter_table("disbursement_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_disbursement_requests_state")
        batch_op.drop_index("ix_disbursement_requests_project_id")
    op.drop_table("disbursement_requests")
    with op.batch_alter_table("reconciliation_adjustments", schema=None) as batch_op:
        batch_op.drop_index("ix_reconciliation_adjustments_item_id")
    op.drop_table("reconciliation_adjustments")
    with op.batch_alter_table("reconciliation_items", schema=None) as batch_op:
        batch_op.drop_index("ix_reconciliation_items_run_id")
    op.drop_table("reconciliation_items")
    op.drop_table("reconciliation_runs")
