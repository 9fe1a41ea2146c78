"""Sealing: entries get their gapless sequence number and Merkle leaf after commit, in commit
order, one sealer at a time; checkpoints sign the tree's size and root.

Sealing inside the posting transaction would make every writer wait for one global lock, so the
posting request seals just after its commit (an ``after_request`` hook), and ``flask ledger
seal|checkpoint|verify`` seal whatever is left. The sealer holds a PostgreSQL advisory lock (on
SQLite the write lock of ``BEGIN IMMEDIATE``), reads the committed, unsealed entries in id order and
numbers them from the current tree size: no gaps, no duplicates, whatever the writers did.

The tree is stored as the leaves (``ledger_entries.leaf_hash``) plus every complete internal
subtree (``ledger_merkle_nodes``), so roots and proofs cost O(log n) lookups.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from flask import current_app, g
from sqlalchemy import bindparam, func, select, text, tuple_

from fundapp.core.db import utcnow
from fundapp.extensions import db

from . import merkle, signing
from .encoding import encode_entry, format_time
from .models import Account, Checkpoint, JournalEntry, Leg, MerkleNode

log = logging.getLogger("fundapp.ledger")

# pg_advisory_xact_lock key of the sealer ("HMVTSEAL" as an integer)
SEAL_LOCK = 0x484D56545345414C & 0x7FFFFFFFFFFFFFFF
DIRECTION_CODE = {"debit": "D", "credit": "C"}


def _take_seal_lock() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEAL_LOCK})


def tree_size() -> int:
    return db.session.scalar(select(func.coalesce(func.max(JournalEntry.sequence), 0)))


def perfect_many(wanted: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """Fetch complete-subtree hashes: level 0 from the entries' leaves, higher from the node table."""
    out: dict[tuple[int, int], bytes] = {}
    leaves = sorted(i for lvl, i in wanted if lvl == 0)
    nodes = sorted((lvl, i) for lvl, i in wanted if lvl > 0)
    for start in range(0, len(leaves), 500):
        chunk = [i + 1 for i in leaves[start : start + 500]]
        for seq, h in db.session.execute(
            select(JournalEntry.sequence, JournalEntry.leaf_hash).where(JournalEntry.sequence.in_(chunk))
        ):
            out[(0, seq - 1)] = h
    for start in range(0, len(nodes), 500):
        chunk = nodes[start : start + 500]
        for lvl, i, h in db.session.execute(
            select(MerkleNode.level, MerkleNode.idx, MerkleNode.hash).where(
                tuple_(MerkleNode.level, MerkleNode.idx).in_(chunk)
            )
        ):
            out[(lvl, i)] = h
    return out


def with_tree(compute: Callable[[merkle.TreeReader], object]):
    """Run ``compute(reader)`` against the stored tree, fetching the nodes it needs in one go."""
    return merkle.prefetching(perfect_many)(compute)


def _frontier(size: int) -> list[tuple[int, bytes]]:
    """The complete subtrees covering leaves [0, size), largest first: (level, hash)."""
    wanted = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size & (1 << level):
            wanted.append((level, start >> level))
            start += 1 << level
    got = perfect_many(set(wanted))
    return [(lvl, got[(lvl, i)]) for lvl, i in wanted]


def entry_leaf_inputs(entry_rows, legs_by_entry, seq_of):
    """(seq, data) for rows of (id, kind, posted_at, memo, backer_label, reverses_id) given their
    sequence numbers ``seq_of[id]``; shared by the sealer and the checks."""
    for entry_id, kind, posted_at, memo, backer, reverses_id in entry_rows:
        seq = seq_of[entry_id]
        data = encode_entry(
            seq,
            kind,
            format_time(posted_at),
            memo,
            backer,
            None if reverses_id is None else seq_of.get(reverses_id),
            legs_by_entry.get(entry_id, []),
        )
        yield entry_id, seq, data


def _legs_for(entry_ids: list[int]) -> dict[int, list[tuple[str, str, str, int]]]:
    out: dict[int, list] = {}
    rows = db.session.execute(
        select(Leg.entry_id, Leg.direction, Account.code, Leg.currency, Leg.amount_minor)
        .join(Account, Account.id == Leg.account_id)
        .where(Leg.entry_id.in_(entry_ids))
    )
    for entry_id, direction, code, currency, amount in rows:
        out.setdefault(entry_id, []).append((DIRECTION_CODE[direction], code, currency, amount))
    return out


_PG_SEAL = text(
    "UPDATE ledger_entries e SET sequence = v.seq, leaf_hash = v.leaf, sealed_at = :at, "
    "reverses_sequence = v.rev FROM unnest(CAST(:ids AS bigint[]), CAST(:seqs AS bigint[]), "
    "CAST(:leaves AS bytea[]), CAST(:revs AS bigint[])) AS v(id, seq, leaf, rev) WHERE e.id = v.id"
)
_PG_NODES = text(
    "INSERT INTO ledger_merkle_nodes (level, idx, hash) SELECT * FROM unnest(CAST(:levels AS integer[]), "
    "CAST(:idxs AS bigint[]), CAST(:hashes AS bytea[]))"
)


