"""The settlement of campaigns at their end (or a donation campaign at its goal): funded or
unsuccessful, once (the settlement claim), with what follows for pledges and investments."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.extensions import db
from fundapp.mail.services import queue_email
from fundapp.proposals import services as proposals
from fundapp.proposals.models import FundingModel, Project, ProjectState

from . import offline_pledges
from .common import COUNTING_PLEDGES
from .common import now as common_now
from .investments import return_investment
from .loans import generate_schedule
from .models import (
    CampaignSettlement,
    Investment,
    InvestmentState,
    Pledge,
    PledgeState,
    ProjectTotals,
)
from .pledges import collect_pledges
from .totals import bump, project_totals

log = logging.getLogger("fundapp.funding")


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
        release_pledges(project)
        for inv in db.session.scalars(select(Investment).where(Investment.project_id == project.id)).all():
            if inv.state == InvestmentState.PAID:
                return_investment(inv)
            elif inv.state == InvestmentState.COMMITTED:
                inv.state = InvestmentState.LAPSED.value
                bump(project.id, committed_minor=-inv.amount_minor, backers=-1)
        claim.finished_at = utcnow()
        return
    if project.funding_model == FundingModel.LOAN:
        for inv in db.session.scalars(
            select(Investment).where(
                Investment.project_id == project.id, Investment.state == InvestmentState.COMMITTED
            )
        ).all():
            inv.state = InvestmentState.LAPSED.value
            bump(project.id, committed_minor=-inv.amount_minor, backers=-1)
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


def release_pledges(project: Project) -> None:
    for pledge in db.session.scalars(
        select(Pledge).where(
            Pledge.project_id == project.id,
            Pledge.state.in_(list(COUNTING_PLEDGES) + [PledgeState.AWAITING_CARD]),
        )
    ).all():
        if pledge.state in COUNTING_PLEDGES:
            bump(project.id, pledged_minor=-pledge.amount_minor, pledgers=-1, backers=-1)
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


def on_project_transition(project, name, from_state, actor) -> None:
    """Decisions taken by hand (an administrator closing or cancelling a campaign) settle backings too."""
    if name == "cancel_project" and from_state == ProjectState.FUNDRAISING:
        release_pledges(project)
        for inv in db.session.scalars(select(Investment).where(Investment.project_id == project.id)).all():
            if inv.state == InvestmentState.PAID:
                return_investment(inv, actor=actor)
            elif inv.state == InvestmentState.COMMITTED:
                inv.state = InvestmentState.LAPSED.value
                bump(project.id, committed_minor=-inv.amount_minor, backers=-1)
        return
    if name in ("mark_funded", "mark_unsuccessful") and actor is not None:
        outcome = "funded" if name == "mark_funded" else "unsuccessful"
        claim = _claim(project, outcome, project_totals(project)["raised"].amount)
        if claim is not None:
            _after_settlement(project, claim)


def lapse_unpaid_pledges() -> int:
    """Pledges unpaid after their deadline (failed card, or transfer not arrived) lapse."""
    return offline_pledges.lapse_overdue()


def close_due_campaigns(now: datetime | None = None) -> dict:
    """Settle every campaign whose end has passed, collect pledges, lapse unpaid ones. Safe to run
    every minute and from several machines at once (row locks and the settlement claim)."""
    now = now or common_now()
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
