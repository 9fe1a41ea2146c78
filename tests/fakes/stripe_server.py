"""A small, stateful fake of the Stripe API for tests, served over HTTP on 127.0.0.1.

The real ``stripe`` SDK is pointed at it with ``StripeClient(key, base_addresses={"api": fake.url})``
(the app does that when ``STRIPE_API_BASE`` is set). It keeps Customers, Checkout Sessions (payment
and setup mode, with a hosted page at ``/pay/<session id>`` that a browser can fill in), SetupIntents,
PaymentMethods, PaymentIntents (incl. ``confirm=true, off_session=true`` and declines), Charges,
Balance Transactions (with a fee), Refunds and Events. Idempotency keys are honoured: the same key
returns the same response, whatever the parameters.

Test cards (as on real Stripe): ``4242424242424242`` succeeds; ``4000000000000002`` is declined at
once; ``4000000000000341`` can be saved but every charge to it is declined.

Webhooks: ``fake.signed(event)`` gives ``(payload, headers)`` signed exactly as Stripe does
(``Stripe-Signature: t=<ts>,v1=<hmac_sha256(secret, f"{t}.{payload}")>``); ``fake.deliver(client,
event)`` posts it to the app's webhook endpoint with a Flask test client or a base URL.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import hmac
import html
import itertools
import json
import re
import secrets
import threading
import time
from urllib.parse import parse_qsl

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

WEBHOOK_SECRET = "whsec_test_secret_for_the_fake"
API_KEY = "sk_test_fake_key"
GOOD_CARD = "4242424242424242"
DECLINE_CARD = "4000000000000002"
DECLINE_LATER_CARD = "4000000000000341"
WEBHOOK_PATH = "/payments/stripe/webhook"


def sign_payload(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def decode_form(pairs) -> dict:
    """Turn Stripe's bracketed form keys (``a[b][0][c]=v``) back into nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(node):
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_listify(node[k]) for k in sorted(node, key=int)]
        return {k: _listify(v) for k, v in node.items()}
    return node


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class StripeError(Exception):
    def __init__(self, status, body):
        self.status = status
        self.body = body


