"""Pure functions of reconciliation: read a bank statement CSV, and match outside records (bank
statement lines, Stripe balance transactions) against the ledger's legs on the same account.

Nothing here touches the database; the services feed it plain values and store what it returns.

Matching, in order of confidence:

1. **Reference**: the statement line's reference equals one of the ledger item's references (or one
   contains the other, for references of at least ``MIN_REF_LEN`` characters), in the same currency
   and within the date window. Equal amounts → *matched*; two items that together make the line (a
   transfer booked gross and the bank's fee booked as its own entry) → both *matched*; different
   amounts → *difference*.
2. **Amount and date**: an unmatched line and an unmatched ledger item with the same signed amount
   and currency within the date window → *matched* (the nearest date wins; ties go to the earlier
   item, so the result is deterministic).
3. What is left is *missing in the ledger* (only on the statement) or *missing on the statement*
   (only in the ledger).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from itertools import combinations

from fundapp.core.money import CURRENCY_EXPONENTS, Money, MoneyError

MIN_REF_LEN = 6
NET_CANDIDATES = 8  # at most this many items of one reference are tried in pairs (bounded work)
DEFAULT_WINDOW_DAYS = 5
MAX_STATEMENT_LINES = 20000
MAX_FIELD = 300


class MatchKind(StrEnum):
    MATCHED = "matched"
    DIFFERENCE = "difference"  # same reference, different amount
    MISSING_IN_LEDGER = "missing_in_ledger"  # on the statement only
    MISSING_ON_STATEMENT = "missing_on_statement"  # in the ledger only


@dataclass(frozen=True)
class StatementLine:
    """One movement on the outside record, signed from the fund's side (money in is positive)."""

    key: int | str
    on: date
    amount: Money
    reference: str = ""
    counterparty: str = ""


@dataclass(frozen=True)
class LedgerItem:
    """One ledger leg on the reconciled account, signed the same way (a debit to an asset is +)."""

    key: int | str
    on: date
    amount: Money
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    kind: MatchKind
    line: StatementLine | None
    item: LedgerItem | None
    how: str = ""  # "reference" or "amount_date"

    @property
    def difference(self) -> Money | None:
        """Statement minus ledger, for a difference; None otherwise."""
        if self.line is None or self.item is None:
            return None
        return self.line.amount - self.item.amount


@dataclass
class MatchResult:
    matches: list[Match] = field(default_factory=list)

    def of(self, kind: MatchKind) -> list[Match]:
        return [m for m in self.matches if m.kind == kind]

    @property
    def balanced(self) -> bool:
        return all(m.kind == MatchKind.MATCHED for m in self.matches)


