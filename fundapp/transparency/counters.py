"""Keeping the public counters: what each journal entry adds to which total.

``on_entries_sealed(entries)`` is registered with the ledger's sealer: it runs in the sealing
transaction with each batch of entries just sealed, and upserts every counter the batch touches in
one statement. So the counters are written by one writer at a time, in batches, after the postings
committed (no posting transaction ever writes a row that every posting shares), and they cover
exactly the entries sealed into the tree they are committed with: ``coverage()`` says which tree
size (and which signed checkpoint) the public figures stand for. ``classify(entry)`` is the single
definition of "received", "disbursed", … used both here and by ``recompute()``, which rebuilds
every counter from the sealed journal (``flask transparency check|rebuild``).

Definitions (all from the fund's cash side, i.e. legs on asset accounts):
- received: money in from backers (donations, collected pledges, investments), gross, by channel;
- repayments: loan repayments received from projects; interest: the part credited to income;
- disbursed: paid out of a project's account; refunded: returned (or owed back) to backers,
  including reversals of money received; repaid: repayments distributed to investors; fees:
  debits to expense accounts whose code starts with ``fees``.
``received`` is gross: received − refunded is what the projects kept. Any other reversal counts as
the negative of the entry it reverses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import g, has_request_context, request
from sqlalchemy import select

from fundapp.core.db import pg_array
from fundapp.extensions import db
from fundapp.ledger.models import Checkpoint

from .models import Backer, Counter

IN_KINDS = {"donation": "received", "pledge_collection": "received", "investment": "received"}
OUT_KINDS = {"disbursement": "disbursed", "refund": "refunded", "distribution": "repaid"}
REPAYMENT_KIND = "repayment"
METRICS = ("received", "disbursed", "refunded", "repaid", "repayments", "interest", "fees")

# Asset account code → the channel through which money came in, as shown to the public.
CHANNELS = {"stripe_clearing": "card", "bank": "bank", "mto_clearing": "mto"}
# Assets that are not money the fund holds (a loan to a project is owed, not cash).
NON_CASH_ASSETS = frozenset({"loans_receivable", "fx_conversion"})

# source_type → fn(source_id) -> (backer_key, country or None) | None. Funding/payments objects
# know who paid; the ledger entry deliberately does not.
_backer_resolvers: dict[str, Callable[[str], tuple[str, str | None] | None]] = {}
# source_type → fn(source_ids) -> {source_id: (backer_key, country)}: the same for a whole sealed
# batch in one statement (a source id it leaves out is asked of the single resolver)
_backer_resolvers_many: dict[str, Callable] = {}
# fn(project_id) -> (region, district, category) | None, and optionally the same for many ids at
# once: fn(ids) -> {project_id: (region, district, category)}
_project_resolver: list[Callable[[int], tuple[str, str, str] | None]] = []
_project_resolver_many: list[Callable] = []


def register_backer_resolver(source_type: str, fn, many=None) -> None:
    _backer_resolvers[source_type] = fn
    if many is not None:
        _backer_resolvers_many[source_type] = many
    else:
        _backer_resolvers_many.pop(source_type, None)


def set_project_resolver(fn, many=None) -> None:
    _project_resolver[:] = [fn]
    _project_resolver_many[:] = [many] if many is not None else []


def _account(leg):
    return leg.account


def _signed_asset(legs, *, incoming: bool) -> dict[tuple[str, str], int]:
    """Net cash per (currency, asset code): debits minus credits (incoming) or the reverse."""
    out: dict[tuple[str, str], int] = defaultdict(int)
    for leg in legs:
        acc = _account(leg)
        if acc.type != "asset" or acc.code in NON_CASH_ASSETS:
            continue
        amount = int(leg.amount_minor) if leg.direction == "debit" else -int(leg.amount_minor)
        out[(leg.currency, acc.code)] += amount if incoming else -amount
    return out


def _legs_sum(legs, pick, direction: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for leg in legs:
        if leg.direction == direction and pick(_account(leg)):
            out[leg.currency] += int(leg.amount_minor)
    return out


def _is_project(acc) -> bool:
    return acc.project_id is not None


def _code(code: str):
    return lambda acc: acc.code == code


def _out_amounts(kind: str, legs) -> dict[str, int]:
    """How much an outgoing entry moved, per currency.

    Counted where the money is committed: a disbursement or refund when it leaves the project's
    account, a distribution when it is owed to the investors. Paying out what was already counted
    (refunds_payable or investor_payable debited) adds nothing; without such legs, the cash."""
    if kind == "distribution":
        owed = _legs_sum(legs, _code("investor_payable"), "credit")
        if owed:
            return owed
        if _legs_sum(legs, _code("investor_payable"), "debit"):
            return {}
    else:
        from_project = _legs_sum(legs, _is_project, "debit")
        if from_project:
            back = _legs_sum(legs, _is_project, "credit")
            return {c: a - back.get(c, 0) for c, a in from_project.items()}
        if kind == "refund" and _legs_sum(legs, _code("refunds_payable"), "debit"):
            return {}
    return {c: a for (c, _code_), a in _signed_asset(legs, incoming=False).items() if a}


def classify(entry) -> list[tuple[str, str, str, int]]:
    """What ``entry`` adds: a list of (metric, currency, channel or "", amount_minor).

    A reversal of money received counts as refunded (it went back to the backer); a reversal of
    anything else takes back what the original added."""
    kind = entry.kind
    legs = list(entry.legs)
    if kind == "reversal":
        original = getattr(entry, "reverses", None)
        if original is None:
            return []
        if original.kind in IN_KINDS:
            return [
                ("refunded", cur, "", amount)
                for cur, amount in _in_amounts(original.kind, list(original.legs)).items()
                if amount
            ]
        return [(m, c, ch, -a) for m, c, ch, a in classify(original)]
    found: list[tuple[str, str, str, int]] = []
    if kind in IN_KINDS or kind == REPAYMENT_KIND:
        metric = IN_KINDS.get(kind, "repayments")
        for (currency, code), amount in _signed_asset(legs, incoming=True).items():
            if amount:
                found.append((metric, currency, CHANNELS.get(code, "other"), amount))
        if kind == REPAYMENT_KIND:
            for currency, amount in _legs_sum(legs, lambda a: a.type == "income", "credit").items():
                found.append(("interest", currency, "", amount))
    elif kind in OUT_KINDS:
        metric = OUT_KINDS[kind]
        for currency, amount in _out_amounts(kind, legs).items():
            if amount:
                found.append((metric, currency, "", amount))
    for leg in legs:
        acc = _account(leg)
        if acc.type == "expense" and acc.code.startswith("fees"):
            amount = int(leg.amount_minor) if leg.direction == "debit" else -int(leg.amount_minor)
            found.append(("fees", leg.currency, "", amount))
    return found


def _in_amounts(kind: str, legs) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for (currency, _), amount in _signed_asset(legs, incoming=True).items():
        out[currency] += amount
    return out


def _project_of(entry) -> int | None:
    if entry.kind == "reversal" and getattr(entry, "reverses", None) is not None:
        return entry.reverses.project_id or entry.project_id
    return entry.project_id


def _source_of(entry):
    src = entry.reverses if entry.kind == "reversal" and getattr(entry, "reverses", None) else entry
    return src.source_type, src.source_id


def backer_of(entry) -> tuple[str, str | None] | None:
    source_type, source_id = _source_of(entry)
    fn = _backer_resolvers.get(source_type or "")
    if fn is None or source_id is None:
        return None
    try:
        return fn(source_id)
    except (LookupError, ValueError):
        return None


def backers_of(entries) -> dict[int, tuple[str, str | None] | None]:
    """``backer_of`` for the money-in entries of a batch ({entry id: backer}), one statement per
    source type that has a batch resolver, the single resolver for the rest."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        if entry.kind in IN_KINDS and entry.source_type in _backer_resolvers_many and entry.source_id:
            wanted[entry.source_type].add(str(entry.source_id))
    found: dict[tuple[str, str], tuple[str, str | None]] = {}
    for source_type, ids in wanted.items():
        for source_id, backer in _backer_resolvers_many[source_type](ids).items():
            found[(source_type, str(source_id))] = backer
    out: dict[int, tuple[str, str | None] | None] = {}
    for entry in entries:
        if entry.kind not in IN_KINDS:
            continue
        key = (entry.source_type, str(entry.source_id))
        out[entry.id] = found[key] if key in found else backer_of(entry)
    return out


