"""What payments announces. Payments is an adapter to the ways money arrives (Stripe, bank and
money-transfer receipts); what the money is for is the business of the domains above it, which
connect receivers here (``funding`` does, in its ``init_app``). Payments imports none of them.

Every signal is sent inside the transaction of the request or webhook that caused it: a receiver
writes in that transaction and an exception it raises rolls the whole request back (the webhook
answers 503 and Stripe retries). Receivers of the card signals return what they did, a short
word for the event log (``"received"``, ``"noop"``, ``"unknown"`` …); ``None`` means "not mine".

card — sender: the ``kind`` of the Stripe object's metadata (``"donation"``, ``"pledge"`` …):
- ``payment_succeeded(kind, object_id, payment_intent, amount, fee)``: a PaymentIntent, re-read
  from Stripe, succeeded (``amount`` and Stripe's ``fee`` as Money).
- ``payment_failed(kind, object_id, payment_intent, status)``: it ended unpaid
  (``requires_payment_method`` or ``canceled``).
- ``card_saved(kind, object_id, payment_method, session_id)``: a setup Checkout saved a card.
- ``checkout_expired(kind, object_id, session_id)``: a Checkout page expired unpaid.
- ``payment_refunded(kind, object_id, stripe_id)``: Stripe reports a refund or a refunded charge
  (ours are posted when we ask for them; this is for the log; ``kind`` may be None).

receipts — sender: the ``OfflineReceipt``:
- ``receipt_recorded(receipt, actor)``: a treasurer recorded a transfer (it does not count yet).
- ``receipt_confirmed(receipt, legs, actor)``: a second person confirmed it; a receiver posts the
  money with ``legs`` (the receipt's ledger legs, FX included) and returns the id of that entry.
- ``receipt_rejected(receipt, actor, reason)``: a second person rejected it.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

payment_succeeded = _signals.signal("payment-succeeded")
payment_failed = _signals.signal("payment-failed")
card_saved = _signals.signal("card-saved")
checkout_expired = _signals.signal("checkout-expired")
payment_refunded = _signals.signal("payment-refunded")

receipt_recorded = _signals.signal("receipt-recorded")
receipt_confirmed = _signals.signal("receipt-confirmed")
receipt_rejected = _signals.signal("receipt-rejected")


def answer(results, default: str | None = None):
    """The first answer a receiver gave (``signal.send`` returns ``[(receiver, value), …]``)."""
    for _receiver, value in results:
        if value is not None:
            return value
    return default
