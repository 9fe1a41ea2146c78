"""The only code that talks to Stripe.

Every write call carries an idempotency key derived from our own ids (``donation-12-checkout``,
``pledge-7-charge-1``, …); callers store the key in the database and commit before calling, so a
retry after a crash sends the same key and Stripe answers with the same object instead of charging
twice. Card data never reaches our server: payers type it on Stripe's hosted Checkout page.

``STRIPE_API_BASE`` points the SDK elsewhere (the tests' fake server); without ``STRIPE_SECRET_KEY``
the card option is hidden and :func:`enabled` is False.
"""

from __future__ import annotations

import time

import stripe
from flask import current_app

from fundapp.core.errors import DomainError
from fundapp.core.money import Money


class PaymentProviderError(DomainError):
    """Stripe could not be reached or refused a request we expected to succeed."""

    status_code = 502


class MissingAtStripe(PaymentProviderError):
    """Stripe does not know the object (e.g. an event about something of another integration)."""

    status_code = 404


class CardDeclined(DomainError):
    status_code = 402

    def __init__(self, message=None, *, payment_intent=None):
        super().__init__(message)
        self.payment_intent = payment_intent


def enabled() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def client() -> stripe.StripeClient:
    cfg = current_app.config
    key = cfg.get("STRIPE_SECRET_KEY")
    if not key:
        raise PaymentProviderError("card payments are not configured")
    cache = current_app.extensions.setdefault("fundapp_stripe", {})
    cached = cache.get("client")
    if cached is None or cache.get("key") != (key, cfg.get("STRIPE_API_BASE")):
        base = cfg.get("STRIPE_API_BASE")
        cached = stripe.StripeClient(
            key,
            base_addresses={"api": base} if base else None,
            max_network_retries=2,
        )
        cache.update(client=cached, key=(key, base))
    return cached


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except stripe.CardError as exc:
        pi = None
        err = getattr(exc, "error", None)
        if err is not None and getattr(err, "payment_intent", None) is not None:
            pi = err.payment_intent
        raise CardDeclined(str(exc.user_message or "card declined"), payment_intent=pi) from exc
    except stripe.InvalidRequestError as exc:
        if getattr(exc, "code", None) == "resource_missing":
            raise MissingAtStripe(str(exc.user_message or "no such object")) from exc
        current_app.logger.warning("stripe call failed: %s", exc)
        raise PaymentProviderError(str(exc.user_message or "payment provider error")) from exc
    except stripe.StripeError as exc:
        current_app.logger.warning("stripe call failed: %s", exc)
        raise PaymentProviderError(str(exc.user_message or "payment provider error")) from exc


def _opts(idempotency_key: str) -> dict:
    if not idempotency_key:
        raise ValueError("every Stripe write carries an idempotency key")
    return {"idempotency_key": idempotency_key}


def stripe_amount(money: Money) -> tuple[int, str]:
    return money.amount, money.currency.lower()


def create_customer(*, email: str, name: str | None, metadata: dict, idempotency_key: str):
    params = {"email": email, "metadata": {k: str(v) for k, v in metadata.items()}}
    if name:
        params["name"] = name
    return _call(client().v1.customers.create, params, _opts(idempotency_key))


def create_payment_checkout(
    *,
    amount: Money,
    description: str,
    success_url: str,
    cancel_url: str,
    metadata: dict,
    idempotency_key: str,
    customer_email: str | None = None,
    customer: str | None = None,
):
    """A hosted Checkout Session that takes ``amount`` once (donations, late pledge payments)."""
    unit, cur = stripe_amount(amount)
    meta = {k: str(v) for k, v in metadata.items()}
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {"currency": cur, "unit_amount": unit, "product_data": {"name": description}},
            }
        ],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "metadata": meta,
        "payment_intent_data": {"metadata": meta},
        "client_reference_id": meta.get("reference"),
    }
    if customer:
        params["customer"] = customer
    elif customer_email:
        params["customer_email"] = customer_email
    params = {k: v for k, v in params.items() if v is not None}
    return _call(client().v1.checkout.sessions.create, params, _opts(idempotency_key))


