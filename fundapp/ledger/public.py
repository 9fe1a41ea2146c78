"""The ledger's public record, shared by the JSON API and ``flask ledger export``.

An entry is published exactly as it is hashed (see ``encoding``), plus its leaf hash; a checkpoint
with its signed message and the fund's public key. Nothing here names a person, except the public
label of a backer who chose to be named.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

from sqlalchemy import select

from fundapp.extensions import db

from .encoding import entry_fields, format_time
from .models import Account, AccountBalance, Checkpoint, Cosignature, JournalEntry, Leg
from .signing import SIG_ED25519, checkpoint_body, checkpoint_message, signature_line, vkey

DIRECTION_CODE = {"debit": "D", "credit": "C"}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def cosignatures_of(checkpoint_ids: list[int]) -> dict[int, list[Cosignature]]:
    out: dict[int, list[Cosignature]] = {i: [] for i in checkpoint_ids}
    if checkpoint_ids:
        for c in db.session.scalars(
            select(Cosignature)
            .where(Cosignature.checkpoint_id.in_(checkpoint_ids))
            .order_by(Cosignature.witness_name, Cosignature.id)
        ):
            out[c.checkpoint_id].append(c)
    return out


def checkpoint_record(cp: Checkpoint, cosignatures: list[Cosignature] | None = None) -> dict:
    """A checkpoint as published: its fields, the signed note (the fund's signature and every
    accepted cosignature) and the fund's verifier key."""
    signed_at = format_time(cp.signed_at)
    if cosignatures is None:
        cosignatures = cosignatures_of([cp.id])[cp.id]
    record = {
        "id": cp.id,
        "tree_size": cp.tree_size,
        "root_hash": cp.root_hash.hex(),
        "signed_at": signed_at,
        "algorithm": "Ed25519",
        "key_id": cp.key_id,
        "public_key": cp.public_key.hex(),
        "public_key_base64": _b64(cp.public_key),
        "signature": cp.signature.hex(),
        "signature_base64": _b64(cp.signature),
        "origin": cp.origin,
    }
    if cp.origin is None:  # signed before the note format
        record["format"] = "hamvatan-fund-ledger-checkpoint/v1"
        record["message"] = checkpoint_message(cp.tree_size, cp.root_hash, signed_at).decode("ascii")
        record["cosignatures"] = []
        return record
    body = checkpoint_body(cp.origin, cp.tree_size, cp.root_hash)
    lines = [signature_line(cp.origin, bytes.fromhex(cp.key_id), cp.signature)]
    lines += [signature_line(c.witness_name, c.key_id, c.timestamped_signature) for c in cosignatures]
    record.update(
        format="c2sp.org/tlog-checkpoint",
        message=body.decode(),
        note=body.decode() + "\n" + "".join(lines),
        vkey=vkey(cp.origin, SIG_ED25519, cp.public_key),
        cosignatures=[
            {"witness": c.witness_name, "key_id": c.key_id.hex(), "timestamp": c.timestamp}
            for c in cosignatures
        ],
    )
    return record


def entries_after(after: int, limit: int) -> list[dict]:
    """Sealed entries with sequence > ``after``, in sequence order (keyset pagination)."""
    e = JournalEntry.__table__
    rows = db.session.execute(
        select(
            e.c.id,
            e.c.sequence,
            e.c.kind,
            JournalEntry.posted_at,
            e.c.memo,
            e.c.backer_label,
            e.c.reverses_sequence,
            e.c.leaf_hash,
        )
        .where(e.c.sequence > after)
        .order_by(e.c.sequence)
        .limit(limit)
    ).all()
    legs: dict[int, list] = {}
    if rows:
        for entry_id, direction, code, currency, amount in db.session.execute(
            select(Leg.entry_id, Leg.direction, Account.code, Leg.currency, Leg.amount_minor)
            .join(Account, Account.id == Leg.account_id)
            .where(Leg.entry_id.in_([r[0] for r in rows]))
        ):
            legs.setdefault(entry_id, []).append((DIRECTION_CODE[direction], code, currency, amount))
    out = []
    for entry_id, seq, kind, posted_at, memo, backer, rev, leaf in rows:
        record = entry_fields(
            seq=seq,
            kind=kind,
            posted_at=format_time(posted_at),
            memo=memo,
            backer=backer,
            reverses=rev,
            legs=legs.get(entry_id, []),
        )
        record["leaf_hash"] = leaf.hex()
        out.append(record)
    return out


