"""One lifecycle for every backing: lock it, receive its money (post, count, stamp, tell the
backer), fail it, refund a payment it can no longer take. Donation, pledge and investment are its
kinds: each registers a :class:`Kind` (its model, the states it is paid from and to, its ledger
entry, its counters, what follows) and the verbs here do the rest, once for all of them.

Every movement of money is one ledger entry whose idempotency key is derived from the backing's id
(``<kind>:<id>``, ``pledge-collection:<id>``): it lands exactly once whichever of webhook, return
page, receipt or retry comes first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from fundapp.audit.services import record
from fundapp.core.errors import InvalidTransition
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.ledger import services as ledger
from fundapp.payments import gateway
from fundapp.payments.services import prepare_stripe_call
from fundapp.proposals.models import Project

from .common import lock
from .models import PayMethod
from .totals import bump, channel_column, ensure_totals

log = logging.getLogger("fundapp.funding")


@dataclass(frozen=True)
class Kind:
    """What makes a kind of backing different; the lifecycle verbs below are the same for all.

    ``name`` is the source type of its entries and the ``kind`` of its Stripe metadata; ``payable``
    maps a channel (``card`` or ``transfer``) to the states money is taken in; ``counters`` are the
    counters a receipt moves besides the channel's; ``stamp`` writes what the row keeps of the
    payment; ``after`` tells the backer (and may close the campaign); ``fail`` marks a failed card
    payment; ``refund_repeat`` says whether a card payment arriving for a backing already paid by
    transfer is paid back (rather than ignored)."""

    name: str
    model: type
    entry_kind: str
    key_prefix: str
    paid: str
    payable: dict[str, tuple]
    memo: Callable
    counters: Callable
    event: Callable
    stamp: Callable = lambda obj, method: None
    after: Callable = lambda obj, entry, *, receipt: None
    fail: Callable | None = None
    refund_repeat: bool = False
    sets_method: bool = True
    unpayable: str = field(default="")


KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


def kind_of(obj) -> Kind:
    for kind in KINDS.values():
        if isinstance(obj, kind.model):
            return kind
    raise TypeError(f"not a backing: {obj!r}")


def find(kind_name: str, obj_id) -> object | None:
    """The backing of this kind and id (from a payment's metadata), or None."""
    kind = KINDS.get(kind_name or "")
    if kind is None or not str(obj_id or "").isdigit():
        return None
    return db.session.get(kind.model, int(obj_id))


def receive(
    obj,
    *,
    method: str,
    payment_intent: str | None = None,
    fee: Money | None = None,
    legs=None,
    actor=None,
    receipt=None,
    memo: str | None = None,
    locked: bool = False,
) -> str:
    """The money of a backing arrived (by card: ``payment_intent`` and Stripe's ``fee``; by transfer:
    the confirmed ``receipt`` and its ``legs``): post it, count it, stamp the row, tell the backer.
    Returns ``"received"``, ``"noop"`` when it was received already, or ``"unexpected_state"`` when
    the backing takes no money now (the caller refunds a card payment or refuses the receipt)."""
    kind = kind_of(obj)
    if not locked:  # the caller may hold the row's lock in this transaction already
        obj = lock(kind.model, obj.id)
    channel = "card" if method == PayMethod.CARD else "transfer"
    if obj.state == kind.paid:
        repeat = kind.refund_repeat and receipt is None and getattr(obj, "receipt_id", None) is not None
        return "unexpected_state" if repeat else "noop"
    if obj.state not in kind.payable[channel]:
        log.warning(
            "%s %s paid by %s in state %s", kind.name, obj.id, payment_intent or "transfer", obj.state
        )
        return "unexpected_state"
    project = obj.project
    ensure_totals(project)
    entry = post_receipt(
        kind.entry_kind,
        project=project,
        method=method,
        amount=obj.amount,
        key=f"{kind.key_prefix}:{obj.id}",
        memo=memo or kind.memo(obj, project, receipt),
        source_type=kind.name,
        source_id=obj.id,
        backer_label=obj.public_name,
        actor=actor,
        legs=legs,
    )
    changes = {"entry": entry.id, "via": method}
    if payment_intent:
        book_stripe_fee(
            fee,
            payment_intent_id=payment_intent,
            project_id=project.id,
            source_type=kind.name,
            source_id=obj.id,
        )
        obj.payment_intent_id = payment_intent
        obj.fee_minor = fee.amount if fee else None
        changes["payment_intent"] = payment_intent
    if receipt is not None:
        obj.receipt_id = receipt.id
        changes["receipt"] = receipt.id
    if kind.sets_method:
        obj.method = method
    obj.state = kind.paid
    obj.ledger_entry_id = entry.id
    kind.stamp(obj, method)
    bump(project.id, **kind.counters(obj), **{channel_column(method): obj.amount_minor})
    record(f"{kind.name}.{kind.event(receipt)}", obj, actor=actor, changes=changes)
    kind.after(obj, entry, receipt=receipt)
    return "received"


def receive_or_refuse(obj, **kwargs):
    """:func:`receive` for a payment that must land (a confirmed receipt): a backing that takes no
    money now (or was paid already) refuses it, and the whole transaction rolls back."""
    if receive(obj, **kwargs) != "received":
        kind = kind_of(obj)
        raise InvalidTransition(kind.unpayable or _l("This backing is not waiting for a payment."))
    return obj


def fail(obj, *, payment_intent: str | None = None) -> str:
    """A card payment of the backing failed: its kind says what follows (``"noop"`` if nothing)."""
    kind = kind_of(obj)
    if kind.fail is None:
        return "not_succeeded"
    return kind.fail(lock(kind.model, obj.id), payment_intent)


# -- the books ------------------------------------------------------------------------------------


def incoming_account(method: str, currency: str):
    code = {PayMethod.CARD: "stripe_clearing", PayMethod.BANK: "bank", PayMethod.MTO: "mto_clearing"}[
        PayMethod(method)
    ]
    return ledger.get_account(code, currency)


def post_receipt(
    kind: str,
    *,
    project: Project,
    method: str,
    amount: Money,
    key: str,
    memo: str,
    source_type: str,
    source_id: int,
    backer_label: str | None,
    actor=None,
    legs=None,
):
    """Money received for a project: debit the incoming account, credit the project's account."""
    if legs is None:
        legs = [
            ledger.Leg.debit(incoming_account(method, amount.currency), amount),
            ledger.Leg.credit(ledger.project_account(project.id, amount.currency), amount),
        ]
    return ledger.post_entry(
        kind,
        legs,
        memo=memo,
        idempotency_key=key,
        source_type=source_type,
        source_id=source_id,
        project_id=project.id,
        actor=actor,
        backer_label=backer_label,
    )


def book_stripe_fee(
    fee: Money | None, *, payment_intent_id: str, project_id: int | None, source_type: str, source_id: int
):
    """The Stripe fee of a payment, as its own entry (debit fees, credit the Stripe clearing account)."""
    if fee is None or fee.amount <= 0:
        return None
    return ledger.post_entry(
        "fee",
        [
            ledger.Leg.debit(ledger.get_account("fees_expense", fee.currency), fee),
            ledger.Leg.credit(ledger.get_account("stripe_clearing", fee.currency), fee),
        ],
        memo=f"Stripe fee of {payment_intent_id}",
        idempotency_key=f"stripe-fee:{payment_intent_id}",
        source_type=source_type,
        source_id=source_id,
        project_id=project_id,
    )


def refund_card(obj, kind: str, payment_intent: str, amount: Money, *, key: str):
    """Refund (part of) a card payment through Stripe, the idempotency key stored before the call
    (the same key again: Stripe answers with the same refund, never a second one)."""
    prepare_stripe_call("refund", obj, key=key)
    return gateway.refund(
        payment_intent=payment_intent,
        amount=amount,
        reason_code="requested_by_customer",
        metadata={"kind": kind, "id": obj.id},
        idempotency_key=key,
    )


def refund_late_payment(pi_id: str, amount: Money, fee: Money | None, *, kind: str, obj) -> str:
    """A card payment for a backing that no longer takes money (an investment cancelled meanwhile, a
    pledge past its grace period): booked as owed back and refunded through Stripe, so the books
    still match Stripe's."""
    clearing = ledger.get_account("stripe_clearing", amount.currency)
    owed = ledger.get_account("refunds_payable", amount.currency)
    common = {"source_type": kind, "source_id": obj.id, "project_id": obj.project_id}
    ledger.post_entry(
        "refund",
        [ledger.Leg.debit(clearing, amount), ledger.Leg.credit(owed, amount)],
        memo=f"Late card payment {pi_id} for {kind} {obj.id}, to be refunded",
        idempotency_key=f"late-payment:{pi_id}",
        **common,
    )
    book_stripe_fee(
        fee, payment_intent_id=pi_id, project_id=obj.project_id, source_type=kind, source_id=obj.id
    )
    refund_card(obj, kind, pi_id, amount, key=f"late-payment-{pi_id}-refund")
    ledger.post_entry(
        "refund",
        [ledger.Leg.debit(owed, amount), ledger.Leg.credit(clearing, amount)],
        memo=f"Refund of late card payment {pi_id}",
        idempotency_key=f"late-payment:{pi_id}:refund",
        **common,
    )
    record(f"{kind}.late_payment_refunded", obj, changes={"payment_intent": pi_id, "amount": str(amount)})
    return "refunded_late_payment"
