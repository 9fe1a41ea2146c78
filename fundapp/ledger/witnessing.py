"""Witnesses' cosignatures: the fund accepts them from the witnesses it is configured with
(``LEDGER_WITNESSES``) and publishes them in the checkpoint's note.

A witness (``tools/witness.py``, run by the Ministry, an auditor, a diaspora organisation) cosigns
a checkpoint only after checking that it extends every checkpoint it cosigned before, so a
rewritten history cannot collect the cosignatures that readers require. The fund checks each
cosignature before keeping it; the stored row is the record of its arrival (append-only).
"""

from __future__ import annotations

import base64
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fundapp.core.db import utcnow
from fundapp.extensions import db

from . import signing
from .models import Checkpoint, Cosignature

# a cosignature dated further ahead than this is refused (clocks drift a little, not an hour)
FUTURE_LEEWAY = timedelta(minutes=5)


class CosignatureRefused(ValueError):
    """The submitted note is not a cosigned checkpoint of this fund by a configured witness."""


def parse_checkpoint(body: bytes) -> tuple[str, int, bytes]:
    """(origin, size, root) of a C2SP checkpoint body; ValueError when malformed."""
    lines = body.decode("utf-8").split("\n")
    if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
        raise ValueError("a checkpoint is at least three non-empty lines")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")) or len(size_text) > 19:
        raise ValueError("the tree size is a decimal number without leading zeroes")
    root = base64.b64decode(root_text, validate=True)
    if len(root) != 32:
        raise ValueError("the root hash is 32 bytes")
    return origin, int(size_text), root


def accept_cosignatures(note: str) -> list[Cosignature]:
    """Keep the configured witnesses' valid cosignatures of one of the fund's checkpoints found in
    ``note`` (a signed note; lines of unknown keys are ignored, as the note format asks). Returns
    the cosignatures newly kept; raises CosignatureRefused when nothing in it can be kept or a
    known witness's signature fails. Flushes; the caller commits."""
    try:
        body, signatures = signing.split_note(note)
        origin, size, root = parse_checkpoint(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CosignatureRefused(f"not a signed checkpoint: {exc}") from None
    checkpoint = db.session.scalar(
        select(Checkpoint)
        .where(Checkpoint.origin == origin, Checkpoint.tree_size == size, Checkpoint.root_hash == root)
        .order_by(Checkpoint.id.desc())
        .limit(1)
    )
    if checkpoint is None:
        raise CosignatureRefused("the fund never signed this checkpoint")
    witnesses = {(w.name, w.key_id): w for w in signing.configured_witnesses()}
    latest_allowed = int((utcnow() + FUTURE_LEEWAY).timestamp())
    accepted: list[tuple[signing.VerifierKey, int, bytes]] = []
    for name, raw in signatures:
        witness = witnesses.get((name, raw[:4]))
        if witness is None:
            continue
        timestamp = signing.verify_cosignature(witness, body, raw)
        if timestamp is None:
            raise CosignatureRefused(f"the cosignature of {name} does not verify")
        if timestamp > latest_allowed:
            raise CosignatureRefused(f"the cosignature of {name} is dated in the future")
        accepted.append((witness, timestamp, raw[12:]))
    if not accepted:
        raise CosignatureRefused("no cosignature from a witness the fund accepts")
    kept = []
    for witness, timestamp, signature in accepted:
        exists = db.session.scalar(
            select(Cosignature.id).where(
                Cosignature.checkpoint_id == checkpoint.id,
                Cosignature.witness_name == witness.name,
                Cosignature.key_id == witness.key_id,
            )
        )
        if exists is not None:
            continue  # a witness cosigns a checkpoint once; a resubmission changes nothing
        row = Cosignature(
            checkpoint_id=checkpoint.id,
            witness_name=witness.name,
            key_id=witness.key_id,
            timestamp=timestamp,
            signature=signature,
        )
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            continue  # the same cosignature arrived twice at once
        kept.append(row)
    return kept
