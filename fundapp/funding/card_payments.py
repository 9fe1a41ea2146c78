"""Card payments as funding sees them: the receivers of what ``payments`` announces after a Stripe
Checkout, a webhook or the payer's return page (``payments.signals``). Each runs inside the
payments' transaction; an exception rolls the whole event back. Each returns what happened, for
the event log (``None``: not a backing of ours)."""

from __future__ import annotations

import logging

from fundapp.core.money import Money
from fundapp.payments import signals

from .lifecycle import KINDS, fail, find, receive, refund_late_payment
from .models import PayMethod

log = logging.getLogger("fundapp.funding")


@signals.payment_succeeded.connect
def on_payment_succeeded(kind: str, *, object_id: int, payment_intent: str, amount: Money, fee: Money | None):
    """A card payment succeeded: receive what it paid for (once); a payment for a backing that no
    longer takes money (cancelled meanwhile, already paid by transfer) goes back at once."""
    if kind not in KINDS:
        return None
    obj = find(kind, object_id)
    if obj is None:
        return "unknown"
    if obj.amount != amount:
        log.error("payment %s pays %s but %s %s is %s", payment_intent, amount, kind, obj.id, obj.amount)
        return "amount_mismatch"
    result = receive(obj, method=PayMethod.CARD, payment_intent=payment_intent, fee=fee)
    if result == "unexpected_state":
        return refund_late_payment(payment_intent, amount, fee, kind=kind, obj=obj)
    return result


@signals.payment_failed.connect
def on_payment_failed(kind: str, *, object_id: int, payment_intent: str, status: str):
    """A card payment failed: the backing's kind says what follows (a later success still wins)."""
    if kind not in KINDS:
        return None
    obj = find(kind, object_id)
    if obj is None:
        return "unknown"
    if getattr(obj, "payment_intent_id", None) not in (None, payment_intent):
        return "not_succeeded"
    return fail(obj, payment_intent=payment_intent)
