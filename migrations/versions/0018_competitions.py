"""Competitions: editions, nominations, jury, public vote, the Merkle-logged tally, prizes

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02

Ballots, tally entries and tally checkpoints are append-only: the database refuses UPDATE and
DELETE of them (``create_append_only``), so a published tally cannot be rewritten in place.
"""

import sqlalchemy as sa
from alembic import op

import fundapp.core.db
from fundapp.core.migration_helpers import create_append_only, drop_append_only

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

APPEND_ONLY = ("competition_ballots", "competition_tally_entries", "competition_tally_checkpoints")


def upgrade():
    op.create_table(
        "competitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("name_tg", sa.String(length=200), nullable=False),
        sa.Column("name_ru", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("description_tg", sa.Text(), nullable=False),
        sa.Column("description_ru", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("nominee_kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "nominee_kind IN ('organisation', 'person')", name=op.f("ck_competitions_nominee_kind_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competitions")),
        sa.UniqueConstraint("slug", name=op.f("uq_competitions_slug")),
    )
    op.create_table(
        "competition_editions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("competition_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("eligibility_rules", sa.Text(), nullable=False),
        sa.Column("nominations_open_on", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("nominations_close_on", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("results_on", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("scale_max", sa.Integer(), nullable=False),
        sa.Column("public_vote", sa.Boolean(), nullable=False),
        sa.Column("jury_weight", sa.Integer(), nullable=False),
        sa.Column("voter_min_account_days", sa.Integer(), nullable=False),
        sa.Column("name_jurors", sa.Boolean(), nullable=False),
        sa.Column("results_published_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(state = 'results_published') = (results_published_at IS NOT NULL)",
            name=op.f("ck_competition_editions_published_when_stated"),
        ),
        sa.CheckConstraint(
            "state IN ('draft', 'nominations_open', 'eligibility', 'judging', 'voting', 'results_published')",
            name=op.f("ck_competition_editions_state_known"),
        ),
        sa.CheckConstraint(
            "jury_weight BETWEEN 0 AND 100", name=op.f("ck_competition_editions_jury_weight_percent")
        ),
        sa.CheckConstraint(
            "nominations_close_on > nominations_open_on", name=op.f("ck_competition_editions_window_ordered")
        ),
        sa.CheckConstraint(
            "public_vote OR jury_weight = 100", name=op.f("ck_competition_editions_no_vote_all_jury")
        ),
        sa.CheckConstraint(
            "scale_max BETWEEN 2 AND 100", name=op.f("ck_competition_editions_scale_max_range")
        ),
        sa.CheckConstraint(
            "voter_min_account_days >= 0", name=op.f("ck_competition_editions_voter_age_positive")
        ),
        sa.ForeignKeyConstraint(
            ["competition_id"],
            ["competitions.id"],
            name=op.f("fk_competition_editions_competition_id_competitions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competition_editions")),
        sa.UniqueConstraint(
            "competition_id", "title", name=op.f("uq_competition_editions_competition_id_title")
        ),
    )
    with op.batch_alter_table("competition_editions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_competition_editions_competition_id"), ["competition_id"], unique=False
        )

    op.create_table(
        "competition_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["competition_editions.id"],
            name=op.f("fk_competition_categories_edition_id_competition_editions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competition_categories")),
        sa.UniqueConstraint("edition_id", "name", name=op.f("uq_competition_categories_edition_id_name")),
    )
    with op.batch_alter_table("competition_categories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_competition_categories_edition_id"), ["edition_id"], unique=False
        )

    op.create_table(
        "competition_criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.CheckConstraint("weight BETWEEN 1 AND 100", name=op.f("ck_competition_criteria_weight_range")),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["competition_editions.id"],
            name=op.f("fk_competition_criteria_edition_id_competition_editions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competition_criteria")),
        sa.UniqueConstraint("edition_id", "name", name=op.f("uq_competition_criteria_edition_id_name")),
    )
    with op.batch_alter_table("competition_criteria", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_competition_criteria_edition_id"), ["edition_id"], unique=False)

    op.create_table(
        "competition_jurors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("appointed_by_id", sa.Integer(), nullable=False),
        sa.Column("appointed_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointed_by_id"], ["users.id"], name=op.f("fk_competition_jurors_appointed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["competition_editions.id"],
            name=op.f("fk_competition_jurors_edition_id_competition_editions"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_competition_jurors_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competition_jurors")),
        sa.UniqueConstraint("edition_id", "user_id", name=op.f("uq_competition_jurors_edition_id_user_id")),
    )
    with op.batch_alter_table("competition_jurors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_competition_jurors_user_id"), ["user_id"], unique=False)

    op.create_table(
        "competition_tally_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.String(length=40), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("results_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["competition_editions.id"],
            name=op.f("fk_competition_tally_checkpoints_edition_id_competition_editions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competition_tally_checkpoints")),
        sa.UniqueConstraint(
            "edition_id", "tree_size", name=op.f("uq_competition_tally_checkpoints_edition_id_tree_size")
        ),
    )
    with op.batch_alter_table("competition_tally_checkpoints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_competition_tally_checkpoints_edition_id"), ["edition_id"], unique=False
        )

    op.create_table(
        "competition_tally_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("leaf_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('vote', 'score')", name=op.f("ck_competition_tally_entries_kind_known")),
        sa.CheckConstraint("seq >= 0", name=op.f("ck_competition_tally_entries_seq_positive")),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["competition_editions.id"],
            name=op.f("fk_competition_tally_entries_edition_id_competition_editions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competition_tally_entries")),
        sa.UniqueConstraint("edition_id", "seq", name=op.f("uq_competition_tally_entries_edition_id_seq")),
    )
    op.create_table(
        "competition_ballots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("cast_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["competition_categories.id"],
            name=op.f("fk_competition_ballots_category_id_competition_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["competition_editions.id"],
            name=op.f("fk_competition_ballots_edition_id_competition_editions"),
        ),
        sa.ForeignKeyConstraint(
            ["voter_id"], ["users.id"], name=op.f("fk_competition_ballots_voter_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competition_ballots")),
        sa.UniqueConstraint(
            "category_id", "voter_id", name=op.f("uq_competition_ballots_category_id_voter_id")
        ),
    )
    with op.batch_alter_table("competition_ballots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_competition_ballots_edition_id"), ["edition_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_competition_ballots_voter_id"), ["voter_id"], unique=False)

    op.create_table(
        "competition_nominations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("nominee_kind", sa.String(length=16), nullable=False),
        sa.Column("nominee_organisation_id", sa.Integer(), nullable=True),
        sa.Column("nominee_user_id", sa.Integer(), nullable=True),
        sa.Column("nominee_key", sa.String(length=40), nullable=False),
        sa.Column("nominated_by_id", sa.Integer(), nullable=False),
        sa.Column("on_behalf_of_id", sa.Integer(), nullable=True),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("consent_by_id", sa.Integer(), nullable=True),
        sa.Column("consent_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("eligibility_reason", sa.Text(), nullable=True),
        sa.Column("created_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(nominee_kind = 'organisation' AND nominee_organisation_id IS NOT NULL AND nominee_user_id IS NULL) OR (nominee_kind = 'person' AND nominee_user_id IS NOT NULL AND nominee_organisation_id IS NULL)",
            name=op.f("ck_competition_nominations_one_nominee"),
        ),
        sa.CheckConstraint(
            "nominee_kind IN ('organisation', 'person')",
            name=op.f("ck_competition_nominations_nominee_kind_known"),
        ),
        sa.CheckConstraint(
            "state <> 'not_eligible' OR eligibility_reason IS NOT NULL",
            name=op.f("ck_competition_nominations_reason_when_not_eligible"),
        ),
        sa.CheckConstraint(
            "state IN ('awaiting_consent', 'declined', 'consented', 'eligible', 'not_eligible')",
            name=op.f("ck_competition_nominations_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["competition_categories.id"],
            name=op.f("fk_competition_nominations_category_id_competition_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["checked_by_id"], ["users.id"], name=op.f("fk_competition_nominations_checked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["consent_by_id"], ["users.id"], name=op.f("fk_competition_nominations_consent_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["competition_editions.id"],
            name=op.f("fk_competition_nominations_edition_id_competition_editions"),
        ),
        sa.ForeignKeyConstraint(
            ["nominated_by_id"], ["users.id"], name=op.f("fk_competition_nominations_nominated_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["nominee_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_competition_nominations_nominee_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["nominee_user_id"], ["users.id"], name=op.f("fk_competition_nominations_nominee_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["on_behalf_of_id"],
            ["organisations.id"],
            name=op.f("fk_competition_nominations_on_behalf_of_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competition_nominations")),
        sa.UniqueConstraint(
            "edition_id", "nominee_key", name=op.f("uq_competition_nominations_edition_id_nominee_key")
        ),
    )
    with op.batch_alter_table("competition_nominations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_competition_nominations_category_id"), ["category_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_competition_nominations_nominee_organisation_id"),
            ["nominee_organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_competition_nominations_nominee_user_id"), ["nominee_user_id"], unique=False
        )

    op.create_table(
        "competition_declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("juror_id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("declared_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('no_conflict', 'conflict', 'auto_recused')",
            name=op.f("ck_competition_declarations_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["juror_id"],
            ["competition_jurors.id"],
            name=op.f("fk_competition_declarations_juror_id_competition_jurors"),
        ),
        sa.ForeignKeyConstraint(
            ["nomination_id"],
            ["competition_nominations.id"],
            name=op.f("fk_competition_declarations_nomination_id_competition_nominations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competition_declarations")),
        sa.UniqueConstraint(
            "juror_id", "nomination_id", name=op.f("uq_competition_declarations_juror_id_nomination_id")
        ),
    )
    with op.batch_alter_table("competition_declarations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_competition_declarations_nomination_id"), ["nomination_id"], unique=False
        )

    op.create_table(
        "competition_nomination_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("caption", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stored_files.id"],
            name=op.f("fk_competition_nomination_evidence_file_id_stored_files"),
        ),
        sa.ForeignKeyConstraint(
            ["nomination_id"],
            ["competition_nominations.id"],
            name=op.f("fk_competition_nomination_evidence_nomination_id_competition_nominations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competition_nomination_evidence")),
        sa.UniqueConstraint("file_id", name=op.f("uq_competition_nomination_evidence_file_id")),
    )
    with op.batch_alter_table("competition_nomination_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_competition_nomination_evidence_nomination_id"), ["nomination_id"], unique=False
        )

    op.create_table(
        "competition_prizes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("place", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("amount_currency", sa.String(length=3), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=True),
        sa.Column("payee", sa.String(length=300), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pending_transfer_id", sa.Integer(), nullable=True),
        sa.Column("executed_by_id", sa.Integer(), nullable=True),
        sa.Column("executed_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("bank_reference", sa.String(length=100), nullable=True),
        sa.Column("journal_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.CheckConstraint(
            "(kind = 'money' AND amount_minor > 0 AND amount_currency IS NOT NULL) OR (kind = 'honour' AND amount_minor IS NULL AND amount_currency IS NULL)",
            name=op.f("ck_competition_prizes_money_has_amount"),
        ),
        sa.CheckConstraint("kind IN ('money', 'honour')", name=op.f("ck_competition_prizes_kind_known")),
        sa.CheckConstraint(
            "state <> 'paid' OR (journal_entry_id IS NOT NULL AND executed_by_id IS NOT NULL)",
            name=op.f("ck_competition_prizes_paid_has_entry"),
        ),
        sa.CheckConstraint(
            "state IN ('offered', 'requested', 'paid', 'awarded')",
            name=op.f("ck_competition_prizes_state_known"),
        ),
        sa.CheckConstraint(
            "executed_by_id IS NULL OR executed_by_id <> requested_by_id",
            name=op.f("ck_competition_prizes_paid_by_another"),
        ),
        sa.CheckConstraint("place >= 1", name=op.f("ck_competition_prizes_place_positive")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["competition_categories.id"],
            name=op.f("fk_competition_prizes_category_id_competition_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["competition_editions.id"],
            name=op.f("fk_competition_prizes_edition_id_competition_editions"),
        ),
        sa.ForeignKeyConstraint(
            ["executed_by_id"], ["users.id"], name=op.f("fk_competition_prizes_executed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["nomination_id"],
            ["competition_nominations.id"],
            name=op.f("fk_competition_prizes_nomination_id_competition_nominations"),
        ),
        sa.ForeignKeyConstraint(
            ["pending_transfer_id"],
            ["ledger_pending_transfers.id"],
            name=op.f("fk_competition_prizes_pending_transfer_id_ledger_pending_transfers"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_competition_prizes_requested_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competition_prizes")),
        sa.UniqueConstraint("category_id", "place", name=op.f("uq_competition_prizes_category_id_place")),
    )
    with op.batch_alter_table("competition_prizes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_competition_prizes_edition_id"), ["edition_id"], unique=False)

    op.create_table(
        "competition_scorecards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("juror_id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("submitted_at", fundapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["juror_id"],
            ["competition_jurors.id"],
            name=op.f("fk_competition_scorecards_juror_id_competition_jurors"),
        ),
        sa.ForeignKeyConstraint(
            ["nomination_id"],
            ["competition_nominations.id"],
            name=op.f("fk_competition_scorecards_nomination_id_competition_nominations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competition_scorecards")),
        sa.UniqueConstraint(
            "juror_id", "nomination_id", name=op.f("uq_competition_scorecards_juror_id_nomination_id")
        ),
    )
    with op.batch_alter_table("competition_scorecards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_competition_scorecards_nomination_id"), ["nomination_id"], unique=False
        )

    for table in APPEND_ONLY:
        create_append_only(table)


def downgrade():
    for table in APPEND_ONLY:
        drop_append_only(table)
    with op.batch_alter_table("competition_scorecards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_competition_scorecards_nomination_id"))

    op.drop_table("competition_scorecards")
    with op.batch_alter_table("competition_prizes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_competition_prizes_edition_id"))

    op.drop_table("competition_prizes")
    with op.batch_alter_table("competition_nomination_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_competition_nomination_evidence_nomination_id"))

    op.drop_table("competition_nomination_evidence")
    with op.batch_alter_table("competition_declarations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_competition_declarations_nomination_id"))

    op.drop_table("competition_declarations")
    with op.batch_alter_table("competition_nominations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_competition_nominations_nominee_user_id"))
        batch_op.drop_index(batch_op.f("ix_competition_nominations_nominee_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_competition_nominations_category_id"))

    op.drop_table("competition_nominations")
    with op.batch_alter_table("competition_ballots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_competition_ballots_voter_id"))
        batch_op.drop_index(batch_op.f("ix_competition_ballots_edition_id"))

    op.drop_table("competition_ballots")
    op.drop_table("competition_tally_entries")
    with op.batch_alter_table("competition_tally_checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_competition_tally_checkpoints_edition_id"))

    op.drop_table("competition_tally_checkpoints")
    with op.batch_alter_table("competition_jurors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_competition_jurors_user_id"))

    op.drop_table("competition_jurors")
    with op.batch_alter_table("competition_criteria", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_competition_criteria_edition_id"))

    op.drop_table("competition_criteria")
    with op.batch_alter_table("competition_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_competition_categories_edition_id"))

    op.drop_table("competition_categories")
    with op.batch_alter_table("competition_editions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_competition_editions_competition_id"))

    op.drop_table("competition_editions")
    op.drop_table("competitions")
