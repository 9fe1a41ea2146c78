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
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app, g
from sqlalchemy import bindparam, func, literal, select, text, tuple_, union_all

from fundapp.core.db import pg_array, utcnow
from fundapp.extensions import db

from . import merkle, posting, signing
from .encoding import encode_entry, format_time
from .models import Account, AccountBalance, Checkpoint, JournalEntry, Leg, MerkleNode

log = logging.getLogger("fundapp.ledger")

# pg_advisory_xact_lock key of the sealer ("HMVTSEAL" as an integer)
SEAL_LOCK = 0x484D56545345414C & 0x7FFFFFFFFFFFFFFF
DIRECTION_CODE = {"debit": "D", "credit": "C"}


def tree_size() -> int:
    return db.session.scalar(select(func.coalesce(func.max(JournalEntry.sequence), 0)))


def perfect_many(wanted: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """Fetch complete-subtree hashes: level 0 from the entries' leaves, higher from the node table,
    in one statement per 500 of each."""
    out: dict[tuple[int, int], bytes] = {}
    leaves = sorted(i + 1 for lvl, i in wanted if lvl == 0)
    nodes = sorted((lvl, i) for lvl, i in wanted if lvl > 0)
    e, n = JournalEntry.__table__, MerkleNode.__table__
    for start in range(0, max(len(leaves), len(nodes)), 500):
        parts = []
        if leaves[start : start + 500]:
            parts.append(
                select(
                    literal(0).label("level"), (e.c.sequence - 1).label("idx"), e.c.leaf_hash.label("hash")
                ).where(e.c.sequence.in_(leaves[start : start + 500]))
            )
        if nodes[start : start + 500]:
            parts.append(
                select(n.c.level, n.c.idx, n.c.hash).where(
                    tuple_(n.c.level, n.c.idx).in_(nodes[start : start + 500])
                )
            )
        query = parts[0] if len(parts) == 1 else union_all(*parts)
        for lvl, i, h in db.session.execute(query):
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


_PG_SEAL = text(
    "WITH sealed AS (UPDATE ledger_entries e SET sequence = v.seq, leaf_hash = v.leaf, sealed_at = :at, "
    "reverses_sequence = v.rev FROM (SELECT u.id, u.seq, decode(u.leaf, 'hex') AS leaf, u.rev "
    "FROM unnest(CAST(:ids AS bigint[]), CAST(:seqs AS bigint[]), CAST(:leaves AS text[]), "
    "CAST(:revs AS bigint[])) AS u(id, seq, leaf, rev)) AS v WHERE e.id = v.id "
    "RETURNING 1), nodes AS (INSERT INTO ledger_merkle_nodes (level, idx, hash) "
    "SELECT u.level, u.idx, decode(u.hash, 'hex') FROM unnest(CAST(:levels AS integer[]), "
    "CAST(:idxs AS bigint[]), CAST(:hashes AS text[])) AS u(level, idx, hash) "
    "RETURNING 1), moved AS (UPDATE ledger_balances b SET debits_minor = b.debits_minor + v.d, "
    "credits_minor = b.credits_minor + v.c, balance_minor = b.balance_minor + "
    "CASE WHEN b.debit_normal THEN v.d - v.c ELSE v.c - v.d END, entry_count = b.entry_count + v.n "
    "FROM unnest(CAST(:bal_ids AS integer[]), CAST(:bal_d AS bigint[]), CAST(:bal_c AS bigint[]), "
    "CAST(:bal_n AS bigint[])) AS v(a, d, c, n) WHERE b.account_id = v.a AND NOT b.no_negative "
    "RETURNING 1) "
    "SELECT (SELECT count(*) FROM sealed), (SELECT count(*) FROM nodes), (SELECT count(*) FROM moved)"
)
# the batch's values go as array literals (``pg_array``; hashes as hex, decoded above)
# the fast check and the sealer's lock in one round trip: NULL = nothing waiting, false = another
# sealer holds the lock, true = ours until commit
_PG_TRY_LOCK = text(
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM ledger_entries WHERE sequence IS NULL) "
    "THEN pg_try_advisory_xact_lock(:k) END"
)


