"""The whole-ledger check behind ``flask ledger verify``: it cannot be skipped in part.

One streaming pass reads every sealed entry with its legs folded into one text column
(PostgreSQL: two streams sharing one snapshot, entries and legs, in chunks of a few thousand
entries per row, unambiguously escaped), and in a tight loop without ORM objects: re-encodes and re-hashes the
entry and compares it with its sealed leaf, checks that it balances and has its declared legs, and
adds its legs to per-account totals. The totals are then compared with the stored balance rows;
the accounting equation, the no-negative rule and the reservations are small SQL aggregates over
the balance rows. The Merkle root is recomputed from the leaves and compared with every signed
checkpoint. ``check_sums`` is the same arithmetic done independently in SQL (used by the tests
and for the unsealed tail).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from sqlalchemy import select, text

from fundapp.extensions import db

from . import merkle, signing
from .encoding import encode_entry, format_time
from .models import Checkpoint, PendingState, PendingTransfer

_json_str = __import__("json").encoder.encode_basestring_ascii
# Account codes and currencies whose JSON string sorts like the raw string (no escapes, no byte
# below '"'): for them the fast path sorts pre-encoded leg prefixes instead of tuples.
_SAFE = re.compile(r"^[A-Za-z0-9_:.-]+$")


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, message: str) -> None:
        self.problems.append(message)


# Every row's currency, debits and credits as committed now: the rows, and the legs of unsealed
# entries on the accounts whose rows are written where entries are sealed (``balances``).
_CURRENT = (
    "SELECT currency, debits_minor AS d, credits_minor AS c FROM ledger_balances UNION ALL "
    "SELECT l.currency, CASE WHEN l.direction = 'debit' THEN l.amount_minor ELSE 0 END, "
    "CASE WHEN l.direction = 'credit' THEN l.amount_minor ELSE 0 END FROM ledger_legs l "
    "JOIN ledger_entries e ON e.id = l.entry_id JOIN ledger_balances ub ON ub.account_id = l.account_id "
    "WHERE e.sequence IS NULL AND NOT ub.no_negative"
)
_EQUATION_OFF = (
    "SELECT currency, SUM(d - c) FROM (" + _CURRENT + ") t "  # noqa: S608 - constants
    "GROUP BY currency HAVING SUM(d - c) <> 0"
)
_TOTALS = (
    "SELECT currency, SUM(d), SUM(c) FROM (" + _CURRENT + ") t "  # noqa: S608 - constants
    "GROUP BY currency ORDER BY currency"
)


def _scalar(sql: str, **params):
    return db.session.execute(text(sql), params).scalar()


def _rows(sql: str, **params):
    return db.session.execute(text(sql), params).all()


def check_sums(report: Report) -> None:
    """The same arithmetic as the streaming pass, independently in SQL aggregates: balanced
    entries, declared leg counts, balances equal to their legs, the equation, no-negative."""
    for entry_id, currency, diff in _rows(
        "SELECT entry_id, currency, SUM(CASE WHEN direction = 'debit' THEN amount_minor "
        "ELSE -amount_minor END) AS diff FROM ledger_legs GROUP BY entry_id, currency "
        "HAVING SUM(CASE WHEN direction = 'debit' THEN amount_minor ELSE -amount_minor END) <> 0 "
        "ORDER BY entry_id LIMIT 20"
    ):
        report.fail(f"entry id {entry_id} does not balance in {currency} (debits - credits = {diff})")
    for entry_id, seq, want, have in _rows(
        "SELECT e.id, e.sequence, e.leg_count, COALESCE(l.n, 0) FROM ledger_entries e "
        "LEFT JOIN (SELECT entry_id, COUNT(*) AS n FROM ledger_legs GROUP BY entry_id) l "
        "ON l.entry_id = e.id WHERE COALESCE(l.n, 0) <> e.leg_count ORDER BY e.id LIMIT 20"
    ):
        report.fail(f"entry id {entry_id} (sequence {seq}) declares {want} legs but has {have}")
    for code, currency, dsum, csum, d, c, bal in _rows(
        "SELECT a.code, a.currency, COALESCE(s.d, 0), COALESCE(s.c, 0), b.debits_minor, "
        "b.credits_minor, b.balance_minor FROM ledger_balances b "
        "JOIN ledger_accounts a ON a.id = b.account_id LEFT JOIN ("
        " SELECT l.account_id, SUM(CASE WHEN l.direction = 'debit' THEN l.amount_minor ELSE 0 END) AS d,"
        " SUM(CASE WHEN l.direction = 'credit' THEN l.amount_minor ELSE 0 END) AS c"
        " FROM ledger_legs l JOIN ledger_entries e ON e.id = l.entry_id"
        " JOIN ledger_balances lb ON lb.account_id = l.account_id"
        " WHERE e.sequence IS NOT NULL OR lb.no_negative GROUP BY l.account_id) s"
        " ON s.account_id = b.account_id "
        "WHERE COALESCE(s.d, 0) <> b.debits_minor OR COALESCE(s.c, 0) <> b.credits_minor "
        "OR b.balance_minor <> CASE WHEN b.debit_normal THEN b.debits_minor - b.credits_minor "
        "ELSE b.credits_minor - b.debits_minor END ORDER BY a.id LIMIT 20"
    ):
        report.fail(
            f"account {code} {currency}: stored debits/credits/balance {d}/{c}/{bal} "
            f"but its legs sum to {dsum}/{csum}"
        )
    for currency, diff in _rows(_EQUATION_OFF):
        report.fail(f"the accounting equation does not hold in {currency} (off by {diff})")
    for code, currency, bal, res in _rows(
        "SELECT a.code, a.currency, b.balance_minor, b.reserved_minor FROM ledger_balances b "
        "JOIN ledger_accounts a ON a.id = b.account_id WHERE b.no_negative AND "
        "(b.balance_minor < 0 OR b.balance_minor - b.reserved_minor < 0) ORDER BY a.id"
    ):
        report.fail(f"account {code} {currency} is negative (balance {bal}, reserved {res})")
    _check_reservations(report)
    totals = _rows(_TOTALS)
    for currency, d, c in totals:
        report.facts.append(f"{currency}: debits {d} = credits {c}")


def check_sequence(report: Report) -> int:
    n, lo, hi, unsealed = db.session.execute(
        text(
            "SELECT COUNT(sequence), MIN(sequence), MAX(sequence), "
            "SUM(CASE WHEN sequence IS NULL THEN 1 ELSE 0 END) FROM ledger_entries"
        )
    ).one()
    if n and (lo != 1 or hi != n):
        report.fail(f"the sequence has gaps: {n} sealed entries numbered {lo}..{hi}")
    if unsealed:
        report.fail(f"{unsealed} entries are not sealed (run `flask ledger seal`)")
    return n or 0


def _stream(conn, sql: str, name: str):
    """Rows of ``sql`` through a server-side cursor on PostgreSQL, a plain cursor on SQLite."""
    dbapi = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        cur = dbapi.cursor(name=name)
        cur.itersize = 20000
    else:
        cur = dbapi.cursor()
    try:
        cur.execute(sql)
        while True:
            chunk = cur.fetchmany(20000)
            if not chunk:
                break
            yield from chunk
    finally:
        cur.close()


# PostgreSQL hands the journal over in chunks of CHUNK entries, each chunk one text value of
# records separated by RS and fields by US. A memo or label holding any of the control characters
# below travels as HEX + its UTF-8 in hex; NUL_ stands for NULL. Parsing is thus unambiguous
# whatever the text holds.
CHUNK = 4096
RS, US, HEX, NUL_ = "\x1e", "\x1f", "\x02", "\x03"


def _pg_text(column: str) -> str:
    return (
        f"CASE WHEN {column} IS NULL THEN E'\\x03' "
        f"WHEN {column} ~ E'[\\x01-\\x03\\x1e\\x1f]' "
        f"THEN E'\\x02' || encode(convert_to({column}, 'UTF8'), 'hex') ELSE {column} END"
    )


def _text_field(value: str) -> str | None:
    if value == NUL_:
        return None
    if value[:1] == HEX:
        return bytes.fromhex(value[1:]).decode("utf-8")
    return value


# One chunk after the other (in the order of the series; _pg_rows refuses any other), each an
# index range scan, so rows flow while the server still reads.
_PG_ENTRIES = (  # constants only
    "SELECT c.n, x.t FROM generate_series(0, "  # noqa: S608
    f"(SELECT COALESCE(MAX(id), 0) FROM ledger_entries) / {CHUNK}) AS c(n), "
    "LATERAL (SELECT string_agg(concat_ws(E'\\x1f', e.id, e.sequence, e.kind, "
    "to_char(e.posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
    f"{_pg_text('e.memo')}, {_pg_text('e.backer_label')}, COALESCE(CASE WHEN e.reverses_id IS NULL "
    "THEN NULL ELSE (SELECT r.sequence FROM ledger_entries r WHERE r.id = e.reverses_id) END::text, ''), "
    "COALESCE(encode(e.leaf_hash, 'hex'), ''), e.leg_count), E'\\x1e') AS t "
    f"FROM ledger_entries e WHERE e.id >= c.n * {CHUNK} AND e.id < (c.n + 1) * {CHUNK} "
    "AND e.sequence IS NOT NULL) x WHERE x.t IS NOT NULL"
)
_PG_LEGS = (  # constants only
    "SELECT c.n, x.t FROM generate_series(0, "  # noqa: S608
    f"(SELECT COALESCE(MAX(entry_id), 0) FROM ledger_legs) / {CHUNK}) AS c(n), "
    "LATERAL (SELECT string_agg(g.entry_id::text || E'\\x1f' || g.legs, E'\\x1e') "
    "AS t FROM (SELECT entry_id, string_agg(CASE direction WHEN 'debit' THEN 'D' ELSE 'C' END "
    "|| account_id::text || ':' || currency || ' ' || amount_minor::text, ';') AS legs "
    f"FROM ledger_legs WHERE entry_id >= c.n * {CHUNK} AND entry_id < (c.n + 1) * {CHUNK} "
    "GROUP BY entry_id) g) x WHERE x.t IS NOT NULL"
)


def _chunks(raw, sql: str):
    with raw.cursor() as cur:
        yield from cur.stream(sql)


def _pg_rows(conn):
    """PostgreSQL: two streams on two connections sharing one snapshot (entries, and legs grouped
    by entry), in chunks of entry ids, so two server processes produce while this one hashes."""
    first = conn.connection.dbapi_connection
    snapshot = first.execute("SELECT pg_export_snapshot()").fetchone()[0]
    first.execute("SET LOCAL jit = off")
    first.execute("SET LOCAL max_parallel_workers_per_gather = 0")
    second = db.engine.raw_connection()
    try:
        raw = second.dbapi_connection
        raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        raw.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        raw.execute("SET LOCAL jit = off")
        raw.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        legs = _chunks(raw, _PG_LEGS)
        leg_chunk, leg_text = -1, None
        last = -1
        for chunk, text_ in _chunks(first, _PG_ENTRIES):
            if chunk <= last:
                raise ValueError("the journal's chunks came out of order")
            last = chunk
            while leg_chunk < chunk:
                nxt = next(legs, None)
                if nxt is None:
                    leg_chunk, leg_text = 1 << 62, None
                    break
                if nxt[0] <= leg_chunk:
                    raise ValueError("the legs' chunks came out of order")
                leg_chunk, leg_text = nxt
            by_entry = {}
            if leg_chunk == chunk and leg_text:
                by_entry = dict(rec.split(US, 1) for rec in leg_text.split(RS))
            for rec in text_.split(RS):
                f = rec.split(US)
                if len(f) != 9:  # cannot happen with the escapes above; never pass it silently
                    raise ValueError(f"unreadable journal record near entry id {f[0]!r}")
                memo, backer = f[4], f[5]
                yield (
                    int(f[0]),
                    int(f[1]),
                    f[2],
                    f[3],
                    _text_field(memo) if memo[:1] in (HEX, NUL_) else memo,
                    _text_field(backer) if backer[:1] in (HEX, NUL_) else backer,
                    int(f[6]) if f[6] else None,
                    bytes.fromhex(f[7]) if f[7] else None,
                    int(f[8]),
                    by_entry.get(f[0]),
                )
        for _ in legs:  # drain, so the connection is clean
            pass
        raw.rollback()
    finally:
        second.close()


def _entries_sql(pg: bool) -> str:
    direction = "CASE l.direction WHEN 'debit' THEN 'D' ELSE 'C' END"
    if pg:
        posted = "to_char(e.posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        legs = (
            f"string_agg({direction} || l.account_id::text || ':' || l.currency || ' ' "
            "|| l.amount_minor::text, ';')"
        )
    else:
        posted = "replace(e.posted_at, ' ', 'T') || 'Z'"
        legs = f"group_concat({direction} || l.account_id || ':' || l.currency || ' ' || l.amount_minor, ';')"
    return (
        f"SELECT e.id, e.sequence, e.kind, {posted}, e.memo, e.backer_label, "  # noqa: S608 - constants
        "CASE WHEN e.reverses_id IS NULL THEN NULL ELSE "
        "(SELECT r.sequence FROM ledger_entries r WHERE r.id = e.reverses_id) END, "
        f"e.leaf_hash, e.leg_count, (SELECT {legs} FROM ledger_legs l WHERE l.entry_id = e.id) "
        "FROM ledger_entries e WHERE e.sequence IS NOT NULL ORDER BY e.id"
    )


class _Accounts:
    """Account id -> (code, currency, debit_normal); leg keys ("D12:TJS") -> pre-encoded prefix."""

    def __init__(self, report: Report):
        self.report = report
        self.info = {
            i: (code, cur, bool(dn))
            for i, code, cur, dn in _rows(
                "SELECT a.id, a.code, a.currency, b.debit_normal FROM ledger_accounts a "
                "JOIN ledger_balances b ON b.account_id = a.id"
            )
        }
        self.keys: dict[str, tuple] = {}

    def key(self, k: str) -> tuple:
        """(prefix, direction char, currency, code, safe)"""
        found = self.keys.get(k)
        if found is not None:
            return found
        d, rest = k[0], k[1:]
        account_id, currency = rest.split(":", 1)
        code, account_currency, _ = self.info.get(int(account_id), (f"#{account_id}", None, True))
        if account_currency is None:
            self.report.fail(f"legs refer to account id {account_id}, which does not exist")
        elif account_currency != currency:
            self.report.fail(f"a leg of account {code} is in {currency}, the account in {account_currency}")
        prefix = f"[{_json_str(d)},{_json_str(code)},{_json_str(currency)},"
        safe = bool(_SAFE.match(code) and _SAFE.match(currency))
        found = self.keys[k] = (prefix, d, currency, code, safe)
        return found


def scan_entries(report: Report, size: int, accounts: _Accounts):
    """The single pass. Returns (leaves by sequence or None, totals by leg key, legs seen)."""
    conn = db.session.connection()
    pg = conn.dialect.name == "postgresql"
    leaves: list[bytes | None] = [None] * size
    totals: dict[str, int] = {}
    sha = merkle._sha
    keyinfo = accounts.keys
    key_of = accounts.key
    kinds: dict[str, str] = {}
    bad = unbalanced = legs_seen = 0
    rows = _pg_rows(conn) if pg else _stream(conn, _entries_sql(pg), "ledger_verify_entries")
    try:
        for entry_id, seq, kind, posted, memo, backer, rev, stored, leg_count, legtext in rows:
            parts = legtext.split(";") if legtext else []
            n = len(parts)
            legs_seen += n
            if n == 2:
                k1, a1 = parts[0].split(" ")
                k2, a2 = parts[1].split(" ")
                i1, i2 = int(a1), int(a2)
                p1 = keyinfo.get(k1) or key_of(k1)
                p2 = keyinfo.get(k2) or key_of(k2)
                totals[k1] = totals.get(k1, 0) + i1
                totals[k2] = totals.get(k2, 0) + i2
                ok = p1[1] != p2[1] and p1[2] == p2[2] and i1 == i2
                if p1[4] and p2[4]:
                    if (p1[0], i1) > (p2[0], i2):
                        legs_json = f"{p2[0]}{i2}],{p1[0]}{i1}]"
                    else:
                        legs_json = f"{p1[0]}{i1}],{p2[0]}{i2}]"
                else:
                    legs_json = None
            else:
                items = []
                net: dict[str, int] = {}
                for part in parts:
                    k, a = part.split(" ")
                    amount = int(a)
                    info = keyinfo.get(k) or key_of(k)
                    totals[k] = totals.get(k, 0) + amount
                    net[info[2]] = net.get(info[2], 0) + (amount if info[1] == "D" else -amount)
                    items.append((info, amount))
                ok = n >= 2 and not any(net.values())
                if all(info[4] for info, _ in items):
                    legs_json = ",".join(
                        f"{info[0]}{a}]" for info, a in sorted(items, key=lambda x: (x[0][0], x[1]))
                    )
                else:
                    legs_json = None
            if n != leg_count:
                report.fail(f"entry sequence {seq} (id {entry_id}) declares {leg_count} legs but has {n}")
            if not ok:
                unbalanced += 1
                if unbalanced <= 20:
                    report.fail(f"entry sequence {seq} (id {entry_id}) does not balance")
            if not isinstance(posted, str):  # a driver that hands back datetimes
                posted = format_time(posted)
            if legs_json is None:  # unusual codes: the general encoder
                tuples = []
                for part in parts:
                    k, a = part.split(" ")
                    info = key_of(k)
                    tuples.append((info[1], info[3], info[2], int(a)))
                data = encode_entry(seq, kind, posted, memo, backer, rev, tuples)
            else:
                k = kinds.get(kind) or kinds.setdefault(kind, _json_str(kind))
                data = (
                    f'{{"backer":{"null" if backer is None else _json_str(backer)},"kind":{k},'
                    f'"legs":[{legs_json}],"memo":{_json_str(memo)},"posted_at":"{posted}",'
                    f'"reverses":{"null" if rev is None else rev},"seq":{seq},"v":1}}'
                ).encode("ascii")
            leaf = sha(b"\x00" + data).digest()
            if stored is None or bytes(stored) != leaf:
                bad += 1
                if bad <= 20:
                    report.fail(f"entry sequence {seq} (id {entry_id}) does not match its sealed hash")
            if not 1 <= seq <= size:
                report.fail(f"entry id {entry_id} has sequence {seq} outside 1..{size}")
                continue
            leaves[seq - 1] = leaf
    finally:
        rows.close()
    if bad > 20:
        report.fail(f"… {bad} entries in all do not match their sealed hashes")
    if unbalanced > 20:
        report.fail(f"… {unbalanced} entries in all do not balance")
    if any(leaf is None for leaf in leaves):
        report.fail("some sequence numbers have no entry")
        return None, totals, legs_seen
    return leaves, totals, legs_seen


def check_balances(report: Report, accounts: _Accounts, totals: dict[str, int], legs_seen: int) -> None:
    """Stored balance rows against the legs' totals; unsealed entries are added in SQL."""
    sums: dict[int, list[int]] = {}
    for k, amount in totals.items():
        _, d, _, _, _ = accounts.key(k)
        account_id = int(k[1:].split(":", 1)[0])
        sums.setdefault(account_id, [0, 0])[0 if d == "D" else 1] += amount
    unsealed_legs = 0
    for account_id, direction, amount, n, held_now in _rows(
        "SELECT l.account_id, l.direction, SUM(l.amount_minor), COUNT(*), b.no_negative "
        "FROM ledger_legs l JOIN ledger_entries e ON e.id = l.entry_id "
        "JOIN ledger_balances b ON b.account_id = l.account_id WHERE e.sequence IS NULL "
        "GROUP BY l.account_id, l.direction, b.no_negative"
    ):
        if held_now:  # the other rows are written where entries are sealed (``balances``)
            sums.setdefault(account_id, [0, 0])[0 if direction == "debit" else 1] += amount
        unsealed_legs += n
    total_legs = _scalar("SELECT COUNT(*) FROM ledger_legs")
    if total_legs != legs_seen + unsealed_legs:
        report.fail(f"{total_legs - legs_seen - unsealed_legs} legs belong to no entry")
    for account_id, code, currency, d, c, bal, dn in _rows(
        "SELECT a.id, a.code, a.currency, b.debits_minor, b.credits_minor, b.balance_minor, b.debit_normal "
        "FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.account_id ORDER BY a.id"
    ):
        dsum, csum = sums.get(account_id, (0, 0))
        natural = d - c if dn else c - d
        if (d, c, bal) != (dsum, csum, natural):
            report.fail(
                f"account {code} {currency}: stored debits/credits/balance {d}/{c}/{bal} "
                f"but its legs sum to {dsum}/{csum}"
            )


