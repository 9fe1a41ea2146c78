"""Public JSON: the journal, signed checkpoints and Merkle proofs, so that anyone can check the
books without trusting the fund (``tools/verify_ledger.py`` is a ready-made client)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from fundapp.core.params import whole_number
from fundapp.core.security import public
from fundapp.extensions import db, limiter

from . import public as records
from . import sealing, witnessing
from .models import Checkpoint, JournalEntry

MAX_NOTE_BYTES = 64 * 1024

bp = Blueprint("ledger_api", __name__, url_prefix="/api/v1/ledger")


class BadParameter(ValueError):
    pass


def _int_arg(name: str, default: int | None, *, low: int = 0, high: int = 10**15) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if whole_number(raw) is None or len(raw) > 16:
        raise BadParameter(f"{name} must be a whole number")
    value = int(raw)
    if not low <= value <= high:
        raise BadParameter(f"{name} must be between {low} and {high}")
    return value


@bp.errorhandler(BadParameter)
def _bad(error):
    return jsonify(error=str(error)), 400


def _not_found(message: str):
    return jsonify(error=message), 404


def _checkpoint_of_size(size: int | None) -> Checkpoint | None:
    q = select(Checkpoint).order_by(Checkpoint.id.desc()).limit(1)
    if size is not None:
        q = q.where(Checkpoint.tree_size == size)
    return db.session.scalar(q)


@bp.get("/entries")
@public
def entries():
    """Sealed entries in sequence order: ``?after=<seq>&limit=<n>`` (n ≤ 1000)."""
    after = _int_arg("after", 0)
    limit = _int_arg("limit", 100, low=1, high=1000)
    items = records.entries_after(after, limit)
    return jsonify(
        entries=items,
        next_after=items[-1]["seq"] if len(items) == limit else None,
        tree_size=sealing.tree_size(),
    )


@bp.get("/entries/<int:seq>")
@public
def entry(seq: int):
    items = records.entries_after(seq - 1, 1) if seq >= 1 else []
    if not items or items[0]["seq"] != seq:
        return _not_found("no sealed entry with this sequence number")
    return jsonify(items[0])


@bp.get("/checkpoint")
@public
def checkpoint():
    """The latest signed checkpoint (or the one of ``?tree_size=``) with the fund's public key."""
    size = _int_arg("tree_size", None)
    cp = _checkpoint_of_size(size)
    if size is None and (cp is None or sealing.checkpoint_due()):
        # a brand-new ledger, or entries sealed since a checkpoint old enough: sign one now, so
        # the latest checkpoint never lags the journal by more than LEDGER_CHECKPOINT_SECONDS
        cp = sealing.make_checkpoint()
        db.session.commit()
    if cp is None:
        return _not_found("no checkpoint of that size")
    return jsonify(records.checkpoint_record(cp))


def checkpoint_covering(seq: int) -> Checkpoint | None:
    """The latest checkpoint, signing a new one first if it does not cover entry ``seq`` yet
    (commits); None when the entry is not sealed."""
    if not 1 <= seq <= sealing.tree_size():
        return None
    cp = _checkpoint_of_size(None)
    if cp is None or cp.tree_size < seq:
        cp = sealing.make_checkpoint()
        db.session.commit()
    return cp


@bp.get("/entries/<int:seq>/receipt-proof.json")
@public
def receipt_proof(seq: int):
    """A backer's evidence for one entry, as a small file: the entry, its leaf hash, the signed
    checkpoint and the inclusion proof (``tools/verify_ledger.py --receipt FILE``)."""
    cp = checkpoint_covering(seq)
    evidence = records.receipt_proof(seq, cp) if cp is not None else None
    if evidence is None:
        return _not_found("no sealed entry with this sequence number")
    response = jsonify(evidence)
    response.headers["Content-Disposition"] = f'attachment; filename="hamvatan-receipt-{seq}.json"'
    return response


@bp.get("/postings/<int:entry_id>/receipt-proof.json")
@public
def posting_receipt_proof(entry_id: int):
    """The same evidence, found by the posting a receipt mail names (sealing numbers an entry only
    after its commit, so the mail cannot yet know its sequence number)."""
    seq = records.sequence_of(entry_id)
    if seq is None:
        return _not_found("this posting is not sealed yet; try again in a minute")
    return receipt_proof(seq)


def receipt_evidence(entry_id: int | None) -> dict | None:
    """What a receipt page shows of its ledger entry: number, leaf hash, checkpoint, inclusion
    proof (None while the entry waits to be sealed)."""
    seq = records.sequence_of(entry_id) if entry_id else None
    cp = checkpoint_covering(seq) if seq else None
    return records.receipt_proof(seq, cp) if cp is not None else None