def _lock(wait: bool) -> bool | None:
    """Take the sealer's lock if anything waits to be sealed: True = taken, None = nothing
    waiting, False = another sealer holds it (only when ``wait`` is false)."""
    e = JournalEntry.__table__
    if db.session.get_bind().dialect.name != "postgresql":
        # SQLite: the transaction's BEGIN IMMEDIATE already holds the database's write lock
        return True if db.session.scalar(select(e.c.id).where(e.c.sequence.is_(None)).limit(1)) else None
    if not wait:
        return db.session.scalar(_PG_TRY_LOCK, {"k": SEAL_LOCK})
    if db.session.scalar(select(e.c.id).where(e.c.sequence.is_(None)).limit(1)) is None:
        return None
    db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEAL_LOCK})
    return True


class SealedAccount:
    """What a seal listener may know of a leg's account."""

    __slots__ = ("code", "project_id", "type")

    def __init__(self, code, type, project_id):
        self.code, self.type, self.project_id = code, type, project_id


class SealedLeg:
    __slots__ = ("account", "amount_minor", "currency", "direction")

    def __init__(self, direction, account, currency, amount_minor):
        self.direction, self.account, self.currency, self.amount_minor = (
            direction,
            account,
            currency,
            amount_minor,
        )


class SealedEntry:
    """An entry as it was sealed, with its legs: what seal listeners are handed (no ORM object,
    so a batch of thousands costs no session work). ``reverses`` loads the reversed entry."""

    __slots__ = (
        "id",
        "kind",
        "legs",
        "posted_at",
        "project_id",
        "reverses_id",
        "sequence",
        "source_id",
        "source_type",
    )

    def __init__(self, id, sequence, kind, posted_at, project_id, source_type, source_id, reverses_id, legs):
        self.id, self.sequence, self.kind, self.posted_at = id, sequence, kind, posted_at
        self.project_id, self.source_type, self.source_id = project_id, source_type, source_id
        self.reverses_id, self.legs = reverses_id, legs

    @property
    def reverses(self):
        return None if self.reverses_id is None else db.session.get(JournalEntry, self.reverses_id)


_seal_listeners: list[Callable[[list[SealedEntry]], None]] = []


def register_seal_listener(fn: Callable[[list[SealedEntry]], None]) -> None:
    """``fn(entries)`` is called in the sealing transaction with each batch just sealed, in
    sequence order: one writer at a time, after the postings committed, so figures kept this way
    cover exactly the entries of the tree they are committed with."""
    if fn not in _seal_listeners:
        _seal_listeners.append(fn)


