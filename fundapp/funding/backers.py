"""The backer's view: their backings, where the money of their projects went, and who backs a
project (they hear its news)."""

from __future__ import annotations

from sqlalchemy import select

from fundapp.accounts.models import User
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.proposals.models import Project
from fundapp.proposals.services import project_money

from .common import (
    COUNTING_PLEDGES,
)
from .loans import portfolio
from .models import (
    Donation,
    DonationState,
    Investment,
    InvestmentState,
    Pledge,
    PledgeState,
)


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
    pm = project_money(project)
    zero = Money.zero(project.currency)
    if pm is None:
        return {"project": project, "received": zero, "held": zero, "disbursed": zero}
    return {"project": project, "received": pm.raised, "held": pm.held, "disbursed": pm.disbursed}


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
    return list(db.session.scalars(select(User).where(User.id.in_(ids))).all())
