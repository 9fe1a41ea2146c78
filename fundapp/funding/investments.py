"""Investments in loan projects: commitment under the cap, cancellation, money owed back, and the
``investment`` kind of the backing lifecycle."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.ledger import services as ledger
from fundapp.mail.services import queue_email
from fundapp.payments import gateway
from fundapp.payments.services import complete_stripe_call, prepare_stripe_call
from fundapp.proposals.models import FundingModel, Project, ProjectState

from .common import (
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
    register_kind,
)
from .models import (
    Investment,
    InvestmentReturn,
    InvestmentState,
)
from .totals import bump, channel_column, locked_totals, project_totals

log = logging.getLogger("fundapp.funding")


INVESTMENT_CANCEL_CUTOFF = timedelta(hours=48)


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
    require_open(project, FundingModel.LOAN)
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
    require_open(project, FundingModel.LOAN)
    check_backing_amount(amount, project)
    totals = locked_totals(project)
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
        public_name=public_label(investor, public_name),
        reference_code=new_reference("I"),
        submission_token=token,
        risk_acknowledged=True,
        state=InvestmentState.COMMITTED.value,
    )
    db.session.add(inv)
    db.session.flush()
    bump(project.id, committed_minor=amount.amount, backers=1)
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
    if project.state != ProjectState.FUNDRAISING or (cutoff is not None and now() >= cutoff):
        raise InvalidTransition(_l("Investments can be cancelled only until 48 hours before the deadline."))
    locked_totals(project)
    inv = lock(Investment, inv.id)
    if inv.state == InvestmentState.CANCELLED:
        return inv
    if inv.state == InvestmentState.PAID:
        return_investment(inv, actor=actor)
        return inv
    if inv.state != InvestmentState.COMMITTED:
        raise InvalidTransition(_l("This investment can no longer be cancelled."))
    inv.state = InvestmentState.CANCELLED.value
    inv.cancelled_at = utcnow()
    bump(project.id, committed_minor=-inv.amount_minor, backers=-1)
    record("investment.cancelled", inv, actor=actor)
    return inv


def return_investment(inv: Investment, *, actor=None) -> None:
    """Paid money to go back to the investor: moved from the project to refunds payable."""
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
    bump(
        inv.project_id,
        raised_minor=-inv.amount_minor,
        refunded_minor=inv.amount_minor,
        committed_minor=-inv.amount_minor,
        backers=-1,
        **{channel_column(inv.method or "bank"): -inv.amount_minor},
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


def _stamp(inv: Investment, method: str) -> None:
    inv.paid_at = utcnow()


def _after_paid(inv: Investment, entry, *, receipt) -> None:
    queue_email(
        inv.investor,
        _l("Your investment was received"),
        "funding/email/investment_paid",
        investment=inv,
        project=inv.project,
        link=external("funding.investment_detail", investment_id=inv.id),
        evidence_link=external("ledger_api.posting_receipt_proof", entry_id=entry.id),
    )


INVESTMENT = register_kind(
    Kind(
        name="investment",
        model=Investment,
        entry_kind="investment",
        key_prefix="investment",
        paid=InvestmentState.PAID.value,
        payable={"card": (InvestmentState.COMMITTED,), "transfer": (InvestmentState.COMMITTED,)},
        memo=lambda inv, project, receipt: f"Investment {inv.reference_code} in project {project.id}",
        counters=lambda inv: {"raised_minor": inv.amount_minor},
        event=lambda receipt: "paid",
        stamp=_stamp,
        after=_after_paid,
        unpayable=_l("The investment with this reference is not waiting for a payment."),
    )
)