@bp.get("/entries/<int:seq>/proof")
@public
def inclusion_proof(seq: int):
    """An RFC 6962 inclusion proof of entry ``seq`` in the tree of ``?tree_size=`` (default: the
    latest checkpoint)."""
    size = _int_arg("tree_size", None, low=1)
    cp = _checkpoint_of_size(size)
    if size is None:
        if cp is None:
            return _not_found("no signed checkpoint yet")
        size = cp.tree_size
    if size > sealing.tree_size():
        return _not_found("the tree is not that large yet")
    if not 1 <= seq <= size:
        return _not_found("this entry is not covered by that tree (yet)")
    leaf = db.session.scalar(select(JournalEntry.leaf_hash).where(JournalEntry.sequence == seq))
    proof, root = sealing.with_tree(lambda t: (t.inclusion_proof(seq - 1, size), t.root(size)))
    return jsonify(
        seq=seq,
        leaf_index=seq - 1,
        leaf_hash=leaf.hex(),
        tree_size=size,
        root_hash=root.hex(),
        proof=[p.hex() for p in proof],
        checkpoint=records.checkpoint_record(cp) if cp is not None else None,
    )


@bp.get("/consistency")
@public
def consistency():
    """An RFC 6962 consistency proof that the tree of size ``to`` extends the one of size ``from``
    (``from`` defaults to 0, ``to`` to the latest checkpoint)."""
    old = _int_arg("from", 0)
    new = _int_arg("to", None)
    if new is None:
        cp = _checkpoint_of_size(None)
        if cp is None:
            return _not_found("no signed checkpoint yet")
        new = cp.tree_size
    if old > new:
        raise BadParameter("from must not be larger than to")
    if new > sealing.tree_size():
        return _not_found("the tree is not that large yet")
    proof, old_root, new_root = sealing.with_tree(
        lambda t: (t.consistency_proof(old, new), t.root(old), t.root(new))
    )
    new_cp = _checkpoint_of_size(new)
    return jsonify(
        **{"from": old, "to": new},
        from_root=old_root.hex(),
        to_root=new_root.hex(),
        proof=[p.hex() for p in proof],
        checkpoint=records.checkpoint_record(new_cp) if new_cp is not None else None,
    )


@bp.get("/balances")
@public
def balances():
    """Every account's balance as the sealed entries make it (the published totals the entries
    ``1 … tree_size`` must add up to), read in one statement with that tree size."""
    rows, size = records.balances_sealed()
    return jsonify(balances=rows, tree_size=size)


@bp.get("/checkpoints")
@public
def checkpoints():
    """Every checkpoint the fund signed, oldest first (``?after=<id>&limit=<n>``, n ≤ 100), each
    with its cosignatures and an RFC 6962 consistency proof from the checkpoint before it: a
    reader can check that the log only ever grew."""
    after = _int_arg("after", 0)
    limit = _int_arg("limit", 100, low=1, high=100)
    items = db.session.scalars(
        select(Checkpoint).where(Checkpoint.id > after).order_by(Checkpoint.id).limit(limit)
    ).all()
    previous = db.session.scalar(
        select(Checkpoint).where(Checkpoint.id <= after).order_by(Checkpoint.id.desc()).limit(1)
    )
    cosigned = records.cosignatures_of([cp.id for cp in items])
    out = []
    for cp in items:
        record = records.checkpoint_record(cp, cosigned[cp.id])
        if previous is not None:
            old, new = previous.tree_size, cp.tree_size
            proof = sealing.with_tree(lambda t, old=old, new=new: t.consistency_proof(old, new))
            record["consistency"] = {
                "from_id": previous.id,
                "from": old,
                "to": new,
                "proof": [p.hex() for p in proof],
            }
        else:
            record["consistency"] = None
        out.append(record)
        previous = cp
    return jsonify(checkpoints=out, next_after=items[-1].id if len(items) == limit else None)


@bp.post("/cosignatures")
@public
@limiter.limit("120 per hour")
def cosignatures():
    """A witness hands in its cosignature: the body is the checkpoint's signed note (text) with the
    witness's C2SP tlog-cosignature line. Only the configured witnesses' valid cosignatures of a
    checkpoint the fund signed are kept; they are published beside it."""
    raw = request.get_data(cache=False)
    if len(raw) > MAX_NOTE_BYTES:
        return jsonify(error="the note is too large"), 413
    try:
        kept = witnessing.accept_cosignatures(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return jsonify(error="the note must be UTF-8 text"), 400
    except witnessing.CosignatureRefused as exc:
        db.session.rollback()
        return jsonify(error=str(exc)), 422
    db.session.commit()
    cp = db.session.get(Checkpoint, kept[0].checkpoint_id) if kept else None
    return jsonify(
        accepted=len(kept),
        checkpoint=records.checkpoint_record(cp) if cp is not None else None,
    ), (201 if kept else 200)
