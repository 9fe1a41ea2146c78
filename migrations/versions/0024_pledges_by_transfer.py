"""Pledges paid by transfer, backers cancelling unpaid backings, bank fees on receipts

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02

A pledge may be paid by bank or money transfer instead of a saved card: when its campaign succeeds
it waits for the transfer (``awaiting_transfer``) until a deadline, with a reference code and
reminders, and lapses when nothing arrived. A donation not yet paid can be cancelled by its
backer. A receipt may record what the banks kept on the way (a fee within a configured tolerance).
"""

import sqlalchemy as sa
from alembic import op

import fundapp.core.db

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

OLD_PLEDGE_STATES = (
    "state IN ('awaiting_card', 'active', 'cancelled', 'charging', 'collected', 'payment_failed', "
    "'lapsed', 'released', 'refunded')"
)
NEW_PLEDGE_STATES = (
    "state IN ('awaiting_card', 'active', 'awaiting_transfer', 'cancelled', 'charging', 'collected', "
    "'payment_failed', 'lapsed', 'released', 'refunded')"
)
OLD_DONATION_STATES = "state IN ('pending', 'received', 'failed', 'refunded')"
NEW_DONATION_STATES = "state IN ('pending', 'received', 'failed', 'refunded', 'cancelled')"
FEE_CHECK = "fee_minor IS NULL OR fee_minor > 0"


def upgrade():
    with op.batch_alter_table("pledges") as batch:
        batch.add_column(sa.Column("method", sa.String(length=8), nullable=False, server_default="card"))
        batch.add_column(sa.Column("reference_code", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("receipt_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("payment_requested_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("reminders_sent", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("lapsed_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True))
    # pledges that lapsed before the date was kept: the last change is when they lapsed
    op.execute("UPDATE pledges SET lapsed_at = updated_at WHERE state = 'lapsed'")
    with op.batch_alter_table("pledges") as batch:
        batch.alter_column("method", server_default=None)
        batch.alter_column("reminders_sent", server_default=None)
        batch.alter_column(
            "state", existing_type=sa.String(length=16), type_=sa.String(length=17), existing_nullable=False
        )
        batch.drop_constraint(op.f("ck_pledges_state_known"), type_="check")
        batch.create_check_constraint(op.f("ck_pledges_state_known"), NEW_PLEDGE_STATES)
        batch.create_check_constraint(op.f("ck_pledges_method_known"), "method IN ('card', 'transfer')")
        batch.create_check_constraint(
            op.f("ck_pledges_awaiting_card_is_card"), "state <> 'awaiting_card' OR method = 'card'"
        )
        batch.create_check_constraint(
            op.f("ck_pledges_awaiting_transfer_shape"),
            "state <> 'awaiting_transfer' OR (method = 'transfer' AND grace_until IS NOT NULL "
            "AND reference_code IS NOT NULL AND payment_requested_at IS NOT NULL)",
        )
        batch.create_check_constraint(
            op.f("ck_pledges_lapsed_when_dated"), "(state = 'lapsed') = (lapsed_at IS NOT NULL)"
        )
        batch.create_check_constraint(op.f("ck_pledges_reminders_not_negative"), "reminders_sent >= 0")
        batch.create_unique_constraint(op.f("uq_pledges_reference_code"), ["reference_code"])
        batch.create_foreign_key(
            op.f("fk_pledges_receipt_id_offline_receipts"), "offline_receipts", ["receipt_id"], ["id"]
        )
    with op.batch_alter_table("donations") as batch:
        batch.add_column(sa.Column("cancelled_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True))
        batch.drop_constraint(op.f("ck_donations_state_known"), type_="check")
        batch.create_check_constraint(op.f("ck_donations_state_known"), NEW_DONATION_STATES)
        batch.create_check_constraint(
            op.f("ck_donations_cancelled_when_dated"), "(state = 'cancelled') = (cancelled_at IS NOT NULL)"
        )
    # offline_receipts is referred to by donations and investments: SQLite must not rebuild it, so
    # the columns are added in place, the check with its column
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE offline_receipts ADD COLUMN fee_minor BIGINT "
            f"CONSTRAINT ck_offline_receipts_fee_positive CHECK ({FEE_CHECK})"
        )
    else:
        op.add_column("offline_receipts", sa.Column("fee_minor", sa.BigInteger(), nullable=True))
        op.create_check_constraint(op.f("ck_offline_receipts_fee_positive"), "offline_receipts", FEE_CHECK)
    op.add_column(
        "offline_receipts",
        sa.Column("fee_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
    )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE offline_receipts DROP COLUMN fee_entry_id")
        op.execute("ALTER TABLE offline_receipts DROP COLUMN fee_minor")
    else:
        op.drop_constraint(op.f("ck_offline_receipts_fee_positive"), "offline_receipts", type_="check")
        op.drop_column("offline_receipts", "fee_entry_id")
        op.drop_column("offline_receipts", "fee_minor")
    # a cancelled donation was never paid: going back, it reads as one that failed
    op.execute("UPDATE donations SET state = 'failed' WHERE state = 'cancelled'")
    with op.batch_alter_table("donations") as batch:
        batch.drop_constraint(op.f("ck_donations_cancelled_when_dated"), type_="check")
        batch.drop_constraint(op.f("ck_donations_state_known"), type_="check")
        batch.create_check_constraint(op.f("ck_donations_state_known"), OLD_DONATION_STATES)
        batch.drop_column("cancelled_at")
    # before transfers, an unpaid pledge of a succeeded campaign was one whose payment failed
    op.execute("UPDATE pledges SET state = 'payment_failed' WHERE state = 'awaiting_transfer'")
    with op.batch_alter_table("pledges") as batch:
        batch.drop_constraint(op.f("fk_pledges_receipt_id_offline_receipts"), type_="foreignkey")
        batch.drop_constraint(op.f("uq_pledges_reference_code"), type_="unique")
        batch.drop_constraint(op.f("ck_pledges_reminders_not_negative"), type_="check")
        batch.drop_constraint(op.f("ck_pledges_lapsed_when_dated"), type_="check")
        batch.drop_constraint(op.f("ck_pledges_awaiting_transfer_shape"), type_="check")
        batch.drop_constraint(op.f("ck_pledges_awaiting_card_is_card"), type_="check")
        batch.drop_constraint(op.f("ck_pledges_method_known"), type_="check")
        batch.drop_constraint(op.f("ck_pledges_state_known"), type_="check")
        batch.create_check_constraint(op.f("ck_pledges_state_known"), OLD_PLEDGE_STATES)
        batch.alter_column(
            "state", existing_type=sa.String(length=17), type_=sa.String(length=16), existing_nullable=False
        )
        batch.drop_column("lapsed_at")
        batch.drop_column("reminders_sent")
        batch.drop_column("payment_requested_at")
        batch.drop_column("receipt_id")
        batch.drop_column("reference_code")
        batch.drop_column("method")
