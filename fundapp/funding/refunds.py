"""Money going back to backers, by four eyes — the same rule as a disbursement.

A treasurer requests a refund (:func:`request_refund`): a received donation or an investment owed
back, with the reason and — unless a card payment is refunded through Stripe — the reference of
the bank transfer that returns the money. A second person (another treasurer or an administrator;
never the requester, never the backer) confirms it (:func:`confirm_refund`), and only then is the
entry posted and Stripe called; or declines it (:func:`decline_refund`) and nothing moves. The
routes ask both people for a fresh second factor (step-up). Functions flush, never commit.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.text import clean_text
from fundapp.extensions import db
from fundapp.ledger import services as ledger
from fundapp.ledger.models import JournalEntry
from fundapp.mail.services import queue_email
from fundapp.payments import gateway

from . import common
from .lifecycle import refund_card
from .models import (
    Donation,
    DonationState,
    Investment,
    InvestmentReturn,
    InvestmentState,
    PayMethod,
    RefundRequest,
    RefundState,
)
from .totals import bump, channel_column

REQUESTERS = ("treasurer",)
CONFIRMERS = ("treasurer", "administrator")


def _source(req: RefundRequest, *, lock: bool = False):
    model = Donation if req.source_type == "donation" else Investment
    return common.lock(model, req.source_id) if lock else db.session.get(model, req.source_id)


def _backer_id(source) -> int | None:
    return source.backer_id if isinstance(source, Donation) else source.investor_id


def by_card(source) -> bool:
    """Whether a refund of ``source`` goes back to the card through Stripe (otherwise the
    treasurer transfers the money and records the transfer's reference)."""
    return source.method == PayMethod.CARD and bool(source.payment_intent_id)


def open_request_of(source) -> RefundRequest | None:
    kind = "donation" if isinstance(source, Donation) else "investment"
    return db.session.scalars(
        select(RefundRequest).where(
            RefundRequest.source_type == kind,
            RefundRequest.source_id == source.id,
            RefundRequest.state == RefundState.REQUESTED.value,
        )
    ).first()


def open_requests() -> list[RefundRequest]:
    """Refunds waiting for a second person, oldest first (the staff page lists them)."""
    return list(
        db.session.scalars(
            select(RefundRequest)
            .where(RefundRequest.state == RefundState.REQUESTED.value)
            .order_by(RefundRequest.id)
        )
    )


def request_refund(
    source: Donation | Investment, *, actor, reason: str | None = None, bank_reference: str | None = None
) -> RefundRequest:
    """A treasurer asks for money to go back to a backer. Nothing moves until a second person
    confirms. A second request of the same backing while one is open returns the open one."""
    if actor is None or not actor.has_any_role(*REQUESTERS):
        raise NotPermitted(_l("Only a treasurer can request a refund."))
    kind = "donation" if isinstance(source, Donation) else "investment"
    source = common.lock(type(source), source.id)
    if _backer_id(source) == actor.id:
        raise NotPermitted(_l("You cannot refund your own backing."))
    if kind == "donation":
        if source.state != DonationState.RECEIVED:
            raise InvalidTransition(_l("Only a received donation can be refunded."))
        reason = clean_text(reason, 2000, "reason", refuse_control=True) or None
        if not reason:
            raise ValidationFailed(_l("Give the reason for the refund."), field="reason")
    else:
        if source.state != InvestmentState.RETURN_DUE:
            raise InvalidTransition(_l("Only an investment owed back can be paid back."))
        reason = clean_text(reason, 2000, "reason", refuse_control=True) or "Investment owed back"
    existing = open_request_of(source)
    if existing is not None:
        return existing
    to_card = by_card(source)
    reference = None
    if not to_card:
        reference = clean_text(bank_reference, 100, "bank_reference", refuse_control=True) or None
        if not reference:
            raise ValidationFailed(_l("Enter the reference of the bank transfer."), field="bank_reference")
    req = RefundRequest(
        source_type=kind,
        source_id=source.id,
        project_id=source.project_id,
        amount_minor=int(source.amount_minor),
        currency=source.currency,
        method=PayMethod.CARD.value if to_card else PayMethod.BANK.value,
        reason=reason,
        bank_reference=reference,
        state=RefundState.REQUESTED.value,
        requested_by_id=actor.id,
    )
    db.session.add(req)
    db.session.flush()
    record(
        "refund.requested",
        req,
        actor=actor,
        reason=reason,
        changes={"source": f"{kind}:{source.id}", "method": req.method, "reference": reference},
    )
    return req


def _may_decide(req: RefundRequest, source, actor) -> None:
    if actor is None or not actor.has_any_role(*CONFIRMERS):
        raise NotPermitted(_l("Only a treasurer or an administrator can confirm a refund."))
    if actor.id == req.requested_by_id:
        raise NotPermitted(_l("A second person must confirm the refund you requested."))
    if actor.id == _backer_id(source):
        raise NotPermitted(_l("You cannot refund your own backing."))


def confirm_refund(req: RefundRequest, *, actor) -> RefundRequest:
    """The second person confirms: the money goes back (Stripe for a card, the recorded transfer
    otherwise) and the ledger shows it, once. Confirming again changes nothing."""
    req = common.lock(RefundRequest, req.id)
    source = _source(req, lock=True)
    _may_decide(req, source, actor)
    if req.state == RefundState.DONE:
        return req
    if req.state != RefundState.REQUESTED:
        raise InvalidTransition(_l("This refund was declined."))
    if isinstance(source, Donation):
        _refund_donation(source, req, actor=actor)
    else:
        _pay_back_investment(source, req, actor=actor)
    req.state = RefundState.DONE.value
    req.decided_by_id = actor.id
    req.decided_at = utcnow()
    db.session.flush()
    record("refund.confirmed", req, actor=actor, changes={"source": f"{req.source_type}:{req.source_id}"})
    return req


def decline_refund(req: RefundRequest, *, actor, reason: str | None) -> RefundRequest:
    """The second person refuses: nothing moves; the treasurer may request again."""
    req = common.lock(RefundRequest, req.id)
    source = _source(req)
    _may_decide(req, source, actor)
    if req.state != RefundState.REQUESTED:
        raise InvalidTransition(_l("This refund was already decided."))
    reason = clean_text(reason, 2000, "decline_reason", refuse_control=True) or None
    if not reason:
        raise ValidationFailed(_l("Give the reason."), field="decline_reason")
    req.state = RefundState.DECLINED.value
    req.decided_by_id = actor.id
    req.decided_at = utcnow()
    req.decline_reason = reason
    db.session.flush()
    record("refund.declined", req, actor=actor, reason=reason)
    return req


def _refund_donation(donation: Donation, req: RefundRequest, *, actor) -> None:
    """Reverse the donation's entry and, for a card, refund it through Stripe (idempotency key
    ``donation-<id>-refund``)."""
    if donation.state != DonationState.RECEIVED:
        raise InvalidTransition(_l("Only a received donation can be refunded."))
    original = db.session.get(JournalEntry, donation.ledger_entry_id)
    reversal = ledger.reverse_entry(
        original,
        memo=f"Refund of donation {donation.reference_code}: {req.reason}"[:500],
        idempotency_key=f"donation:{donation.id}:refund",
        actor=actor,
    )
    if req.method == PayMethod.CARD:
        refund = refund_card(
            donation,
            "donation",
            donation.payment_intent_id,
            donation.amount,
            key=f"donation-{donation.id}-refund",
        )
        donation.stripe_refund_id = refund.id
    donation.state = DonationState.REFUNDED.value
    donation.refunded_at = utcnow()
    donation.refund_reason = req.reason
    donation.refunded_by_id = actor.id
    donation.refund_entry_id = reversal.id
    bump(
        donation.project_id,
        raised_minor=-donation.amount_minor,
        refunded_minor=donation.amount_minor,
        backers=-1,
        **{channel_column(donation.method): -donation.amount_minor},
    )
    record(
        "donation.refunded",
        donation,
        actor=actor,
        reason=req.reason,
        changes={
            "reversal": reversal.id,
            "requested_by": req.requested_by_id,
            "reference": req.bank_reference,
        },
    )
    queue_email(
        donation.backer or donation.email,
        _l("Your donation was refunded"),
        "funding/email/donation_refunded",
        donation=donation,
        project=donation.project,
        reason=req.reason,
    )


def _pay_back_investment(inv: Investment, req: RefundRequest, *, actor) -> None:
    """Move the amount out of refunds payable to the channel it leaves by: Stripe clearing for a
    card refund (idempotency key ``investment-<id>-return``), the bank for a transfer."""
    if inv.state != InvestmentState.RETURN_DUE:
        raise InvalidTransition(_l("Only an investment owed back can be paid back."))
    by_card = req.method == PayMethod.CARD
    if by_card:
        refund = refund_card(
            inv, "investment", inv.payment_intent_id, inv.amount, key=f"investment-{inv.id}-return"
        )
        reference, channel = str(gateway.get(refund, "id")), "stripe_clearing"
    else:
        reference, channel = req.bank_reference, "bank"
    entry = ledger.post_entry(
        "refund",
        [
            ledger.Leg.debit(ledger.get_account("refunds_payable", inv.currency), inv.amount),
            ledger.Leg.credit(ledger.get_account(channel, inv.currency), inv.amount),
        ],
        memo=f"Investment {inv.reference_code} paid back",
        idempotency_key=f"investment:{inv.id}:paid-back",
        source_type="investment",
        source_id=inv.id,
        project_id=inv.project_id,
        actor=actor,
    )
    db.session.add(
        InvestmentReturn(
            investment_id=inv.id,
            method=req.method,
            reference=reference,
            entry_id=entry.id,
            returned_by_id=actor.id,
        )
    )
    inv.state = InvestmentState.REFUNDED.value
    db.session.flush()
    record(
        "investment.paid_back",
        inv,
        actor=actor,
        changes={
            "entry": entry.id,
            "method": req.method,
            "reference": reference,
            "requested_by": req.requested_by_id,
        },
    )
    queue_email(
        inv.investor,
        _l("Your investment was paid back"),
        "funding/email/investment_paid_back",
        investment=inv,
        project=inv.project,
        by_card=by_card,
        reference=reference,
    )
