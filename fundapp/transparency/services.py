"""Reading the public figures: fund totals, breakdowns, months, a project's money, the journal.

Every figure comes from a maintained counter (``transparency_counters``) or a maintained balance
(``ledger_balances``); the only queries that touch the journal are the keyset pages of the public
ledger and the streamed downloads, whose cost per page does not grow with the journal's size.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import and_, exists, func, select

from fundapp.core.money import CURRENCY_EXPONENTS, Money
from fundapp.core.params import whole_number
from fundapp.extensions import db
from fundapp.ledger.models import Account, AccountBalance, Checkpoint, EntryKind, JournalEntry, Leg
from fundapp.proposals.models import PUBLIC_STATES, Project, ProjectState

from .models import Counter

MONEY_METRICS = ("received", "disbursed", "refunded", "repaid", "repayments", "interest", "fees")
LEDGER_PAGE_SIZE = 50


# -- a tiny per-process cache for the public pages -------------------------------------------------
def cached(key: tuple, compute):
    """``compute()`` at most once per ``TRANSPARENCY_CACHE_SECONDS`` per process and app (0 = never).

    Everything cached is public and the same for every reader (in one language): the figures may
    lag the books by a few seconds, and the pages cost little more than the layout around them."""
    ttl = current_app.config.get("TRANSPARENCY_CACHE_SECONDS", 0 if current_app.testing else 5)
    if not ttl:
        return compute()
    _cache = current_app.extensions.setdefault("transparency_cache", {})
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = compute()
    if len(_cache) > 256:
        _cache.clear()
    _cache[key] = (now + ttl, value)
    return value


CSRF_MARK = "\x00csrf\x00"


def anonymous_page(key: tuple, render) -> str:
    """``render()`` a public page, or serve it from ``cached`` for visitors who are not signed in.

    Such a visitor with no message waiting sees the same page as every other one: the layout has
    no per-visitor token for them (the language switch is a GET form). Should a page ever carry a
    CSRF token for them all the same, it is cached with a mark in the token's place and each
    response gets the visitor's own token, generated only then (creating a session only then).
    Signed-in visitors (menus, own actions) always get a fresh render."""
    from flask import g, request, session
    from flask_babel import get_locale
    from flask_login import current_user

    if current_user.is_authenticated or session.get("_flashes"):
        return render()

    def render_without_token() -> str:
        html = render()
        # flask_wtf's generate_csrf keeps the token in g when the page used one
        token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
        return html.replace(token, CSRF_MARK) if token else html

    html = cached(("anonymous", str(get_locale()), request.full_path, *key), render_without_token)
    if CSRF_MARK in html:
        from flask_wtf.csrf import generate_csrf

        html = html.replace(CSRF_MARK, generate_csrf())
    return html


# -- fund totals ----------------------------------------------------------------------------------
@dataclass
class CurrencyTotals:
    currency: str
    received: int = 0
    pledged: int = 0
    held: int = 0
    disbursed: int = 0
    refunded: int = 0
    repaid: int = 0
    repayments: int = 0
    interest: int = 0
    fees: int = 0
    channels: dict[str, int] = field(default_factory=dict)

    def money(self, name: str) -> Money:
        return Money(int(getattr(self, name)), self.currency)

    def as_dict(self) -> dict:
        return {
            "currency": self.currency,
            **{
                k: int(getattr(self, k))
                for k in (
                    "received",
                    "pledged",
                    "held",
                    "disbursed",
                    "refunded",
                    "repaid",
                    "repayments",
                    "interest",
                    "fees",
                )
            },
            "received_by_channel": dict(sorted(self.channels.items())),
        }


def _currency_order(currency: str) -> tuple:
    return (currency != "TJS", currency)


def held_by_currency(project_id: int | None = None) -> dict[str, int]:
    """Money held for projects (the balances of the restricted project accounts)."""
    q = (
        select(Account.currency, func.coalesce(func.sum(AccountBalance.balance_minor), 0))
        .join(AccountBalance, AccountBalance.account_id == Account.id)
        .group_by(Account.currency)
    )
    q = q.where(Account.project_id.is_not(None) if project_id is None else Account.project_id == project_id)
    return {cur: int(total) for cur, total in db.session.execute(q)}


def pledged_by_currency(project_id: int | None = None) -> dict[str, int]:
    """Open pledges (promised, not yet collected), from the funding domain's maintained totals."""
    from . import sources

    return sources.pledged(project_id)


