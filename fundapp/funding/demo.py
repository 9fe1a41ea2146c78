"""Demo backings, all made through the services so that the ledger is right: donations (one by
transfer in roubles), pledges with saved cards, a loan paid in full, funded, with its schedule and
a first repayment distributed to the investors. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from fundapp.core.db import utcnow
from fundapp.core.demo import schedule
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.proposals.models import Project

from . import common, donations, investments, loans, pledges, settlement
from .demo_year import schedule_year, transfer
from .models import Donation, Investment, Pledge

DEMO_EMAIL = "guest.donor@example.org"


def _projects(ctx, model: str, state: str = "fundraising"):
    found = []
    for value in (ctx.get("projects") or {}).values():
        for p in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(p, Project) and p.funding_model == model and p.state == state:
                found.append(p)
    if not found:
        found = list(
            db.session.scalars(
                select(Project)
                .where(Project.funding_model == model, Project.state == state)
                .order_by(Project.id)
            ).all()
        )
    return [p for p in found if p.campaign_ends_at is None or p.campaign_ends_at > utcnow()]


def load(ctx):
    """The year's backings and, a few hours ago, today's: both on the demo's timeline."""
    users = ctx.get("users") or {}
    if not users.get("treasurer") or not users.get("member"):
        return
    if db.session.scalars(select(Donation.id).where(Donation.email == DEMO_EMAIL)).first():
        return
    schedule_year(ctx)
    schedule(ctx, utcnow() - timedelta(hours=3), lambda: _today(ctx))


def _today(ctx):
    users = ctx["users"]
    member, member2, member3 = (
        users["member"],
        users.get("member2", users["member"]),
        users.get("member3", users["member"]),
    )
    for i, project in enumerate(_projects(ctx, "donation")[:2]):
        cur = project.currency
        low = common.minimum_backing(project).amount
        d1 = donations.start_donation(
            project,
            amount=Money(max(50_000, low), cur),
            method="bank",
            email=None,
            backer=member,
            public_name=member.display_name,
        )
        d2 = donations.start_donation(
            project, amount=Money(max(120_000, low), cur), method="mto", email=DEMO_EMAIL
        )
        # still on its way (started before the others arrived: a campaign that receives its goal
        # closes at once, and a transfer already started is still received when it comes)
        donations.start_donation(
            project,
            amount=Money(max(25_000, low), cur),
            method="bank",
            email=None,
            backer=member2,
            message="Интиқол дар роҳ аст",
        )
        transfer(ctx, d1.reference_code, d1.amount, f"DEMO-D{i}-1")
        if cur == "TJS":  # sent in roubles at a sample rate: the small difference is booked as FX
            transfer(
                ctx, d2.reference_code, Money(1_000_000, "RUB"), f"DEMO-D{i}-2", rate="0.1195", method="mto"
            )
        else:
            transfer(ctx, d2.reference_code, d2.amount, f"DEMO-D{i}-2", method="mto")
    for project in _projects(ctx, "pledge")[:1]:
        cur = project.currency
        for n, (user, amount) in enumerate([(member2, 300_000), (member3, 150_000)]):
            pledge = pledges.make_pledge(project, backer=user, amount=Money(amount, cur), public_name=None)
            pledge.stripe_customer_id = f"cus_demo_{pledge.id}"
            pledges.save_pledge_card(pledge, payment_method=f"pm_demo_{n}")
    loan_projects = _projects(ctx, "loan")
    if loan_projects:
        project = loan_projects[0]
        cur, goal = project.currency, int(project.goal_minor)
        shares = [goal // 2, goal // 4, goal - goal // 2 - goal // 4]
        invs = []
        for n, (user, amount) in enumerate(zip([member, member2, member3], shares, strict=True)):
            if amount <= 0:
                continue
            inv = investments.commit_investment(
                project,
                investor=user,
                amount=Money(amount, cur),
                submission_token=f"demo-{project.id}-{n}",
                risk_acknowledged=True,
            )
            transfer(ctx, inv.reference_code, inv.amount, f"DEMO-I{project.id}-{n}")
            invs.append(inv)
        if invs and sum(i.amount_minor for i in invs) >= goal:
            # the campaign closes early for the demo: funded, with its schedule and a first repayment
            project.campaign_ends_at = utcnow() - timedelta(seconds=1)
            settlement.settle_campaign(project)
            plan = loans.schedule_for(project)
            if plan is not None:
                first = plan.instalments[0]
                loans.record_repayment(
                    project,
                    amount=Money(int(first.amount_minor), cur),
                    method="bank",
                    reference="DEMO-REPAY-1",
                    received_on=utcnow().date(),
                    actor=users["treasurer"],
                )
    for project in loan_projects[1:2]:
        investments.commit_investment(
            project,
            investor=member2,
            amount=Money(max(int(project.goal_minor) // 10, 100), project.currency),
            submission_token=f"demo-open-{project.id}",
            risk_acknowledged=True,
        )
    db.session.flush()
    ctx["funding"] = {
        "donations": db.session.scalars(select(Donation)).all(),
        "pledges": db.session.scalars(select(Pledge)).all(),
        "investments": db.session.scalars(select(Investment)).all(),
    }
