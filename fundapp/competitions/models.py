"""Competitions, their editions, nominations, the jury's work, the public vote, the Merkle-logged
tally and the prizes.

Rules the database keeps as well as the services: one category per nominee per edition
(``uq_competition_nominations_edition_id``), one vote per account per category
(``uq_competition_ballots_category_id``), one declaration and one scorecard per juror and
nomination, a prize paid by someone other than the person who asked for it. Ballots, tally
entries and tally checkpoints are append-only (triggers in migration 0018).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundapp.accounts.models import User
from fundapp.community.models import Organisation
from fundapp.core.db import UTCDateTime, one_of, utcnow
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.files.models import StoredFile


class NomineeKind(StrEnum):
    ORGANISATION = "organisation"
    PERSON = "person"


class Competition(db.Model):
    """A standing award (e.g. "Best Cultural Center"); its names and description are editable."""

    __tablename__ = "competitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), nullable=False, unique=True)
    name_tg: Mapped[str] = mapped_column(String(200), nullable=False)
    name_ru: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str] = mapped_column(String(200), nullable=False)
    description_tg: Mapped[str] = mapped_column(Text, nullable=False, default="")
    description_ru: Mapped[str] = mapped_column(Text, nullable=False, default="")
    description_en: Mapped[str] = mapped_column(Text, nullable=False, default="")
    nominee_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    editions: Mapped[list[Edition]] = relationship(back_populates="competition", order_by="Edition.id.desc()")

    __table_args__ = (one_of("nominee_kind", NomineeKind, "nominee_kind_known"),)

    def _local(self, field: str) -> str:
        lang = str(get_locale() or "tg")[:2]
        return getattr(self, f"{field}_{lang}", None) or getattr(self, f"{field}_en")

    @property
    def name(self) -> str:
        return self._local("name")

    @property
    def description(self) -> str:
        return self._local("description")


class EditionState(StrEnum):
    DRAFT = "draft"
    NOMINATIONS_OPEN = "nominations_open"
    ELIGIBILITY = "eligibility"
    JUDGING = "judging"
    VOTING = "voting"
    RESULTS_PUBLISHED = "results_published"


EDITION_STATE_LABELS = {
    EditionState.DRAFT: _l("Draft"),
    EditionState.NOMINATIONS_OPEN: _l("Nominations open"),
    EditionState.ELIGIBILITY: _l("Nominations closed: eligibility check"),
    EditionState.JUDGING: _l("Jury at work"),
    EditionState.VOTING: _l("Public vote"),
    EditionState.RESULTS_PUBLISHED: _l("Results published"),
}


class Edition(db.Model):
    """One year's round of a competition, with its rules, dates, jury, vote and prizes."""

    __tablename__ = "competition_editions"

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default=EditionState.DRAFT)
    eligibility_rules: Mapped[str] = mapped_column(Text, nullable=False, default="")
    nominations_open_on: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    nominations_close_on: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    results_on: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    scale_max: Mapped[int] = mapped_column(Integer, nullable=False, default=10)
    public_vote: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    jury_weight: Mapped[int] = mapped_column(Integer, nullable=False, default=100)  # per cent
    voter_min_account_days: Mapped[int] = mapped_column(Integer, nullable=False, default=30)
    name_jurors: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    results_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    competition: Mapped[Competition] = relationship(back_populates="editions")
    categories: Mapped[list[Category]] = relationship(back_populates="edition", order_by="Category.id")
    criteria: Mapped[list[Criterion]] = relationship(back_populates="edition", order_by="Criterion.id")
    jurors: Mapped[list[Juror]] = relationship(back_populates="edition", order_by="Juror.id")
    prizes: Mapped[list[Prize]] = relationship(back_populates="edition", order_by="Prize.id")

    __table_args__ = (
        UniqueConstraint("competition_id", "title"),
        one_of("state", EditionState, "state_known"),
        CheckConstraint("jury_weight BETWEEN 0 AND 100", name="jury_weight_percent"),
        CheckConstraint("public_vote OR jury_weight = 100", name="no_vote_all_jury"),
        CheckConstraint("scale_max BETWEEN 2 AND 100", name="scale_max_range"),
        CheckConstraint("voter_min_account_days >= 0", name="voter_age_positive"),
        CheckConstraint("nominations_close_on > nominations_open_on", name="window_ordered"),
        CheckConstraint(
            "(state = 'results_published') = (results_published_at IS NOT NULL)", name="published_when_stated"
        ),
    )

    @property
    def state_label(self):
        return EDITION_STATE_LABELS[EditionState(self.state)]

    @property
    def public_weight(self) -> int:
        return 100 - self.jury_weight if self.public_vote else 0