# Dimensions whose rows stay few whatever the size of the journal (bounded by places, categories,
# countries, channels and months): the dashboard reads them all in one query.
SMALL_DIMENSIONS = ("fund", "month", "region", "district", "category", "country", "channel", "kind")


# Dimensions that group backers by something about them (where they live): a group of fewer than
# TRANSPARENCY_MIN_GROUP_BACKERS backers would tie an anonymous backer's country to their amount,
# so such groups are shown together as OTHER_GROUP. Region, district, category, channel and month
# describe projects and payments, which the journal publishes entry by entry anyway.
BACKER_GROUPS = ("country",)
OTHER_GROUP = "other"


def min_group_backers() -> int:
    return int(current_app.config.get("TRANSPARENCY_MIN_GROUP_BACKERS", 5))


def fold_small_groups(items: list[tuple[str, int]], backers: dict[str, int]) -> list[tuple[str, int]]:
    """``items`` (key, amount) with every key counted fewer than the minimum backers added up
    under OTHER_GROUP."""
    least = min_group_backers()
    kept: list[tuple[str, int]] = []
    other = 0
    for key, amount in items:
        if backers.get(key, 0) < least or key == OTHER_GROUP:
            other += amount
        else:
            kept.append((key, amount))
    if other:
        kept.append((OTHER_GROUP, other))
    return kept


class Snapshot:
    """All small counters, read in one query, and the figures computed from them."""

    def __init__(self):
        self.rows: dict[tuple[str, str], dict[tuple[str, str], tuple[int, int]]] = defaultdict(dict)
        for dim, key, metric, currency, amount, entries in db.session.execute(
            select(
                Counter.dimension,
                Counter.key,
                Counter.metric,
                Counter.currency,
                Counter.amount_minor,
                Counter.entries,
            ).where(Counter.dimension.in_(SMALL_DIMENSIONS))
        ):
            self.rows[(dim, metric)][(key, currency)] = (int(amount), int(entries))

    def count(self, dimension: str, key: str, metric: str) -> int:
        return self.rows[(dimension, metric)].get((key, ""), (0, 0))[1]

    def amount(self, dimension: str, key: str, metric: str, currency: str) -> int:
        return self.rows[(dimension, metric)].get((key, currency), (0, 0))[0]

    def breakdown(self, dimension: str, metric: str, currency: str, limit: int = 12) -> list[tuple[str, int]]:
        items = [
            (k, a) for (k, cur), (a, _n) in self.rows[(dimension, metric)].items() if cur == currency and a
        ]
        if dimension in BACKER_GROUPS:
            backers = {k: n for (k, _cur), (_a, n) in self.rows[(dimension, "backers")].items()}
            items = fold_small_groups(items, backers)
        items.sort(key=lambda kv: (-kv[1], kv[0]))
        return items[:limit]

    def currencies(self) -> set[str]:
        return {cur for (dim, _m), rows in self.rows.items() if dim == "fund" for (_k, cur) in rows if cur}

    def fund_totals(self) -> list[CurrencyTotals]:
        by_cur: dict[str, CurrencyTotals] = {}
        for metric in MONEY_METRICS:
            for (key, currency), (amount, _n) in self.rows[("fund", metric)].items():
                if key == "" and currency:
                    setattr(by_cur.setdefault(currency, CurrencyTotals(currency)), metric, amount)
        for (key, currency), (amount, _n) in self.rows[("fund", "held")].items():
            if key == "" and currency:  # the sealed movements of project accounts, as received is
                by_cur.setdefault(currency, CurrencyTotals(currency)).held = amount
        for currency, amount in pledged_by_currency().items():
            by_cur.setdefault(currency, CurrencyTotals(currency)).pledged = amount
        for (channel, currency), (amount, _n) in self.rows[("channel", "received")].items():
            by_cur.setdefault(currency, CurrencyTotals(currency)).channels[channel] = amount
        return [by_cur[c] for c in sorted(by_cur, key=_currency_order)]

    def months(self, currency: str, last: int = 24) -> tuple[list[str], dict[str, list[int]]]:
        """Money in and out per month (the last ``last`` months that have any), oldest first."""
        data: dict[str, dict[str, int]] = defaultdict(dict)
        for (dim, metric), rows in self.rows.items():
            if dim == "month":
                for (month, cur), (amount, _n) in rows.items():
                    if cur == currency:
                        data[month][metric] = amount
        periods = _fill_months(sorted(data)[-last:])

        def total(p, *metrics):
            return sum(data.get(p, {}).get(m, 0) for m in metrics)

        return periods, {
            "in": [total(p, "received", "repayments") for p in periods],
            "out": [total(p, "disbursed", "refunded", "repaid") for p in periods],
        }