def check_balance_rows(report: Report) -> None:
    """The accounting equation, the no-negative rule and reservations, over the balance rows."""
    for currency, diff in _rows(_EQUATION_OFF):
        report.fail(f"the accounting equation does not hold in {currency} (off by {diff})")
    for code, currency, bal, res in _rows(
        "SELECT a.code, a.currency, b.balance_minor, b.reserved_minor FROM ledger_balances b "
        "JOIN ledger_accounts a ON a.id = b.account_id WHERE b.no_negative AND "
        "(b.balance_minor < 0 OR b.balance_minor - b.reserved_minor < 0) ORDER BY a.id"
    ):
        report.fail(f"account {code} {currency} is negative (balance {bal}, reserved {res})")
    _check_reservations(report)
    for currency, d, c in _rows(_TOTALS):
        report.facts.append(f"{currency}: debits {d} = credits {c}" if d == c else f"{currency}: {d} / {c}")


def _check_reservations(report: Report) -> None:
    held: dict[int, int] = {}
    debit_normal = dict(_rows("SELECT account_id, debit_normal FROM ledger_balances"))
    for legs in db.session.execute(
        select(PendingTransfer.legs_json).where(PendingTransfer.state == PendingState.PENDING)
    ).scalars():
        for leg in legs:
            if (leg["direction"] == "credit") == bool(debit_normal.get(leg["account_id"])):
                held[leg["account_id"]] = held.get(leg["account_id"], 0) + leg["amount"]
    for account_id, code, currency, reserved in _rows(
        "SELECT b.account_id, a.code, a.currency, b.reserved_minor FROM ledger_balances b "
        "JOIN ledger_accounts a ON a.id = b.account_id ORDER BY a.id"
    ):
        if reserved != held.get(account_id, 0):
            report.fail(
                f"account {code} {currency} reserves {reserved} but pending transfers hold "
                f"{held.get(account_id, 0)}"
            )