def project_place(project_id: int | None) -> tuple[str, str, str] | None:
    if project_id is None or not _project_resolver:
        return None
    return _project_resolver[0](project_id)


def month_of(entry) -> str:
    when = (entry.posted_at or datetime.now(UTC)).astimezone(UTC)
    return f"{when.year:04d}-{when.month:02d}"


def contributions(
    entry, *, backer=None, place=None, into: defaultdict | None = None
) -> dict[tuple[str, str, str, str], list[int]]:
    """Counter deltas of one entry: {(dimension, key, metric, currency): [amount, entries]}. With
    ``into`` (such a dict, ``defaultdict(lambda: [0, 0])``), they are added to it, and it is returned:
    a sealed batch sums its entries' deltas in one dict."""
    deltas: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0]) if into is None else into

    def add(dim, key, metric, currency, amount):
        d = deltas[(dim, key, metric, currency)]
        d[0] += amount
        d[1] += 1

    project_id = _project_of(entry)
    month = month_of(entry)
    country = backer[1] if backer else None
    for metric, currency, channel, amount in classify(entry):
        add("fund", "", metric, currency, amount)
        add("month", month, metric, currency, amount)
        if channel:
            add("channel", channel, metric, currency, amount)
        if project_id is not None:
            add("project", str(project_id), metric, currency, amount)
            if channel:
                add("project_channel", f"{project_id}:{channel}", metric, currency, amount)
            if place:
                region, district, category = place
                add("region", region, metric, currency, amount)
                add("district", f"{region}/{district}", metric, currency, amount)
                add("category", category, metric, currency, amount)
        if metric == "received":
            add("country", country or "", metric, currency, amount)
    for (pid, metric, currency), amount in project_account_moves(entry).items():
        if amount:
            add(PROJECT_ACCOUNT, str(pid), metric, currency, amount)
            if metric == "held":
                add("fund", "", "held", currency, amount)
    add("fund", "", "entries", "", 0)
    add("kind", entry.kind, "entries", "", 0)
    return deltas


