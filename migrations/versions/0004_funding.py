"""payments and funding

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

Stripe events and idempotency keys, offline receipts; donations, pledges, campaign settlements,
investments, repayment schedules, repayments and their shares, per-project counters.
"""

import sqlalchemy as sa
from alembic import op

import fundapp.core.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stripe_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("operation", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("stripe_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_calls")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_stripe_calls_idempotency_key")),
    )
    with op.batch_alter_table("stripe_calls", schema=None) as batch_op:
        batch_op.create_index("ix_stripe_calls_object", ["object_type", "object_id"], unique=False)

    op.create_table(
        "stripe_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("object_id", sa.String(length=255), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("received_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_stripe_events_event_id")),
    )
    op.create_table(
        "campaign_settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("goal_minor", sa.BigInteger(), nullable=False),
        sa.Column("counted_minor", sa.BigInteger(), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=False),
        sa.Column("claimed_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('funded', 'unsuccessful')", name=op.f("ck_campaign_settlements_outcome_known")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_campaign_settlements_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_settlements")),
        sa.UniqueConstraint("project_id", name=op.f("uq_campaign_settlements_project_id")),
    )
    op.create_table(
        "offline_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("operator", sa.String(length=120), nullable=False),
        sa.Column("transfer_reference", sa.String(length=120), nullable=False),
        sa.Column("operator_key", sa.String(length=120), nullable=False),
        sa.Column("reference_key", sa.String(length=120), nullable=False),
        sa.Column("sender_name", sa.String(length=200), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("backing_reference", sa.String(length=20), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("fx_rate", sa.String(length=40), nullable=True),
        sa.Column("credited_minor", sa.BigInteger(), nullable=False),
        sa.Column("credited_currency", sa.String(length=3), nullable=False),
        sa.Column("evidence_file_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("ledger_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.CheckConstraint("method IN ('bank', 'mto')", name=op.f("ck_offline_receipts_method_known")),
        sa.CheckConstraint(
            "state = 'recorded' OR (decided_by_id IS NOT NULL AND decided_by_id <> recorded_by_id)",
            name=op.f("ck_offline_receipts_four_eyes"),
        ),
        sa.CheckConstraint(
            "state IN ('recorded', 'confirmed', 'rejected')", name=op.f("ck_offline_receipts_state_known")
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_offline_receipts_amount_positive")),
        sa.CheckConstraint("credited_minor > 0", name=op.f("ck_offline_receipts_credited_positive")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_offline_receipts_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["evidence_file_id"],
            ["stored_files.id"],
            name=op.f("fk_offline_receipts_evidence_file_id_stored_files"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_offline_receipts_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_offline_receipts_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offline_receipts")),
        sa.UniqueConstraint(
            "operator_key", "reference_key", name=op.f("uq_offline_receipts_operator_key_reference_key")
        ),
    )
    with op.batch_alter_table("offline_receipts", schema=None) as batch_op:
        batch_op.create_index("ix_offline_receipts_project_id", ["project_id"], unique=False)
        batch_op.create_index("ix_offline_receipts_state", ["state"], unique=False)

    op.create_table(
        "pledges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("backer_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("public_name", sa.String(length=120), nullable=True),
        sa.Column("stripe_customer_id", sa.String(length=255), nullable=True),
        sa.Column("setup_session_id", sa.String(length=255), nullable=True),
        sa.Column("payment_method_id", sa.String(length=255), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("charge_attempt", sa.Integer(), nullable=False),
        sa.Column("charge_key", sa.String(length=255), nullable=True),
        sa.Column("payment_intent_id", sa.String(length=255), nullable=True),
        sa.Column("pay_session_id", sa.String(length=255), nullable=True),
        sa.Column("fee_minor", sa.BigInteger(), nullable=True),
        sa.Column("ledger_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("grace_until", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("collected_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('awaiting_card', 'active', 'cancelled', 'charging', 'collected', 'payment_failed', 'lapsed', 'released', 'refunded')",
            name=op.f("ck_pledges_state_known"),
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_pledges_amount_positive")),
        sa.ForeignKeyConstraint(["backer_id"], ["users.id"], name=op.f("fk_pledges_backer_id_users")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_pledges_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledges")),
        sa.UniqueConstraint("project_id", "backer_id", name=op.f("uq_pledges_project_id_backer_id")),
    )
    with op.batch_alter_table("pledges", schema=None) as batch_op:
        batch_op.create_index("ix_pledges_state", ["state"], unique=False)

    op.create_table(
        "project_totals",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("raised_minor", sa.BigInteger(), nullable=False),
        sa.Column("pledged_minor", sa.BigInteger(), nullable=False),
        sa.Column("committed_minor", sa.BigInteger(), nullable=False),
        sa.Column("refunded_minor", sa.BigInteger(), nullable=False),
        sa.Column("repaid_minor", sa.BigInteger(), nullable=False),
        sa.Column("card_minor", sa.BigInteger(), nullable=False),
        sa.Column("bank_minor", sa.BigInteger(), nullable=False),
        sa.Column("mto_minor", sa.BigInteger(), nullable=False),
        sa.Column("backers", sa.Integer(), nullable=False),
        sa.Column("pledgers", sa.Integer(), nullable=False),
        sa.Column("updated_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("committed_minor >= 0", name=op.f("ck_project_totals_committed_not_negative")),
        sa.CheckConstraint("pledged_minor >= 0", name=op.f("ck_project_totals_pledged_not_negative")),
        sa.CheckConstraint("raised_minor >= 0", name=op.f("ck_project_totals_raised_not_negative")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_totals_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_project_totals")),
    )
    op.create_table(
        "repayment_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("principal_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("annual_rate_bp", sa.Integer(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("repayment_type", sa.String(length=10), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("principal_minor > 0", name=op.f("ck_repayment_schedules_principal_positive")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_repayment_schedules_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repayment_schedules")),
        sa.UniqueConstraint("project_id", name=op.f("uq_repayment_schedules_project_id")),
    )
    op.create_table(
        "repayments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ledger_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "distribution_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_repayments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_repayments_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_repayments_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repayments")),
        sa.UniqueConstraint("project_id", "reference", name=op.f("uq_repayments_project_id_reference")),
    )
    op.create_table(
        "donations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("backer_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("public_name", sa.String(length=120), nullable=True),
        sa.Column("message", sa.String(length=500), nullable=True),
        sa.Column("reference_code", sa.String(length=20), nullable=False),
        sa.Column("access_token", sa.String(length=64), nullable=False),
        sa.Column("checkout_session_id", sa.String(length=255), nullable=True),
        sa.Column("payment_intent_id", sa.String(length=255), nullable=True),
        sa.Column("fee_minor", sa.BigInteger(), nullable=True),
        sa.Column("ledger_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("receipt_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refund_reason", sa.Text(), nullable=True),
        sa.Column("refunded_by_id", sa.Integer(), nullable=True),
        sa.Column("refund_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("stripe_refund_id", sa.String(length=255), nullable=True),
        sa.CheckConstraint("method IN ('card', 'bank', 'mto')", name=op.f("ck_donations_method_known")),
        sa.CheckConstraint(
            "state IN ('pending', 'received', 'failed', 'refunded')", name=op.f("ck_donations_state_known")
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_donations_amount_positive")),
        sa.ForeignKeyConstraint(["backer_id"], ["users.id"], name=op.f("fk_donations_backer_id_users")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_donations_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["offline_receipts.id"], name=op.f("fk_donations_receipt_id_offline_receipts")
        ),
        sa.ForeignKeyConstraint(
            ["refunded_by_id"], ["users.id"], name=op.f("fk_donations_refunded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donations")),
        sa.UniqueConstraint("access_token", name=op.f("uq_donations_access_token")),
        sa.UniqueConstraint("checkout_session_id", name=op.f("uq_donations_checkout_session_id")),
        sa.UniqueConstraint("payment_intent_id", name=op.f("uq_donations_payment_intent_id")),
        sa.UniqueConstraint("reference_code", name=op.f("uq_donations_reference_code")),
    )
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.create_index("ix_donations_backer_id", ["backer_id"], unique=False)
        batch_op.create_index("ix_donations_project_id", ["project_id"], unique=False)

    op.create_table(
        "investments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("investor_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("public_name", sa.String(length=120), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=True),
        sa.Column("reference_code", sa.String(length=20), nullable=False),
        sa.Column("submission_token", sa.String(length=64), nullable=False),
        sa.Column("risk_acknowledged", sa.Boolean(), nullable=False),
        sa.Column("checkout_session_id", sa.String(length=255), nullable=True),
        sa.Column("payment_intent_id", sa.String(length=255), nullable=True),
        sa.Column("fee_minor", sa.BigInteger(), nullable=True),
        sa.Column("ledger_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("receipt_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paid_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('committed', 'paid', 'cancelled', 'lapsed', 'return_due', 'refunded')",
            name=op.f("ck_investments_state_known"),
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_investments_amount_positive")),
        sa.CheckConstraint("risk_acknowledged", name=op.f("ck_investments_risk_acknowledged")),
        sa.ForeignKeyConstraint(["investor_id"], ["users.id"], name=op.f("fk_investments_investor_id_users")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_investments_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["offline_receipts.id"], name=op.f("fk_investments_receipt_id_offline_receipts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investments")),
        sa.UniqueConstraint("checkout_session_id", name=op.f("uq_investments_checkout_session_id")),
        sa.UniqueConstraint("reference_code", name=op.f("uq_investments_reference_code")),
        sa.UniqueConstraint("submission_token", name=op.f("uq_investments_submission_token")),
    )
    with op.batch_alter_table("investments", schema=None) as batch_op:
        batch_op.create_index("ix_investments_investor_id", ["investor_id"], unique=False)
        batch_op.create_index("ix_investments_project_id", ["project_id"], unique=False)

    op.create_table(
        "scheduled_repayments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("principal_minor", sa.BigInteger(), nullable=False),
        sa.Column("interest_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "amount_minor = principal_minor + interest_minor", name=op.f("ck_scheduled_repayments_amount_sum")
        ),
        sa.CheckConstraint(
            "paid_minor >= 0 AND paid_minor <= amount_minor", name=op.f("ck_scheduled_repayments_paid_range")
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["repayment_schedules.id"],
            name=op.f("fk_scheduled_repayments_schedule_id_repayment_schedules"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_repayments")),
        sa.UniqueConstraint("schedule_id", "number", name=op.f("uq_scheduled_repayments_schedule_id_number")),
    )
    op.create_table(
        "repayment_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repayment_id", sa.Integer(), nullable=False),
        sa.Column("investment_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_repayment_shares_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["investment_id"], ["investments.id"], name=op.f("fk_repayment_shares_investment_id_investments")
        ),
        sa.ForeignKeyConstraint(
            ["repayment_id"], ["repayments.id"], name=op.f("fk_repayment_shares_repayment_id_repayments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repayment_shares")),
        sa.UniqueConstraint(
            "repayment_id", "investment_id", name=op.f("uq_repayment_shares_repayment_id_investment_id")
        ),
    )
    with op.batch_alter_table("repayment_shares", schema=None) as batch_op:
        batch_op.create_index("ix_repayment_shares_investment_id", ["investment_id"], unique=False)


def downgrade():
    with op.batch_alter_table("repayment_shares", schema=None) as batch_op:
        batch_op.drop_index("ix_repayment_shares_investment_id")

    op.drop_table("repayment_shares")
    op.drop_table("scheduled_repayments")
    with op.batch_alter_table("investments", schema=None) as batch_op:
        batch_op.drop_index("ix_investments_project_id")
        batch_op.drop_index("ix_investments_investor_id")

    op.drop_table("investments")
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.drop_index("ix_donations_project_id")
        batch_op.drop_index("ix_donations_backer_id")

    op.drop_table("donations")
    op.drop_table("repayments")
    op.drop_table("repayment_schedules")
    op.drop_table("project_totals")
    with op.batch_alter_table("pledges", schema=None) as batch_op:
        batch_op.drop_index("ix_pledges_state")

    op.drop_table("pledges")
    with op.batch_alter_table("offline_receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_offline_receipts_state")
        batch_op.drop_index("ix_offline_receipts_project_id")

    op.drop_table("offline_receipts")
    op.drop_table("campaign_settlements")
    op.drop_table("stripe_events")
    with op.batch_alter_table("stripe_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_stripe_calls_object")

    op.drop_table("stripe_calls")