CHECKPOINT_SAMPLE = 1000


def check_tree(
    report: Report, leaves: list[bytes], *, full_nodes: bool = False, all_checkpoints: bool = False
) -> None:
    levels = merkle.levels_from_leaves(leaves) if leaves else [[]]
    tree = merkle.TreeReader(lambda level, index: levels[level][index])
    size = len(leaves)
    cols = (
        Checkpoint.id,
        Checkpoint.tree_size,
        Checkpoint.root_hash,
        Checkpoint.signed_at,
        Checkpoint.public_key,
        Checkpoint.signature,
        Checkpoint.origin,
    )
    # A checkpoint is signed after each sealing request, so there can be very many: the latest
    # ones and a random sample of the older ones are checked in full (all with all_checkpoints),
    # and that sizes never shrink is checked for every one of them in SQL.
    total = _scalar("SELECT COUNT(*) FROM ledger_checkpoints")
    if all_checkpoints or total <= 2 * CHECKPOINT_SAMPLE:
        checkpoints = db.session.execute(select(*cols).order_by(Checkpoint.id)).all()
    else:
        recent = db.session.execute(
            select(*cols).order_by(Checkpoint.id.desc()).limit(CHECKPOINT_SAMPLE)
        ).all()
        older = db.session.execute(
            select(*cols)
            .where(Checkpoint.id < recent[-1][0])
            .order_by(db.func.random())
            .limit(CHECKPOINT_SAMPLE)
        ).all()
        checkpoints = sorted([*older, *recent])
        report.facts.append(f"{len(checkpoints)} of {total} checkpoints checked in full")
    for (cp_id,) in _rows(
        "SELECT id FROM (SELECT id, tree_size, LAG(tree_size) OVER (ORDER BY id) AS before "
        "FROM ledger_checkpoints) t WHERE tree_size < before ORDER BY id LIMIT 5"
    ):
        report.fail(f"checkpoint {cp_id} is smaller than the one before it")
    if not checkpoints:
        report.fail("there is no signed checkpoint")
    for cp_id, cp_size, root, signed_at, pub, sig, origin in checkpoints:
        root, pub, sig = bytes(root), bytes(pub), bytes(sig)
        message = signing.signed_message(origin, cp_size, root, format_time(signed_at))
        if not signing.verify_signature(pub, sig, message):
            report.fail(f"checkpoint {cp_id} (size {cp_size}): the signature is not valid")
        if cp_size > size:
            report.fail(f"checkpoint {cp_id} claims {cp_size} entries but only {size} are sealed")
            continue
        if tree.root(cp_size) != root:
            report.fail(f"checkpoint {cp_id} (size {cp_size}): the entries do not produce its root hash")
    if checkpoints:
        last = checkpoints[-1]
        if last[1] < size:
            # sealed after it: hashed and checked above, signed by the next checkpoint
            report.facts.append(
                f"the latest checkpoint covers {last[1]} of {size} entries; the next one will cover "
                "the rest (`flask ledger checkpoint` signs it now)"
            )
        report.facts.append(f"root {tree.root(size).hex()} over {size} entries")
    check_nodes(report, levels, full=full_nodes)