def normalise_reference(text: str | None) -> str:
    """Upper-case letters and digits only: banks add spaces, dashes and prefixes freely."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", str(text).replace("№", "")).upper()
    return re.sub(r"[^0-9A-ZА-ЯЁҒӢҚӮҲҶ]", "", text)


def _refs_agree(line_ref: str, item_refs: tuple[str, ...]) -> bool:
    if not line_ref:
        return False
    for ref in item_refs:
        if not ref:
            continue
        if ref == line_ref:
            return True
        if len(ref) >= MIN_REF_LEN and len(line_ref) >= MIN_REF_LEN and (ref in line_ref or line_ref in ref):
            return True
    return False


def match(
    lines: list[StatementLine], items: list[LedgerItem], *, window_days: int = DEFAULT_WINDOW_DAYS
) -> MatchResult:
    """Pair statement lines with ledger items (see the module docstring for the rules)."""
    result = MatchResult()
    free_lines = sorted(lines, key=lambda x: (x.on, str(x.key)))
    free_items = sorted(items, key=lambda x: (x.on, str(x.key)))
    item_refs = {id(i): tuple(normalise_reference(r) for r in i.references) for i in free_items}

    def in_window(line: StatementLine, item: LedgerItem) -> bool:
        return abs((line.on - item.on).days) <= window_days

    taken: set[int] = set()

    def take(line: StatementLine, candidates: list[LedgerItem], kind: MatchKind | None, how: str) -> bool:
        if not candidates:
            return False
        best = min(candidates, key=lambda i: abs((line.on - i.on).days))
        taken.add(id(best))
        final = kind or (MatchKind.MATCHED if best.amount == line.amount else MatchKind.DIFFERENCE)
        result.matches.append(Match(final, line, best, how))
        return True

    def by_reference(line: StatementLine, same_amount: bool) -> list[LedgerItem]:
        ref = normalise_reference(line.reference)
        return [
            i
            for i in free_items
            if id(i) not in taken
            and i.amount.currency == line.amount.currency
            and (i.amount == line.amount) == same_amount
            and in_window(line, i)
            and _refs_agree(ref, item_refs[id(i)])
        ]

    def net_of_fee(line: StatementLine) -> bool:
        """A transfer booked gross with the bank's fee as its own entry: two ledger items under the
        line's reference whose sum is the line (5,000 received less a 1.00 fee = 4,999 on the
        statement) are both matched to it."""
        candidates = by_reference(line, False)[:NET_CANDIDATES]
        for a, b in combinations(candidates, 2):
            if a.amount + b.amount == line.amount:
                taken.update((id(a), id(b)))
                result.matches.append(Match(MatchKind.MATCHED, line, a, "reference_net"))
                result.matches.append(Match(MatchKind.MATCHED, line, b, "reference_net"))
                return True
        return False

    # 1a. same reference and amount; 1b. a gross amount and its fee under the same reference;
    # 1c. same reference, another amount (a difference)
    left = [ln for ln in free_lines if not take(ln, by_reference(ln, True), MatchKind.MATCHED, "reference")]
    left = [ln for ln in left if not net_of_fee(ln)]
    left = [ln for ln in left if not take(ln, by_reference(ln, False), MatchKind.DIFFERENCE, "reference")]
    # 2. same amount within the window
    still_lines = [
        ln
        for ln in left
        if not take(
            ln,
            [i for i in free_items if id(i) not in taken and i.amount == ln.amount and in_window(ln, i)],
            MatchKind.MATCHED,
            "amount_date",
        )
    ]

    # 3. the rest, on either side
    for line in still_lines:
        result.matches.append(Match(MatchKind.MISSING_IN_LEDGER, line, None))
    for item in free_items:
        if id(item) not in taken:
            result.matches.append(Match(MatchKind.MISSING_ON_STATEMENT, None, item))
    return result


# -- bank statement CSV -------------------------------------------------------------------------

HEADER_ALIASES = {
    "date": {"date", "value date", "booking date", "дата", "сана", "санa"},
    "amount": {"amount", "sum", "сумма", "маблағ"},
    "currency": {"currency", "ccy", "валюта", "асъор"},
    "reference": {"reference", "ref", "payment reference", "референс", "назначение", "номер", "рақам"},
    "counterparty": {"counterparty", "payer", "payee", "name", "контрагент", "плательщик", "тараф"},
}
REQUIRED = ("date", "amount", "currency")
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d")


@dataclass(frozen=True)
class LineError:
    line_no: int  # 1-based line of the file (the header is line 1)
    message: str
    field: str | None = None


class StatementError(ValueError):
    """The statement as a whole cannot be read (wrong encoding, no header, too long)."""


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise StatementError("encoding")  # cp1251 decodes any byte; kept for clarity


def _parse_date(text: str) -> date | None:
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    return None


def _header_map(header: list[str]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for idx, name in enumerate(header):
        key = " ".join(name.strip().lower().split())
        for canonical, aliases in HEADER_ALIASES.items():
            if key in aliases and canonical not in mapping:
                mapping[canonical] = idx
    return mapping


def parse_statement_csv(
    data: bytes, *, default_currency: str | None = None
) -> tuple[list[StatementLine], list[LineError]]:
    """Read a bank statement: a header row naming at least date, amount and currency (English,
    Russian or Tajik names), then one row per movement. The delimiter (comma, semicolon or tab) is
    detected. Amounts are signed decimals ("-1 234,50" is allowed); dates are ISO or day.month.year.

    Returns the lines and one error per bad line; the caller refuses the whole statement if any
    line is wrong, so a statement is never half-imported. Raises ``StatementError`` when the file
    as a whole is unreadable."""
    if not data or not data.strip():
        raise StatementError("empty")
    text = _decode(data)
    if "\x00" in text:
        raise StatementError("binary")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise StatementError("header") from exc
    columns = _header_map(header)
    missing = [c for c in REQUIRED if c not in columns and not (c == "currency" and default_currency)]
    if missing:
        raise StatementError("columns:" + ",".join(missing))

    lines: list[StatementLine] = []
    errors: list[LineError] = []
    line_no = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line_no += 1
            errors.append(LineError(line_no, f"unreadable row ({exc})"))
            continue
        line_no = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(lines) + len(errors) >= MAX_STATEMENT_LINES:
            raise StatementError("too_long")

        def cell(name: str, row=row) -> str:
            idx = columns.get(name)
            return row[idx].strip() if idx is not None and idx < len(row) else ""

        on = _parse_date(cell("date"))
        if on is None:
            errors.append(LineError(line_no, "date", "date"))
            continue
        currency = (cell("currency") or default_currency or "").upper()
        if currency not in CURRENCY_EXPONENTS:
            errors.append(LineError(line_no, "currency", "currency"))
            continue
        try:
            amount = Money.parse(cell("amount"), currency)
        except MoneyError:
            errors.append(LineError(line_no, "amount", "amount"))
            continue
        if amount.amount == 0:
            errors.append(LineError(line_no, "amount_zero", "amount"))
            continue
        reference, counterparty = cell("reference"), cell("counterparty")
        if len(reference) > MAX_FIELD or len(counterparty) > MAX_FIELD:
            errors.append(LineError(line_no, "too_long", "reference"))
            continue
        lines.append(StatementLine(line_no, on, amount, reference, counterparty))
    if not lines and not errors:
        raise StatementError("no_lines")
    return lines, errors


def stripe_lines(transactions: list[dict]) -> list[StatementLine]:
    """Turn Stripe balance transactions into statement lines of the Stripe clearing account: the
    gross amount under the source's reference, and the fee as its own negative line."""
    out: list[StatementLine] = []
    for txn in transactions:
        currency = str(txn.get("currency", "")).upper()
        if currency not in CURRENCY_EXPONENTS:
            continue
        on = datetime.fromtimestamp(int(txn["created"]), tz=UTC).date()
        source = txn.get("source") or txn["id"]
        if isinstance(source, dict):  # an expanded charge: the fund knows it by its PaymentIntent
            source = source.get("payment_intent") or source.get("id") or txn["id"]
            if isinstance(source, dict):
                source = source.get("id") or txn["id"]
        amount = int(txn.get("amount", 0))
        fee = int(txn.get("fee", 0))
        desc = str(txn.get("description") or txn.get("type") or "")[:MAX_FIELD]
        if amount:
            out.append(StatementLine(txn["id"], on, Money(amount, currency), str(source), desc))
        if fee:
            out.append(
                StatementLine(f"{txn['id']}:fee", on, Money(-fee, currency), f"{source}", "stripe fee")
            )
    return out
