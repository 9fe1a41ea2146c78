"""The auditor's desk: read-only views of the books for auditors and administrators — the trial
balance at any date, account statements, pending transfers, all disbursements with evidence — and
CSV exports that accounting tools read (one row per leg, fees as their own legs, ISO dates,
decimal amounts with a dot, references)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, select

from fundapp.audit.services import record
from fundapp.core.csvfile import csv_chunks, csv_response
from fundapp.core.money import Money
from fundapp.core.security import roles_required
from fundapp.disbursements.models import DisbursementRequest
from fundapp.extensions import db
from fundapp.ledger.models import Account, JournalEntry, Leg, PendingTransfer

bp = Blueprint("auditor", __name__, url_prefix="/auditor")

READERS = ("auditor", "administrator")


def _day_end(d: date) -> datetime:
    return datetime.combine(d + timedelta(days=1), time(), UTC)


def _parse_date(name: str, default: date | None) -> tuple[date | None, str | None]:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default, None
    try:
        return date.fromisoformat(raw[:10]), None
    except ValueError:
        return default, _("“%(value)s” is not a date; use the form 2026-03-31.", value=raw[:40])


def _decimal(minor: int, currency: str) -> str:
    """An amount as a plain decimal with a dot ("1234.50"), as accounting imports expect."""
    return str(Money(int(minor), currency).to_decimal())


@dataclass
class TrialRow:
    account: Account
    debits: int
    credits: int

    @property
    def balance(self) -> int:
        natural = self.debits - self.credits
        return natural if self.account.account_type.debit_normal else -natural


def trial_balance(at: date) -> tuple[list[TrialRow], dict[str, tuple[int, int]]]:
    """Debits and credits of every account up to the end of ``at`` (UTC), and totals per currency
    (which must be equal: the books balance)."""
    debit = func.coalesce(func.sum(case((Leg.direction == "debit", Leg.amount_minor), else_=0)), 0)
    credit = func.coalesce(func.sum(case((Leg.direction == "credit", Leg.amount_minor), else_=0)), 0)
    rows = db.session.execute(
        select(Account, debit, credit)
        .join(Leg, Leg.account_id == Account.id)
        .join(JournalEntry, and_(JournalEntry.id == Leg.entry_id, JournalEntry.occurred_at < _day_end(at)))
        .group_by(Account.id)
        .order_by(Account.currency, Account.type, Account.code)
    ).all()
    out = [TrialRow(a, int(d), int(c)) for a, d, c in rows]
    totals: dict[str, tuple[int, int]] = {}
    for r in out:
        d, c = totals.get(r.account.currency, (0, 0))
        totals[r.account.currency] = (d + r.debits, c + r.credits)
    return out, totals


def statement(account: Account, start: date, end: date):
    """Opening balance, the legs from ``start`` to ``end`` with a running balance, closing balance."""
    sign = 1 if account.account_type.debit_normal else -1
    signed = case((Leg.direction == "debit", Leg.amount_minor), else_=-Leg.amount_minor)
    opening = db.session.scalar(
        select(func.coalesce(func.sum(signed), 0))
        .join(JournalEntry, JournalEntry.id == Leg.entry_id)
        .where(Leg.account_id == account.id, JournalEntry.occurred_at < datetime.combine(start, time(), UTC))
    )
    opening = sign * int(opening or 0)
    rows = db.session.execute(
        select(Leg, JournalEntry)
        .join(JournalEntry, JournalEntry.id == Leg.entry_id)
        .where(
            Leg.account_id == account.id,
            JournalEntry.occurred_at >= datetime.combine(start, time(), UTC),
            JournalEntry.occurred_at < _day_end(end),
        )
        .order_by(JournalEntry.occurred_at, Leg.id)
    ).all()
    running = opening
    lines = []
    for leg, entry in rows:
        running += sign * (leg.amount_minor if leg.direction == "debit" else -leg.amount_minor)
        lines.append((leg, entry, running))
    return opening, lines, running


def _csv_response(name: str, header: list[str], rows) -> Response:
    return csv_response(csv_chunks(header, list(rows)), name, no_store=True)


def _exported(what: str, **params) -> None:
    record("auditor.exported", object_type=what, changes={k: str(v) for k, v in params.items()})
    db.session.commit()


@bp.get("/")
@roles_required(*READERS)
def index():
    today = datetime.now(UTC).date()
    return render_template(
        "reconciliation/auditor/index.html", start=today.replace(day=1), end=today, errors={}
    )


@bp.get("/trial-balance")
@roles_required(*READERS)
def trial_balance_view():
    at, error = _parse_date("at", datetime.now(UTC).date())
    rows, totals = trial_balance(at)
    if request.args.get("format") == "csv":
        _exported("trial_balance", at=at)
        return _csv_response(
            f"trial-balance-{at.isoformat()}.csv",
            ["date", "account_code", "account_name", "type", "currency", "debits", "credits", "balance"],
            [
                [
                    at.isoformat(),
                    r.account.code,
                    r.account.name,
                    r.account.type,
                    r.account.currency,
                    _decimal(r.debits, r.account.currency),
                    _decimal(r.credits, r.account.currency),
                    _decimal(r.balance, r.account.currency),
                ]
                for r in rows
            ],
        )
    return render_template(
        "reconciliation/auditor/trial_balance.html", rows=rows, totals=totals, at=at, error=error
    )


@bp.get("/accounts/<int:account_id>")
@roles_required(*READERS)
def account_statement(account_id: int):
    account = db.session.get(Account, account_id)
    if account is None:
        abort(404)
    today = datetime.now(UTC).date()
    start, err1 = _parse_date("start", today.replace(day=1))
    end, err2 = _parse_date("end", today)
    if end < start:
        start, end = end, start
    opening, lines, closing = statement(account, start, end)
    if request.args.get("format") == "csv":
        _exported("account_statement", account=account.code, currency=account.currency, start=start, end=end)
        return _csv_response(
            f"statement-{account.code.replace(':', '-')}-{account.currency}-{start}-{end}.csv",
            [
                "date",
                "entry_id",
                "sequence",
                "kind",
                "memo",
                "reference",
                "debit",
                "credit",
                "currency",
                "balance",
            ],
            [
                [
                    entry.occurred_at.astimezone(UTC).date().isoformat(),
                    entry.id,
                    entry.sequence or "",
                    entry.kind,
                    entry.memo,
                    f"{entry.source_type}:{entry.source_id}" if entry.source_type else entry.idempotency_key,
                    _decimal(leg.amount_minor, leg.currency) if leg.direction == "debit" else "",
                    _decimal(leg.amount_minor, leg.currency) if leg.direction == "credit" else "",
                    leg.currency,
                    _decimal(running, leg.currency),
                ]
                for leg, entry, running in lines
            ],
        )
    return render_template(
        "reconciliation/auditor/statement.html",
        account=account,
        start=start,
        end=end,
        opening=Money(opening, account.currency),
        closing=Money(closing, account.currency),
        lines=lines,
        error=err1 or err2,
        accounts=db.session.scalars(select(Account).order_by(Account.code, Account.currency)).all(),
    )


@bp.get("/pending")
@roles_required(*READERS)
def pending():
    transfers = db.session.scalars(
        select(PendingTransfer).where(PendingTransfer.state == "pending").order_by(PendingTransfer.id)
    ).all()
    accounts = {a.id: a for a in db.session.scalars(select(Account))}
    return render_template("reconciliation/auditor/pending.html", transfers=transfers, accounts=accounts)


@bp.get("/disbursements")
@roles_required(*READERS)
def disbursements():
    reqs = db.session.scalars(select(DisbursementRequest).order_by(DisbursementRequest.id.desc())).all()
    if request.args.get("format") == "csv":
        _exported("disbursements")
        return _csv_response(
            "disbursements.csv",
            [
                "id", "project_id", "project", "milestone", "state", "amount", "currency", "payee",
                "requested_by", "requested_at", "approved_by", "approved_at", "council_decision",
                "executed_by", "executed_at", "bank_reference", "journal_entry_id", "evidence_files",
            ],
            [
                [
                    r.id, r.project_id, r.project.title, r.milestone.title, r.state,
                    _decimal(r.amount_minor, r.amount_currency), r.amount_currency, r.payee_name,
                    r.requested_by.email, r.created_at.isoformat(),
                    r.decided_by.email if r.decided_by else "",
                    r.decided_at.isoformat() if r.decided_at else "",
                    r.council_decision.number if r.council_decision else "",
                    r.executed_by.email if r.executed_by else "",
                    r.executed_at.isoformat() if r.executed_at else "",
                    r.bank_reference or "", r.journal_entry_id or "",
                    " ".join(f"/files/{e.file_id}" for e in r.evidence),
                ]
                for r in reqs
            ],
        )  # fmt: skip
    return render_template("reconciliation/auditor/disbursements.html", requests=reqs)


JOURNAL_HEADER = [
    "date",
    "posted_at",
    "entry_id",
    "sequence",
    "kind",
    "account_code",
    "account_name",
    "account_type",
    "currency",
    "debit",
    "credit",
    "memo",
    "reference",
    "project_id",
]


@bp.get("/journal.csv")
@roles_required(*READERS)
def journal_csv():
    """The journal, one row per leg (fees are their own legs), between two dates."""
    today = datetime.now(UTC).date()
    start, e1 = _parse_date("start", today.replace(day=1))
    end, e2 = _parse_date("end", today)
    errors = {k: v for k, v in (("start", e1), ("end", e2)) if v}
    if not errors and start > end:
        errors["end"] = _("“To” is before “From”: choose a “To” date on or after %(start)s.", start=start)
    if errors:
        page = render_template(
            "reconciliation/auditor/index.html",
            start=request.args.get("start", "")[:10],
            end=request.args.get("end", "")[:10],
            errors=errors,
        )
        return page, 400
    rows = db.session.execute(
        select(Leg, JournalEntry, Account)
        .join(JournalEntry, JournalEntry.id == Leg.entry_id)
        .join(Account, Account.id == Leg.account_id)
        .where(
            JournalEntry.occurred_at >= datetime.combine(start, time(), UTC),
            JournalEntry.occurred_at < _day_end(end),
        )
        .order_by(JournalEntry.occurred_at, JournalEntry.id, Leg.id)
    ).all()
    _exported("journal", start=start, end=end)
    return _csv_response(
        f"journal-{start}-{end}.csv",
        JOURNAL_HEADER,
        [
            [
                entry.occurred_at.astimezone(UTC).date().isoformat(),
                entry.posted_at.astimezone(UTC).isoformat(),
                entry.id,
                entry.sequence or "",
                entry.kind,
                account.code,
                account.name,
                account.type,
                leg.currency,
                _decimal(leg.amount_minor, leg.currency) if leg.direction == "debit" else "",
                _decimal(leg.amount_minor, leg.currency) if leg.direction == "credit" else "",
                entry.memo,
                f"{entry.source_type}:{entry.source_id}" if entry.source_type else entry.idempotency_key,
                entry.project_id or "",
            ]
            for leg, entry, account in rows
        ],
    )
