"""The public vote and the results: one ballot per account per category, each vote a leaf of the
edition's Merkle-logged tally under the voter's commitment; publishing appends every final
scorecard, recounts, and signs a checkpoint over the tally, the rules and the results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from fundapp.core.db import utcnow
from fundapp.core.errors import DuplicateRequest, InvalidTransition, NotPermitted, ValidationFailed
from fundapp.extensions import db
from fundapp.ledger import merkle
from fundapp.ledger.encoding import format_time

from . import tally
from .models import (
    Ballot,
    Category,
    Edition,
    EditionState,
    Juror,
    Nomination,
    NominationState,
    Scorecard,
    TallyCheckpoint,
    TallyEntry,
)
from .services import considered, lock_edition

ES = EditionState
NS = NominationState


# -- the public vote ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    edition_id: int
    seq: int
    nonce: str

    @property
    def code(self) -> str:
        return f"{self.edition_id}-{self.seq}-{self.nonce}"


def parse_receipt(code: str) -> Receipt | None:
    parts = (code or "").strip().split("-")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    nonce = parts[2].lower()
    if len(nonce) != 64 or any(c not in "0123456789abcdef" for c in nonce):
        return None
    return Receipt(int(parts[0]), int(parts[1]), nonce)


def voting_refusal(edition: Edition, user) -> object | None:
    """Why ``user`` may not vote in this edition (a message), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return _l("Sign in to vote.")
    if user.email_confirmed_at is None:
        return _l("Confirm your email address to vote.")
    if user.created_at > utcnow() - timedelta(days=edition.voter_min_account_days):
        return _l("Accounts may vote once they are %(days)s days old.", days=edition.voter_min_account_days)
    return None


def has_voted(category: Category, user) -> bool:
    return bool(
        db.session.scalar(
            select(Ballot.id).where(Ballot.category_id == category.id, Ballot.voter_id == user.id)
        )
    )


def cast_vote(edition: Edition, nomination: Nomination | None, *, voter) -> Receipt:
    """One vote per category per account, recorded as a tally leaf under a commitment; returns the
    voter's receipt (its nonce is kept nowhere else)."""
    if edition.state != ES.VOTING:
        raise InvalidTransition(_l("The public vote is not open."))
    refusal = voting_refusal(edition, voter)
    if refusal is not None:
        raise NotPermitted(refusal)
    if nomination is None or nomination.edition_id != edition.id or nomination.state != NS.ELIGIBLE:
        raise ValidationFailed(_l("Choose one of the nominations."), field="nomination")
    edition = lock_edition(edition.id)  # serialises the tally's sequence
    if has_voted(nomination.category, voter):
        raise DuplicateRequest(_l("You have already voted in this category."))
    try:
        with db.session.begin_nested():
            db.session.add(
                Ballot(edition_id=edition.id, category_id=nomination.category_id, voter_id=voter.id)
            )
    except IntegrityError:
        raise DuplicateRequest(_l("You have already voted in this category.")) from None
    nonce = tally.new_nonce()
    seq = _next_seq(edition)
    payload = tally.vote_payload(
        edition_id=edition.id,
        seq=seq,
        category_id=nomination.category_id,
        nomination_id=nomination.id,
        commit=tally.commitment(edition.id, nomination.category_id, nomination.id, nonce),
    )
    db.session.add(
        TallyEntry(
            edition_id=edition.id, seq=seq, kind="vote", payload=payload, leaf_hash=tally.leaf_hex(payload)
        )
    )
    db.session.flush()
    return Receipt(edition.id, seq, nonce)


def _next_seq(edition: Edition) -> int:
    return db.session.scalar(select(func.count(TallyEntry.id)).where(TallyEntry.edition_id == edition.id))


# -- results -----------------------------------------------------------------------------------


def juror_label(edition: Edition, juror: Juror) -> str:
    if edition.name_jurors:
        return juror.user.display_name
    position = [j.id for j in edition.jurors].index(juror.id) + 1
    return f"Juror {position}"


def edition_header(edition: Edition) -> dict:
    """The rules a recount needs, as signed into the checkpoint."""
    return {
        "categories": [{"id": c.id, "name": c.name} for c in edition.categories],
        "competition": edition.competition.slug,
        "criteria": [{"id": c.id, "name": c.name, "weight": c.weight} for c in edition.criteria],
        "id": edition.id,
        "jury_weight": edition.jury_weight,
        "method": "z-score per juror, rescaled; see scoring.py",
        "nominations": [
            {"category": n.category_id, "id": n.id, "name": n.nominee_name} for n in considered(edition)
        ],
        "public_weight": edition.public_weight,
        "scale_max": edition.scale_max,
        "title": edition.title,
        "weights": {str(c.id): c.weight for c in edition.criteria},
    }


