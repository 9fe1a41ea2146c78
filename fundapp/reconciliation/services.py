"""The verbs of reconciliation: import an outside record, match it against the ledger, review
mismatches, propose and approve adjusting entries.

Rules: the ledger is only read here, except through ``approve_adjustment``, which posts an
``adjustment`` entry via ``fundapp.ledger.services.post_entry`` once a second person (not the
proposer) approves it. Every verb flushes, never commits, and is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fundapp.audit.services import record
from fundapp.core.db import lock_one, utcnow
from fundapp.core.errors import DomainError, InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.money import Money
from fundapp.disbursements.models import DisbursementRequest
from fundapp.extensions import db
from fundapp.funding import references
from fundapp.ledger import services as ledger
from fundapp.ledger.models import Account, JournalEntry, Leg

from .matching import (
    DEFAULT_WINDOW_DAYS,
    LedgerItem,
    MatchKind,
    StatementError,
    StatementLine,
    match,
    parse_statement_csv,
    stripe_lines,
)
from .models import (
    AdjustmentState,
    ItemStatus,
    ReconciliationAdjustment,
    ReconciliationItem,
    ReconciliationRun,
    RunSource,
)

RECONCILED_ACCOUNTS = ("bank", "stripe_clearing", "mto_clearing")
COUNTER_ACCOUNTS = ("suspense", "fees_expense", "general_fund", "fx_gain", "fx_loss", "interest_income")
REVIEWERS = ("auditor", "treasurer", "administrator")
ADJUSTERS = ("treasurer", "administrator")

STATEMENT_MESSAGES = {
    "empty": _l("The file is empty."),
    "binary": _l("This is not a CSV text file."),
    "header": _l("The first line must name the columns."),
    "no_lines": _l("The statement has no movements."),
    "too_long": _l("The statement is too long; split it by month."),
    "encoding": _l("The file's text encoding is not recognised; save it as UTF-8."),
}
LINE_MESSAGES = {
    "date": _l("the date is not a date (use 2026-03-31 or 31.03.2026)"),
    "currency": _l("the currency is not a known ISO code (such as TJS or USD)"),
    "amount": _l("the amount is not a number with at most two decimals"),
    "amount_zero": _l("the amount is zero"),
    "too_long": _l("the reference or counterparty is too long"),
}

# Other domains may add references (e.g. an offline receipt's bank reference) to ledger entries.
ReferenceSource = Callable[[list[JournalEntry]], dict[int, list[str]]]
_reference_sources: list[ReferenceSource] = []


def register_reference_source(fn: ReferenceSource) -> ReferenceSource:
    """``fn(entries) -> {entry_id: [reference, …]}``: references by which the outside world knows
    these entries (bank references, payment ids)."""
    if fn not in _reference_sources:
        _reference_sources.append(fn)
    return fn


class StatementRejected(ValidationFailed):
    """A statement that cannot be imported; ``errors`` lists (line number, message) per bad line."""

    def __init__(self, message, *, errors: list[tuple[int, str]] | None = None):
        super().__init__(message, field="statement")
        self.errors = errors or []


def _require(actor, roles, message) -> None:
    if actor is None or not actor.has_any_role(*roles):
        raise NotPermitted(message)


# -- the ledger side ------------------------------------------------------------------------------


def _disbursement_references(entries: list[JournalEntry]) -> dict[int, list[str]]:
    ids = [e.id for e in entries]
    if not ids:
        return {}
    rows = db.session.execute(
        select(DisbursementRequest.journal_entry_id, DisbursementRequest.bank_reference).where(
            DisbursementRequest.journal_entry_id.in_(ids)
        )
    )
    return {entry_id: [ref] for entry_id, ref in rows if ref}


register_reference_source(_disbursement_references)


register_reference_source(references.payment_intent_references)
register_reference_source(references.transfer_references)


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time(), UTC)


def ledger_items(account_code: str, currency: str, start: date, end: date) -> list[LedgerItem]:
    """The legs on ``account_code`` in ``currency`` whose entries occurred from ``start`` to ``end``
    (inclusive), signed the account's natural way (money in is positive on an asset)."""
    rows = db.session.execute(
        select(Leg, JournalEntry, Account)
        .join(JournalEntry, Leg.entry_id == JournalEntry.id)
        .join(Account, Leg.account_id == Account.id)
        .where(
            Account.code == account_code,
            Account.currency == currency,
            JournalEntry.occurred_at >= _day_start(start),
            JournalEntry.occurred_at < _day_start(end + timedelta(days=1)),
        )
        .order_by(JournalEntry.occurred_at, Leg.id)
    ).all()
    entries = list({e.id: e for _, e, _ in rows}.values())
    extra: dict[int, list[str]] = {}
    for source in _reference_sources:
        for entry_id, refs in (source(entries) or {}).items():
            extra.setdefault(entry_id, []).extend(refs)
    items = []
    for leg, entry, account in rows:
        sign = 1 if (leg.direction == "debit") == account.account_type.debit_normal else -1
        refs = [entry.idempotency_key, entry.source_id or "", entry.memo, *extra.get(entry.id, [])]
        items.append(
            LedgerItem(
                key=leg.id,
                on=entry.occurred_at.astimezone(UTC).date(),
                amount=Money(sign * int(leg.amount_minor), leg.currency),
                references=tuple(r for r in refs if r),
            )
        )
    return items


