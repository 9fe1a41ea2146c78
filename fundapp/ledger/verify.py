"""The whole-ledger check behind ``flask ledger verify``: it cannot be skipped in part.

Sums are SQL aggregates; the Merkle part streams entries and legs through server-side cursors in
id order, re-encodes and re-hashes each entry in a tight loop (no ORM objects), and compares the
root with every signed checkpoint. 1,000,000 entries take a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, text

from fundapp.extensions import db

from . import merkle, signing
from .encoding import encode_entry, format_time
from .models import Checkpoint, PendingState, PendingTransfer


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, message: str) -> None:
        self.problems.append(message)


def _scalar(sql: str, **params):
    return db.session.execute(text(sql), params).scalar()


def _rows(sql: str, **params):
    return db.session.execute(text(sql), params).all()


def check_sums(report: Report) -> None:
    """Balanced entries, stored balances equal to their legs, the accounting equation, no-negative."""
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
        " SELECT account_id, SUM(CASE WHEN direction = 'debit' THEN amount_minor ELSE 0 END) AS d,"
        " SUM(CASE WHEN direction = 'credit' THEN amount_minor ELSE 0 END) AS c"
        " FROM ledger_legs GROUP BY account_id) s ON s.account_id = b.account_id "
        "WHERE COALESCE(s.d, 0) <> b.debits_minor OR COALESCE(s.c, 0) <> b.credits_minor "
        "OR b.balance_minor <> CASE WHEN b.debit_normal THEN b.debits_minor - b.credits_minor "
        "ELSE b.credits_minor - b.debits_minor END ORDER BY a.id LIMIT 20"
    ):
        report.fail(
            f"account {code} {currency}: stored debits/credits/balance {d}/{c}/{bal} "
            f"but its legs sum to {dsum}/{csum}"
        )
    for currency, diff in _rows(
        "SELECT currency, SUM(debits_minor - credits_minor) FROM ledger_balances GROUP BY currency "
        "HAVING SUM(debits_minor - credits_minor) <> 0"
    ):
        report.fail(f"the accounting equation does not hold in {currency} (off by {diff})")
    for code, currency, bal, res in _rows(
        "SELECT a.code, a.currency, b.balance_minor, b.reserved_minor FROM ledger_balances b "
        "JOIN ledger_accounts a ON a.id = b.account_id WHERE b.no_negative AND "
        "(b.balance_minor < 0 OR b.balance_minor - b.reserved_minor < 0) ORDER BY a.id"
    ):
        report.fail(f"account {code} {currency} is negative (balance {bal}, reserved {res})")
    # reservations equal what the pending transfers hold back
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
    totals = _rows(
        "SELECT currency, SUM(debits_minor), SUM(credits_minor) FROM ledger_balances GROUP BY currency"
    )
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


def recompute_leaves(report: Report, size: int) -> list[bytes] | None:
    """Re-encode every sealed entry from its rows and compare with its stored leaf."""
    conn = db.session.connection()
    pg = conn.dialect.name == "postgresql"
    codes = dict(_rows("SELECT id, code FROM ledger_accounts"))
    if pg:
        posted = "to_char(e.posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    else:
        posted = "replace(e.posted_at, ' ', 'T') || 'Z'"
    sql = (
        f"SELECT e.id, e.sequence, e.kind, {posted}, "  # noqa: S608 - constant parts
        "e.memo, e.backer_label, "
        "CASE WHEN e.reverses_id IS NULL THEN NULL ELSE "
        "(SELECT r.sequence FROM ledger_entries r WHERE r.id = e.reverses_id) END, e.leaf_hash "
        "FROM ledger_entries e WHERE e.sequence IS NOT NULL ORDER BY e.id"
    )
    entries = _stream(conn, sql, "ledger_verify_entries")
    legs = _stream(
        conn,
        "SELECT entry_id, direction, account_id, currency, amount_minor FROM ledger_legs ORDER BY entry_id",
        "ledger_verify_legs",
    )
    leaves: list[bytes | None] = [None] * size
    sha = merkle._sha
    dcode = {"debit": "D", "credit": "C"}
    bad = 0
    try:
        pending_leg = next(legs, None)
        for entry_id, seq, kind, posted_at, memo, backer, rev, stored in entries:
            mine = []
            while pending_leg is not None and pending_leg[0] < entry_id:
                pending_leg = next(legs, None)  # legs of unsealed entries
            while pending_leg is not None and pending_leg[0] == entry_id:
                _, d, account_id, currency, amount = pending_leg
                mine.append((dcode[d], codes[account_id], currency, amount))
                pending_leg = next(legs, None)
            if not isinstance(posted_at, str):  # a driver that hands back datetimes
                posted_at = format_time(posted_at)
            leaf = sha(b"\x00" + encode_entry(seq, kind, posted_at, memo, backer, rev, mine)).digest()
            if stored is None or bytes(stored) != leaf:
                bad += 1
                if bad <= 20:
                    report.fail(f"entry sequence {seq} (id {entry_id}) does not match its sealed hash")
            if not 1 <= seq <= size:
                report.fail(f"entry id {entry_id} has sequence {seq} outside 1..{size}")
                continue
            leaves[seq - 1] = leaf
    finally:
        entries.close()
        legs.close()
    if bad > 20:
        report.fail(f"… {bad} entries in all do not match their sealed hashes")
    if any(leaf is None for leaf in leaves):
        report.fail("some sequence numbers have no entry")
        return None
    return leaves  # type: ignore[return-value]


def check_tree(report: Report, leaves: list[bytes], *, check_nodes: bool = True) -> None:
    levels = merkle.levels_from_leaves(leaves) if leaves else [[]]
    tree = merkle.TreeReader(lambda level, index: levels[level][index])
    size = len(leaves)
    checkpoints = db.session.execute(
        select(
            Checkpoint.id,
            Checkpoint.tree_size,
            Checkpoint.root_hash,
            Checkpoint.signed_at,
            Checkpoint.public_key,
            Checkpoint.signature,
        ).order_by(Checkpoint.id)
    ).all()
    if not checkpoints:
        report.fail("there is no signed checkpoint")
    previous = 0
    for cp_id, cp_size, root, signed_at, pub, sig in checkpoints:
        root, pub, sig = bytes(root), bytes(pub), bytes(sig)
        message = signing.checkpoint_message(cp_size, root, format_time(signed_at))
        if not signing.verify_signature(pub, sig, message):
            report.fail(f"checkpoint {cp_id} (size {cp_size}): the signature is not valid")
        if cp_size > size:
            report.fail(f"checkpoint {cp_id} claims {cp_size} entries but only {size} are sealed")
            continue
        if cp_size < previous:
            report.fail(f"checkpoint {cp_id} is smaller than the one before it")
        previous = cp_size
        if tree.root(cp_size) != root:
            report.fail(f"checkpoint {cp_id} (size {cp_size}): the entries do not produce its root hash")
    if checkpoints:
        last = checkpoints[-1]
        if last[1] != size:
            report.fail(
                f"the latest checkpoint covers {last[1]} of {size} entries (run `flask ledger checkpoint`)"
            )
        report.facts.append(f"root {tree.root(size).hex()} over {size} entries")
    if check_nodes:
        conn = db.session.connection()
        wrong = 0
        for level, idx, h in _stream(
            conn, "SELECT level, idx, hash FROM ledger_merkle_nodes", "ledger_verify_nodes"
        ):
            if level >= len(levels) or idx >= len(levels[level]) or levels[level][idx] != bytes(h):
                wrong += 1
        expected = sum(len(lv) for lv in levels[1:])
        stored = _scalar("SELECT COUNT(*) FROM ledger_merkle_nodes")
        if wrong or stored != expected:
            report.fail(
                f"the stored Merkle nodes are wrong ({wrong} differ, {stored} stored, {expected} expected)"
            )


def verify_ledger(*, check_nodes: bool = True) -> Report:
    report = Report()
    check_sums(report)
    size = check_sequence(report)
    leaves = recompute_leaves(report, size)
    if leaves is not None:
        check_tree(report, leaves, check_nodes=check_nodes)
    report.facts.insert(0, f"{size} sealed entries")
    return report