def fund_totals() -> list[CurrencyTotals]:
    return Snapshot().fund_totals()


def count(dimension: str, key: str, metric: str) -> int:
    value = db.session.scalar(
        select(Counter.entries).where(
            Counter.dimension == dimension,
            Counter.key == key,
            Counter.metric == metric,
            Counter.currency == "",
        )
    )
    return int(value or 0)


def backers_count() -> int:
    return count("fund", "", "backers")


def entries_count() -> int:
    return count("fund", "", "entries")


def breakdown(dimension: str, metric: str, currency: str, limit: int = 12) -> list[tuple[str, int]]:
    """The largest keys of a dimension for one metric and currency (the rank index finds them)."""
    rows = db.session.execute(
        select(Counter.key, Counter.amount_minor)
        .where(Counter.dimension == dimension, Counter.metric == metric, Counter.currency == currency)
        .order_by(Counter.amount_minor.desc(), Counter.key)
        .limit(None if dimension in BACKER_GROUPS else limit)
    )
    items = [(k, int(a)) for k, a in rows if a]
    if dimension in BACKER_GROUPS:
        backers = dict(
            db.session.execute(
                select(Counter.key, Counter.entries).where(
                    Counter.dimension == dimension, Counter.metric == "backers"
                )
            ).all()
        )
        items = sorted(fold_small_groups(items, backers), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return items


def months(currency: str, last: int = 24) -> tuple[list[str], dict[str, list[int]]]:
    return Snapshot().months(currency, last)


def _fill_months(periods: list[str]) -> list[str]:
    """Months between the first and the last, with the gaps filled (a quiet month is a zero)."""
    if not periods:
        return []
    y, m = map(int, periods[0].split("-"))
    end = periods[-1]
    out = []
    while True:
        key = f"{y:04d}-{m:02d}"
        out.append(key)
        if key >= end or len(out) > 240:
            return out
        m += 1
        if m > 12:
            y, m = y + 1, 1


def currencies_in_use(snapshot: Snapshot | None = None) -> list[str]:
    found = (snapshot or Snapshot()).currencies()
    return sorted(found, key=_currency_order)


def projects_per_state() -> list[tuple[str, int]]:

    rows = dict(
        db.session.execute(
            select(Project.state, func.count(Project.id))
            .where(Project.state != ProjectState.DRAFT.value)
            .group_by(Project.state)
        ).all()
    )
    return [(s.value, int(rows.get(s.value, 0))) for s in ProjectState if s != ProjectState.DRAFT]


def public_projects_by_id(ids) -> dict[int, object]:

    ids = [int(i) for i in ids]
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Project).where(
            Project.id.in_(ids),
            Project.state.in_([s.value for s in PUBLIC_STATES]),
            Project.published_at.is_not(None),
        )
    )
    return {p.id: p for p in rows}