def publish_tally(edition: Edition, *, actor) -> TallyCheckpoint:
    import json

    noms = {n.id for n in considered(edition)}
    cards = db.session.scalars(
        select(Scorecard)
        .join(Juror, Juror.id == Scorecard.juror_id)
        .where(Juror.edition_id == edition.id)
        .order_by(Scorecard.id)
    ).all()
    cards = [c for c in cards if c.nomination_id in noms]
    if not cards:
        raise InvalidTransition(_l("No scores have been submitted yet."))
    seq = _next_seq(edition)
    for card in cards:
        payload = tally.score_payload(
            edition_id=edition.id,
            seq=seq,
            juror=juror_label(edition, card.juror),
            nomination_id=card.nomination_id,
            scores=card.scores,
        )
        db.session.add(
            TallyEntry(
                edition_id=edition.id,
                seq=seq,
                kind="score",
                payload=payload,
                leaf_hash=tally.leaf_hex(payload),
            )
        )
        seq += 1
    db.session.flush()
    entries = tally_entries(edition)
    header = edition_header(edition)
    results = tally.results_from(header, [json.loads(e.payload) for e in entries])
    root = merkle.root_from_leaves([bytes.fromhex(e.leaf_hash) for e in entries]).hex()
    signed_at = format_time(utcnow())
    message = tally.checkpoint_message(
        edition.id,
        len(entries),
        root,
        tally.sha_hex(tally.canonical(header)),
        tally.sha_hex(tally.canonical(results)),
        signed_at,
    )
    signature, public_key = tally.sign(message)
    cp = TallyCheckpoint(
        edition_id=edition.id,
        tree_size=len(entries),
        root_hash=root,
        signed_at=signed_at,
        signature=signature,
        public_key=public_key,
        results_json=tally.canonical(results).decode("ascii"),
    )
    db.session.add(cp)
    edition.results_published_at = utcnow()
    edition.state = EditionState.RESULTS_PUBLISHED
    places = {
        (cat["category"], row["place"]): row["nomination"]
        for cat in results["categories"]
        for row in cat["ranking"]
    }
    for prize in edition.prizes:
        prize.nomination_id = places.get((prize.category_id, prize.place))
    db.session.flush()
    return cp


def tally_entries(edition: Edition) -> list[TallyEntry]:
    return list(
        db.session.scalars(
            select(TallyEntry).where(TallyEntry.edition_id == edition.id).order_by(TallyEntry.seq)
        )
    )


def checkpoint(edition: Edition) -> TallyCheckpoint | None:
    return db.session.scalar(
        select(TallyCheckpoint)
        .where(TallyCheckpoint.edition_id == edition.id)
        .order_by(TallyCheckpoint.tree_size.desc())
    )


def tally_document(edition: Edition) -> dict | None:
    """The downloadable tally: the signed header, every leaf, the checkpoint and the results."""
    import json

    cp = checkpoint(edition)
    if cp is None:
        return None
    entries = [e for e in tally_entries(edition) if e.seq < cp.tree_size]
    return {
        "format": tally.FORMAT,
        "edition": edition_header(edition),
        "entries": [{"seq": e.seq, "leaf_hash": e.leaf_hash, "payload": e.payload} for e in entries],
        "checkpoint": {
            "tree_size": cp.tree_size,
            "root_hash": cp.root_hash,
            "signed_at": cp.signed_at,
            "signature": cp.signature,
            "public_key": cp.public_key,
        },
        "results": json.loads(cp.results_json),
    }


def published_results(edition: Edition) -> dict | None:
    import json

    cp = checkpoint(edition)
    return None if cp is None else json.loads(cp.results_json)


def justifications(edition: Edition) -> dict[int, list[dict]]:
    """Per nomination, each juror's scores and reasons as published (jurors named or numbered)."""
    import json

    out: dict[int, list[dict]] = {}
    for e in tally_entries(edition):
        if e.kind != "score":
            continue
        data = json.loads(e.payload)
        out.setdefault(data["nomination"], []).append(data)
    return out
