"""Loans: the repayment schedule of a funded loan, repayments recorded by a treasurer and their
pro-rata distribution, and each investor's portfolio."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from fundapp.audit.services import record
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.money import Money
from fundapp.core.text import clean_text
from fundapp.extensions import db
from fundapp.ledger import services as ledger
from fundapp.mail.services import queue_email
from fundapp.proposals.models import Project

from . import schedule as sched
from .common import now
from .lifecycle import (
    incoming_account,
)
from .models import (
    Investment,
    InvestmentState,
    PayMethod,
    Repayment,
    RepaymentSchedule,
    RepaymentShare,
    ScheduledRepayment,
)
from .totals import bump, locked_totals


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
    start = start or now().date()
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
    reference = clean_text(reference, 120, "reference", refuse_control=True) or None
    if not reference:
        raise ValidationFailed(_l("Enter the transfer reference."), field="reference")
    if not isinstance(amount, Money) or amount.currency != project.currency:
        raise ValidationFailed(
            _l("The repayment must be in %(currency)s.", currency=project.currency), field="amount"
        )
    if amount.amount <= 0:
        raise ValidationFailed(_l("The amount must be greater than zero."), field="amount")
    if received_on > now().date():
        raise ValidationFailed(_l("The date cannot be in the future."), field="received_on")
    plan = schedule_for(project)
    if plan is None:
        raise InvalidTransition(_l("This project has no repayment schedule."))
    locked_totals(project)
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
    clearing = ledger.get_account("investor_repayments_clearing", amount.currency)
    entry = ledger.post_entry(
        "repayment",
        [
            ledger.Leg.debit(incoming_account(method, amount.currency), amount),
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
    bump(project.id, repaid_minor=amount.amount)
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
        start=now().date(),
    )


def portfolio(user) -> list[dict]:
    """Each investment of ``user`` with what it should bring back, what it brought, and arrears."""
    today = now().date()
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