def check_nodes(report: Report, levels: list[list[bytes]], *, full: bool) -> None:
    """The stored tree nodes serve proofs and carry the sealer on: the frontier (which the next
    seal builds on) and a random sample are always compared; all of them with ``full``."""
    expected = sum(len(lv) for lv in levels[1:])
    stored = _scalar("SELECT COUNT(*) FROM ledger_merkle_nodes")
    if stored != expected:
        report.fail(f"the Merkle node table holds {stored} nodes, the entries give {expected}")
    if full:
        wrong = 0
        for level, idx, h in _stream(
            db.session.connection(), "SELECT level, idx, hash FROM ledger_merkle_nodes", "ledger_verify_nodes"
        ):
            if level >= len(levels) or idx >= len(levels[level]) or levels[level][idx] != bytes(h):
                wrong += 1
        if wrong:
            report.fail(f"{wrong} stored Merkle nodes differ from the entries")
        return
    size = len(levels[0])
    wanted = set()
    start = 0
    for level in range(size.bit_length() - 1, 0, -1):  # the frontier
        if size & (1 << level):
            wanted.add((level, start >> level))
            start += 1 << level
    rng = random.Random()
    for _ in range(256):
        level = rng.randrange(1, len(levels)) if len(levels) > 1 else None
        if level is not None and levels[level]:
            wanted.add((level, rng.randrange(len(levels[level]))))
    from .sealing import perfect_many

    got = perfect_many(wanted)
    wrong = [k for k in wanted if got.get(k) != levels[k[0]][k[1]]]
    if wrong:
        report.fail(
            f"stored Merkle nodes differ from the entries, e.g. level {wrong[0][0]} index {wrong[0][1]}"
        )