def create_setup_checkout(
    *, customer: str, currency: str, success_url: str, cancel_url: str, metadata: dict, idempotency_key: str
):
    """A hosted Checkout Session in setup mode: the backer saves a card for a later off-session charge."""
    params = {
        "mode": "setup",
        "customer": customer,
        "currency": currency.lower(),
        "success_url": success_url,
        "cancel_url": cancel_url,
        "metadata": {k: str(v) for k, v in metadata.items()},
        "setup_intent_data": {"metadata": {k: str(v) for k, v in metadata.items()}},
    }
    return _call(client().v1.checkout.sessions.create, params, _opts(idempotency_key))


def retrieve_checkout(session_id: str):
    return _call(
        client().v1.checkout.sessions.retrieve,
        session_id,
        {"expand": ["payment_intent.latest_charge.balance_transaction", "setup_intent"]},
    )


def charge_off_session(
    *, amount: Money, customer: str, payment_method: str, metadata: dict, idempotency_key: str
):
    """Charge a saved card now, without the backer present. Raises :class:`CardDeclined`."""
    unit, cur = stripe_amount(amount)
    params = {
        "amount": unit,
        "currency": cur,
        "customer": customer,
        "payment_method": payment_method,
        "confirm": True,
        "off_session": True,
        "metadata": {k: str(v) for k, v in metadata.items()},
        # the fee comes back with the answer: no second call to read it
        "expand": ["latest_charge.balance_transaction"],
    }
    return _call(client().v1.payment_intents.create, params, _opts(idempotency_key))


def retrieve_payment_intent(pi_id: str):
    return _call(
        client().v1.payment_intents.retrieve, pi_id, {"expand": ["latest_charge.balance_transaction"]}
    )


def retrieve_setup_intent(si_id: str):
    return _call(client().v1.setup_intents.retrieve, si_id)


def refund(*, payment_intent: str, amount: Money, reason_code: str, metadata: dict, idempotency_key: str):
    params = {
        "payment_intent": payment_intent,
        "amount": amount.amount,
        "metadata": {k: str(v) for k, v in metadata.items()},
    }
    if reason_code in ("duplicate", "fraudulent", "requested_by_customer"):
        params["reason"] = reason_code
    return _call(client().v1.refunds.create, params, _opts(idempotency_key))


def fee_of(payment_intent) -> Money | None:
    """The Stripe fee of a succeeded PaymentIntent (expanded), from its balance transaction."""
    charge = _get(payment_intent, "latest_charge")
    if isinstance(charge, str):
        charge = _call(client().v1.charges.retrieve, charge, {"expand": ["balance_transaction"]})
    if not charge:
        return None
    txn = _get(charge, "balance_transaction")
    if isinstance(txn, str):
        txn = _call(client().v1.balance_transactions.retrieve, txn)
    if not txn:
        return None
    return Money(int(_get(txn, "fee") or 0), str(_get(txn, "currency")).upper())


def _get(obj, name):
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    try:
        return obj[name]
    except (KeyError, TypeError):
        return getattr(obj, name, None)


get = _get


WEBHOOK_FUTURE_SKEW = 60  # seconds of clock drift allowed between Stripe and us


def construct_event(payload: bytes, sig_header: str | None):
    """Verify the signature of a webhook on its raw body; raises ValueError or
    ``stripe.SignatureVerificationError`` when it does not hold (wrong secret, tampered body, stale)."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise stripe.SignatureVerificationError("webhooks are not configured", sig_header, payload)
    if not sig_header:
        raise stripe.SignatureVerificationError("no signature", sig_header, payload)
    event = stripe.Webhook.construct_event(
        payload, sig_header, secret, tolerance=current_app.config.get("STRIPE_WEBHOOK_TOLERANCE", 300)
    )
    # Stripe's library refuses only signatures that are too old; one dated ahead of our clock
    # (beyond a minute of drift) is refused too, or a captured future-dated one replays for longer.
    stamps = [p[2:] for p in sig_header.split(",") if p.strip().startswith("t=")]
    if not stamps or not stamps[0].strip().isascii() or not stamps[0].strip().isdigit():
        raise stripe.SignatureVerificationError("no timestamp", sig_header, payload)
    if int(stamps[0]) > time.time() + WEBHOOK_FUTURE_SKEW:
        raise stripe.SignatureVerificationError("timestamp in the future", sig_header, payload)
    return event