def top_projects(currency: str, limit: int = 10) -> list[tuple[object, int]]:
    rows = breakdown("project", "received", currency, limit=limit * 2)
    projects = public_projects_by_id(k for k, _ in rows)
    out = [(projects[int(k)], a) for k, a in rows if int(k) in projects]
    return out[:limit]


# -- one project ----------------------------------------------------------------------------------
def project_figures(project) -> dict:
    """A project's money as ``CurrencyTotals`` in its own currency, from the one account of its
    money (``money.project_money``): received, refunded, held and disbursed as its account was
    credited and debited (other currencies converted at the rate recorded when they arrived),
    pledged from the pledges' states; ``paid`` is what arrived per currency and channel."""
    from .money import project_money

    pm = project_money(project)
    t = CurrencyTotals(pm.currency)
    t.received, t.refunded, t.disbursed, t.held = (
        pm.received.amount,
        pm.refunded.amount,
        pm.disbursed.amount,
        pm.held.amount,
    )
    t.pledged = pm.pledged.amount
    t.repayments = pm.repayments_by_currency.get(pm.currency, 0)
    t.repaid = pm.repaid_by_currency.get(pm.currency, 0)
    t.interest = pm.cash.get("interest", {}).get(pm.currency, 0)
    t.fees = pm.cash.get("fees", {}).get(pm.currency, 0)
    cash: dict[str, CurrencyTotals] = {}
    for metric, amounts in pm.cash.items():
        for currency, amount in amounts.items():
            setattr(cash.setdefault(currency, CurrencyTotals(currency)), metric, amount)
    for (channel, currency), amount in pm.paid_by_channel.items():
        if amount:
            cash.setdefault(currency, CurrencyTotals(currency)).channels[channel] = amount
    cash_list = [cash[c] for c in sorted(cash, key=_currency_order)]
    return {
        "currencies": [t],
        "paid": [c for c in cash_list if c.received],
        "cash": cash_list,
        "money": pm,
    }


