"""The verbs of backing a project: donate, pledge, invest, settle a campaign, repay.

Every money movement is one ledger entry posted here, in the transaction of the business change,
with an idempotency key derived from our own ids (``donation:12``, ``pledge-collection:7``, …), so
a webhook, the payer's return page and a retry all end in the same single entry. The per-project
counters (:class:`ProjectTotals`) change in the same transaction as the backing that moves them.

Functions flush and never commit, except the campaign closer (:func:`close_due_campaigns`), which
runs outside a request and must commit the idempotency key of each off-session charge before
calling Stripe.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import date, datetime, timedelta

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.util import identity_key

from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import InvalidTransition, NotFound, NotPermitted, ValidationFailed
from fundapp.core.forms import typed_amount
from fundapp.core.money import MAX_MINOR, Money
from fundapp.extensions import db
from fundapp.mail.services import queue_email
from fundapp.proposals.models import FundingModel, Project, ProjectState

from . import offline_pledges
from . import schedule as sched
from .models import (
    CampaignSettlement,
    Donation,
    DonationState,
    Investment,
    InvestmentReturn,
    InvestmentState,
    PayMethod,
    Pledge,
    PledgeMethod,
    PledgeState,
    ProjectTotals,
    Repayment,
    RepaymentSchedule,
    RepaymentShare,
    ScheduledRepayment,
)

log = logging.getLogger("fundapp.funding")

# Counting pledges: not yet collected but promised with a saved card or to be paid by transfer.
COUNTING_PLEDGES = (
    PledgeState.ACTIVE,
    PledgeState.CHARGING,
    PledgeState.PAYMENT_FAILED,
    PledgeState.AWAITING_TRANSFER,
)
INVESTMENT_CANCEL_CUTOFF = timedelta(hours=48)
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over the phone
FX_TOLERANCE_PER_MILLE = 30  # a converted transfer may differ from the backing by 3% (booked as FX)


def _now() -> datetime:
    return utcnow()


# -- amounts --------------------------------------------------------------------------------------


def parse_backing_amount(text, currency_text, project: Project, *, field: str = "amount") -> Money:
    """Read the amount a backer typed, in the project's currency, within its limits."""
    currency = (currency_text or project.currency or "").strip().upper()
    if currency != project.currency:
        raise ValidationFailed(
            _l(
                "This project is funded in %(currency)s; please give the amount in %(currency)s.",
                currency=project.currency,
            ),
            field="currency",
        )
    money = typed_amount(text, currency, field=field)
    check_backing_amount(money, project, field=field)
    return money


def minimum_backing(project: Project) -> Money:
    floor = int(current_app.config.get("MIN_BACKING_MINOR", 100))
    return Money(max(int(project.min_backing_minor or 0), floor), project.currency)


def maximum_backing(project: Project) -> Money:
    ceiling = int(current_app.config.get("MAX_BACKING_MINOR", 100_000_000_00))
    if project.max_backing_minor:
        ceiling = min(ceiling, int(project.max_backing_minor))
    return Money(min(ceiling, MAX_MINOR), project.currency)


def check_backing_amount(money: Money, project: Project, *, field: str = "amount") -> None:
    if not isinstance(money, Money):
        raise TypeError("amounts are Money")
    if money.currency != project.currency:
        raise ValidationFailed(
            _l("This project is funded in %(currency)s.", currency=project.currency), field="currency"
        )
    if money.amount <= 0:
        raise ValidationFailed(_l("The amount must be greater than zero."), field=field)
    low, high = minimum_backing(project), maximum_backing(project)
    if money < low:
        raise ValidationFailed(_l("The smallest amount is %(amount)s.", amount=str(low)), field=field)
    if money > high:
        raise ValidationFailed(_l("The largest amount is %(amount)s.", amount=str(high)), field=field)


def _clean_text(value, limit: int, field: str) -> str | None:
    text = (value or "").strip()
    if len(text) > limit:
        raise ValidationFailed(_l("At most %(n)s characters.", n=limit), field=field)
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise ValidationFailed(_l("This text contains characters that cannot be used."), field=field)
    return text or None


def new_reference(prefix: str) -> str:
    return prefix + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


# -- counters -------------------------------------------------------------------------------------


def _ensure_totals(project: Project) -> None:
    """Create the project's counters row if missing, without racing another writer."""
    dialect = db.session.get_bind().dialect.name
    values = {"project_id": project.id, "currency": project.currency, "updated_at": utcnow()}
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(ProjectTotals).values(**values).on_conflict_do_nothing())