def iter_entries(batch: int = 5000) -> Iterator[dict]:
    after = 0
    while True:
        chunk = entries_after(after, batch)
        if not chunk:
            return
        yield from chunk
        after = chunk[-1]["seq"]


def balances(as_of: int | None = None) -> list[dict]:
    """Every account's balance as the sealed entries ``1 … as_of`` make it (``as_of=None``: every
    sealed entry; see ``balances_sealed``). The rows of no-negative accounts are kept at posting,
    the others' where entries are sealed (``ledger.balances``), so the movements of entries sealed
    after ``as_of``, and those of entries not yet sealed on rows kept at posting, are taken back
    out — in the same statement, so that what is published always follows from the entries it is
    published with."""
    return balances_sealed(as_of)[0]


def balances_sealed(as_of: int | None = None) -> tuple[list[dict], int]:
    """(balances, tree size they stand for), read in one statement."""
    from sqlalchemy import case, func, literal

    size = (
        literal(int(as_of))
        if as_of is not None
        else select(func.coalesce(func.max(JournalEntry.sequence), 0)).scalar_subquery()
    )
    unsealed = JournalEntry.sequence.is_(None)
    later = unsealed
    if as_of is not None:
        later = later | (JournalEntry.sequence > int(as_of))

    def moved_sum(direction: str, when):
        return func.sum(case(((Leg.direction == direction) & when, Leg.amount_minor), else_=0))

    # what the rows hold beyond the size asked for: entries sealed later, and entries not sealed
    # yet, which only the rows kept at posting hold (``balances``)
    moved = (
        select(
            Leg.account_id.label("account_id"),
            moved_sum("debit", ~unsealed).label("d"),
            moved_sum("credit", ~unsealed).label("c"),
            moved_sum("debit", unsealed).label("ud"),
            moved_sum("credit", unsealed).label("uc"),
        )
        .join(JournalEntry, JournalEntry.id == Leg.entry_id)
        .where(later)
        .group_by(Leg.account_id)
        .subquery()
    )
    held_now = AccountBalance.no_negative
    d = (
        AccountBalance.debits_minor
        - func.coalesce(moved.c.d, 0)
        - case((held_now, func.coalesce(moved.c.ud, 0)), else_=0)
    )
    c = (
        AccountBalance.credits_minor
        - func.coalesce(moved.c.c, 0)
        - case((held_now, func.coalesce(moved.c.uc, 0)), else_=0)
    )
    rows = db.session.execute(
        select(
            Account.code,
            Account.currency,
            Account.type,
            Account.project_id,
            d,
            c,
            case((AccountBalance.debit_normal, d - c), else_=c - d),
            AccountBalance.reserved_minor,
            size,
        )
        .join(AccountBalance, AccountBalance.account_id == Account.id)
        .outerjoin(moved, moved.c.account_id == Account.id)
        .order_by(Account.code, Account.currency)
    ).all()
    tree = int(rows[0][8]) if rows else int(as_of if as_of is not None else db.session.scalar(select(size)))
    return [
        {
            "code": code,
            "currency": currency,
            "type": type_,
            "project_id": project_id,
            "debits": int(dd),
            "credits": int(cc),
            "balance": int(bal),
            "reserved": int(res),
        }
        for code, currency, type_, project_id, dd, cc, bal, res, _size in rows
    ], tree


RECEIPT_FORMAT = "hamvatan-fund-receipt-proof/v1"


def receipt_proof(seq: int, checkpoint: Checkpoint) -> dict | None:
    """A backer's evidence for entry ``seq``: the entry as hashed, its leaf hash, the signed
    checkpoint and the RFC 6962 inclusion proof into it. ``tools/verify_ledger.py --receipt``
    checks it offline; kept, it later shows whether the fund rewrote that entry."""
    from .sealing import with_tree

    items = entries_after(seq - 1, 1) if seq >= 1 else []
    if not items or items[0]["seq"] != seq or seq > checkpoint.tree_size:
        return None
    size = checkpoint.tree_size
    proof = with_tree(lambda t: t.inclusion_proof(seq - 1, size))
    return {
        "format": RECEIPT_FORMAT,
        "entry": items[0],
        "leaf_index": seq - 1,
        "leaf_hash": items[0]["leaf_hash"],
        "inclusion_proof": [p.hex() for p in proof],
        "checkpoint": checkpoint_record(checkpoint),
    }


def sequence_of(entry_id: int) -> int | None:
    """The sealed sequence number of a journal entry (None while it waits to be sealed)."""
    return db.session.scalar(select(JournalEntry.sequence).where(JournalEntry.id == entry_id))
