"""Payments: Stripe idempotency keys and webhook events, offline receipts under four eyes.

Webhooks: the event id is stored in ``stripe_events`` in the same transaction as the event's
effect, so a replay finds the row and changes nothing; the objects are re-read from Stripe before
acting (out-of-order deliveries then see the latest state), and every effect is itself idempotent
(ledger keys derived from our ids), so the webhook and the payer's return page never double-post.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fundapp.audit.services import record
from fundapp.core.db import lock_one, utcnow
from fundapp.core.errors import DuplicateRequest, InvalidTransition, NotFound, NotPermitted, ValidationFailed
from fundapp.core.forms import typed_amount, typed_rate
from fundapp.core.money import Money, exponent
from fundapp.core.phrases import canonical
from fundapp.core.text import clean_text
from fundapp.extensions import db
from fundapp.ledger import services as ledger

from . import gateway, purposes, signals
from .models import OfflineReceipt, ReceiptMethod, ReceiptState, StripeCall, StripeEvent

log = logging.getLogger("fundapp.payments")


def _define_accounts() -> None:
    if "fx_conversion" not in ledger.CHART:
        # the currency position of conversions: RUB in on one side, TJS out on the other
        ledger.define_account(
            "fx_conversion", ledger.AccountType.ASSET, "Currency conversion (trading account)"
        )


# -- Stripe write calls ---------------------------------------------------------------------------


def prepare_stripe_call(operation: str, obj, *, key: str | None) -> StripeCall:
    """Store the idempotency key of a Stripe write before making it. ``key=None`` derives a fresh
    key from this row's own id (for calls that may legitimately be made more than once, such as a
    new Checkout page after an abandoned one). The same key again returns the stored row."""
    object_type = obj.__tablename__.rstrip("s")
    if key is not None:
        existing = db.session.scalars(
            select(StripeCall).where(StripeCall.idempotency_key == key)
        ).one_or_none()
        if existing is not None:
            return existing
        call = StripeCall(idempotency_key=key, operation=operation, object_type=object_type, object_id=obj.id)
        db.session.add(call)
        db.session.flush()
        return call
    call = StripeCall(
        idempotency_key=f"pending-{operation}-{object_type}-{obj.id}-{utcnow().timestamp()}",
        operation=operation,
        object_type=object_type,
        object_id=obj.id,
    )
    db.session.add(call)
    db.session.flush()
    call.idempotency_key = f"{object_type}-{obj.id}-{operation}-{call.id}"
    db.session.flush()
    return call


def stored_key(operation: str, obj) -> str:
    object_type = obj.__tablename__.rstrip("s")
    call = db.session.scalars(
        select(StripeCall)
        .where(
            StripeCall.operation == operation,
            StripeCall.object_type == object_type,
            StripeCall.object_id == obj.id,
        )
        .order_by(StripeCall.id.desc())
    ).first()
    if call is None:
        call = prepare_stripe_call(operation, obj, key=f"{object_type}-{obj.id}-{operation}")
    return call.idempotency_key


def complete_stripe_call(key: str, stripe_id: str | None) -> None:
    call = db.session.scalars(select(StripeCall).where(StripeCall.idempotency_key == key)).one_or_none()
    if call is not None:
        call.stripe_id = stripe_id
        call.completed_at = utcnow()


# -- webhooks ------------------------------------------------------------------------------------------


def event_seen(event_id: str) -> bool:
    return (
        db.session.scalars(select(StripeEvent.id).where(StripeEvent.event_id == event_id)).first() is not None
    )


def handle_event(event) -> str:
    """Apply one verified Stripe event (flush; the caller commits). Raises ``DuplicateRequest``
    when the event was already applied. What the event means for a backing is announced through
    ``signals`` to the receivers of the domains above, inside this transaction."""
    event_id = gateway.get(event, "id")
    etype = gateway.get(event, "type") or ""
    obj = gateway.get(gateway.get(event, "data"), "object")
    object_id = gateway.get(obj, "id")
    if not event_id or not isinstance(event_id, str) or len(event_id) > 255:
        raise ValidationFailed("bad event id")
    if event_seen(event_id):
        raise DuplicateRequest()
    row = StripeEvent(event_id=event_id, type=etype[:100], object_id=(object_id or "")[:255] or None)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        raise DuplicateRequest() from None
    outcome = "ignored"
    try:
        outcome = _apply_event(etype, object_id, obj)
    except gateway.MissingAtStripe:
        outcome = "missing_at_stripe"  # not ours (or deleted): nothing to do, do not ask for retries
    row.outcome = outcome[:40]
    db.session.flush()
    return outcome


def _apply_event(etype: str, object_id: str, obj) -> str:
    outcome = "ignored"
    if etype in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        outcome = apply_checkout_session(gateway.retrieve_checkout(object_id))
    elif etype in ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled"):
        outcome = apply_payment_intent(gateway.retrieve_payment_intent(object_id))
    elif etype == "setup_intent.succeeded":
        outcome = "ignored"  # the Checkout Session carries what the card is for
    elif etype == "checkout.session.expired":  # no money moved: the signed event's metadata suffices
        kind, obj_id = _target(obj)
        if kind:
            results = signals.checkout_expired.send(kind, object_id=obj_id, session_id=object_id)
            outcome = signals.answer(results, "ignored")
    elif etype in ("charge.refunded", "refund.created"):
        # refunds start here: the reversal is posted when we ask for the refund; this is for the log
        kind, obj_id = _target(obj)
        results = signals.payment_refunded.send(kind, object_id=obj_id, stripe_id=object_id)
        outcome = signals.answer(results, "noted")
    return outcome


def _target(obj) -> tuple[str | None, int | None]:
    """The kind and id of what a Stripe object pays for, from its metadata (ours), or (None, None)."""
    meta = gateway.get(obj, "metadata") or {}
    kind, obj_id = gateway.get(meta, "kind"), gateway.get(meta, "id")
    if not kind or not isinstance(kind, str) or not str(obj_id or "").isdigit():
        return None, None
    return kind, int(obj_id)


def apply_payment_intent(pi) -> str:
    """A PaymentIntent re-read from Stripe: announce that it succeeded (or failed) to whatever it
    paid for. Returns what happened, for the event log."""
    kind, obj_id = _target(pi)
    if kind is None:
        return "ignored"
    status, pi_id = gateway.get(pi, "status"), gateway.get(pi, "id")
    if status != "succeeded":
        if status in ("requires_payment_method", "canceled"):
            results = signals.payment_failed.send(kind, object_id=obj_id, payment_intent=pi_id, status=status)
            return signals.answer(results, "ignored")
        return "not_succeeded"
    amount = Money(int(gateway.get(pi, "amount")), str(gateway.get(pi, "currency")).upper())
    results = signals.payment_succeeded.send(
        kind, object_id=obj_id, payment_intent=pi_id, amount=amount, fee=gateway.fee_of(pi)
    )
    return signals.answer(results, "ignored")


def apply_checkout_session(session) -> str:
    """A Checkout Session re-read from Stripe (from a webhook or the payer's return page)."""
    if gateway.get(session, "mode") == "setup":
        kind, obj_id = _target(session)
        if kind is None:
            return "ignored"
        si = gateway.get(session, "setup_intent")
        if isinstance(si, str):
            si = gateway.retrieve_setup_intent(si)
        if si is None or gateway.get(si, "status") != "succeeded":
            return "not_succeeded"
        results = signals.card_saved.send(
            kind,
            object_id=obj_id,
            payment_method=gateway.get(si, "payment_method"),
            session_id=gateway.get(session, "id"),
        )
        return signals.answer(results, "ignored")
    pi = gateway.get(session, "payment_intent")
    if pi is None:
        return "not_paid"
    if isinstance(pi, str):
        pi = gateway.retrieve_payment_intent(pi)
    return apply_payment_intent(pi)


# -- offline receipts ---------------------------------------------------------------------------------


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return re.sub(r"[\s\-_/.#]+", "", text)[:120]


def parse_rate(text) -> Fraction | None:
    """An exchange rate typed by a person (``0.1215`` = one unit received is 0.1215 of the project's)."""
    if text is None or not str(text).strip():
        return None
    return typed_rate(text, field="fx_rate", max_digits=FX_RATE_DIGITS, max_decimals=FX_RATE_DECIMALS)


# An exchange rate is read with at most this many digits (and decimals): enough for any real rate,
# and reading one costs the same whatever is typed.
FX_RATE_DIGITS = 12
FX_RATE_DECIMALS = 8


def convert(amount: Money, rate: Fraction, currency: str) -> Money:
    """``amount`` × ``rate`` in ``currency``, rounded half-up to its minor unit."""
    scaled = amount.amount * rate * Fraction(10) ** (exponent(currency) - exponent(amount.currency))
    return Money(int((scaled + Fraction(1, 2)) // 1), currency)


def bank_details(currency: str) -> dict | None:
    """Where to send money in ``currency`` (SAMPLE details in demo configuration)."""
    details = current_app.config.get("FUND_BANK_DETAILS") or DEMO_BANK_DETAILS
    return details.get(currency) or details.get("*")


# Clearly sample details, for the demo: real ones come from FUND_BANK_DETAILS in instance/config.py.
DEMO_BANK_DETAILS = {
    "TJS": {
        "sample": True,
        "beneficiary": "Public Fund Hamvatan (SAMPLE)",
        "bank": "Sample Bank of Tajikistan, Dushanbe",
        "account": "20202972000000000000 (SAMPLE)",
        "code": "BIK 350101000 (SAMPLE)",
        "operators": "Korti Milli, Alif, IBT (sample)",
    },
    "RUB": {
        "sample": True,
        "beneficiary": "Public Fund Hamvatan (SAMPLE)",
        "bank": "Sample Correspondent Bank, Moscow",
        "account": "40807810000000000000 (SAMPLE)",
        "code": "BIC 044525000 (SAMPLE)",
        "operators": "Zolotaya Korona, Unistream (sample)",
    },
    "*": {
        "sample": True,
        "beneficiary": "Public Fund Hamvatan (SAMPLE)",
        "bank": "Sample International Bank",
        "account": "IBAN XX00 0000 0000 0000 0000 00 (SAMPLE)",
        "code": "SWIFT SAMPXXXX (SAMPLE)",
        "operators": "Western Union, Zolotaya Korona (sample)",
    },
}


def record_offline_receipt(
    *,
    actor,
    method: str,
    operator: str,
    transfer_reference: str,
    sender_name: str,
    amount_text: str | None = None,
    currency: str,
    received_on: date,
    amount: Money | None = None,
    backing_reference: str | None = None,
    project=None,
    fx_rate_text: str | None = None,
    evidence=None,
    note: str | None = None,
) -> OfflineReceipt:
    """A treasurer records money that arrived by transfer. It does not count until a second staff
    member confirms it. The same (operator, transfer reference) is refused the second time. The
    amount comes read already (``amount``, from the form's ``MoneyField``) or as typed
    (``amount_text``). What it pays for (a backing by its reference code, or ``project``, an id or
    an object with one), what it credits and the fee the banks kept are decided by the domain
    registered in ``purposes`` (funding), which refuses what does not fit."""
    if actor is None or not actor.has_any_role("treasurer"):
        raise NotPermitted(_l("Only a treasurer can record a receipt."))
    if method not in {m.value for m in ReceiptMethod}:
        raise ValidationFailed(_l("Choose bank transfer or money-transfer operator."), field="method")
    operator = clean_text(operator, 120, "operator", required=True, refuse_control=True)
    transfer_reference = clean_text(
        transfer_reference, 120, "transfer_reference", required=True, refuse_control=True
    )
    sender_name = clean_text(sender_name, 200, "sender_name", required=True, refuse_control=True)
    note = clean_text(note, 2000, "note", refuse_control=True) or None
    currency = (currency or "").strip().upper()
    if currency not in current_app.config["SUPPORTED_CURRENCIES"]:
        raise ValidationFailed(_l("This currency is not supported."), field="currency")
    if amount is None:
        amount = typed_amount(amount_text, currency, field="amount")
    elif not isinstance(amount, Money) or amount.currency != currency:
        raise TypeError("amount must be Money in the currency received")
    if not isinstance(received_on, date):
        raise ValidationFailed(_l("Enter the date the money arrived."), field="received_on")
    if received_on > datetime.now(UTC).date():
        raise ValidationFailed(_l("The date cannot be in the future."), field="received_on")
    backing_reference = (backing_reference or "").strip().upper().replace(" ", "").replace("-", "") or None
    project_id = getattr(project, "id", project)
    terms = purposes.terms_of(
        purposes.ReceiptDraft(
            amount=amount,
            rate=parse_rate(fx_rate_text),
            backing_reference=backing_reference,
            project_id=project_id if isinstance(project_id, int) else None,
        )
    )
    rate, fee = terms.rate, terms.fee
    op_key, ref_key = _key(operator), _key(transfer_reference)
    dup = db.session.scalars(
        select(OfflineReceipt).where(
            OfflineReceipt.operator_key == op_key, OfflineReceipt.reference_key == ref_key
        )
    ).first()
    if dup is not None:
        raise DuplicateRequest(
            _l(
                "This transfer (%(operator)s, %(reference)s) was already recorded as receipt %(id)s.",
                operator=operator,
                reference=transfer_reference,
                id=dup.id,
            )
        )
    receipt = OfflineReceipt(
        state=ReceiptState.RECORDED.value,
        method=method,
        operator=operator,
        transfer_reference=transfer_reference,
        operator_key=op_key,
        reference_key=ref_key,
        sender_name=sender_name,
        amount_minor=amount.amount,
        currency=currency,
        received_on=received_on,
        backing_reference=backing_reference,
        project_id=terms.project_id,
        fx_rate=None if rate is None else str(Decimal(rate.numerator) / Decimal(rate.denominator)),
        credited_minor=terms.credited.amount,
        credited_currency=terms.credited.currency,
        fee_minor=fee.amount if fee is not None else None,
        evidence_file_id=getattr(evidence, "id", None),
        note=note,
        recorded_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(receipt)
            db.session.flush()
    except IntegrityError:
        raise DuplicateRequest(
            _l(
                "This transfer (%(operator)s, %(reference)s) was already recorded.",
                operator=operator,
                reference=transfer_reference,
            )
        ) from None
    record(
        "offline_receipt.recorded",
        receipt,
        actor=actor,
        changes={
            "amount": str(amount),
            "reference": transfer_reference,
            "operator": operator,
            **({"fee": str(fee)} if fee is not None else {}),
        },
    )
    signals.receipt_recorded.send(receipt, actor=actor)
    return receipt


# The journal memo of the fee a bank kept from a transfer (registered with its translation).
BANK_FEE_MEMO = "Bank fee on receipt {id}"


def _incoming_code(receipt: OfflineReceipt) -> str:
    return "bank" if receipt.method == ReceiptMethod.BANK else "mto_clearing"


def book_bank_fee(receipt: OfflineReceipt, *, actor):
    """The fee the banks kept from a confirmed receipt, as its own entry: debit the fund's fees,
    credit the account the money came into (which then holds what really arrived)."""
    fee = receipt.fee
    if fee is None:
        return None
    return ledger.post_entry(
        "fee",
        [
            ledger.Leg.debit(ledger.get_account("fees_expense", fee.currency), fee),
            ledger.Leg.credit(ledger.get_account(_incoming_code(receipt), fee.currency), fee),
        ],
        memo=canonical(BANK_FEE_MEMO, id=receipt.id),
        idempotency_key=f"receipt-fee:{receipt.id}",
        source_type="offline_receipt",
        source_id=receipt.id,
        project_id=receipt.project_id,
        actor=actor,
    )


def receipt_legs(receipt: OfflineReceipt) -> list:
    """The legs of a receipt: money in, and — when the currencies differ — the conversion through
    ``fx_conversion`` with the difference from the backing's amount booked to fx_gain/fx_loss."""
    _define_accounts()
    incoming_code = _incoming_code(receipt)
    received = receipt.gross  # with a bank fee, the sender paid more than arrived: the fee is its own entry
    credited = receipt.credited
    project_acc = ledger.project_account(receipt.project_id, credited.currency)
    if received.currency == credited.currency:
        return [
            ledger.Leg.debit(ledger.get_account(incoming_code, received.currency), received),
            ledger.Leg.credit(project_acc, credited),
        ]
    rate = Fraction(Decimal(receipt.fx_rate))
    converted = convert(received, rate, credited.currency)
    legs = [
        ledger.Leg.debit(ledger.get_account(incoming_code, received.currency), received),
        ledger.Leg.credit(ledger.get_account("fx_conversion", received.currency), received),
        ledger.Leg.debit(ledger.get_account("fx_conversion", credited.currency), converted),
        ledger.Leg.credit(project_acc, credited),
    ]
    diff = converted.amount - credited.amount
    if diff > 0:
        legs.append(
            ledger.Leg.credit(
                ledger.get_account("fx_gain", credited.currency), Money(diff, credited.currency)
            )
        )
    elif diff < 0:
        legs.append(
            ledger.Leg.debit(
                ledger.get_account("fx_loss", credited.currency), Money(-diff, credited.currency)
            )
        )
    return legs


def confirm_offline_receipt(receipt: OfflineReceipt, *, actor) -> OfflineReceipt:
    """A second staff member (treasurer or administrator, not the recorder) confirms: only now is the
    money posted to the ledger and counted: the receivers of ``signals.receipt_confirmed`` post what
    it pays for, in this transaction (one of them must: a receipt nobody takes is refused)."""
    if actor is None or not actor.has_any_role("treasurer", "administrator"):
        raise NotPermitted(_l("Only a treasurer or an administrator can confirm a receipt."))
    receipt = lock_one(OfflineReceipt, receipt.id, NotFound())
    if receipt.recorded_by_id == actor.id:
        raise NotPermitted(
            _l("A receipt must be confirmed by someone other than the person who recorded it.")
        )
    if receipt.state != ReceiptState.RECORDED:
        raise InvalidTransition(_l("This receipt was already decided."))
    receipt.state = ReceiptState.CONFIRMED.value
    receipt.decided_by_id = actor.id
    receipt.decided_at = utcnow()
    results = signals.receipt_confirmed.send(receipt, legs=receipt_legs(receipt), actor=actor)
    entry_id = signals.answer(results)
    if entry_id is None:
        raise RuntimeError("no domain took the receipt (funding connects its receiver at init)")
    receipt.ledger_entry_id = entry_id
    fee_entry = book_bank_fee(receipt, actor=actor)
    receipt.fee_entry_id = fee_entry.id if fee_entry is not None else None
    db.session.flush()
    record(
        "offline_receipt.confirmed",
        receipt,
        actor=actor,
        changes={"entry": receipt.ledger_entry_id, **({"fee_entry": fee_entry.id} if fee_entry else {})},
    )
    return receipt


def reject_offline_receipt(receipt: OfflineReceipt, *, actor, reason: str) -> OfflineReceipt:
    if actor is None or not actor.has_any_role("treasurer", "administrator"):
        raise NotPermitted(_l("Only a treasurer or an administrator can reject a receipt."))
    reason = clean_text(reason, 2000, "reason", required=True, refuse_control=True)
    receipt = lock_one(OfflineReceipt, receipt.id, NotFound())
    if receipt.recorded_by_id == actor.id:
        raise NotPermitted(_l("A receipt must be decided by someone other than the person who recorded it."))
    if receipt.state != ReceiptState.RECORDED:
        raise InvalidTransition(_l("This receipt was already decided."))
    receipt.state = ReceiptState.REJECTED.value
    receipt.decided_by_id = actor.id
    receipt.decided_at = utcnow()
    receipt.decision_reason = reason
    record("offline_receipt.rejected", receipt, actor=actor, reason=reason)
    signals.receipt_rejected.send(receipt, actor=actor, reason=reason)
    return receipt