def _locked_totals(project: Project) -> ProjectTotals:
    """The counters row, locked (FOR UPDATE) until the end of the transaction."""
    _ensure_totals(project)
    return db.session.scalars(
        select(ProjectTotals)
        .where(ProjectTotals.project_id == project.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _bump(project_id: int, **deltas: int) -> None:
    """Add ``deltas`` to the counters in one atomic UPDATE (no read-modify-write race)."""
    values = {name: getattr(ProjectTotals, name) + delta for name, delta in deltas.items() if delta}
    if not values:
        return
    values["updated_at"] = utcnow()
    db.session.execute(
        update(ProjectTotals)
        .where(ProjectTotals.project_id == project_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    # a row this session already holds now has stale figures (one it does not hold needs no read)
    row = db.session.identity_map.get(identity_key(ProjectTotals, project_id))
    if row is not None:
        db.session.expire(row)


def _channel_column(method: str) -> str:
    return {PayMethod.CARD: "card_minor", PayMethod.BANK: "bank_minor", PayMethod.MTO: "mto_minor"}[
        PayMethod(method)
    ]


def project_totals(project: Project) -> dict:
    """``{"raised", "pledged", "committed", "refunded", "repaid", "backers", "by_channel"}`` from the
    maintained counters (one row read, never a scan). Pledged counts promised, uncollected pledges;
    raised counts money received (donations, collected pledges, paid investments) less refunds."""
    row = db.session.get(ProjectTotals, project.id) if project.id is not None else None
    return _totals_of(project, row)


def _totals_of(project: Project, row: ProjectTotals | None) -> dict:
    cur = project.currency

    def m(value) -> Money:
        return Money(int(value or 0), cur)

    if row is None:
        zero = Money.zero(cur)
        return {
            "raised": zero,
            "pledged": zero,
            "committed": zero,
            "refunded": zero,
            "repaid": zero,
            "backers": 0,
            "pledgers": 0,
            "by_channel": {"card": zero, "bank": zero, "mto": zero},
        }
    return {
        "raised": m(row.raised_minor),
        "pledged": m(row.pledged_minor),
        "committed": m(row.committed_minor),
        "refunded": m(row.refunded_minor),
        "repaid": m(row.repaid_minor),
        "backers": int(row.backers),
        "pledgers": int(row.pledgers),
        "by_channel": {"card": m(row.card_minor), "bank": m(row.bank_minor), "mto": m(row.mto_minor)},
    }


# -- the books --------------------------------------------------------------------------------------


def _ledger():
    from fundapp.ledger import services as ledger

    return ledger


def _incoming_account(method: str, currency: str):
    code = {PayMethod.CARD: "stripe_clearing", PayMethod.BANK: "bank", PayMethod.MTO: "mto_clearing"}[
        PayMethod(method)
    ]
    return _ledger().get_account(code, currency)


def _post_receipt(
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
    ledger = _ledger()
    if legs is None:
        legs = [
            ledger.Leg.debit(_incoming_account(method, amount.currency), amount),
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
    ledger = _ledger()
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


# -- who may back what ------------------------------------------------------------------------------


def _require_open(project: Project, model: FundingModel) -> None:
    if project.state != ProjectState.FUNDRAISING:
        raise InvalidTransition(_l("This project is not raising money at the moment."))
    if project.funding_model != model:
        raise InvalidTransition(_l("This project is not funded this way."))
    if project.campaign_ends_at is not None and project.campaign_ends_at <= _now():
        raise InvalidTransition(_l("This campaign has ended."))
    if project.campaign_starts_at is not None and project.campaign_starts_at > _now():
        raise InvalidTransition(_l("This campaign has not started yet."))


def _check_method(method: str, *, allow_card: bool = True) -> str:
    from fundapp.payments import gateway

    if method not in {m.value for m in PayMethod}:
        raise ValidationFailed(_l("Choose how you will pay."), field="method")
    if method == PayMethod.CARD and not (allow_card and gateway.enabled()):
        raise ValidationFailed(_l("Card payments are not available; please use a transfer."), field="method")
    return method


def _public_label(user, public_name: str | None) -> str | None:
    """The public label of a backing: a name only when the backer chose to be named."""
    return _clean_text(public_name, 120, "public_name")


# -- donations ----------------------------------------------------------------------------------------


def check_donation(
    project: Project,
    *,
    amount: Money,
    method: str,
    email: str | None,
    backer=None,
    message: str | None = None,
) -> str:
    """Everything :func:`start_donation` checks, writing nothing (the confirmation step shows the
    donation before it exists). Returns the receipt's email address."""
    _require_open(project, FundingModel.DONATION)
    check_backing_amount(amount, project)
    _check_method(method)
    if backer is not None and getattr(backer, "is_authenticated", True):
        email = backer.email
    email = (email or "").strip().lower()
    if not email or "@" not in email or len(email) > 320:
        raise ValidationFailed(
            _l("Enter your email address, so that we can send you a receipt."), field="email"
        )
    _clean_text(message, 500, "message")
    return email


def start_donation(
    project: Project,
    *,
    amount: Money,
    method: str,
    email: str | None,
    backer=None,
    public_name: str | None = None,
    message: str | None = None,
) -> Donation:
    """A donation waiting for its money: by card (then :func:`open_donation_checkout`) or by transfer
    (the backer gets instructions with the donation's reference code)."""
    email = check_donation(project, amount=amount, method=method, email=email, backer=backer, message=message)
    donation = Donation(
        project_id=project.id,
        backer_id=getattr(backer, "id", None),
        email=email,
        amount_minor=amount.amount,
        currency=amount.currency,
        method=method,
        state=DonationState.PENDING.value,
        public_name=_public_label(backer, public_name),
        message=_clean_text(message, 500, "message"),
        reference_code=new_reference("D"),
        access_token=secrets.token_urlsafe(24),
    )
    db.session.add(donation)
    db.session.flush()
    _ensure_totals(project)
    if method == PayMethod.CARD:
        from fundapp.payments.services import prepare_stripe_call

        prepare_stripe_call("checkout", donation, key=f"donation-{donation.id}-checkout")
    record("donation.started", donation, actor=backer, changes={"amount": str(amount), "method": method})
    return donation


def open_donation_checkout(donation: Donation, *, success_url: str, cancel_url: str) -> str:
    """Create (or, with the same idempotency key, find again) the hosted Checkout for a donation;
    returns the URL to send the payer to."""
    from fundapp.payments import gateway
    from fundapp.payments.services import complete_stripe_call, stored_key

    if donation.state != DonationState.PENDING or donation.method != PayMethod.CARD:
        raise InvalidTransition(_l("This donation is not waiting for a card payment."))
    key = stored_key("checkout", donation)
    session = gateway.create_payment_checkout(
        amount=donation.amount,
        description=f"Hamvatan Fund: {donation.project.title}"[:200],
        success_url=success_url,
        cancel_url=cancel_url,
        metadata={"kind": "donation", "id": donation.id, "reference": donation.reference_code},
        customer_email=donation.email,
        idempotency_key=key,
    )
    donation.checkout_session_id = session.id
    complete_stripe_call(key, session.id)
    db.session.flush()
    return session.url


def _lock(model, obj_id):
    return db.session.scalars(
        select(model).where(model.id == obj_id).with_for_update().execution_options(populate_existing=True)
    ).one_or_none()


def receive_donation(donation: Donation, *, legs=None, actor=None, via: str = "card") -> Donation:
    """The donation's money has arrived: post it, count it, send the receipt (once)."""
    donation = _lock(Donation, donation.id)
    if donation.state == DonationState.RECEIVED:
        return donation
    if donation.state != DonationState.PENDING:
        raise InvalidTransition(_l("This donation cannot be received in its current state."))
    project = donation.project
    entry = _post_receipt(
        "donation",
        project=project,
        method=donation.method,
        amount=donation.amount,
        key=f"donation:{donation.id}",
        memo=f"Donation {donation.reference_code} to project {project.id}",
        source_type="donation",
        source_id=donation.id,
        backer_label=donation.public_name,
        actor=actor,
        legs=legs,
    )
    donation.state = DonationState.RECEIVED.value
    donation.received_at = utcnow()
    donation.ledger_entry_id = entry.id
    _ensure_totals(project)
    _bump(
        project.id,
        raised_minor=donation.amount_minor,
        backers=1,
        **{_channel_column(donation.method): donation.amount_minor},
    )
    record("donation.received", donation, actor=actor, changes={"entry": entry.id, "via": via})
    close_at_goal(project)
    queue_email(
        donation.backer or donation.email,
        _l("Thank you: your donation was received"),
        "funding/email/donation_receipt",
        donation=donation,
        project=project,
        link=_external("funding.donation_status", token=donation.access_token),
        evidence_link=_external("ledger_api.posting_receipt_proof", entry_id=entry.id),
    )
    return donation


def fail_donation(donation: Donation) -> Donation:
    donation = _lock(Donation, donation.id)
    if donation.state == DonationState.PENDING:
        donation.state = DonationState.FAILED.value
        record("donation.failed", donation)
    return donation


# -- card payments (from the return page or a webhook) -------------------------------------------------


def apply_payment_intent(pi) -> str:
    """A PaymentIntent re-read from Stripe: if it succeeded, receive what it paid for (once).
    Returns what happened, for the event log."""
    from fundapp.payments import gateway

    g = gateway.get
    meta = g(pi, "metadata") or {}
    kind, obj_id = g(meta, "kind"), g(meta, "id")
    if not kind or not obj_id or not str(obj_id).isdigit():
        return "ignored"
    status = g(pi, "status")
    amount = Money(int(g(pi, "amount")), str(g(pi, "currency")).upper())
    target = {"donation": Donation, "pledge": Pledge, "investment": Investment}.get(kind)
    if target is None:
        return "ignored"
    obj = db.session.get(target, int(obj_id))
    if obj is None:
        return "unknown"
    if status != "succeeded":
        # a later success (re-read) still wins: only a pending donation is marked failed
        if (
            status in ("requires_payment_method", "canceled")
            and kind == "donation"
            and obj.payment_intent_id in (None, g(pi, "id"))
        ):
            return "failed" if fail_donation(obj).state == DonationState.FAILED else "noop"
        return "not_succeeded"
    if obj.amount != amount:
        log.error("payment %s pays %s but %s %s is %s", g(pi, "id"), amount, kind, obj.id, obj.amount)
        return "amount_mismatch"
    pi_id = g(pi, "id")
    fee = gateway.fee_of(pi)
    if kind == "donation":
        obj = _lock(Donation, obj.id)
        if obj.state == DonationState.RECEIVED:
            return "noop"
        if obj.state == DonationState.CANCELLED:  # the backer cancelled, then paid: give it back
            return _refund_late_payment(pi_id, amount, fee, kind=kind, obj=obj)
        if obj.state == DonationState.FAILED:
            obj.state = DonationState.PENDING.value  # the re-read PaymentIntent says it was paid after all
        obj.payment_intent_id = pi_id
        obj.fee_minor = fee.amount if fee else None
        receive_donation(obj, via="card")
        book_stripe_fee(
            fee, payment_intent_id=pi_id, project_id=obj.project_id, source_type="donation", source_id=obj.id
        )
        return "received"
    if kind == "pledge":
        result = _receive_pledge_payment(obj, pi_id, fee)
    else:
        result = _receive_investment_payment(obj, pi_id, fee, method=PayMethod.CARD)
    if result == "unexpected_state":
        return _refund_late_payment(pi_id, amount, fee, kind=kind, obj=obj)
    return result


def _refund_card(obj, kind: str, payment_intent: str, amount: Money, *, key: str):
    """Refund (part of) a card payment through Stripe, the idempotency key stored before the call
    (the same key again: Stripe answers with the same refund, never a second one)."""
    from fundapp.payments import gateway
    from fundapp.payments.services import prepare_stripe_call

    prepare_stripe_call("refund", obj, key=key)
    return gateway.refund(
        payment_intent=payment_intent,
        amount=amount,
        reason_code="requested_by_customer",
        metadata={"kind": kind, "id": obj.id},
        idempotency_key=key,
    )


def _refund_late_payment(pi_id: str, amount: Money, fee: Money | None, *, kind: str, obj) -> str:
    """A card payment for a backing that no longer takes money (an investment cancelled meanwhile, a
    pledge past its grace period): booked as owed back and refunded through Stripe, so the books
    still match Stripe's."""
    ledger = _ledger()
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
    _refund_card(obj, kind, pi_id, amount, key=f"late-payment-{pi_id}-refund")
    ledger.post_entry(
        "refund",
        [ledger.Leg.debit(owed, amount), ledger.Leg.credit(clearing, amount)],
        memo=f"Refund of late card payment {pi_id}",
        idempotency_key=f"late-payment:{pi_id}:refund",
        **common,
    )
    record(f"{kind}.late_payment_refunded", obj, changes={"payment_intent": pi_id, "amount": str(amount)})
    return "refunded_late_payment"


def apply_checkout_session(session) -> str:
    """A Checkout Session re-read from Stripe (payment intent and setup intent expanded)."""
    from fundapp.payments import gateway

    g = gateway.get
    mode = g(session, "mode")
    if mode == "setup":
        meta = g(session, "metadata") or {}
        if g(meta, "kind") != "pledge" or not str(g(meta, "id") or "").isdigit():
            return "ignored"
        si = g(session, "setup_intent")
        if isinstance(si, str):
            si = gateway.retrieve_setup_intent(si)
        if si is None or g(si, "status") != "succeeded":
            return "not_succeeded"
        pledge = db.session.get(Pledge, int(g(meta, "id")))
        if pledge is None:
            return "unknown"
        return save_pledge_card(pledge, payment_method=g(si, "payment_method"), session_id=g(session, "id"))
    pi = g(session, "payment_intent")
    if pi is None:
        return "not_paid"
    if isinstance(pi, str):
        pi = gateway.retrieve_payment_intent(pi)
    return apply_payment_intent(pi)


# -- pledges --------------------------------------------------------------------------------------------


def make_pledge(
    project: Project,
    *,
    backer,
    amount: Money,
    public_name: str | None = None,
    method: str = PledgeMethod.CARD.value,
) -> Pledge:
    """Pledge (or change the pledge of) ``backer`` to an all-or-nothing campaign. One pledge per
    backer and project: sending the form twice changes nothing more. A card pledge counts once its
    card is saved; a pledge to be paid by transfer (``method="transfer"``) counts at once."""
    if backer is None or not getattr(backer, "id", None):
        raise NotPermitted(_l("Please sign in to pledge."))
    _require_open(project, FundingModel.PLEDGE)
    check_backing_amount(amount, project)
    if method not in {m.value for m in PledgeMethod}:
        raise ValidationFailed(_l("Choose how you will pay."), field="method")
    label = _public_label(backer, public_name)
    _locked_totals(project)  # serialises pledges of this project: one row per backer, counters right
    pledge = db.session.scalars(
        select(Pledge)
        .where(Pledge.project_id == project.id, Pledge.backer_id == backer.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    counts = method == PledgeMethod.TRANSFER or bool(pledge is not None and pledge.payment_method_id)
    new_state = (PledgeState.ACTIVE if counts else PledgeState.AWAITING_CARD).value
    if pledge is None:
        pledge = Pledge(
            project_id=project.id,
            backer_id=backer.id,
            amount_minor=amount.amount,
            currency=amount.currency,
            public_name=label,
            method=method,
            state=new_state,
        )
        db.session.add(pledge)
        db.session.flush()
        if counts:
            _bump(project.id, pledged_minor=amount.amount, pledgers=1, backers=1)
        record("pledge.made", pledge, actor=backer, changes={"amount": str(amount), "method": method})
        return pledge
    if pledge.state not in (PledgeState.AWAITING_CARD, PledgeState.ACTIVE, PledgeState.CANCELLED):
        raise InvalidTransition(_l("This pledge can no longer be changed."))
    old, old_method = pledge.amount, pledge.method
    if pledge.state == PledgeState.ACTIVE and counts:
        _bump(project.id, pledged_minor=amount.amount - old.amount)
    elif pledge.state == PledgeState.ACTIVE:  # from transfer back to a card not saved yet
        _bump(project.id, pledged_minor=-old.amount, pledgers=-1, backers=-1)
    elif counts:  # awaiting a card or cancelled, and now counting
        _bump(project.id, pledged_minor=amount.amount, pledgers=1, backers=1)
    pledge.state = new_state
    pledge.method = method
    pledge.amount_minor = amount.amount
    pledge.public_name = label
    pledge.updated_at = utcnow()
    db.session.flush()
    if old != amount or old_method != method:
        record(
            "pledge.changed",
            pledge,
            actor=backer,
            changes={"amount": [str(old), str(amount)], "method": [old_method, method]},
        )
    return pledge


def open_pledge_card_setup(pledge: Pledge, *, success_url: str, cancel_url: str) -> str:
    """A Stripe customer for the backer and a Checkout Session in setup mode to save a card."""
    from fundapp.payments import gateway
    from fundapp.payments.services import complete_stripe_call, prepare_stripe_call

    if pledge.state not in (PledgeState.AWAITING_CARD, PledgeState.ACTIVE) or pledge.by_transfer:
        raise InvalidTransition(_l("This pledge is not open."))
    if not pledge.stripe_customer_id:
        key = f"pledge-{pledge.id}-customer"
        prepare_stripe_call("customer", pledge, key=key)
        customer = gateway.create_customer(
            email=pledge.backer.email,
            name=pledge.backer.display_name,
            metadata={"user_id": pledge.backer_id},
            idempotency_key=key,
        )
        pledge.stripe_customer_id = customer.id
        complete_stripe_call(key, customer.id)
    call = prepare_stripe_call("setup", pledge, key=None)
    session = gateway.create_setup_checkout(
        customer=pledge.stripe_customer_id,
        currency=pledge.currency,
        success_url=success_url,
        cancel_url=cancel_url,
        metadata={"kind": "pledge", "id": pledge.id},
        idempotency_key=call.idempotency_key,
    )
    pledge.setup_session_id = session.id
    complete_stripe_call(call.idempotency_key, session.id)
    db.session.flush()
    return session.url


def save_pledge_card(pledge: Pledge, *, payment_method: str, session_id: str | None = None) -> str:
    """The backer saved a card: the pledge now counts towards the goal."""
    from fundapp.payments import gateway

    pledge = _lock(Pledge, pledge.id)
    if pledge.state not in (PledgeState.AWAITING_CARD, PledgeState.ACTIVE) or pledge.by_transfer:
        return "noop"
    if pledge.payment_method_id == payment_method:
        return "noop"
    pm_id = payment_method if isinstance(payment_method, str) else gateway.get(payment_method, "id")
    pledge.payment_method_id = pm_id
    try:
        pm = gateway.client().v1.payment_methods.retrieve(pm_id)
        pledge.card_last4 = str(gateway.get(gateway.get(pm, "card"), "last4") or "")[:4] or None
    except Exception:  # noqa: BLE001 - the last four digits are a courtesy, not needed
        pledge.card_last4 = None
    if pledge.state == PledgeState.AWAITING_CARD:
        pledge.state = PledgeState.ACTIVE.value
        _ensure_totals(pledge.project)
        _bump(pledge.project_id, pledged_minor=pledge.amount_minor, pledgers=1, backers=1)
        queue_email(
            pledge.backer,
            _l("Your pledge is registered"),
            "funding/email/pledge_active",
            pledge=pledge,
            project=pledge.project,
        )
    pledge.updated_at = utcnow()
    record("pledge.card_saved", pledge, actor=pledge.backer)
    return "card_saved"


def campaign_running(project: Project) -> bool:
    """Whether the project's campaign is raising money now (fundraising and not past its end)."""
    return project.state == ProjectState.FUNDRAISING and (
        project.campaign_ends_at is None or project.campaign_ends_at > _now()
    )


def cancel_pledge(pledge: Pledge, *, actor) -> Pledge:
    """The backer cancels a pledge not yet paid: until the end of the campaign it is cancelled;
    after a success, an unpaid one lapses at once (:func:`offline_pledges.withdraw_unpaid`)."""
    if actor is None or actor.id != pledge.backer_id:
        raise NotPermitted(_l("Only the backer can cancel this pledge."))
    if pledge.state in offline_pledges.AWAITING_PAYMENT or pledge.state == PledgeState.LAPSED:
        return offline_pledges.withdraw_unpaid(pledge, actor=actor)
    project = pledge.project
    if not campaign_running(project):
        raise InvalidTransition(_l("The campaign has ended: the pledge can no longer be cancelled."))
    _locked_totals(project)
    pledge = _lock(Pledge, pledge.id)
    if pledge.state == PledgeState.CANCELLED:
        return pledge
    if pledge.state not in (PledgeState.AWAITING_CARD, PledgeState.ACTIVE):
        raise InvalidTransition(_l("This pledge can no longer be cancelled."))
    if pledge.state == PledgeState.ACTIVE:
        _bump(project.id, pledged_minor=-pledge.amount_minor, pledgers=-1, backers=-1)
    pledge.state = PledgeState.CANCELLED.value
    pledge.updated_at = utcnow()
    record("pledge.cancelled", pledge, actor=actor)
    return pledge


def _receive_pledge_payment(pledge: Pledge, pi_id: str, fee: Money | None, *, locked: bool = False) -> str:
    if not locked:  # the caller may hold the row's lock in this transaction already
        pledge = _lock(Pledge, pledge.id)
    if pledge.state == PledgeState.COLLECTED:
        # already paid by transfer: this card payment is one too many and goes back (the caller refunds)
        return "unexpected_state" if pledge.receipt_id is not None else "noop"
    if pledge.state not in (PledgeState.CHARGING, PledgeState.PAYMENT_FAILED, PledgeState.ACTIVE):
        log.warning("pledge %s paid by %s in state %s", pledge.id, pi_id, pledge.state)
        return "unexpected_state"
    project = pledge.project
    entry = _post_receipt(
        "pledge_collection",
        project=project,
        method=PayMethod.CARD,
        amount=pledge.amount,
        key=f"pledge-collection:{pledge.id}",
        memo=f"Pledge {pledge.id} collected for project {project.id}",
        source_type="pledge",
        source_id=pledge.id,
        backer_label=pledge.public_name,
    )
    book_stripe_fee(
        fee, payment_intent_id=pi_id, project_id=project.id, source_type="pledge", source_id=pledge.id
    )
    pledge.state = PledgeState.COLLECTED.value
    pledge.payment_intent_id = pi_id
    pledge.fee_minor = fee.amount if fee else None
    pledge.ledger_entry_id = entry.id
    pledge.collected_at = utcnow()
    pledge.grace_until = None
    _bump(
        project.id,
        pledged_minor=-pledge.amount_minor,
        raised_minor=pledge.amount_minor,
        card_minor=pledge.amount_minor,
    )
    record("pledge.collected", pledge, changes={"entry": entry.id, "payment_intent": pi_id})
    queue_email(
        pledge.backer,
        _l("Your pledge was collected"),
        "funding/email/pledge_collected",
        pledge=pledge,
        project=project,
        link=_external("funding.pledge_receipt", pledge_id=pledge.id),
        evidence_link=_external("ledger_api.posting_receipt_proof", entry_id=entry.id),
    )
    return "received"


def _fail_pledge_charge(pledge: Pledge, pi_id: str | None) -> None:
    grace = timedelta(days=int(current_app.config.get("PLEDGE_GRACE_DAYS", 7)))
    pledge.state = PledgeState.PAYMENT_FAILED.value
    pledge.reference_code = pledge.reference_code or new_reference("P")  # it may be paid by transfer too
    pledge.payment_intent_id = pi_id or pledge.payment_intent_id
    pledge.grace_until = utcnow() + grace
    pledge.updated_at = utcnow()
    record("pledge.charge_failed", pledge, changes={"payment_intent": pi_id})
    queue_email(
        pledge.backer,
        _l("Your pledge could not be collected"),
        "funding/email/pledge_failed",
        pledge=pledge,
        project=pledge.project,
        link=_external("funding.pay_pledge", pledge_id=pledge.id),
    )


def open_pledge_payment(pledge: Pledge, *, actor, success_url: str, cancel_url: str) -> str:
    """A failed pledge can still be paid by card within its grace period."""
    from fundapp.payments import gateway
    from fundapp.payments.services import complete_stripe_call, prepare_stripe_call

    if actor is None or actor.id != pledge.backer_id:
        raise NotPermitted()
    if pledge.state != PledgeState.PAYMENT_FAILED or (pledge.grace_until and pledge.grace_until < _now()):
        raise InvalidTransition(_l("This pledge is not waiting for a payment."))
    call = prepare_stripe_call("pay", pledge, key=None)
    session = gateway.create_payment_checkout(
        amount=pledge.amount,
        description=f"Hamvatan Fund: {pledge.project.title}"[:200],
        success_url=success_url,
        cancel_url=cancel_url,
        metadata={"kind": "pledge", "id": pledge.id},
        customer=pledge.stripe_customer_id,
        idempotency_key=call.idempotency_key,
    )
    pledge.pay_session_id = session.id
    complete_stripe_call(call.idempotency_key, session.id)
    return session.url


# -- investments ------------------------------------------------------------------------------------------


def investment_cancel_deadline(project: Project) -> datetime | None:
    if project.campaign_ends_at is None:
        return None
    return project.campaign_ends_at - INVESTMENT_CANCEL_CUTOFF


def investment_room(project: Project) -> Money:
    """What can still be committed under the loan's cap (the goal), from the counters."""
    committed = project_totals(project)["committed"].amount
    return Money(max(int(project.goal_minor) - committed, 0), project.currency)


def check_investment(project: Project, amount: Money) -> None:
    """What the amount step checks before the terms are shown: the campaign is open, the amount
    is within the backing limits and within what is left under the cap (the commitment checks
    the cap again, under the row lock)."""
    _require_open(project, FundingModel.LOAN)
    check_backing_amount(amount, project)
    room = investment_room(project)
    if amount.amount > room.amount:
        if room.amount <= 0:
            raise ValidationFailed(_l("This loan is fully subscribed."), field="amount")
        raise ValidationFailed(
            _l("Only %(amount)s can still be invested in this project.", amount=str(room)), field="amount"
        )


def commit_investment(
    project: Project,
    *,
    investor,
    amount: Money,
    submission_token: str,
    risk_acknowledged: bool,
    public_name: str | None = None,
) -> Investment:
    """Commit ``amount`` to a loan project, never beyond its cap (the goal): the project's counters
    row is locked FOR UPDATE, so concurrent commitments are checked one after the other."""
    if investor is None or not getattr(investor, "id", None):
        raise NotPermitted(_l("Please sign in to invest."))
    if not risk_acknowledged:
        raise ValidationFailed(_l("Please confirm that you have read the terms and the risks."), field="risk")
    token = (submission_token or "").strip()
    if not token or len(token) > 64:
        raise ValidationFailed(_l("The form expired; please start again."), field="amount")
    existing = db.session.scalars(
        select(Investment).where(Investment.submission_token == token)
    ).one_or_none()
    if existing is not None:
        if existing.investor_id != investor.id:
            raise NotPermitted()
        return existing
    _require_open(project, FundingModel.LOAN)
    check_backing_amount(amount, project)
    totals = _locked_totals(project)
    room = int(project.goal_minor) - int(totals.committed_minor)
    if amount.amount > room:
        if room <= 0:
            raise InvalidTransition(_l("This loan is fully subscribed."))
        raise ValidationFailed(
            _l(
                "Only %(amount)s can still be invested in this project.",
                amount=str(Money(room, project.currency)),
            ),
            field="amount",
        )
    inv = Investment(
        project_id=project.id,
        investor_id=investor.id,
        amount_minor=amount.amount,
        currency=amount.currency,
        public_name=_public_label(investor, public_name),
        reference_code=new_reference("I"),
        submission_token=token,
        risk_acknowledged=True,
        state=InvestmentState.COMMITTED.value,
    )
    db.session.add(inv)
    db.session.flush()
    _bump(project.id, committed_minor=amount.amount, backers=1)
    record("investment.committed", inv, actor=investor, changes={"amount": str(amount)})
    queue_email(
        investor,
        _l("Your investment commitment"),
        "funding/email/investment_committed",
        investment=inv,
        project=project,
    )
    return inv


def cancel_investment(inv: Investment, *, actor) -> Investment:
    """The investor withdraws, until 48 hours before the campaign ends. Money already paid is owed back."""
    if actor is None or actor.id != inv.investor_id:
        raise NotPermitted(_l("Only the investor can cancel this investment."))
    project = inv.project
    cutoff = investment_cancel_deadline(project)
    if project.state != ProjectState.FUNDRAISING or (cutoff is not None and _now() >= cutoff):
        raise InvalidTransition(_l("Investments can be cancelled only until 48 hours before the deadline."))
    _locked_totals(project)
    inv = _lock(Investment, inv.id)
    if inv.state == InvestmentState.CANCELLED:
        return inv
    if inv.state == InvestmentState.PAID:
        _return_investment(inv, actor=actor)
        return inv
    if inv.state != InvestmentState.COMMITTED:
        raise InvalidTransition(_l("This investment can no longer be cancelled."))
    inv.state = InvestmentState.CANCELLED.value
    inv.cancelled_at = utcnow()
    _bump(project.id, committed_minor=-inv.amount_minor, backers=-1)
    record("investment.cancelled", inv, actor=actor)
    return inv


def _return_investment(inv: Investment, *, actor=None) -> None:
    """Paid money to go back to the investor: moved from the project to refunds payable."""
    ledger = _ledger()
    entry = ledger.post_entry(
        "refund",
        [
            ledger.Leg.debit(ledger.project_account(inv.project_id, inv.currency), inv.amount),
            ledger.Leg.credit(ledger.get_account("refunds_payable", inv.currency), inv.amount),
        ],
        memo=f"Investment {inv.reference_code} to be returned",
        idempotency_key=f"investment:{inv.id}:return",
        source_type="investment",
        source_id=inv.id,
        project_id=inv.project_id,
        actor=actor,
    )
    inv.state = InvestmentState.RETURN_DUE.value
    inv.cancelled_at = utcnow()
    _bump(
        inv.project_id,
        raised_minor=-inv.amount_minor,
        refunded_minor=inv.amount_minor,
        committed_minor=-inv.amount_minor,
        backers=-1,
        **{_channel_column(inv.method or "bank"): -inv.amount_minor},
    )
    record("investment.return_due", inv, actor=actor, changes={"entry": entry.id})
    queue_email(
        inv.investor,
        _l("Your investment will be returned"),
        "funding/email/investment_returned",
        investment=inv,
        project=inv.project,
    )


def investments_to_return() -> list[Investment]:
    """Investments owed back and not yet paid back, oldest first (the treasurer's work list)."""
    return list(
        db.session.scalars(
            select(Investment)
            .where(Investment.state == InvestmentState.RETURN_DUE.value)
            .order_by(Investment.cancelled_at, Investment.id)
        )
    )


def return_of(inv: Investment) -> InvestmentReturn | None:
    return db.session.get(InvestmentReturn, inv.id)


def open_investment_checkout(inv: Investment, *, actor, success_url: str, cancel_url: str) -> str:
    from fundapp.payments import gateway
    from fundapp.payments.services import complete_stripe_call, prepare_stripe_call

    if actor is None or actor.id != inv.investor_id:
        raise NotPermitted()
    if inv.state != InvestmentState.COMMITTED:
        raise InvalidTransition(_l("This investment is not waiting for a payment."))
    key = f"investment-{inv.id}-checkout"
    prepare_stripe_call("checkout", inv, key=key)
    session = gateway.create_payment_checkout(
        amount=inv.amount,
        description=f"Hamvatan Fund loan: {inv.project.title}"[:200],
        success_url=success_url,
        cancel_url=cancel_url,
        metadata={"kind": "investment", "id": inv.id, "reference": inv.reference_code},
        customer_email=inv.investor.email,
        idempotency_key=key,
    )
    inv.checkout_session_id = session.id
    complete_stripe_call(key, session.id)
    return session.url


def _receive_investment_payment(
    inv: Investment, pi_id: str | None, fee: Money | None, *, method: str, legs=None, actor=None
) -> str:
    inv = _lock(Investment, inv.id)
    if inv.state == InvestmentState.PAID:
        return "noop"
    if inv.state != InvestmentState.COMMITTED:
        log.warning("investment %s paid in state %s", inv.id, inv.state)
        return "unexpected_state"
    project = inv.project
    entry = _post_receipt(
        "investment",
        project=project,
        method=method,
        amount=inv.amount,
        key=f"investment:{inv.id}",
        memo=f"Investment {inv.reference_code} in project {project.id}",
        source_type="investment",
        source_id=inv.id,
        backer_label=inv.public_name,
        actor=actor,
        legs=legs,
    )
    if pi_id:
        book_stripe_fee(
            fee, payment_intent_id=pi_id, project_id=project.id, source_type="investment", source_id=inv.id
        )
    inv.state = InvestmentState.PAID.value
    inv.method = method
    inv.payment_intent_id = pi_id
    inv.fee_minor = fee.amount if fee else None
    inv.ledger_entry_id = entry.id
    inv.paid_at = utcnow()
    _bump(project.id, raised_minor=inv.amount_minor, **{_channel_column(method): inv.amount_minor})
    record("investment.paid", inv, actor=actor, changes={"entry": entry.id})
    queue_email(
        inv.investor,
        _l("Your investment was received"),
        "funding/email/investment_paid",
        investment=inv,
        project=project,
        link=_external("funding.investment_detail", investment_id=inv.id),
        evidence_link=_external("ledger_api.posting_receipt_proof", entry_id=entry.id),
    )
    return "received"


# -- offline money (called by fundapp.payments when a receipt is confirmed) ---------------------------


def find_backing(reference: str):
    """The donation or investment with this reference code, or None."""
    ref = (reference or "").strip().upper().replace(" ", "").replace("-", "")
    if not ref:
        return None
    if ref.startswith("D"):
        return db.session.scalars(select(Donation).where(Donation.reference_code == ref)).one_or_none()
    if ref.startswith("I"):
        return db.session.scalars(select(Investment).where(Investment.reference_code == ref)).one_or_none()
    if ref.startswith("P"):
        return db.session.scalars(select(Pledge).where(Pledge.reference_code == ref)).one_or_none()
    return None


def receive_offline(receipt, *, legs, actor) -> object:
    """Receive the backing a confirmed offline receipt pays for (or a new donation when it names
    none); ``legs`` are the receipt's ledger legs (with the FX legs when currencies differ)."""
    method = receipt.method
    backing = find_backing(receipt.backing_reference) if receipt.backing_reference else None
    if isinstance(backing, Pledge):
        return offline_pledges.receive_transfer(backing, receipt=receipt, legs=legs, actor=actor)
    if isinstance(backing, Investment):
        result = _receive_investment_payment(backing, None, None, method=method, legs=legs, actor=actor)
        if result != "received":
            raise InvalidTransition(_l("The investment with this reference is not waiting for a payment."))
        backing.receipt_id = receipt.id
        return backing
    if isinstance(backing, Donation):
        if backing.state != DonationState.PENDING:
            raise InvalidTransition(_l("The donation with this reference is not waiting for a payment."))
        backing.method = method
        backing.receipt_id = receipt.id
        receive_donation(backing, legs=legs, actor=actor, via=method)
        return backing
    project = receipt.project
    donation = Donation(
        project_id=project.id,
        backer_id=None,
        email="",
        amount_minor=receipt.credited_minor,
        currency=receipt.credited_currency,
        method=method,
        state=DonationState.PENDING.value,
        public_name=None,
        reference_code=new_reference("D"),
        access_token=secrets.token_urlsafe(24),
        receipt_id=receipt.id,
    )
    db.session.add(donation)
    db.session.flush()
    _ensure_totals(project)
    _receive_offline_donation(donation, legs=legs, actor=actor)
    return donation


def _receive_offline_donation(donation, *, legs, actor):
    """A transfer that named no backing: a donation without an email receipt."""
    project = donation.project
    entry = _post_receipt(
        "donation",
        project=project,
        method=donation.method,
        amount=donation.amount,
        key=f"donation:{donation.id}",
        memo=f"Transfer received for project {project.id}",
        source_type="donation",
        source_id=donation.id,
        backer_label=None,
        actor=actor,
        legs=legs,
    )
    donation.state = DonationState.RECEIVED.value
    donation.received_at = utcnow()
    donation.ledger_entry_id = entry.id
    _bump(
        project.id,
        raised_minor=donation.amount_minor,
        backers=1,
        **{_channel_column(donation.method): donation.amount_minor},
    )
    record("donation.received", donation, actor=actor, changes={"entry": entry.id, "via": donation.method})
    close_at_goal(project)


# -- campaign settlement -----------------------------------------------------------------------------


def _runner_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def _claim(project: Project, outcome: str, counted: int) -> CampaignSettlement | None:
    """Insert the settlement claim; None when another closer claimed it first."""
    if db.session.scalars(
        select(CampaignSettlement).where(CampaignSettlement.project_id == project.id)
    ).first():
        return None
    claim = CampaignSettlement(
        project_id=project.id,
        outcome=outcome,
        goal_minor=int(project.goal_minor),
        counted_minor=counted,
        claimed_by=_runner_id(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(claim)
            db.session.flush()
    except IntegrityError:
        return None
    return claim


# The stored note of a donation campaign closed early (shown in the reader's language, see
# proposals.services.TIMELINE_NOTES).
CLOSED_AT_GOAL = "campaign closed early: goal received"


def goal_received(project: Project) -> bool:
    """Has a donation campaign received (not merely been promised) its whole goal?"""
    return (
        project.funding_model == FundingModel.DONATION
        and project.goal_minor > 0
        and project_totals(project)["raised"].amount >= project.goal_minor
    )


def close_at_goal(project: Project) -> CampaignSettlement | None:
    """The rule for donations: a campaign that has received its goal is ``funded`` at once — it
    closes early, takes no new donations and its author may ask for payouts. Donations already
    started (a transfer on its way) are still received and counted when they arrive. Called in
    the transaction that received the money; the settlement claim makes it happen once."""
    if project.state != ProjectState.FUNDRAISING or not goal_received(project):
        return None
    return settle_campaign(project, at_goal=True)


def funding_rule(project: Project):
    """When a project of this funding model becomes ``funded`` (and payouts may be asked for), in a
    sentence for its page and its author."""
    from flask_babel import format_date

    ends = format_date(project.campaign_ends_at, "medium") if project.campaign_ends_at else "—"
    goal = str(project.goal)
    if project.funding_model == FundingModel.DONATION:
        return _l(
            "A donation campaign is funded as soon as it has received its goal of %(goal)s, or when it "
            "ends on %(date)s with whatever it has received.",
            goal=goal,
            date=ends,
        )
    if project.funding_model == FundingModel.PLEDGE:
        return _l(
            "An all-or-nothing campaign is funded when it ends on %(date)s with pledges reaching its "
            "goal of %(goal)s; the pledges are collected then.",
            goal=goal,
            date=ends,
        )
    return _l(
        "A loan campaign is funded when it ends on %(date)s with paid investments reaching its goal of "
        "%(goal)s.",
        goal=goal,
        date=ends,
    )


def settle_campaign(project: Project, *, actor=None, at_goal: bool = False) -> CampaignSettlement | None:
    """Decide a campaign whose end has passed (call inside a transaction; the caller commits).

    Goal met: the project is ``funded`` (pledges are then charged by :func:`collect_pledges`, a loan
    gets its repayment schedule). Goal missed: ``unsuccessful``, pledges released, paid investments
    owed back. Donation campaigns keep what they raised: funded when anything was received — and
    at once when they receive their whole goal (``at_goal``, :func:`close_at_goal`)."""
    project = db.session.scalars(
        select(Project)
        .where(Project.id == project.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if project.state != ProjectState.FUNDRAISING:
        return None
    if at_goal and not goal_received(project):
        return None
    totals = project_totals(project)
    model = project.funding_model
    if model == FundingModel.PLEDGE:
        counted = totals["pledged"].amount + totals["raised"].amount
        success = counted >= project.goal_minor and counted > 0
    elif model == FundingModel.LOAN:
        counted = totals["raised"].amount
        success = counted >= project.goal_minor and counted > 0
    else:
        counted = totals["raised"].amount
        success = counted > 0
    claim = _claim(project, "funded" if success else "unsuccessful", counted)
    if claim is None:
        return None
    from fundapp.proposals import services as proposals

    if at_goal:
        proposals.mark_funded(project, actor=actor, comment=CLOSED_AT_GOAL)
    elif success:
        proposals.mark_funded(project, actor=actor, comment="campaign closed: goal met")
    else:
        proposals.mark_unsuccessful(project, actor=actor, comment="campaign closed: goal not met")
    _after_settlement(project, claim)
    return claim


def _after_settlement(project: Project, claim: CampaignSettlement) -> None:
    if claim.outcome == "unsuccessful":
        _release_pledges(project)
        for inv in db.session.scalars(select(Investment).where(Investment.project_id == project.id)).all():
            if inv.state == InvestmentState.PAID:
                _return_investment(inv)
            elif inv.state == InvestmentState.COMMITTED:
                inv.state = InvestmentState.LAPSED.value
                _bump(project.id, committed_minor=-inv.amount_minor, backers=-1)
        claim.finished_at = utcnow()
        return
    if project.funding_model == FundingModel.LOAN:
        for inv in db.session.scalars(
            select(Investment).where(
                Investment.project_id == project.id, Investment.state == InvestmentState.COMMITTED
            )
        ).all():
            inv.state = InvestmentState.LAPSED.value
            _bump(project.id, committed_minor=-inv.amount_minor, backers=-1)
            queue_email(
                inv.investor,
                _l("Your investment commitment lapsed"),
                "funding/email/investment_lapsed",
                investment=inv,
                project=project,
            )
        generate_schedule(project)
    for pledge in db.session.scalars(
        select(Pledge).where(Pledge.project_id == project.id, Pledge.state == PledgeState.AWAITING_CARD)
    ).all():
        pledge.state = PledgeState.RELEASED.value  # never had a card: nothing to charge
    offline_pledges.request_transfers(project)
    if project.funding_model != FundingModel.PLEDGE:
        claim.finished_at = utcnow()


def _release_pledges(project: Project) -> None:
    for pledge in db.session.scalars(
        select(Pledge).where(
            Pledge.project_id == project.id,
            Pledge.state.in_(list(COUNTING_PLEDGES) + [PledgeState.AWAITING_CARD]),
        )
    ).all():
        if pledge.state in COUNTING_PLEDGES:
            _bump(project.id, pledged_minor=-pledge.amount_minor, pledgers=-1, backers=-1)
        pledge.state = PledgeState.RELEASED.value
        pledge.updated_at = utcnow()
        record("pledge.released", pledge)
        queue_email(
            pledge.backer,
            _l("The campaign did not reach its goal"),
            "funding/email/pledge_released",
            pledge=pledge,
            project=project,
        )


def _on_project_transition(project, name, from_state, actor) -> None:
    """Decisions taken by hand (an administrator closing or cancelling a campaign) settle backings too."""
    if name == "cancel_project" and from_state == ProjectState.FUNDRAISING:
        _release_pledges(project)
        for inv in db.session.scalars(select(Investment).where(Investment.project_id == project.id)).all():
            if inv.state == InvestmentState.PAID:
                _return_investment(inv, actor=actor)
            elif inv.state == InvestmentState.COMMITTED:
                inv.state = InvestmentState.LAPSED.value
                _bump(project.id, committed_minor=-inv.amount_minor, backers=-1)
        return
    if name in ("mark_funded", "mark_unsuccessful") and actor is not None:
        outcome = "funded" if name == "mark_funded" else "unsuccessful"
        claim = _claim(project, outcome, project_totals(project)["raised"].amount)
        if claim is not None:
            _after_settlement(project, claim)


def charge_pledge(pledge_id: int) -> str:
    """Collect one pledge of a funded campaign. Commits: the idempotency key is stored before the
    call; after a crash the next run sends the same key (Stripe answers with the same PaymentIntent,
    no second charge) and re-reads the PaymentIntent before posting."""
    from fundapp.payments import gateway
    from fundapp.payments.services import prepare_stripe_call

    pledge = _lock(Pledge, pledge_id)
    if (
        pledge is None
        or pledge.state not in (PledgeState.ACTIVE, PledgeState.CHARGING)
        or pledge.method != PledgeMethod.CARD
    ):
        db.session.commit()
        return "skipped"
    fresh = pledge.state == PledgeState.ACTIVE  # a new key: Stripe's answer cannot be a replay
    if fresh:
        pledge.charge_attempt += 1
        pledge.charge_key = f"pledge-{pledge.id}-charge-{pledge.charge_attempt}"
        pledge.state = PledgeState.CHARGING.value
        prepare_stripe_call("charge", pledge, key=pledge.charge_key)
    key, amount = pledge.charge_key, pledge.amount
    customer, pm, known_pi = pledge.stripe_customer_id, pledge.payment_method_id, pledge.payment_intent_id
    db.session.commit()  # the key is safely stored before Stripe is asked

    pi, declined = None, False
    if known_pi:
        pi = gateway.retrieve_payment_intent(known_pi)
    else:
        try:
            pi = gateway.charge_off_session(
                amount=amount,
                customer=customer,
                payment_method=pm,
                metadata={"kind": "pledge", "id": pledge_id},
                idempotency_key=key,
            )
        except gateway.CardDeclined as exc:
            declined, pi = True, exc.payment_intent
    _after_charge_hook()
    pi_id = gateway.get(pi, "id") if pi is not None else None
    if pi_id and not declined and not (fresh and gateway.get(pi, "status") == "succeeded"):
        # a resumed attempt may get the first call's answer replayed: the state that counts is
        # Stripe's now (a fresh key's answer is that already, with its fee expanded)
        pi = gateway.retrieve_payment_intent(pi_id)
    pledge = _lock(Pledge, pledge_id)
    if pledge.state != PledgeState.CHARGING:
        db.session.commit()
        return "skipped"
    if pi is not None and gateway.get(pi, "status") == "succeeded":
        result = _receive_pledge_payment(pledge, pi_id, gateway.fee_of(pi), locked=True)
    else:
        _fail_pledge_charge(pledge, pi_id)
        result = "failed"
    db.session.commit()
    return result


def _after_charge_hook() -> None:
    """Between the charge and its posting (tests put a simulated crash here)."""


def collect_pledges() -> dict:
    from fundapp.payments import gateway

    counts: dict[str, int] = {}
    if not gateway.enabled():  # pledges wait, saved, until card payments are configured again
        return {"waiting_for_stripe_keys": 1}
    claims = db.session.scalars(
        select(CampaignSettlement).where(
            CampaignSettlement.outcome == "funded", CampaignSettlement.finished_at.is_(None)
        )
    ).all()
    for claim in claims:
        ids = db.session.scalars(
            select(Pledge.id)
            .where(
                Pledge.project_id == claim.project_id,
                Pledge.state.in_([PledgeState.ACTIVE, PledgeState.CHARGING]),
                Pledge.method == PledgeMethod.CARD.value,
            )
            .order_by(Pledge.id)
        ).all()
        for pid in ids:
            try:
                result = charge_pledge(pid)
            except Exception:  # one pledge's trouble must not stop the others
                log.exception("charging pledge %s failed", pid)
                db.session.rollback()
                result = "error"
            counts[result] = counts.get(result, 0) + 1
        left = db.session.scalar(
            select(func.count(Pledge.id)).where(
                Pledge.project_id == claim.project_id,
                Pledge.state.in_([PledgeState.ACTIVE, PledgeState.CHARGING]),
                Pledge.method == PledgeMethod.CARD.value,
            )
        )
        if not left:
            claim = _lock(CampaignSettlement, claim.id)
            if claim.finished_at is None:
                claim.finished_at = utcnow()
        db.session.commit()
    return counts


def lapse_unpaid_pledges() -> int:
    """Pledges unpaid after their deadline (failed card, or transfer not arrived) lapse."""
    return offline_pledges.lapse_overdue()


def close_due_campaigns(now: datetime | None = None) -> dict:
    """Settle every campaign whose end has passed, collect pledges, lapse unpaid ones. Safe to run
    every minute and from several machines at once (row locks and the settlement claim)."""
    now = now or _now()
    ids = db.session.scalars(
        select(Project.id)
        .where(Project.state == ProjectState.FUNDRAISING, Project.campaign_ends_at <= now)
        .order_by(Project.id)
    ).all()
    # donation campaigns that received their goal before this rule, or whose closing failed
    at_goal = db.session.scalars(
        select(Project.id)
        .join(ProjectTotals, ProjectTotals.project_id == Project.id)
        .where(
            Project.state == ProjectState.FUNDRAISING,
            Project.funding_model == FundingModel.DONATION,
            Project.goal_minor > 0,
            ProjectTotals.raised_minor >= Project.goal_minor,
        )
        .order_by(Project.id)
    ).all()
    db.session.commit()
    settled = []
    for pid in [*ids, *(i for i in at_goal if i not in ids)]:
        project = db.session.get(Project, pid)
        try:
            claim = settle_campaign(project) if pid in ids else close_at_goal(project)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("settling campaign of project %s failed", pid)
            continue
        if claim is not None:
            settled.append((pid, claim.outcome))
    collected = collect_pledges()
    lapsed = lapse_unpaid_pledges()
    return {"settled": settled, "charges": collected, "lapsed": lapsed}


# -- loans: schedule, repayments, distribution -----------------------------------------------------


def generate_schedule(project: Project, *, start: date | None = None) -> RepaymentSchedule:
    existing = db.session.scalars(
        select(RepaymentSchedule).where(RepaymentSchedule.project_id == project.id)
    ).one_or_none()
    if existing is not None:
        return existing
    principal = Money(
        int(
            db.session.scalar(
                select(func.coalesce(func.sum(Investment.amount_minor), 0)).where(
                    Investment.project_id == project.id, Investment.state == InvestmentState.PAID
                )
            )
        ),
        project.currency,
    )
    if principal.amount <= 0:
        raise InvalidTransition(_l("Nothing was invested: there is nothing to repay."))
    start = start or _now().date()
    rows = sched.build_schedule(
        principal,
        annual_rate_bp=int(project.annual_rate_bp or 0),
        term_months=int(project.term_months or 12),
        repayment_type=project.repayment_type or "annuity",
        start=start,
    )
    plan = RepaymentSchedule(
        project_id=project.id,
        principal_minor=principal.amount,
        currency=principal.currency,
        annual_rate_bp=int(project.annual_rate_bp or 0),
        term_months=int(project.term_months or 12),
        repayment_type=project.repayment_type or "annuity",
        start_on=start,
    )
    for r in rows:
        plan.instalments.append(
            ScheduledRepayment(
                number=r.number,
                due_on=r.due_on,
                principal_minor=r.principal.amount,
                interest_minor=r.interest.amount,
                amount_minor=r.amount.amount,
                paid_minor=0,
            )
        )
    db.session.add(plan)
    db.session.flush()
    record(
        "repayment_schedule.generated", plan, changes={"principal": str(principal), "instalments": len(rows)}
    )
    return plan


def schedule_for(project: Project) -> RepaymentSchedule | None:
    return db.session.scalars(
        select(RepaymentSchedule).where(RepaymentSchedule.project_id == project.id)
    ).one_or_none()


def record_repayment(
    project: Project, *, amount: Money, method: str, reference: str, received_on: date, actor
) -> Repayment:
    """A treasurer records money the project paid back; it is distributed at once to the investors
    pro rata to what they invested (largest remainder: not a minor unit created or lost)."""
    if actor is None or not actor.has_any_role("treasurer"):
        raise NotPermitted(_l("Only a treasurer can record a repayment."))
    if method not in (PayMethod.BANK, PayMethod.MTO):
        raise ValidationFailed(_l("Choose how the money arrived."), field="method")
    reference = _clean_text(reference, 120, "reference")
    if not reference:
        raise ValidationFailed(_l("Enter the transfer reference."), field="reference")
    if not isinstance(amount, Money) or amount.currency != project.currency:
        raise ValidationFailed(
            _l("The repayment must be in %(currency)s.", currency=project.currency), field="amount"
        )
    if amount.amount <= 0:
        raise ValidationFailed(_l("The amount must be greater than zero."), field="amount")
    if received_on > _now().date():
        raise ValidationFailed(_l("The date cannot be in the future."), field="received_on")
    plan = schedule_for(project)
    if plan is None:
        raise InvalidTransition(_l("This project has no repayment schedule."))
    _locked_totals(project)
    outstanding = sum(int(i.amount_minor) - int(i.paid_minor) for i in plan.instalments)
    if amount.amount > outstanding:
        raise ValidationFailed(
            _l("Only %(amount)s is still to be repaid.", amount=str(Money(outstanding, project.currency))),
            field="amount",
        )
    if db.session.scalars(
        select(Repayment).where(Repayment.project_id == project.id, Repayment.reference == reference)
    ).first():
        raise ValidationFailed(_l("A repayment with this reference was already recorded."), field="reference")
    # the investors come with their investments: one statement, however many there are (the
    # shares and their emails below then read nothing more per investor)
    paid = {
        inv.id: inv
        for inv in db.session.scalars(
            select(Investment)
            .where(Investment.project_id == project.id, Investment.state == InvestmentState.PAID)
            .order_by(Investment.id)
            .options(selectinload(Investment.investor))
        ).all()
    }
    holdings = [(inv.id, inv.amount) for inv in paid.values()]
    rep = Repayment(
        project_id=project.id,
        amount_minor=amount.amount,
        currency=amount.currency,
        method=method,
        reference=reference,
        received_on=received_on,
        recorded_by_id=actor.id,
    )
    db.session.add(rep)
    db.session.flush()
    ledger = _ledger()
    clearing = ledger.get_account("investor_repayments_clearing", amount.currency)
    entry = ledger.post_entry(
        "repayment",
        [
            ledger.Leg.debit(_incoming_account(method, amount.currency), amount),
            ledger.Leg.credit(clearing, amount),
        ],
        memo=f"Repayment {reference} from project {project.id}",
        idempotency_key=f"repayment:{rep.id}",
        source_type="repayment",
        source_id=rep.id,
        project_id=project.id,
        actor=actor,
    )
    dist = ledger.post_entry(
        "distribution",
        [
            ledger.Leg.debit(clearing, amount),
            ledger.Leg.credit(ledger.get_account("investor_payable", amount.currency), amount),
        ],
        memo=f"Repayment {reference} distributed to {len(holdings)} investors",
        idempotency_key=f"repayment:{rep.id}:distribution",
        source_type="repayment",
        source_id=rep.id,
        project_id=project.id,
        actor=actor,
    )
    rep.ledger_entry_id, rep.distribution_entry_id = entry.id, dist.id
    for inv_id, share in sched.distribute(amount, holdings):
        rep.shares.append(RepaymentShare(investment=paid[inv_id], amount_minor=share.amount))
    left = amount.amount
    for inst in plan.instalments:  # the oldest instalment is paid first
        if left <= 0:
            break
        take = min(left, int(inst.amount_minor) - int(inst.paid_minor))
        inst.paid_minor = int(inst.paid_minor) + take
        left -= take
    _bump(project.id, repaid_minor=amount.amount)
    db.session.flush()
    record(
        "repayment.recorded",
        rep,
        actor=actor,
        changes={"amount": str(amount), "entry": entry.id, "distribution": dist.id},
    )
    for share in rep.shares:
        if share.amount_minor > 0:
            queue_email(
                share.investment.investor,
                _l("A repayment was distributed to you"),
                "funding/email/repayment_share",
                share=share,
                repayment=rep,
                project=project,
            )
    return rep


def projected_repayments(project: Project, amount: Money) -> list:
    """The instalments the loan's terms give ``amount``, counted from today (before the campaign is
    funded there is no schedule yet; the real one starts when it is)."""
    if project.annual_rate_bp is None or not project.term_months:
        return []
    return sched.build_schedule(
        amount,
        annual_rate_bp=int(project.annual_rate_bp),
        term_months=int(project.term_months),
        repayment_type=project.repayment_type or "annuity",
        start=_now().date(),
    )


def portfolio(user) -> list[dict]:
    """Each investment of ``user`` with what it should bring back, what it brought, and arrears."""
    today = _now().date()
    out = []
    invs = db.session.scalars(
        select(Investment).where(Investment.investor_id == user.id).order_by(Investment.created_at.desc())
    ).all()
    for inv in invs:
        cur = inv.currency
        received = int(
            db.session.scalar(
                select(func.coalesce(func.sum(RepaymentShare.amount_minor), 0)).where(
                    RepaymentShare.investment_id == inv.id
                )
            )
        )
        expected = due = 0
        plan = schedule_for(inv.project) if inv.state == InvestmentState.PAID else None
        if plan is not None:
            holdings = [
                (i.id, i.amount)
                for i in db.session.scalars(
                    select(Investment)
                    .where(Investment.project_id == inv.project_id, Investment.state == InvestmentState.PAID)
                    .order_by(Investment.id)
                ).all()
            ]
            for inst in plan.instalments:
                share = dict(sched.distribute(Money(int(inst.amount_minor), cur), holdings))[inv.id]
                expected += share.amount
                if inst.due_on <= today:
                    due += share.amount
        elif inv.state in (InvestmentState.COMMITTED, InvestmentState.PAID):
            # no schedule before the campaign is funded: what the loan's terms give this amount
            expected = sum(i.amount.amount for i in projected_repayments(inv.project, inv.amount))
        out.append(
            {
                "investment": inv,
                "project": inv.project,
                "expected": Money(expected, cur),
                "due": Money(due, cur),
                "received": Money(received, cur),
                "arrears": Money(max(due - received, 0), cur),
                "schedule": plan,
            }
        )
    return out


# -- the backer's view ---------------------------------------------------------------------------------


def backings_of(user) -> dict:
    donations = db.session.scalars(
        select(Donation).where(Donation.backer_id == user.id).order_by(Donation.created_at.desc())
    ).all()
    pledges = db.session.scalars(
        select(Pledge).where(Pledge.backer_id == user.id).order_by(Pledge.created_at.desc())
    ).all()
    investments = portfolio(user)
    project_ids = (
        {d.project_id for d in donations}
        | {p.project_id for p in pledges}
        | {i["investment"].project_id for i in investments}
    )
    return {
        "donations": donations,
        "pledges": pledges,
        "investments": investments,
        "money_trail": [money_trail(db.session.get(Project, pid)) for pid in sorted(project_ids)],
    }


def money_trail(project: Project) -> dict:
    """Where a project's money went — received, held, disbursed — from the one account of its
    money (``proposals.services.project_money``: the sealed ledger), as every public page says."""
    from fundapp.proposals.services import project_money

    pm = project_money(project)
    zero = Money.zero(project.currency)
    if pm is None:
        return {"project": project, "received": zero, "held": zero, "disbursed": zero}
    return {"project": project, "received": pm.raised, "held": pm.held, "disbursed": pm.disbursed}


def get_donation_by_token(token: str) -> Donation:
    if not token or len(token) > 64:
        raise NotFound()
    d = db.session.scalars(select(Donation).where(Donation.access_token == token)).one_or_none()
    if d is None:
        raise NotFound()
    return d


def _external(endpoint: str, **values) -> str:
    try:
        return url_for(endpoint, _external=True, **values)
    except RuntimeError:  # outside a request (the campaign closer run by cron)
        base = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost"
        with current_app.test_request_context(base_url=base):
            return url_for(endpoint, _external=True, **values)


def backers_of_project(project: Project):
    """Registered backers of a project (they hear its news)."""
    ids = set(
        db.session.scalars(
            select(Donation.backer_id).where(
                Donation.project_id == project.id,
                Donation.backer_id.is_not(None),
                Donation.state == DonationState.RECEIVED,
            )
        ).all()
    )
    ids |= set(
        db.session.scalars(
            select(Pledge.backer_id).where(
                Pledge.project_id == project.id,
                Pledge.state.in_(list(COUNTING_PLEDGES) + [PledgeState.COLLECTED]),
            )
        ).all()
    )
    ids |= set(
        db.session.scalars(
            select(Investment.investor_id).where(
                Investment.project_id == project.id,
                Investment.state.in_([InvestmentState.COMMITTED, InvestmentState.PAID]),
            )
        ).all()
    )
    if not ids:
        return []
    from fundapp.accounts.models import User

    return list(db.session.scalars(select(User).where(User.id.in_(ids))).all())
