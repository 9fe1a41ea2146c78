"""Pledges paid by bank or money transfer, for backers who cannot pay by card.

States (the ``pledges`` CHECK constraints hold them; see docs/ARCHITECTURE.md):

    active (transfer) ──campaign succeeds──▶ awaiting_transfer ──receipt confirmed──▶ collected
                                                   └──deadline passed, or the backer withdraws──▶ lapsed
    active ──campaign fails──▶ released      active ──backer cancels before the end──▶ cancelled

A transfer pledge counts towards the goal as soon as it is made, like a pledge with a saved card.
When the campaign succeeds (:func:`request_transfers`, inside the settlement's transaction) the
backer gets a reference code, a deadline (``PLEDGE_TRANSFER_GRACE_DAYS``) and the fund's bank
details by mail and on their pages. :func:`send_reminders` mails each reminder once
(``PLEDGE_TRANSFER_REMINDER_DAYS`` before the deadline; the count is claimed by a conditional
UPDATE, so two runs never send the same one). The money arrives as an offline receipt naming the
pledge's reference; the second staff member's confirmation posts it in the same transaction
(``receipts.on_receipt_confirmed``, through the backing lifecycle). :func:`lapse_overdue` lapses
what is still unpaid after the deadline (card pledges whose charge failed too), audited and
mailed, each pledge once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted
from fundapp.extensions import db
from fundapp.mail.services import queue_email
from fundapp.payments.services import bank_details
from fundapp.proposals.models import Project

from .common import external, lock, new_reference
from .models import Pledge, PledgeMethod, PledgeState
from .totals import bump

# The journal memo of a pledge paid by transfer (registered with its translation in ledger.labels).
PAID_MEMO = "Pledge {id} paid for project {project}"
# Unpaid after the campaign succeeded: these may still be paid, until their deadline.
AWAITING_PAYMENT = (PledgeState.AWAITING_TRANSFER, PledgeState.PAYMENT_FAILED)


def _now() -> datetime:
    return datetime.now(UTC)


def transfer_grace() -> timedelta:
    return timedelta(days=int(current_app.config.get("PLEDGE_TRANSFER_GRACE_DAYS", 14)))


def reminder_days() -> list[int]:
    """Days before the deadline at which a reminder is sent, earliest reminder first."""
    days = current_app.config.get("PLEDGE_TRANSFER_REMINDER_DAYS", (7, 2))
    return sorted({int(d) for d in days if int(d) > 0}, reverse=True)


def _ensure_reference(pledge: Pledge) -> str:
    if not pledge.reference_code:
        pledge.reference_code = new_reference("P")
    return pledge.reference_code


def payment_link(pledge: Pledge) -> str:
    return external("funding.pay_pledge", pledge_id=pledge.id)


def request_transfers(project: Project) -> int:
    """The campaign succeeded: every transfer pledge still counting is asked to pay, by mail and on
    the backer's pages, with its reference code and deadline. Call inside the settlement."""
    pledges = db.session.scalars(
        select(Pledge)
        .where(
            Pledge.project_id == project.id,
            Pledge.state == PledgeState.ACTIVE.value,
            Pledge.method == PledgeMethod.TRANSFER.value,
        )
        .order_by(Pledge.id)
        .with_for_update()
    ).all()
    now = utcnow()
    for pledge in pledges:
        _ensure_reference(pledge)
        pledge.state = PledgeState.AWAITING_TRANSFER.value
        pledge.payment_requested_at = now
        pledge.grace_until = now + transfer_grace()
        pledge.reminders_sent = 0
        pledge.updated_at = now
        db.session.flush()
        record(
            "pledge.payment_requested",
            pledge,
            changes={"reference": pledge.reference_code, "pay_by": pledge.grace_until.isoformat()},
        )
        queue_email(
            pledge.backer,
            _l("The campaign succeeded: please pay your pledge by transfer"),
            "funding/email/pledge_pay_by_transfer",
            pledge=pledge,
            project=project,
            bank=bank_details(pledge.currency),
            link=payment_link(pledge),
        )
    return len(pledges)


