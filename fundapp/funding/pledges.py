"""All-or-nothing pledges: made, card saved, cancelled, charged when the campaign succeeds, and the
``pledge`` kind of the backing lifecycle."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.money import Money
from fundapp.core.phrases import canonical
from fundapp.extensions import db
from fundapp.mail.services import queue_email
from fundapp.payments import gateway, signals
from fundapp.payments.services import complete_stripe_call, prepare_stripe_call
from fundapp.proposals.models import FundingModel, Project

from . import offline_pledges
from .common import (
    campaign_running,
    check_backing_amount,
    external,
    lock,
    new_reference,
    now,
    public_label,
    require_open,
)
from .lifecycle import (
    Kind,
    receive,
    register_kind,
)
from .models import (
    CampaignSettlement,
    PayMethod,
    Pledge,
    PledgeMethod,
    PledgeState,
)
from .totals import bump, ensure_totals, locked_totals

log = logging.getLogger("fundapp.funding")


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
    require_open(project, FundingModel.PLEDGE)
    check_backing_amount(amount, project)
    if method not in {m.value for m in PledgeMethod}:
        raise ValidationFailed(_l("Choose how you will pay."), field="method")
    label = public_label(backer, public_name)
    locked_totals(project)  # serialises pledges of this project: one row per backer, counters right
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
            bump(project.id, pledged_minor=amount.amount, pledgers=1, backers=1)
        record("pledge.made", pledge, actor=backer, changes={"amount": str(amount), "method": method})
        return pledge
    if pledge.state not in (PledgeState.AWAITING_CARD, PledgeState.ACTIVE, PledgeState.CANCELLED):
        raise InvalidTransition(_l("This pledge can no longer be changed."))
    old, old_method = pledge.amount, pledge.method
    if pledge.state == PledgeState.ACTIVE and counts:
        bump(project.id, pledged_minor=amount.amount - old.amount)
    elif pledge.state == PledgeState.ACTIVE:  # from transfer back to a card not saved yet
        bump(project.id, pledged_minor=-old.amount, pledgers=-1, backers=-1)
    elif counts:  # awaiting a card or cancelled, and now counting
        bump(project.id, pledged_minor=amount.amount, pledgers=1, backers=1)
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
    pledge = lock(Pledge, pledge.id)
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
        ensure_totals(pledge.project)
        bump(pledge.project_id, pledged_minor=pledge.amount_minor, pledgers=1, backers=1)
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
    locked_totals(project)
    pledge = lock(Pledge, pledge.id)
    if pledge.state == PledgeState.CANCELLED:
        return pledge
    if pledge.state not in (PledgeState.AWAITING_CARD, PledgeState.ACTIVE):
        raise InvalidTransition(_l("This pledge can no longer be cancelled."))
    if pledge.state == PledgeState.ACTIVE:
        bump(project.id, pledged_minor=-pledge.amount_minor, pledgers=-1, backers=-1)
    pledge.state = PledgeState.CANCELLED.value
    pledge.updated_at = utcnow()
    record("pledge.cancelled", pledge, actor=actor)
    return pledge


def fail_pledge_charge(pledge: Pledge, pi_id: str | None) -> None:
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
        link=external("funding.pay_pledge", pledge_id=pledge.id),
    )


def open_pledge_payment(pledge: Pledge, *, actor, success_url: str, cancel_url: str) -> str:
    """A failed pledge can still be paid by card within its grace period."""
    if actor is None or actor.id != pledge.backer_id:
        raise NotPermitted()
    if pledge.state != PledgeState.PAYMENT_FAILED or (pledge.grace_until and pledge.grace_until < now()):
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


def charge_pledge(pledge_id: int) -> str:
    """Collect one pledge of a funded campaign. Commits: the idempotency key is stored before the
    call; after a crash the next run sends the same key (Stripe answers with the same PaymentIntent,
    no second charge) and re-reads the PaymentIntent before posting."""
    pledge = lock(Pledge, pledge_id)
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
    pledge = lock(Pledge, pledge_id)
    if pledge.state != PledgeState.CHARGING:
        db.session.commit()
        return "skipped"
    if pi is not None and gateway.get(pi, "status") == "succeeded":
        result = receive(
            pledge, method=PayMethod.CARD, payment_intent=pi_id, fee=gateway.fee_of(pi), locked=True
        )
    else:
        fail_pledge_charge(pledge, pi_id)
        result = "failed"
    db.session.commit()
    return result


def _after_charge_hook() -> None:
    """Between the charge and its posting (tests put a simulated crash here)."""


def collect_pledges() -> dict:
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
            claim = lock(CampaignSettlement, claim.id)
            if claim.finished_at is None:
                claim.finished_at = utcnow()
        db.session.commit()
    return counts


def _memo(pledge: Pledge, project, receipt) -> str:
    if receipt is not None:
        return canonical(offline_pledges.PAID_MEMO, id=pledge.id, project=project.id)
    return f"Pledge {pledge.id} collected for project {project.id}"


def _stamp(pledge: Pledge, method: str) -> None:
    pledge.collected_at = pledge.updated_at = utcnow()
    if method == PayMethod.CARD:
        pledge.grace_until = None


def _after_collected(pledge: Pledge, entry, *, receipt) -> None:
    links = {}
    if receipt is None:
        links = {
            "link": external("funding.pledge_receipt", pledge_id=pledge.id),
            "evidence_link": external("ledger_api.posting_receipt_proof", entry_id=entry.id),
        }
    queue_email(
        pledge.backer,
        _l("Your pledge was collected"),
        "funding/email/pledge_collected",
        pledge=pledge,
        project=pledge.project,
        **links,
    )


PLEDGE = register_kind(
    Kind(
        name="pledge",
        model=Pledge,
        entry_kind="pledge_collection",
        # the same key by card and by transfer: a pledge is collected once, whatever the channel
        key_prefix="pledge-collection",
        paid=PledgeState.COLLECTED.value,
        payable={
            "card": (PledgeState.CHARGING, PledgeState.PAYMENT_FAILED, PledgeState.ACTIVE),
            "transfer": offline_pledges.AWAITING_PAYMENT,
        },
        memo=_memo,
        counters=lambda p: {"pledged_minor": -p.amount_minor, "raised_minor": p.amount_minor},
        event=lambda receipt: "paid" if receipt is not None else "collected",
        stamp=_stamp,
        after=_after_collected,
        # already paid by transfer: a card payment is one too many and goes back
        refund_repeat=True,
        sets_method=False,
        unpayable=_l("The pledge with this reference is not waiting for a payment."),
    )
)


@signals.card_saved.connect
def _on_card_saved(kind: str, *, object_id: int, payment_method: str, session_id: str | None = None):
    if kind != "pledge":
        return None
    pledge = db.session.get(Pledge, int(object_id))
    if pledge is None:
        return "unknown"
    return save_pledge_card(pledge, payment_method=payment_method, session_id=session_id)