# -- runs -------------------------------------------------------------------------------------------


def _store_run(
    *,
    source: RunSource,
    account_code: str,
    currency: str,
    lines: list[StatementLine],
    start: date,
    end: date,
    window_days: int,
    actor,
    filename: str | None,
) -> ReconciliationRun:
    items = ledger_items(
        account_code, currency, start - timedelta(days=window_days), end + timedelta(days=window_days)
    )
    result = match(lines, items, window_days=window_days)
    run = ReconciliationRun(
        source=source.value,
        account_code=account_code,
        currency=currency,
        period_start=start,
        period_end=end,
        window_days=window_days,
        filename=filename,
        created_by_id=actor.id,
    )
    db.session.add(run)
    matched = mismatched = 0
    for m in result.matches:
        # ledger legs just outside the period were only candidates for late or early lines
        if m.kind == MatchKind.MISSING_ON_STATEMENT and not (start <= m.item.on <= end):
            continue
        ok = m.kind == MatchKind.MATCHED
        matched += ok
        mismatched += not ok
        run.items.append(
            ReconciliationItem(
                kind=m.kind.value,
                how=m.how,
                currency=currency,
                line_key=None if m.line is None else str(m.line.key)[:80],
                line_on=None if m.line is None else m.line.on,
                line_amount_minor=None if m.line is None else m.line.amount.amount,
                line_reference=None if m.line is None else m.line.reference[:300],
                line_counterparty=None if m.line is None else m.line.counterparty[:300],
                leg_id=None if m.item is None else int(m.item.key),
                leg_on=None if m.item is None else m.item.on,
                leg_amount_minor=None if m.item is None else m.item.amount.amount,
                status=(ItemStatus.OK if ok else ItemStatus.OPEN).value,
            )
        )
    run.matched_count = matched
    run.mismatch_count = mismatched
    db.session.flush()
    record(
        "reconciliation.imported",
        run,
        actor=actor,
        changes={
            "source": source.value,
            "account": f"{account_code} {currency}",
            "period": [start.isoformat(), end.isoformat()],
            "lines": len(lines),
            "matched": matched,
            "mismatches": mismatched,
        },
    )
    return run