class Category(db.Model):
    __tablename__ = "competition_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("competition_editions.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")

    edition: Mapped[Edition] = relationship(back_populates="categories")

    __table_args__ = (UniqueConstraint("edition_id", "name"),)


class Criterion(db.Model):
    """A rubric line: its weight and what each level of score means (``levels``: a list of
    ``{"from": score, "meaning": text}``, lowest first)."""

    __tablename__ = "competition_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("competition_editions.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    weight: Mapped[int] = mapped_column(Integer, nullable=False)
    levels: Mapped[list] = mapped_column(JSON, nullable=False, default=list)

    edition: Mapped[Edition] = relationship(back_populates="criteria")

    __table_args__ = (
        UniqueConstraint("edition_id", "name"),
        CheckConstraint("weight BETWEEN 1 AND 100", name="weight_range"),
    )


class NominationState(StrEnum):
    AWAITING_CONSENT = "awaiting_consent"
    DECLINED = "declined"
    CONSENTED = "consented"
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"


NOMINATION_STATE_LABELS = {
    NominationState.AWAITING_CONSENT: _l("Awaiting the nominee's consent"),
    NominationState.DECLINED: _l("Declined by the nominee"),
    NominationState.CONSENTED: _l("Consented, awaiting the eligibility check"),
    NominationState.ELIGIBLE: _l("Eligible"),
    NominationState.NOT_ELIGIBLE: _l("Not eligible"),
}


class Nomination(db.Model):
    """A nomination of an organisation or a person in one category of an edition."""

    __tablename__ = "competition_nominations"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("competition_editions.id"), nullable=False)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("competition_categories.id"), nullable=False, index=True
    )
    nominee_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    nominee_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    nominee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # "organisation:<id>" or "person:<id>": the key of the one-category-per-nominee rule
    nominee_key: Mapped[str] = mapped_column(String(40), nullable=False)
    nominated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    statement: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default=NominationState.AWAITING_CONSENT)
    consent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    eligibility_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    edition: Mapped[Edition] = relationship()
    category: Mapped[Category] = relationship()
    nominee_organisation: Mapped[Organisation | None] = relationship(foreign_keys=[nominee_organisation_id])
    nominee_user: Mapped[User | None] = relationship(foreign_keys=[nominee_user_id])
    nominated_by: Mapped[User] = relationship(foreign_keys=[nominated_by_id])
    on_behalf_of: Mapped[Organisation | None] = relationship(foreign_keys=[on_behalf_of_id])
    evidence: Mapped[list[NominationEvidence]] = relationship(
        back_populates="nomination", order_by="NominationEvidence.id"
    )

    __table_args__ = (
        UniqueConstraint("edition_id", "nominee_key"),
        one_of("nominee_kind", NomineeKind, "nominee_kind_known"),
        one_of("state", NominationState, "state_known"),
        CheckConstraint(
            "(nominee_kind = 'organisation' AND nominee_organisation_id IS NOT NULL"
            " AND nominee_user_id IS NULL) OR (nominee_kind = 'person' AND nominee_user_id IS NOT NULL"
            " AND nominee_organisation_id IS NULL)",
            name="one_nominee",
        ),
        CheckConstraint(
            "state <> 'not_eligible' OR eligibility_reason IS NOT NULL", name="reason_when_not_eligible"
        ),
    )

    @property
    def nominee_name(self) -> str:
        if self.nominee_kind == NomineeKind.ORGANISATION:
            return self.nominee_organisation.name
        return self.nominee_user.display_name

    @property
    def state_label(self):
        return NOMINATION_STATE_LABELS[NominationState(self.state)]


class NominationEvidence(db.Model):
    __tablename__ = "competition_nomination_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(
        ForeignKey("competition_nominations.id"), nullable=False, index=True
    )
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"), nullable=False, unique=True)
    caption: Mapped[str] = mapped_column(String(200), nullable=False, default="")

    nomination: Mapped[Nomination] = relationship(back_populates="evidence")
    file: Mapped[StoredFile] = relationship()