def hold_sealer() -> None:
    """Keep every sealer out until this transaction ends (on SQLite, the write lock does it): for
    reading or rebuilding what seal listeners keep without a seal in between."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEAL_LOCK})


def _waiting(after: int, take: int):
    """The next ``take`` unsealed entries past id ``after`` with their legs, and the tree size, in
    one statement: [(id, kind, posted_at, memo, backer, reverses_id, [legs], extra, deferred)],
    size, where ``extra`` is (project_id, source_type, source_id, [(direction, code, type,
    project_id, currency, amount)]) for the seal listeners and ``deferred`` the legs on accounts
    whose balance rows the sealer keeps: [(account id, direction, amount)]."""
    e, leg, acc = JournalEntry.__table__, Leg.__table__, Account.__table__
    batch = (
        select(
            e.c.id,
            e.c.kind,
            e.c.posted_at,
            e.c.memo,
            e.c.backer_label,
            e.c.reverses_id,
            e.c.project_id,
            e.c.source_type,
            e.c.source_id,
        )
        .where(e.c.sequence.is_(None), e.c.id > after)
        .order_by(e.c.id)
        .limit(take)
        .cte("batch")
    )
    size = select(func.coalesce(func.max(e.c.sequence), 0)).scalar_subquery()
    rows = db.session.execute(
        select(
            batch.c.id,
            batch.c.kind,
            batch.c.posted_at,
            batch.c.memo,
            batch.c.backer_label,
            batch.c.reverses_id,
            leg.c.direction,
            acc.c.code,
            leg.c.currency,
            leg.c.amount_minor,
            size,
            batch.c.project_id,
            batch.c.source_type,
            batch.c.source_id,
            acc.c.type,
            acc.c.project_id,
            leg.c.account_id,
            acc.c.no_negative,
        )
        .select_from(batch)
        .outerjoin(leg, leg.c.entry_id == batch.c.id)
        .outerjoin(acc, acc.c.id == leg.c.account_id)
        .order_by(batch.c.id)
    ).all()
    entries: list = []
    for r in rows:
        if not entries or entries[-1][0] != r[0]:
            entries.append((r[0], r[1], r[2], r[3], r[4], r[5], [], (r[11], r[12], r[13], []), []))
        if r[6] is not None:
            entries[-1][6].append((DIRECTION_CODE[r[6]], r[7], r[8], r[9]))
            entries[-1][7][3].append((r[6], r[7], r[14], r[15], r[8], r[9]))
            if not r[17]:  # a deferred account: its balance row is written here (``balances``)
                entries[-1][8].append((r[16], r[6], r[9]))
    return entries, (rows[0][10] if rows else 0)


def _deferred_moves(rows) -> dict[int, tuple[int, int, int]]:
    """What a batch adds to the balance rows the sealer keeps, in account order (the order rows
    are locked in): {account id: (debits, credits, entries)}."""
    sums: dict[int, list[int]] = {}
    for r in rows:
        touched = set()
        for account_id, direction, amount in r[8]:
            m = sums.setdefault(account_id, [0, 0, 0])
            m[0 if direction == "debit" else 1] += amount
            if account_id not in touched:
                touched.add(account_id)
                m[2] += 1
    return {a: (d, c, n) for a, (d, c, n) in sorted(sums.items())}


def _sealed_entries(rows, seq_of) -> list[SealedEntry]:
    accounts: dict[tuple, SealedAccount] = {}
    out = []
    for r in rows:
        project_id, source_type, source_id, legs = r[7]
        made = []
        for direction, code, type_, acc_project, currency, amount in legs:
            acc = accounts.get((code, type_, acc_project))
            if acc is None:
                acc = accounts[(code, type_, acc_project)] = SealedAccount(code, type_, acc_project)
            made.append(SealedLeg(direction, acc, currency, amount))
        out.append(
            SealedEntry(r[0], seq_of[r[0]], r[1], r[2], project_id, source_type, source_id, r[5], made)
        )
    return out


def seal_pending(batch: int = 2000, limit: int | None = None, *, wait: bool = True) -> int | None:
    """Seal committed, unsealed entries in id order (flushes; the caller commits) and return how
    many. With ``wait=False`` a sealer already at work is not waited for: None is returned."""
    locked = _lock(wait)
    if not locked:
        return 0 if locked is None else None
    e = JournalEntry.__table__
    frontier = None
    size = 0
    sealed = 0
    now = utcnow()
    pg = db.session.get_bind().dialect.name == "postgresql"
    after = 0  # id of the last entry sealed in this call: the next batch starts past it
    while limit is None or sealed < limit:
        take = batch if limit is None else min(batch, limit - sealed)
        rows, stored_size = _waiting(after, take)
        if not rows:
            break
        after = rows[-1][0]
        if frontier is None:
            size = stored_size
            frontier = _frontier(size)
        seq_of = {r[0]: size + 1 + i for i, r in enumerate(rows)}
        rev_ids = {r[5] for r in rows if r[5] is not None and r[5] not in seq_of}
        if rev_ids:
            seq_of.update(
                {i: s for i, s in db.session.execute(select(e.c.id, e.c.sequence).where(e.c.id.in_(rev_ids)))}
            )
        legs = {r[0]: r[6] for r in rows}
        moved = _deferred_moves(rows)
        rev_of = {r[0]: r[5] for r in rows}
        ids, seqs, leaves, revs = [], [], [], []
        levels, idxs, hashes = [], [], []
        for entry_id, seq, data in entry_leaf_inputs((r[:6] for r in rows), legs, seq_of):
            leaf = merkle.leaf_hash(data)
            rev = rev_of[entry_id]
            ids.append(entry_id)
            seqs.append(seq)
            leaves.append(leaf)
            revs.append(None if rev is None else seq_of.get(rev))
            frontier.append((0, leaf))
            while len(frontier) >= 2 and frontier[-1][0] == frontier[-2][0]:
                (lvl, right), (_, left) = frontier.pop(), frontier.pop()
                node = merkle.node_hash(left, right)
                frontier.append((lvl + 1, node))
                levels.append(lvl + 1)
                idxs.append((seq >> (lvl + 1)) - 1)
                hashes.append(node)
        if pg:  # one statement per batch, not one per entry
            done, _, bal_done = db.session.execute(
                _PG_SEAL,
                {
                    "bal_ids": pg_array(moved),
                    "bal_d": pg_array(m[0] for m in moved.values()),
                    "bal_c": pg_array(m[1] for m in moved.values()),
                    "bal_n": pg_array(m[2] for m in moved.values()),
                    "ids": pg_array(ids),
                    "seqs": pg_array(seqs),
                    "leaves": pg_array(leaves),
                    "revs": pg_array(revs),
                    "at": now,
                    "levels": pg_array(levels),
                    "idxs": pg_array(idxs),
                    "hashes": pg_array(hashes),
                },
            ).one()
            if done != len(ids):  # never a sequence number without its entry
                raise RuntimeError(f"sealing wrote {done} of {len(ids)} entries")
            if bal_done != len(moved):  # never an entry sealed without its balances
                raise RuntimeError(f"sealing wrote {bal_done} of {len(moved)} balances")
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
                [
                    {"e_id": i, "e_seq": q, "e_leaf": h, "e_at": now, "e_rev": r}
                    for i, q, h, r in zip(ids, seqs, leaves, revs, strict=True)
                ],
            )
            if levels:
                db.session.execute(
                    MerkleNode.__table__.insert(),
                    [{"level": a, "idx": b, "hash": c} for a, b, c in zip(levels, idxs, hashes, strict=True)],
                )
            if moved:
                normal = dict(
                    db.session.execute(
                        select(AccountBalance.account_id, AccountBalance.debit_normal).where(
                            AccountBalance.account_id.in_(moved)
                        )
                    ).all()
                )
                db.session.execute(
                    posting.balance_update(),
                    [
                        {
                            "b_account_id": account_id,
                            "b_debits": d,
                            "b_credits": c,
                            "b_delta": d - c if normal[account_id] else c - d,
                            "b_reserve": 0,
                            "b_count": n,
                        }
                        for account_id, (d, c, n) in moved.items()
                    ],
                )
        if _seal_listeners:
            batch_entries = _sealed_entries(rows, seq_of)
            for fn in _seal_listeners:
                fn(batch_entries)
        size += len(rows)
        sealed += len(rows)
        if len(rows) < take:
            # what was waiting is sealed; entries committed since are the next call's (chasing
            # them here would keep one transaction open while writers keep committing)
            break
    if sealed:
        # the ORM objects in this session now have stale seal columns
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, JournalEntry) and obj.sequence is None:
                db.session.expire(obj)
    return sealed


# the newest checkpoint's signing time this process has seen, per database: a seal within
# LEDGER_CHECKPOINT_SECONDS of it needs no query to know that no checkpoint is due
_signed_at: dict[str, datetime] = {}


def _db_key() -> str:
    return str(db.session.get_bind().url)


def latest_checkpoint() -> Checkpoint | None:
    cp = db.session.scalar(select(Checkpoint).order_by(Checkpoint.id.desc()).limit(1))
    if cp is not None:
        _signed_at[_db_key()] = cp.signed_at
    return cp


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
    origin = signing.ledger_origin()
    cp = Checkpoint(
        tree_size=size,
        root_hash=root,
        signed_at=now,
        origin=origin,
        key_id=signing.note_key_id(origin, signing.SIG_ED25519, pub).hex(),
        public_key=pub,
        signature=key.sign(signing.checkpoint_body(origin, size, root)),
    )
    db.session.add(cp)
    db.session.flush()
    _signed_at[_db_key()] = now
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


def seal_and_checkpoint(*, wait: bool = True) -> int | None:
    """Seal what is committed; sign a checkpoint over it when one is due. None: another sealer
    is at work (``wait=False`` only)."""
    sealed = seal_pending(wait=wait)
    if sealed:
        interval = timedelta(seconds=current_app.config.get("LEDGER_CHECKPOINT_SECONDS", 0))
        seen = _signed_at.get(_db_key())
        # a checkpoint signed less than the interval ago (by anyone) makes this one not due
        if (seen is None or utcnow() - seen >= interval) and checkpoint_due():
            make_checkpoint()
    return sealed


def seal_after_commit(rounds: int = 10) -> int:
    """Seal the entries committed so far, without waiting for a sealer already at work.

    Every sealer checks again after its own commit, so an entry whose sealing was skipped because
    the lock was taken is sealed by the holder's next round (up to ``rounds`` rounds; what a busy
    ledger leaves past that, the next posting, a checkpoint request or ``flask ledger seal``
    seals). Commits its own transactions; returns how many entries it sealed."""
    total = 0
    for _ in range(rounds):
        n = seal_and_checkpoint(wait=False)
        if not n:
            db.session.rollback()
            break
        db.session.commit()
        total += n
    return total


def follow(stop: Callable[[], bool], interval: float = 0.5) -> int:
    """Seal continuously until ``stop()``: one round every ``interval`` seconds, whatever was
    committed since (``flask ledger seal --follow``, for a ledger busier than sealing after each
    request suits). Returns how many entries it sealed."""
    total = 0
    while not stop():
        started = time.monotonic()
        n = seal_and_checkpoint(wait=False)
        if n:
            db.session.commit()
            total += n
        else:
            db.session.rollback()
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
    return total


def _after_request(response):
    if g.pop("ledger_unsealed", False):
        try:
            seal_after_commit()
        except Exception:  # sealing never fails a request; `flask ledger seal` catches up
            db.session.rollback()
            log.exception("sealing after the request failed")
    return response


def _teardown(exc):
    """Whatever posted outside a request (a CLI command, a cron job) seals what it committed
    before its app context ends, waiting for a sealer at work, so that a correct ledger always
    verifies and the public figures catch up."""
    if not g.pop("ledger_unsealed", False) or exc is not None:
        return
    seal_committed()


def seal_committed() -> None:
    """Seal everything committed so far, waiting for a sealer at work (a command that posted calls
    it after its last commit; the app context's teardown does too). Never raises."""
    g.pop("ledger_unsealed", None)
    try:
        db.session.rollback()  # what was not committed is not sealed, and is not committed here
        while seal_and_checkpoint(wait=True):
            db.session.commit()
        db.session.rollback()
    except Exception:  # `flask ledger seal` catches up
        db.session.rollback()
        log.exception("sealing after the command failed")


def init_app(app):
    app.after_request(_after_request)
    app.teardown_appcontext(_teardown)