# The project's side of the books: what its own accounts (in the goal currency) were credited and
# debited, by meaning. Money arriving in another currency is credited to the project at the rate
# recorded when it arrived (the FX receipt), so these are the figures in the project's currency;
# the cash side above says what was paid, in the currency it was paid in.
PROJECT_ACCOUNT = "project_account"
PROJECT_ACCOUNT_METRICS = ("received", "collected", "refunded", "disbursed", "held")


def _project_side(kind: str, legs) -> dict[tuple[int, str, str], int]:
    out: dict[tuple[int, str, str], int] = defaultdict(int)
    for leg in legs:
        acc = _account(leg)
        if acc.project_id is None:
            continue
        net = int(leg.amount_minor) if leg.direction == "credit" else -int(leg.amount_minor)
        key = (acc.project_id, leg.currency)
        if kind in IN_KINDS:
            out[(key[0], "received", key[1])] += net
            if kind == "pledge_collection":
                out[(key[0], "collected", key[1])] += net
        elif kind == "refund":
            out[(key[0], "refunded", key[1])] -= net
        elif kind == "disbursement":
            out[(key[0], "disbursed", key[1])] -= net
    return out


def project_account_moves(entry) -> dict[tuple[int, str, str], int]:
    """{(project id, metric, currency): amount} an entry adds to its projects' own accounts:
    ``received`` (gross credits by backings, ``collected`` the pledges' part), ``refunded``
    (money given back: a reversal of a backing, or a refund out of the project's account),
    ``disbursed`` and ``held`` (every movement: the account's balance once all are added).
    A reversal of anything else takes back what the original added."""
    legs = list(entry.legs)
    out: dict[tuple[int, str, str], int] = defaultdict(int)
    for leg in legs:
        acc = _account(leg)
        if acc.project_id is not None:
            net = int(leg.amount_minor) if leg.direction == "credit" else -int(leg.amount_minor)
            out[(acc.project_id, "held", leg.currency)] += net
    if entry.kind == "reversal":
        original = getattr(entry, "reverses", None)
        if original is None:
            return out
        if original.kind in IN_KINDS:
            for (pid, metric, cur), amount in _project_side(original.kind, list(original.legs)).items():
                if metric == "received":
                    out[(pid, "refunded", cur)] += amount
        else:
            for k, amount in _project_side(original.kind, list(original.legs)).items():
                out[k] -= amount
        return out
    for k, amount in _project_side(entry.kind, legs).items():
        out[k] += amount
    return out


def project_backer_key(project_id: int, backer_key: str) -> str:
    """The key under which a backer of one project is remembered (a project counts each once)."""
    return f"p{project_id}:{backer_key}"[:64]


def _insert(table):
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