class Juror(db.Model):
    __tablename__ = "competition_jurors"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("competition_editions.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    appointed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    appointed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    edition: Mapped[Edition] = relationship(back_populates="jurors")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (UniqueConstraint("edition_id", "user_id"),)


class DeclarationKind(StrEnum):
    NO_CONFLICT = "no_conflict"
    CONFLICT = "conflict"
    AUTO_RECUSED = "auto_recused"


class Declaration(db.Model):
    """A juror's conflict-of-interest declaration for one nomination, made before reading it in
    full; ``auto_recused`` when the portal itself knows of a tie (``reason`` says which)."""

    __tablename__ = "competition_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    juror_id: Mapped[int] = mapped_column(ForeignKey("competition_jurors.id"), nullable=False)
    nomination_id: Mapped[int] = mapped_column(
        ForeignKey("competition_nominations.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("juror_id", "nomination_id"),
        one_of("kind", DeclarationKind, "kind_known"),
    )


class Scorecard(db.Model):
    """One juror's scores for one nomination; ``scores`` maps criterion id → ``{"score": n,
    "justification": text}``. Submitted cards are final."""

    __tablename__ = "competition_scorecards"

    id: Mapped[int] = mapped_column(primary_key=True)
    juror_id: Mapped[int] = mapped_column(ForeignKey("competition_jurors.id"), nullable=False)
    nomination_id: Mapped[int] = mapped_column(
        ForeignKey("competition_nominations.id"), nullable=False, index=True
    )
    scores: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    juror: Mapped[Juror] = relationship()
    nomination: Mapped[Nomination] = relationship()

    __table_args__ = (UniqueConstraint("juror_id", "nomination_id"),)


class Ballot(db.Model):
    """That an account has voted in a category — not for whom (that is only in the tally, under
    a commitment whose secret the voter alone holds). Append-only."""

    __tablename__ = "competition_ballots"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("competition_editions.id"), nullable=False, index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("competition_categories.id"), nullable=False)
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (UniqueConstraint("category_id", "voter_id"),)


class TallyEntry(db.Model):
    """One leaf of an edition's Merkle-logged tally: a vote (its commitment and choice) or a
    jury scorecard, in the canonical encoding of ``tally.py``. Append-only."""

    __tablename__ = "competition_tally_entries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("competition_editions.id"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    leaf_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("edition_id", "seq"),
        CheckConstraint("seq >= 0", name="seq_positive"),
        CheckConstraint("kind IN ('vote', 'score')", name="kind_known"),
    )


class TallyCheckpoint(db.Model):
    """A signed statement of the tally's size and root (the ledger's key). Append-only."""

    __tablename__ = "competition_tally_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("competition_editions.id"), nullable=False, index=True)
    tree_size: Mapped[int] = mapped_column(Integer, nullable=False)
    root_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    signed_at: Mapped[str] = mapped_column(String(40), nullable=False)
    signature: Mapped[str] = mapped_column(String(128), nullable=False)
    public_key: Mapped[str] = mapped_column(String(64), nullable=False)
    results_json: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = (UniqueConstraint("edition_id", "tree_size"),)


class PrizeKind(StrEnum):
    MONEY = "money"
    HONOUR = "honour"


class PrizeState(StrEnum):
    OFFERED = "offered"
    REQUESTED = "requested"
    PAID = "paid"
    AWARDED = "awarded"


PRIZE_STATE_LABELS = {
    PrizeState.OFFERED: _l("Offered"),
    PrizeState.REQUESTED: _l("Payment requested, awaiting the treasurer"),
    PrizeState.PAID: _l("Paid"),
    PrizeState.AWARDED: _l("Awarded"),
}


class Prize(db.Model):
    """A prize for a place in a category: money from the prize fund, or an honour."""

    __tablename__ = "competition_prizes"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("competition_editions.id"), nullable=False, index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("competition_categories.id"), nullable=False)
    place: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    description: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    amount_currency: Mapped[str | None] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(12), nullable=False, default=PrizeState.OFFERED)
    nomination_id: Mapped[int | None] = mapped_column(ForeignKey("competition_nominations.id"))
    payee: Mapped[str | None] = mapped_column(String(300))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pending_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_pending_transfers.id"))
    executed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bank_reference: Mapped[str | None] = mapped_column(String(100))
    journal_entry_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))

    edition: Mapped[Edition] = relationship(back_populates="prizes")
    category: Mapped[Category] = relationship()
    nomination: Mapped[Nomination | None] = relationship()

    __table_args__ = (
        UniqueConstraint("category_id", "place"),
        CheckConstraint("place >= 1", name="place_positive"),
        one_of("kind", PrizeKind, "kind_known"),
        one_of("state", PrizeState, "state_known"),
        CheckConstraint(
            "(kind = 'money' AND amount_minor > 0 AND amount_currency IS NOT NULL)"
            " OR (kind = 'honour' AND amount_minor IS NULL AND amount_currency IS NULL)",
            name="money_has_amount",
        ),
        CheckConstraint(
            "executed_by_id IS NULL OR executed_by_id <> requested_by_id", name="paid_by_another"
        ),
        CheckConstraint(
            "state <> 'paid' OR (journal_entry_id IS NOT NULL AND executed_by_id IS NOT NULL)",
            name="paid_has_entry",
        ),
    )

    @property
    def amount(self) -> Money | None:
        if self.amount_minor is None:
            return None
        return Money(self.amount_minor, self.amount_currency)

    @property
    def state_label(self):
        return PRIZE_STATE_LABELS[PrizeState(self.state)]