def awaiting_transfers(limit: int = 500) -> list[Pledge]:
    """Pledges waiting for their transfer, soonest deadline first (the treasury matches receipts
    against their reference codes)."""
    return list(
        db.session.scalars(
            select(Pledge)
            .where(Pledge.state == PledgeState.AWAITING_TRANSFER.value)
            .order_by(Pledge.grace_until, Pledge.id)
            .limit(limit)
        )
    )


def send_reminders(now: datetime | None = None) -> int:
    """Mail the reminders that are due (each once; commits per pledge). Returns how many were sent."""
    now = now or _now()
    days = reminder_days()
    if not days:
        return 0
    ids = db.session.scalars(
        select(Pledge.id)
        .where(Pledge.state == PledgeState.AWAITING_TRANSFER.value, Pledge.grace_until > now)
        .order_by(Pledge.id)
    ).all()
    sent = 0
    for pid in ids:
        pledge = db.session.get(Pledge, pid)
        due = sum(1 for d in days if pledge.grace_until - timedelta(days=d) <= now)
        if due <= pledge.reminders_sent:
            continue
        # claim the reminder: a second run (or a concurrent one) finds the count moved on
        claimed = db.session.execute(
            update(Pledge)
            .where(
                Pledge.id == pid,
                Pledge.reminders_sent == pledge.reminders_sent,
                Pledge.state == PledgeState.AWAITING_TRANSFER.value,
            )
            .values(reminders_sent=due)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            db.session.rollback()
            continue
        db.session.refresh(pledge)
        record("pledge.reminded", pledge, changes={"reminder": due, "pay_by": pledge.grace_until.isoformat()})
        queue_email(
            pledge.backer,
            _l("Reminder: your pledge is waiting for your transfer"),
            "funding/email/pledge_transfer_reminder",
            pledge=pledge,
            project=pledge.project,
            bank=bank_details(pledge.currency),
            link=payment_link(pledge),
        )
        db.session.commit()
        sent += 1
    db.session.commit()
    return sent


def _lapse(pledge: Pledge, *, actor=None, reason: str | None = None) -> None:
    pledge.state = PledgeState.LAPSED.value
    pledge.lapsed_at = utcnow()
    pledge.updated_at = utcnow()
    bump(pledge.project_id, pledged_minor=-pledge.amount_minor, pledgers=-1, backers=-1)
    record("pledge.lapsed", pledge, actor=actor, reason=reason)
    queue_email(
        pledge.backer,
        _l("Your pledge lapsed"),
        "funding/email/pledge_lapsed",
        pledge=pledge,
        project=pledge.project,
        withdrawn=actor is not None,
    )


def lapse_overdue(now: datetime | None = None) -> int:
    """Lapse every pledge still unpaid after its deadline (by transfer or after a failed card
    charge): audited and mailed, once each (commits per pledge). Returns how many lapsed."""
    now = now or _now()
    ids = db.session.scalars(
        select(Pledge.id)
        .where(Pledge.state.in_([s.value for s in AWAITING_PAYMENT]), Pledge.grace_until < now)
        .order_by(Pledge.id)
    ).all()
    db.session.commit()
    n = 0
    for pid in ids:
        pledge = lock(Pledge, pid)
        if pledge.state not in AWAITING_PAYMENT or pledge.grace_until >= now:
            db.session.commit()
            continue  # paid or lapsed meanwhile
        _lapse(pledge)
        db.session.commit()
        n += 1
    return n


def withdraw_unpaid(pledge: Pledge, *, actor) -> Pledge:
    """The backer says they will not pay a pledge of a succeeded campaign: it lapses now (nothing
    was posted, so nothing is reversed). Idempotent."""
    if actor is None or actor.id != pledge.backer_id:
        raise NotPermitted(_l("Only the backer can cancel this pledge."))
    pledge = lock(Pledge, pledge.id)
    if pledge.state == PledgeState.LAPSED:
        return pledge
    if pledge.state not in AWAITING_PAYMENT:
        raise InvalidTransition(_l("This pledge can no longer be cancelled."))
    _lapse(pledge, actor=actor, reason="withdrawn by the backer")
    return pledge