# -- the public journal ---------------------------------------------------------------------------
class BadFilter(ValueError):
    """Filter values that cannot be read, every one of them: ``errors`` is [(field, message)] in the
    form's order (shown back to the person with what they typed, never a 500). ``field`` and
    ``message`` are the first."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__(errors[0][1])
        self.errors = errors
        self.field, self.message = errors[0]


@dataclass
class LedgerFilters:
    project: int | None = None
    kind: str | None = None
    currency: str | None = None
    account: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    before: int | None = None  # keyset cursor: show entries with a smaller sequence
    after: int | None = None  # going back towards the newest

    def as_args(self, **override) -> dict:
        args = {
            "project": self.project,
            "kind": self.kind,
            "currency": self.currency,
            "account": self.account,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
        }
        args.update(override)
        return {k: v for k, v in args.items() if v not in (None, "")}


class _Bad(Exception):
    def __init__(self, message):
        self.message = message


def _int_arg(args, name: str, *, minimum: int = 1) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    value = whole_number(raw) if len(raw) <= 18 else None
    if value is None or value < minimum:
        raise _Bad(_l("Please give a whole number, for example 12."))
    return value


def _date_arg(args, name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10]) if len(raw) <= 10 else None
    except ValueError:
        pass
    raise _Bad(_l("Please give a date as YYYY-MM-DD."))


def _kind_arg(args, name: str) -> str | None:
    kind = (args.get(name) or "").strip()
    if kind and kind not in {k.value for k in EntryKind}:
        raise _Bad(_l("Unknown kind of entry."))
    return kind or None


def _currency_arg(args, name: str) -> str | None:
    currency = (args.get(name) or "").strip().upper()
    if currency and currency not in CURRENCY_EXPONENTS:
        raise _Bad(_l("Unknown currency."))
    return currency or None


def _account_arg(args, name: str) -> str | None:
    account = (args.get(name) or "").strip()
    if account and (len(account) > 80 or not all(c.isalnum() or c in "_-:." for c in account)):
        raise _Bad(_l("Unknown account."))
    return account or None


# (query argument, attribute of LedgerFilters, reader), in the order of the form
_FILTER_ARGS = (
    ("project", "project", _int_arg),
    ("kind", "kind", _kind_arg),
    ("currency", "currency", _currency_arg),
    ("account", "account", _account_arg),
    ("from", "date_from", _date_arg),
    ("to", "date_to", _date_arg),
    ("before", "before", _int_arg),
    ("after", "after", lambda args, name: _int_arg(args, name, minimum=0)),
)


def parse_filters(args) -> LedgerFilters:
    """The ledger's filters from the query string; every value that cannot be read is reported at
    once (``BadFilter.errors``), not only the first."""
    f = LedgerFilters()
    errors: list[tuple[str, str]] = []
    for name, attr, read in _FILTER_ARGS:
        try:
            setattr(f, attr, read(args, name))
        except _Bad as bad:
            errors.append((name, bad.message))
    if f.date_from and f.date_to and f.date_from > f.date_to:
        errors.append(("to", _l("The end date is before the start date.")))
    if errors:
        raise BadFilter(errors)
    return f


def _day_start(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


# Entries are numbered in commit order and ``posted_at`` is taken inside the posting transaction,
# so the two orders differ only among postings whose transactions overlap. A date bound found
# through the ``posted_at`` index is widened by this many entries; the exact ``posted_at``
# condition is applied on top.
DATE_SLACK = 1000


def _sequence_bounds(f: LedgerFilters) -> tuple[int | None, int | None]:
    """Turn a date range into a sequence range with two index look-ups on ``posted_at``, so that a
    date filter never walks the entries outside it."""
    lo = hi = None
    if f.date_from:
        lo = db.session.scalar(
            select(JournalEntry.sequence)
            .where(JournalEntry.posted_at >= _day_start(f.date_from), JournalEntry.sequence.is_not(None))
            .order_by(JournalEntry.posted_at)
            .limit(1)
        )
        if lo is None:
            return (1, 0)  # nothing posted on or after that day
        lo = max(1, lo - DATE_SLACK)
    if f.date_to:
        hi = db.session.scalar(
            select(JournalEntry.sequence)
            .where(
                JournalEntry.posted_at < _day_start(f.date_to) + timedelta(days=1),
                JournalEntry.sequence.is_not(None),
            )
            .order_by(JournalEntry.posted_at.desc())
            .limit(1)
        )
        if hi is None:
            return (1, 0)
        hi += DATE_SLACK
    return lo, hi


def _filtered(f: LedgerFilters):
    q = select(JournalEntry).where(JournalEntry.sequence.is_not(None))
    if f.project is not None:
        q = q.where(JournalEntry.project_id == f.project)
    if f.kind:
        q = q.where(JournalEntry.kind == f.kind)
    leg_conds = []
    if f.currency:
        leg_conds.append(Leg.currency == f.currency)
    if f.account:
        # the ids as literals (not a sub-query), so the planner sees how common the account is
        ids = list(db.session.scalars(select(Account.id).where(Account.code == f.account)))
        if f.currency:
            ids = list(
                db.session.scalars(
                    select(Account.id).where(Account.code == f.account, Account.currency == f.currency)
                )
            )
        leg_conds.append(Leg.account_id.in_(ids or [-1]))
    if leg_conds:
        q = q.where(exists(select(Leg.id).where(Leg.entry_id == JournalEntry.id, and_(*leg_conds))))
    lo, hi = _sequence_bounds(f)
    if lo is not None:
        q = q.where(JournalEntry.sequence >= lo, JournalEntry.posted_at >= _day_start(f.date_from))
    if hi is not None:
        q = q.where(
            JournalEntry.sequence <= hi, JournalEntry.posted_at < _day_start(f.date_to) + timedelta(days=1)
        )
    return q


@dataclass
class LedgerPage:
    entries: list
    newer: int | None  # cursor for the newer page (``after``), None on the first page
    older: int | None  # cursor for the older page (``before``), None on the last page


def ledger_page(f: LedgerFilters, size: int = LEDGER_PAGE_SIZE) -> LedgerPage:
    """One page of the journal, newest first, by keyset on ``sequence`` (cost independent of depth)."""
    q = _filtered(f)
    if f.after is not None and f.before is None:
        rows = list(
            db.session.scalars(
                q.where(JournalEntry.sequence > f.after).order_by(JournalEntry.sequence.asc()).limit(size + 1)
            )
        )
        has_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        older = rows[-1].sequence if rows else None
        if older is not None:
            more_older = db.session.scalar(
                q.where(JournalEntry.sequence < older).with_only_columns(JournalEntry.sequence).limit(1)
            )
            older = older if more_older is not None else None
        return LedgerPage(rows, rows[0].sequence if (rows and has_newer) else None, older)
    if f.before is not None:
        q = q.where(JournalEntry.sequence < f.before)
    rows = list(db.session.scalars(q.order_by(JournalEntry.sequence.desc()).limit(size + 1)))
    has_older = len(rows) > size
    rows = rows[:size]
    newer = rows[0].sequence if (rows and f.before is not None) else None
    return LedgerPage(rows, newer, rows[-1].sequence if (rows and has_older) else None)


def iter_entries(batch: int = 1000, *, newest_first: bool = False, upto: int | None = None):
    """Every sealed entry (with legs; with ``upto``, those numbered 1 … upto), in keyset batches:
    memory and time per batch are bounded."""
    last = None
    while True:
        q = select(JournalEntry).where(JournalEntry.sequence.is_not(None))
        if upto is not None:
            q = q.where(JournalEntry.sequence <= upto)
        if last is not None:
            q = q.where(JournalEntry.sequence < last if newest_first else JournalEntry.sequence > last)
        order = JournalEntry.sequence.desc() if newest_first else JournalEntry.sequence.asc()
        rows = list(db.session.scalars(q.order_by(order).limit(batch)))
        if not rows:
            return
        yield from rows
        last = rows[-1].sequence
        release(rows)
        if len(rows) < batch:
            return


def release(entries) -> None:
    """Let go of a batch of entries and their legs so a long download holds one batch at a time."""
    for entry in entries:
        for leg in entry.__dict__.get("legs", ()):
            if leg in db.session:
                db.session.expunge(leg)
        if entry in db.session:
            db.session.expunge(entry)


_SOURCE_ROOT = Path(__file__).resolve().parents[2]
# what /transparency/verify offers for download: name -> (file, media type)
VERIFIER_FILES = {
    "verify_ledger.py": (_SOURCE_ROOT / "tools" / "verify_ledger.py", "text/x-python; charset=utf-8"),
    "witness.py": (_SOURCE_ROOT / "tools" / "witness.py", "text/x-python; charset=utf-8"),
    "LEDGER_FORMAT.md": (_SOURCE_ROOT / "docs" / "LEDGER_FORMAT.md", "text/markdown; charset=utf-8"),
    "ledger-test-vectors.json": (_SOURCE_ROOT / "docs" / "ledger-test-vectors.json", "application/json"),
}


def ledger_format_html() -> Markup | None:
    """docs/LEDGER_FORMAT.md as HTML (raw HTML in it is not passed through)."""
    from markdown_it import MarkdownIt

    path = VERIFIER_FILES["LEDGER_FORMAT.md"][0]
    if not path.is_file():
        return None
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    return Markup(md.render(path.read_text(encoding="utf-8")))  # noqa: S704 - html disabled above


def latest_checkpoint():

    return db.session.scalars(select(Checkpoint).order_by(Checkpoint.tree_size.desc()).limit(1)).first()


def public_label(entry) -> str | None:
    """The name a backer chose to show, or None (shown as "anonymous backer")."""
    return entry.backer_label or None