def import_bank_statement(
    data: bytes,
    *,
    actor,
    filename: str | None = None,
    account_code: str = "bank",
    currency: str = "TJS",
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> ReconciliationRun:
    """Read a bank statement CSV and reconcile it against the ledger's ``account_code`` legs in
    ``currency``. A statement with any bad line is refused whole, with every line's error."""
    _require(actor, REVIEWERS, _l("Only auditors, treasurers and administrators run reconciliations."))
    if account_code not in RECONCILED_ACCOUNTS:
        raise ValidationFailed(_l("Choose an account to reconcile."), field="account_code")
    if currency not in current_app.config["SUPPORTED_CURRENCIES"]:
        raise ValidationFailed(_l("This currency is not supported."), field="currency")
    if not 0 <= int(window_days) <= 31:
        raise ValidationFailed(_l("The date window is 0 to 31 days."), field="window_days")
    try:
        lines, errors = parse_statement_csv(data, default_currency=currency)
    except StatementError as exc:
        reason = str(exc)
        if reason.startswith("columns:"):
            message = _l(
                "The statement lacks the columns: %(columns)s. The first line must name date, amount, "
                "currency, reference and counterparty.",
                columns=reason.split(":", 1)[1],
            )
        else:
            message = STATEMENT_MESSAGES.get(reason, _l("The statement cannot be read."))
        raise StatementRejected(message) from None
    if errors:
        raise StatementRejected(
            _l("%(n)s lines of the statement are wrong; nothing was imported.", n=len(errors)),
            errors=[(e.line_no, str(LINE_MESSAGES.get(e.message, e.message))) for e in errors],
        )
    other = sorted({ln.amount.currency for ln in lines if ln.amount.currency != currency})
    if other:
        raise StatementRejected(
            _l(
                "The statement has lines in %(other)s; reconcile one currency at a time.",
                other=", ".join(other),
            )
        )
    start = min(ln.on for ln in lines)
    end = max(ln.on for ln in lines)
    return _store_run(
        source=RunSource.BANK_STATEMENT,
        account_code=account_code,
        currency=currency,
        lines=lines,
        start=start,
        end=end,
        window_days=int(window_days),
        actor=actor,
        filename=(filename or "")[:255] or None,
    )


def stripe_client():
    import stripe

    cfg = current_app.config
    if not cfg.get("STRIPE_SECRET_KEY"):
        raise InvalidTransition(_l("Stripe is not configured on this installation."))
    kwargs = {}
    if cfg.get("STRIPE_API_BASE"):
        kwargs["base_addresses"] = {"api": cfg["STRIPE_API_BASE"]}
    return stripe.StripeClient(cfg["STRIPE_SECRET_KEY"], **kwargs)


def fetch_balance_transactions(start: date, end: date, *, limit: int = 10000) -> list[dict]:
    """Stripe's balance transactions created from ``start`` to ``end`` (inclusive)."""
    import stripe

    client = stripe_client()
    gte = int(_day_start(start).timestamp())
    lt = int(_day_start(end + timedelta(days=1)).timestamp())
    out: list[dict] = []
    try:
        page = client.v1.balance_transactions.list(
            params={"created": {"gte": gte, "lt": lt}, "limit": 100, "expand": ["data.source"]}
        )
        for txn in page.auto_paging_iter():
            data = txn.to_dict() if hasattr(txn, "to_dict") else dict(txn)
            if gte <= int(data.get("created", 0)) < lt:
                out.append(data)
            if len(out) >= limit:
                break
    except stripe.StripeError as exc:
        raise StripeUnavailable(_l("Stripe could not be reached: %(error)s", error=str(exc)[:200])) from None
    return out


class StripeUnavailable(DomainError):
    status_code = 502


def import_stripe_balance(
    *, actor, start: date, end: date, currency: str, window_days: int = DEFAULT_WINDOW_DAYS
) -> ReconciliationRun:
    """Reconcile Stripe's balance transactions (gross and fee lines) against ``stripe_clearing``."""
    _require(actor, REVIEWERS, _l("Only auditors, treasurers and administrators run reconciliations."))
    if end < start or (end - start).days > 92:
        raise ValidationFailed(_l("Choose a period of at most three months."), field="end")
    lines = [
        ln for ln in stripe_lines(fetch_balance_transactions(start, end)) if ln.amount.currency == currency
    ]
    return _store_run(
        source=RunSource.STRIPE,
        account_code="stripe_clearing",
        currency=currency,
        lines=lines,
        start=start,
        end=end,
        window_days=int(window_days),
        actor=actor,
        filename=None,
    )


# -- reviewing mismatches ---------------------------------------------------------------------------


def _lock_item(item_id: int) -> ReconciliationItem:
    return lock_one(ReconciliationItem, item_id, InvalidTransition(_l("This item does not exist.")))


def resolve_item(item: ReconciliationItem, *, actor, note: str) -> ReconciliationItem:
    """Record who reviewed a mismatch and how it is explained (a timing difference, a known cause)
    when no adjusting entry is needed."""
    _require(actor, REVIEWERS, _l("Only auditors, treasurers and administrators review reconciliations."))
    item = _lock_item(item.id)
    if item.status != ItemStatus.OPEN:
        raise InvalidTransition(_l("Only an open mismatch can be resolved this way."))
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(_l("Say how the difference is explained."), field="note")
    if len(note) > 2000:
        raise ValidationFailed(_l("At most %(n)s characters.", n=2000), field="note")
    item.status = ItemStatus.RESOLVED.value
    item.reviewed_by_id = actor.id
    item.reviewed_at = utcnow()
    item.resolution_note = note
    db.session.flush()
    record(
        "reconciliation.item_resolved",
        item,
        actor=actor,
        reason=note,
        changes={"status": ["open", "resolved"]},
    )
    return item


def propose_adjustment(
    item: ReconciliationItem, *, actor, counter_account_code: str, memo: str
) -> ReconciliationAdjustment:
    """Propose the entry that brings the ledger in line with the outside record: the amount is the
    difference (statement minus ledger) on the reconciled account, against ``counter_account_code``."""
    _require(actor, ADJUSTERS, _l("Only treasurers and administrators propose adjusting entries."))
    item = _lock_item(item.id)
    if item.status != ItemStatus.OPEN:
        raise InvalidTransition(_l("Only an open mismatch can get an adjusting entry."))
    if counter_account_code not in COUNTER_ACCOUNTS:
        raise ValidationFailed(
            _l("Choose the account that takes the other side."), field="counter_account_code"
        )
    memo = (memo or "").strip()
    if not memo or len(memo) > 400:
        raise ValidationFailed(_l("Say what the adjustment is for (at most 400 characters)."), field="memo")
    diff = item.difference
    if diff.amount == 0:
        raise InvalidTransition(_l("There is no difference to adjust."))
    adj = ReconciliationAdjustment(
        item=item,
        account_code=item.run.account_code,
        counter_account_code=counter_account_code,
        amount_minor=diff.amount,
        currency=diff.currency,
        memo=memo,
        proposed_by_id=actor.id,
    )
    db.session.add(adj)
    item.status = ItemStatus.ADJUSTMENT_PROPOSED.value
    db.session.flush()
    record(
        "reconciliation.adjustment_proposed",
        adj,
        actor=actor,
        reason=memo,
        changes={"item": item.id, "amount": str(diff), "counter_account": counter_account_code},
    )
    return adj


def _lock_adjustment(adj_id: int) -> ReconciliationAdjustment:
    return lock_one(
        ReconciliationAdjustment, adj_id, InvalidTransition(_l("This adjustment does not exist."))
    )


def _check_second_person(adj: ReconciliationAdjustment, actor) -> None:
    _require(actor, ADJUSTERS, _l("Only treasurers and administrators decide on adjusting entries."))
    if adj.state != AdjustmentState.PROPOSED:
        raise InvalidTransition(_l("This adjustment has already been decided."))
    if actor.id == adj.proposed_by_id:
        raise NotPermitted(
            _l("An adjusting entry is approved by someone other than the person who proposed it.")
        )


def approve_adjustment(adj: ReconciliationAdjustment, *, actor) -> ReconciliationAdjustment:
    """A second person approves; the adjusting entry is posted to the ledger."""
    adj = _lock_adjustment(adj.id)
    _check_second_person(adj, actor)
    amount = Money(abs(int(adj.amount_minor)), adj.currency)
    account = ledger.get_account(adj.account_code, adj.currency)
    counter = ledger.get_account(adj.counter_account_code, adj.currency)
    grows = adj.amount_minor > 0  # the reconciled account (an asset) should hold more
    legs = (
        [ledger.Leg.debit(account, amount), ledger.Leg.credit(counter, amount)]
        if grows == account.account_type.debit_normal
        else [ledger.Leg.credit(account, amount), ledger.Leg.debit(counter, amount)]
    )
    entry = ledger.post_entry(
        ledger.EntryKind.ADJUSTMENT,
        legs,
        memo=f"Reconciliation adjustment #{adj.id}: {adj.memo}"[:500],
        idempotency_key=f"reconciliation-adjustment:{adj.id}",
        source_type="reconciliation_adjustment",
        source_id=adj.id,
        actor=actor,
    )
    adj.state = AdjustmentState.POSTED.value
    adj.decided_by_id = actor.id
    adj.decided_at = utcnow()
    adj.entry_id = entry.id
    item = adj.item
    item.status = ItemStatus.RESOLVED.value
    item.reviewed_by_id = actor.id
    item.reviewed_at = adj.decided_at
    item.resolution_note = f"Adjusting entry #{entry.id}: {adj.memo}"
    db.session.flush()
    record(
        "reconciliation.adjustment_posted",
        adj,
        actor=actor,
        changes={"entry": entry.id, "amount": str(adj_amount(adj)), "item": item.id},
    )
    return adj


def reject_adjustment(adj: ReconciliationAdjustment, *, actor, note: str) -> ReconciliationAdjustment:
    """A second person refuses the proposal; the mismatch is open again."""
    adj = _lock_adjustment(adj.id)
    _check_second_person(adj, actor)
    note = (note or "").strip()
    if not note or len(note) > 2000:
        raise ValidationFailed(_l("Say why the adjustment is refused."), field="note")
    adj.state = AdjustmentState.REJECTED.value
    adj.decided_by_id = actor.id
    adj.decided_at = utcnow()
    adj.decision_note = note
    adj.item.status = ItemStatus.OPEN.value
    db.session.flush()
    record("reconciliation.adjustment_rejected", adj, actor=actor, reason=note)
    return adj


def adj_amount(adj: ReconciliationAdjustment) -> Money:
    return Money(int(adj.amount_minor), adj.currency)


def runs(limit: int = 100) -> Iterable[ReconciliationRun]:
    return db.session.scalars(
        select(ReconciliationRun).order_by(ReconciliationRun.id.desc()).limit(limit)
    ).all()