# PostgreSQL: one constant statement over arrays, so the driver prepares it once and the sealer
# neither compiles nor sends a statement that grows with the batch
_PG_BUMP = (
    "INSERT INTO transparency_counters AS t "
    "(dimension, key, metric, currency, amount_minor, entries, updated_at) "
    "SELECT u.d, u.k, u.m, u.c, u.a, u.n, %s "
    "FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[], %s::bigint[]) "
    "WITH ORDINALITY AS u(d, k, m, c, a, n, i) ORDER BY u.i "
    "ON CONFLICT (dimension, key, metric, currency) DO UPDATE SET "
    "amount_minor = t.amount_minor + excluded.amount_minor, "
    "entries = t.entries + excluded.entries, updated_at = excluded.updated_at"
)
_PG_BACKERS = (
    "INSERT INTO transparency_backers (backer_key, country, first_sequence, created_at) "
    "SELECT u.k, u.c, u.s, %s FROM unnest(%s::text[], %s::text[], %s::bigint[]) "
    "WITH ORDINALITY AS u(k, c, s, i) ORDER BY u.i "
    "ON CONFLICT (backer_key) DO NOTHING RETURNING backer_key, country"
)


def _driver():
    """The transaction's driver connection on PostgreSQL, else None."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return None
    return connection.connection.dbapi_connection


def bump(deltas: dict[tuple[str, str, str, str], list[int]]) -> None:
    """Add ``deltas`` to the counters in one upsert, rows in key order (so two writers lock the
    rows they share in the same order)."""
    if not deltas:
        return
    now = datetime.now(UTC)
    items = [
        ((dim, key[:120], metric, currency), (amount, n))
        for (dim, key, metric, currency), (amount, n) in deltas.items()
    ]
    items.sort()
    driver = _driver()
    if driver is not None:
        columns = list(zip(*((*k, a, n) for k, (a, n) in items), strict=True))
        driver.execute(_PG_BUMP, (now, *(pg_array(c) for c in columns)))
        return
    table = Counter.__table__
    rows = [
        {
            "dimension": dim,
            "key": key,
            "metric": metric,
            "currency": currency,
            "amount_minor": amount,
            "entries": n,
            "updated_at": now,
        }
        for (dim, key, metric, currency), (amount, n) in items
    ]
    stmt = _insert(table).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["dimension", "key", "metric", "currency"],
        set_={
            "amount_minor": table.c.amount_minor + stmt.excluded.amount_minor,
            "entries": table.c.entries + stmt.excluded.entries,
            "updated_at": stmt.excluded.updated_at,
        },
    )
    db.session.execute(stmt)


def _remember_backers(found: dict[str, tuple[str | None, int | None]]) -> list[tuple[str, str | None]]:
    """Record the backers of ``found`` (key -> (country, first sequence)) not yet known; return
    (key, country) of those that are new. A fund-wide backer's key names its kind (``user:``,
    ``guest:``); a project's backer's starts with ``p<project id>:``."""
    if not found:
        return []
    now = datetime.now(UTC)
    items = sorted(found.items())
    driver = _driver()
    if driver is not None:
        rows = driver.execute(
            _PG_BACKERS,
            (
                now,
                pg_array(k for k, _ in items),
                pg_array(c for _, (c, _) in items),
                pg_array(q for _, (_, q) in items),
            ),
        ).fetchall()
        return [(row[0], row[1]) for row in rows]
    table = Backer.__table__
    stmt = (
        _insert(table)
        .values(
            [
                {"backer_key": key, "country": country, "first_sequence": seq, "created_at": now}
                for key, (country, seq) in items
            ]
        )
        .on_conflict_do_nothing(index_elements=["backer_key"])
        .returning(table.c.backer_key, table.c.country)
    )
    return [(row[0], row[1]) for row in db.session.execute(stmt)]


def on_entries_sealed(entries) -> None:
    """Seal listener: add a sealed batch to the counters in the sealing transaction."""
    total: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    places: dict[int | None, tuple[str, str, str] | None] = {}
    if _project_resolver_many:  # the batch's projects in one statement
        wanted = {_project_of(e) for e in entries}
        found = _project_resolver_many[0](wanted)
        places = {pid: found.get(pid) for pid in wanted}
    backers: dict[str, tuple[str | None, int | None]] = {}
    backer_by_entry = backers_of(entries)  # one statement per source type, not two per entry
    for entry in entries:
        backer = backer_by_entry.get(entry.id)
        project_id = _project_of(entry)
        if project_id not in places:
            places[project_id] = project_place(project_id)
        contributions(entry, backer=backer, place=places[project_id], into=total)
        if backer is not None and backer[0] not in backers:
            backers[backer[0]] = (backer[1], entry.sequence)
        if backer is not None and project_id is not None:
            pkey = project_backer_key(project_id, backer[0])
            if pkey not in backers:
                backers[pkey] = (None, entry.sequence)
    for key, country in _remember_backers(backers):
        if key.startswith("p"):
            total[("project", key[1:].split(":", 1)[0], "backers", "")][1] += 1
            continue
        total[("fund", "", "backers", "")][1] += 1
        total[("country", country or "", "backers", "")][1] += 1
    bump(total)


@dataclass(frozen=True)
class Coverage:
    """What the public figures stand for: the first ``tree_size`` entries of the journal, and the
    newest signed checkpoint at or below that size (None before the first one)."""

    tree_size: int
    checkpoint_size: int | None
    checkpoint_root: bytes | None
    checkpoint_signed_at: datetime | None


def read_memo(name: str) -> dict | None:
    """A dict that lives as long as the current GET (or HEAD) request, for figures a page reads
    more than once (its header, its panels); None outside a request or in a request that may
    write, which always reads afresh."""
    if not has_request_context() or request.method not in ("GET", "HEAD"):
        return None
    memo = g.setdefault("transparency_memo", {})
    return memo.setdefault(name, {})


def coverage() -> Coverage:
    """The tree size the counters cover (they count every sealed entry once, in the transaction
    that sealed it) and the newest checkpoint within it (read once per page)."""
    memo = read_memo("coverage")
    if memo is not None:
        if "coverage" not in memo:
            memo["coverage"] = _coverage()
        return memo["coverage"]
    return _coverage()


def _coverage() -> Coverage:

    size = db.session.scalar(
        select(Counter.entries).where(
            Counter.dimension == "fund",
            Counter.key == "",
            Counter.metric == "entries",
            Counter.currency == "",
        )
    )
    size = int(size or 0)
    cp = db.session.execute(
        select(Checkpoint.tree_size, Checkpoint.root_hash, Checkpoint.signed_at)
        .where(Checkpoint.tree_size <= size)
        .order_by(Checkpoint.tree_size.desc(), Checkpoint.id.desc())
        .limit(1)
    ).first()
    return Coverage(size, *(tuple(cp) if cp else (None, None, None)))


def recompute(entries: Iterable) -> dict[tuple[str, str, str, str], list[int]]:
    """All counters as the journal says they should be (a scan: for checks and rebuilds only)."""
    total: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    seen: set[str] = set()
    for entry in entries:
        backer = backer_of(entry) if entry.kind in IN_KINDS else None
        for k, (a, n) in contributions(entry, backer=backer, place=project_place(_project_of(entry))).items():
            total[k][0] += a
            total[k][1] += n
        if backer is not None and entry.kind in IN_KINDS and backer[0] not in seen:
            seen.add(backer[0])
            total[("fund", "", "backers", "")][1] += 1
            total[("country", backer[1] or "", "backers", "")][1] += 1
        project_id = _project_of(entry)
        if backer is not None and project_id is not None:
            pkey = project_backer_key(project_id, backer[0])
            if pkey not in seen:
                seen.add(pkey)
                total[("project", str(project_id), "backers", "")][1] += 1
    return total


def backer_rows(entries: Iterable) -> dict[str, tuple[str | None, int]]:
    """Every backer key the journal's backings name, fund-wide and per project, with the country
    and the first sequence (what ``transparency_backers`` holds after a rebuild)."""
    rows: dict[str, tuple[str | None, int]] = {}
    for entry in entries:
        if entry.kind not in IN_KINDS:
            continue
        backer = backer_of(entry)
        if backer is None:
            continue
        rows.setdefault(backer[0], (backer[1], entry.sequence))
        project_id = _project_of(entry)
        if project_id is not None:
            rows.setdefault(project_backer_key(project_id, backer[0]), (None, entry.sequence))
    return rows


def stored() -> dict[tuple[str, str, str, str], list[int]]:
    out = {}
    for c in db.session.scalars(select(Counter)):
        out[(c.dimension, c.key, c.metric, c.currency)] = [int(c.amount_minor), int(c.entries)]
    return out


def differences(expected, actual) -> list[str]:
    """Human-readable differences between two counter sets (zero rows are ignored)."""
    problems = []
    for k in sorted(set(expected) | set(actual)):
        e = expected.get(k, [0, 0])
        a = actual.get(k, [0, 0])
        if list(e) != list(a):
            problems.append(
                f"{'/'.join(k)}: journal says {e[0]} ({e[1]} entries), counter has {a[0]} ({a[1]})"
            )
    return problems