class FakeStripe:
    def __init__(self, webhook_secret: str = WEBHOOK_SECRET):
        self.webhook_secret = webhook_secret
        self.lock = threading.RLock()
        self.objects: dict[str, dict] = {}
        self.events: list[dict] = []
        self.idempotent: dict[str, tuple[int, str]] = {}
        self.calls: list[tuple[str, str, str | None]] = []
        self.cards: dict[str, str] = {}  # payment method id → card number
        self._ids = itertools.count(1)
        self.server = None
        self.url = None
        self.fee_per_mille = 29
        self.fee_fixed = 30
        self.webhook_target = None  # a base URL: events are also posted there as they happen

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeStripe:
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def config(self) -> dict:
        """The app settings that point the SDK at this fake."""
        return {
            "STRIPE_SECRET_KEY": API_KEY,
            "STRIPE_PUBLISHABLE_KEY": "pk_test_fake",
            "STRIPE_WEBHOOK_SECRET": self.webhook_secret,
            "STRIPE_API_BASE": self.url,
        }

    # -- helpers ----------------------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}{secrets.token_hex(4)}"

    def get(self, oid: str) -> dict:
        return self.objects[oid]

    def count(self, object_type: str) -> int:
        return sum(1 for o in self.objects.values() if o.get("object") == object_type)

    def writes(self, path_prefix: str) -> list[tuple[str, str, str | None]]:
        return [c for c in self.calls if c[0] == "POST" and c[1].startswith(path_prefix)]

    def _put(self, obj: dict) -> dict:
        self.objects[obj["id"]] = obj
        return obj

    def emit(self, event_type: str, obj: dict) -> dict:
        event = {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": "2025-01-01",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "type": event_type,
            "data": {"object": copy.deepcopy(obj)},
        }
        self.events.append(event)
        self._put(event)
        if self.webhook_target:
            # delivered from another thread, as Stripe would: never while this fake holds its lock
            payload, headers = self.signed(event)
            threading.Thread(target=self._post_webhook, args=(payload, headers), daemon=True).start()
        return event

    def _post_webhook(self, payload, headers):
        import requests

        with contextlib.suppress(requests.RequestException):  # an undeliverable webhook is simply lost
            requests.post(self.webhook_target + WEBHOOK_PATH, data=payload, headers=headers, timeout=10)

    def signed(self, event: dict, *, secret: str | None = None, timestamp: int | None = None):
        payload = json.dumps(event, separators=(",", ":"))
        header = sign_payload(payload, secret or self.webhook_secret, timestamp)
        return payload, {"Stripe-Signature": header, "Content-Type": "application/json"}

    def deliver(self, client, event: dict, **kw):
        """Post ``event`` to the app's webhook endpoint (Flask test client), signed."""
        payload, headers = self.signed(event, **kw)
        return client.post(WEBHOOK_PATH, data=payload, headers=headers)

    def events_of(self, event_type: str) -> list[dict]:
        return [e for e in self.events if e["type"] == event_type]

    # -- money movement ------------------------------------------------------------------------
    def _fee(self, amount: int) -> int:
        return amount * self.fee_per_mille // 1000 + self.fee_fixed

    def _charge(self, pi: dict, card: str) -> dict:
        """Attempt the payment of ``pi`` with ``card``; updates it and returns it."""
        if card in (DECLINE_CARD, DECLINE_LATER_CARD):
            pi["status"] = "requires_payment_method"
            pi["last_payment_error"] = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
                "payment_method": {"id": pi.get("payment_method")},
            }
            self.emit("payment_intent.payment_failed", pi)
            return pi
        fee = self._fee(pi["amount"])
        txn = self._put(
            {
                "id": self.new_id("txn"),
                "object": "balance_transaction",
                "amount": pi["amount"],
                "currency": pi["currency"],
                "fee": fee,
                "net": pi["amount"] - fee,
                "type": "charge",
                "status": "available",
                "created": int(time.time()),
                "source": None,
                "fee_details": [{"amount": fee, "currency": pi["currency"], "type": "stripe_fee"}],
            }
        )
        charge = self._put(
            {
                "id": self.new_id("ch"),
                "object": "charge",
                "amount": pi["amount"],
                "amount_refunded": 0,
                "currency": pi["currency"],
                "paid": True,
                "refunded": False,
                "status": "succeeded",
                "payment_intent": pi["id"],
                "balance_transaction": txn["id"],
                "metadata": dict(pi.get("metadata") or {}),
                "created": int(time.time()),
            }
        )
        txn["source"] = charge["id"]
        pi["status"] = "succeeded"
        pi["amount_received"] = pi["amount"]
        pi["latest_charge"] = charge["id"]
        pi["last_payment_error"] = None
        self.emit("charge.succeeded", charge)
        self.emit("payment_intent.succeeded", pi)
        return pi

    def _new_payment_method(self, card: str, customer: str | None) -> dict:
        pm = self._put(
            {
                "id": self.new_id("pm"),
                "object": "payment_method",
                "type": "card",
                "customer": customer,
                "card": {"brand": "visa", "last4": card[-4:], "exp_month": 12, "exp_year": 2034},
            }
        )
        self.cards[pm["id"]] = card
        return pm

    def complete_checkout(self, session_id: str, card: str = GOOD_CARD) -> dict:
        """What happens when the payer submits the hosted Checkout page."""
        with self.lock:
            cs = self.objects[session_id]
            if cs["status"] != "open":
                return cs
            if cs["mode"] == "setup":
                if card == DECLINE_CARD:
                    raise StripeError(402, {"error": {"type": "card_error", "code": "card_declined"}})
                pm = self._new_payment_method(card, cs.get("customer"))
                si = self._put(
                    {
                        "id": self.new_id("seti"),
                        "object": "setup_intent",
                        "status": "succeeded",
                        "customer": cs.get("customer"),
                        "payment_method": pm["id"],
                        "usage": "off_session",
                        "metadata": dict(cs.get("metadata") or {}),
                    }
                )
                cs["setup_intent"] = si["id"]
                cs["status"] = "complete"
                cs["payment_status"] = "no_payment_required"
                self.emit("setup_intent.succeeded", si)
                self.emit("checkout.session.completed", cs)
                return cs
            pm = self._new_payment_method(card, cs.get("customer"))
            pi = self._put(
                {
                    "id": self.new_id("pi"),
                    "object": "payment_intent",
                    "amount": cs["amount_total"],
                    "amount_received": 0,
                    "currency": cs["currency"],
                    "customer": cs.get("customer"),
                    "payment_method": pm["id"],
                    "status": "processing",
                    "latest_charge": None,
                    "last_payment_error": None,
                    "metadata": dict((cs.get("payment_intent_data") or {}).get("metadata") or {}),
                    "created": int(time.time()),
                }
            )
            self.emit("payment_intent.created", pi)
            self._charge(pi, card)
            if pi["status"] != "succeeded":
                raise StripeError(402, {"error": {"type": "card_error", "code": "card_declined"}})
            cs["payment_intent"] = pi["id"]
            cs["status"] = "complete"
            cs["payment_status"] = "paid"
            self.emit("checkout.session.completed", cs)
            return cs

    # -- the API -----------------------------------------------------------------------------
    def wsgi(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except StripeError as err:
            response = Response(json.dumps(err.body), status=err.status, mimetype="application/json")
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/pay/"):
            return self.hosted_page(request, path.split("/")[2])
        key = request.headers.get("Idempotency-Key")
        with self.lock:
            self.calls.append((request.method, path, key))
            if request.method == "POST" and key and key in self.idempotent:
                status, body = self.idempotent[key]
                return Response(
                    body,
                    status=status,
                    mimetype="application/json",
                    headers={"Idempotent-Replayed": "true"},
                )
            if request.method == "POST":
                params = decode_form(parse_qsl(request.get_data(as_text=True), keep_blank_values=True))
            else:
                params = decode_form(parse_qsl(request.query_string.decode(), keep_blank_values=True))
            try:
                status, body = 200, self.route(request.method, path, params)
            except StripeError as err:
                status, body = err.status, err.body
            text = json.dumps(body)
            if request.method == "POST" and key:
                self.idempotent[key] = (status, text)
            return Response(text, status=status, mimetype="application/json")

    def _not_found(self, oid):
        raise StripeError(
            404,
            {
                "error": {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "message": f"No such object: '{oid}'",
                }
            },
        )

    def _expand(self, obj: dict, paths) -> dict:
        obj = copy.deepcopy(obj)
        for path in paths or []:
            self._expand_path(obj, path.split("."))
        return obj

    def _expand_path(self, node, parts):
        if not parts or not isinstance(node, dict):
            return
        head, rest = parts[0], parts[1:]
        if head == "data" and isinstance(node.get("data"), list):
            for item in node["data"]:
                self._expand_path(item, rest)
            return
        value = node.get(head)
        if isinstance(value, str) and value in self.objects:
            node[head] = copy.deepcopy(self.objects[value])
        self._expand_path(node.get(head), rest)

    def _list(self, object_type, params, predicate=None):
        items = [o for o in self.objects.values() if o.get("object") == object_type]
        if predicate:
            items = [o for o in items if predicate(o)]
        items.sort(key=lambda o: o["id"], reverse=True)
        limit = int(params.get("limit", 10))
        starting_after = params.get("starting_after")
        if starting_after:
            ids = [o["id"] for o in items]
            items = items[ids.index(starting_after) + 1 :] if starting_after in ids else []
        page = items[:limit]
        return {
            "object": "list",
            "url": f"/v1/{object_type}s",
            "has_more": len(items) > limit,
            # a list's expand paths name its items as "data.<field>"
            "data": [
                self._expand(o, [p.removeprefix("data.") for p in params.get("expand") or []]) for o in page
            ],
        }

    def route(self, method: str, path: str, params: dict):
        parts = path.strip("/").split("/")
        if parts[0] != "v1":
            self._not_found(path)
        parts = parts[1:]
        expand = params.get("expand")
        if parts[:2] == ["checkout", "sessions"]:
            if method == "POST" and len(parts) == 2:
                return self.create_checkout_session(params)
            if method == "GET" and len(parts) == 3:
                return self._expand(self._obj(parts[2]), expand)
            if method == "GET" and len(parts) == 2:
                return self._list("checkout.session", params)
        resource = parts[0]
        if resource == "customers":
            if method == "POST" and len(parts) == 1:
                return self._put(
                    {
                        "id": self.new_id("cus"),
                        "object": "customer",
                        "email": params.get("email"),
                        "name": params.get("name"),
                        "metadata": params.get("metadata") or {},
                    }
                )
            if method == "GET" and len(parts) == 2:
                return self._obj(parts[1])
        if resource == "payment_intents":
            if method == "POST" and len(parts) == 1:
                return self._expand(self.create_payment_intent(params), expand)
            if method == "GET" and len(parts) == 2:
                return self._expand(self._obj(parts[1]), expand)
            if method == "GET" and len(parts) == 1:
                return self._list("payment_intent", params)
            if method == "POST" and len(parts) == 3 and parts[2] == "cancel":
                pi = self._obj(parts[1])
                if pi["status"] == "succeeded":
                    raise StripeError(400, {"error": {"type": "invalid_request_error", "code": "bad_state"}})
                pi["status"] = "canceled"
                self.emit("payment_intent.canceled", pi)
                return pi
        if resource in (
            "setup_intents",
            "payment_methods",
            "charges",
            "events",
            "balance_transactions",
            "refunds",
        ):
            if method == "GET" and len(parts) == 2:
                return self._expand(self._obj(parts[1]), expand)
            if method == "GET" and len(parts) == 1:
                kind = {
                    "setup_intents": "setup_intent",
                    "payment_methods": "payment_method",
                    "charges": "charge",
                    "events": "event",
                    "balance_transactions": "balance_transaction",
                    "refunds": "refund",
                }[resource]
                pred = None
                if kind == "event" and params.get("type"):
                    pred = lambda o: o["type"] == params["type"]  # noqa: E731
                if kind == "balance_transaction" and params.get("type"):
                    pred = lambda o: o["type"] == params["type"]  # noqa: E731
                return self._list(kind, params, pred)
        if resource == "refunds" and method == "POST" and len(parts) == 1:
            return self.create_refund(params)
        self._not_found(path)

    def _obj(self, oid):
        if oid not in self.objects:
            self._not_found(oid)
        return self.objects[oid]

    def create_checkout_session(self, params):
        mode = params.get("mode", "payment")
        if mode not in ("payment", "setup"):
            raise StripeError(400, {"error": {"type": "invalid_request_error", "param": "mode"}})
        amount, currency = None, params.get("currency")
        if mode == "payment":
            items = params.get("line_items") or []
            if not items:
                raise StripeError(400, {"error": {"type": "invalid_request_error", "param": "line_items"}})
            amount = 0
            for item in items:
                pd = item["price_data"]
                currency = pd["currency"]
                amount += int(pd["unit_amount"]) * int(item.get("quantity", 1))
        cs = {
            "id": self.new_id("cs_test"),
            "object": "checkout.session",
            "mode": mode,
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": amount,
            "currency": currency,
            "customer": params.get("customer"),
            "customer_email": params.get("customer_email"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata") or {},
            "payment_intent_data": params.get("payment_intent_data") or {},
            "payment_intent": None,
            "setup_intent": None,
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "created": int(time.time()),
        }
        cs["url"] = f"{self.url}/pay/{cs['id']}"
        return self._put(cs)

    def create_payment_intent(self, params):
        amount = int(params["amount"])
        if amount <= 0:
            raise StripeError(400, {"error": {"type": "invalid_request_error", "param": "amount"}})
        pm = params.get("payment_method")
        pi = self._put(
            {
                "id": self.new_id("pi"),
                "object": "payment_intent",
                "amount": amount,
                "amount_received": 0,
                "currency": params["currency"],
                "customer": params.get("customer"),
                "payment_method": pm,
                "status": "requires_confirmation" if pm else "requires_payment_method",
                "latest_charge": None,
                "last_payment_error": None,
                "metadata": params.get("metadata") or {},
                "off_session": params.get("off_session") == "true",
                "created": int(time.time()),
            }
        )
        self.emit("payment_intent.created", pi)
        if params.get("confirm") == "true" and pm:
            self._charge(pi, self.cards.get(pm, GOOD_CARD))
            if pi["status"] != "succeeded":
                raise StripeError(
                    402,
                    {
                        "error": {
                            **pi["last_payment_error"],
                            "payment_intent": copy.deepcopy(pi),
                        }
                    },
                )
        return pi

    def create_refund(self, params):
        pi = self._obj(params["payment_intent"])
        if pi["status"] != "succeeded":
            raise StripeError(400, {"error": {"type": "invalid_request_error", "code": "charge_not_paid"}})
        charge = self.objects[pi["latest_charge"]]
        amount = int(params.get("amount") or charge["amount"] - charge["amount_refunded"])
        if amount <= 0 or charge["amount_refunded"] + amount > charge["amount"]:
            raise StripeError(
                400, {"error": {"type": "invalid_request_error", "code": "charge_already_refunded"}}
            )
        txn = self._put(
            {
                "id": self.new_id("txn"),
                "object": "balance_transaction",
                "amount": -amount,
                "currency": pi["currency"],
                "fee": 0,
                "net": -amount,
                "type": "refund",
                "status": "available",
                "created": int(time.time()),
                "source": None,
                "fee_details": [],
            }
        )
        refund = self._put(
            {
                "id": self.new_id("re"),
                "object": "refund",
                "amount": amount,
                "currency": pi["currency"],
                "charge": charge["id"],
                "payment_intent": pi["id"],
                "status": "succeeded",
                "reason": params.get("reason"),
                "balance_transaction": txn["id"],
                "metadata": params.get("metadata") or {},
                "created": int(time.time()),
            }
        )
        txn["source"] = refund["id"]
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self.emit("refund.created", refund)
        self.emit("charge.refunded", charge)
        return refund

    # -- the hosted payment page ---------------------------------------------------------------
    def hosted_page(self, request: Request, session_id: str) -> Response:
        with self.lock:
            cs = self.objects.get(session_id)
        if cs is None:
            return Response("no such session", status=404)
        error = ""
        if request.method == "POST":
            card = re.sub(r"\D", "", request.form.get("card", ""))
            try:
                cs = self.complete_checkout(session_id, card or GOOD_CARD)
            except StripeError:
                error = "<p role='alert'>Your card was declined.</p>"
            else:
                target = cs["success_url"].replace("{CHECKOUT_SESSION_ID}", cs["id"])
                return Response(status=303, headers={"Location": target})
        label = "Save card" if cs["mode"] == "setup" else f"Pay {cs['amount_total']} {cs['currency']}"
        body = (
            "<!doctype html><html lang='en'><head><title>Fake Checkout</title></head><body>"
            f"<h1>Fake Stripe Checkout</h1>{error}"
            f"<form method='post' action='/pay/{html.escape(session_id)}'>"
            "<label for='card'>Card number</label>"
            f"<input id='card' name='card' value='{GOOD_CARD}'>"
            f"<button type='submit'>{html.escape(label)}</button></form>"
            f"<p><a href='{html.escape(cs['cancel_url'] or '/')}'>Cancel</a></p></body></html>"
        )
        return Response(body, mimetype="text/html")