def verify_ledger(*, full_nodes: bool = False, all_checkpoints: bool = False) -> Report:
    """Check everything in one consistent snapshot (PostgreSQL: REPEATABLE READ, read only)."""
    report = Report()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.rollback()
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    size = check_sequence(report)
    accounts = _Accounts(report)
    leaves, totals, legs_seen = scan_entries(report, size, accounts)
    check_unsealed_entries(report)
    check_balances(report, accounts, totals, legs_seen)
    check_balance_rows(report)
    if leaves is not None:
        check_tree(report, leaves, full_nodes=full_nodes, all_checkpoints=all_checkpoints)
    report.facts.insert(0, f"{size} sealed entries")
    return report


def check_unsealed_entries(report: Report) -> None:
    """Entries not sealed yet are outside the streaming pass: check them in SQL."""
    for entry_id, currency in _rows(
        "SELECT l.entry_id, l.currency FROM ledger_legs l JOIN ledger_entries e ON e.id = l.entry_id "
        "WHERE e.sequence IS NULL GROUP BY l.entry_id, l.currency "
        "HAVING SUM(CASE WHEN l.direction = 'debit' THEN l.amount_minor ELSE -l.amount_minor END) <> 0"
    ):
        report.fail(f"unsealed entry id {entry_id} does not balance in {currency}")