def seal_pending(batch: int = 2000, limit: int | None = None) -> int:
    """Seal committed, unsealed entries in id order (flushes; the caller commits). Returns how many."""
    e = JournalEntry.__table__
    # nothing waiting (another request's seal took ours): no lock, no tree reads
    if db.session.scalar(select(e.c.id).where(e.c.sequence.is_(None)).limit(1)) is None:
        return 0
    _take_seal_lock()
    size = tree_size()
    frontier = None
    sealed = 0
    now = utcnow()
    n = MerkleNode.__table__
    pg = db.session.get_bind().dialect.name == "postgresql"
    while limit is None or sealed < limit:
        take = batch if limit is None else min(batch, limit - sealed)
        rows = db.session.execute(
            select(e.c.id, e.c.kind, JournalEntry.posted_at, e.c.memo, e.c.backer_label, e.c.reverses_id)
            .where(e.c.sequence.is_(None))
            .order_by(e.c.id)
            .limit(take)
        ).all()
        if not rows:
            break
        if frontier is None:
            frontier = _frontier(size)
        ids = [r[0] for r in rows]
        legs = _legs_for(ids)
        seq_of = {entry_id: size + 1 + i for i, entry_id in enumerate(ids)}
        rev_ids = {r[5] for r in rows if r[5] is not None and r[5] not in seq_of}
        if rev_ids:
            seq_of.update(
                {i: s for i, s in db.session.execute(select(e.c.id, e.c.sequence).where(e.c.id.in_(rev_ids)))}
            )
        rev_of = {r[0]: r[5] for r in rows}
        updates, nodes = [], []
        for entry_id, seq, data in entry_leaf_inputs(rows, legs, seq_of):
            leaf = merkle.leaf_hash(data)
            rev = rev_of[entry_id]
            updates.append(
                {
                    "e_id": entry_id,
                    "e_seq": seq,
                    "e_leaf": leaf,
                    "e_at": now,
                    "e_rev": None if rev is None else seq_of.get(rev),
                }
            )
            frontier.append((0, leaf))
            while len(frontier) >= 2 and frontier[-1][0] == frontier[-2][0]:
                (lvl, right), (_, left) = frontier.pop(), frontier.pop()
                node = merkle.node_hash(left, right)
                frontier.append((lvl + 1, node))
                nodes.append({"level": lvl + 1, "idx": (seq >> (lvl + 1)) - 1, "hash": node})
        if pg:  # one statement per batch, not one per entry
            done = db.session.execute(
                _PG_SEAL,
                {
                    "ids": [u["e_id"] for u in updates],
                    "seqs": [u["e_seq"] for u in updates],
                    "leaves": [u["e_leaf"] for u in updates],
                    "revs": [u["e_rev"] for u in updates],
                    "at": now,
                },
            ).rowcount
            if done != len(updates):  # never a sequence number without its entry
                raise RuntimeError(f"sealing wrote {done} of {len(updates)} entries")
            if nodes:
                db.session.execute(
                    _PG_NODES,
                    {
                        "levels": [x["level"] for x in nodes],
                        "idxs": [x["idx"] for x in nodes],
                        "hashes": [x["hash"] for x in nodes],
                    },
                )
        else:
            db.session.execute(
                e.update()
                .where(e.c.id == bindparam("e_id"))
                .values(
                    sequence=bindparam("e_seq"),
                    leaf_hash=bindparam("e_leaf"),
                    sealed_at=bindparam("e_at"),
                    reverses_sequence=bindparam("e_rev"),
                ),
                updates,
            )
            if nodes:
                db.session.execute(n.insert(), nodes)
        size += len(rows)
        sealed += len(rows)
    if sealed:
        # the ORM objects in this session now have stale seal columns
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, JournalEntry) and obj.sequence is None:
                db.session.expire(obj)
    return sealed


def latest_checkpoint() -> Checkpoint | None:
    return db.session.scalar(select(Checkpoint).order_by(Checkpoint.id.desc()).limit(1))


def make_checkpoint(*, force: bool = False) -> Checkpoint:
    """Seal what is left, then sign (size, root, time) unless the latest checkpoint says the same."""
    seal_pending()
    size = tree_size()
    latest = latest_checkpoint()
    if latest is not None and latest.tree_size == size and not force:
        return latest
    root = with_tree(lambda t: t.root(size))
    key = signing.load_private_key()
    pub = signing.public_bytes(key.public_key())
    now = utcnow()
    signed_at = format_time(now)
    cp = Checkpoint(
        tree_size=size,
        root_hash=root,
        signed_at=now,
        key_id=signing.key_id(pub),
        public_key=pub,
        signature=key.sign(signing.checkpoint_message(size, root, signed_at)),
    )
    db.session.add(cp)
    db.session.flush()
    return cp


def checkpoint_due(now=None) -> bool:
    """True when the tree has grown past the latest checkpoint and that one is at least
    ``LEDGER_CHECKPOINT_SECONDS`` old (or there is none)."""
    latest = latest_checkpoint()
    if latest is None:
        return True
    if latest.tree_size >= tree_size():
        return False
    interval = current_app.config.get("LEDGER_CHECKPOINT_SECONDS", 0)
    return (now or utcnow()) - latest.signed_at >= timedelta(seconds=interval)


def seal_and_checkpoint() -> int:
    """Seal what is committed; sign a checkpoint over it when one is due."""
    sealed = seal_pending()
    if sealed and checkpoint_due():
        make_checkpoint()
    return sealed


def _after_request(response):
    if g.pop("ledger_unsealed", False):
        try:
            if seal_and_checkpoint():
                db.session.commit()
            else:
                db.session.rollback()
        except Exception:  # sealing never fails a request; `flask ledger seal` catches up
            db.session.rollback()
            log.exception("sealing after the request failed")
    return response


def init_app(app):
    app.after_request(_after_request)
