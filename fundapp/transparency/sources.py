"""What transparency reads from the other domains, in one place, each behind a guard so the public
pages keep working while a domain is absent (and the adapters are easy to find when one changes).

Nothing here returns personal data: a backer is an internal key (``user:<id>``, or a hash of a
guest's email) and the country they stated; a disbursement is its amount, milestone, evidence and
council decision — never the payee's name or bank details.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for
from sqlalchemy import func, literal, select

from fundapp.accounts.models import User
from fundapp.core.money import Money
from fundapp.disbursements import services as dsvc
from fundapp.disbursements.models import DisbursementRequest
from fundapp.extensions import db
from fundapp.funding.models import PLEDGE_FIGURES, Donation, Investment, Pledge, Repayment
from fundapp.ledger.models import JournalEntry
from fundapp.proposals.models import Project


def project_place(project_id: int):
    """(region, district, category) of a project, for the regional counters."""

    row = db.session.execute(
        select(Project.home_region, Project.home_district, Project.category).where(Project.id == project_id)
    ).first()
    return tuple(row) if row else None


def project_places(project_ids) -> dict[int, tuple[str, str, str]]:
    """(region, district, category) of many projects in one statement (a sealed batch's)."""

    ids = sorted({i for i in project_ids if i is not None})
    if not ids:
        return {}
    rows = db.session.execute(
        select(Project.id, Project.home_region, Project.home_district, Project.category).where(
            Project.id.in_(ids)
        )
    )
    return {pid: (region, district, category) for pid, region, district, category in rows}


# -- backers ----------------------------------------------------------------------------------------
def _user_backer(user_id: int | None, email: str | None = None) -> tuple[str, str | None] | None:

    if user_id is not None:
        country = db.session.scalar(select(User.country_of_residence).where(User.id == user_id))
        return f"user:{user_id}", (country or None)
    if email:
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]
        return f"guest:{digest}", None
    return None


def _donation_backer(source_id: str):

    row = db.session.execute(
        select(Donation.backer_id, Donation.email).where(Donation.id == int(source_id))
    ).first()
    return _user_backer(row[0], row[1]) if row else None


def _pledge_backer(source_id: str):

    user_id = db.session.scalar(select(Pledge.backer_id).where(Pledge.id == int(source_id)))
    return _user_backer(user_id)


def _investment_backer(source_id: str):

    user_id = db.session.scalar(select(Investment.investor_id).where(Investment.id == int(source_id)))
    return _user_backer(user_id)


def _many_backers(model, user_column, email_column=None):
    """The batch form of a resolver above: {source_id: (backer key, country)} of many rows of
    ``model`` in one statement (the backing joined to its backer), for a sealed batch."""

    def resolve(source_ids) -> dict[str, tuple[str, str | None]]:

        ids = sorted({int(s) for s in source_ids if str(s).isdigit()})
        if not ids:
            return {}
        email = email_column if email_column is not None else literal(None)
        rows = db.session.execute(
            select(model.id, user_column, User.country_of_residence, email)
            .outerjoin(User, User.id == user_column)
            .where(model.id.in_(ids))
        )
        out = {}
        for row_id, user_id, country, address in rows:
            if user_id is not None:
                out[str(row_id)] = (f"user:{user_id}", country or None)
            else:
                found = _user_backer(None, address)
                if found is not None:
                    out[str(row_id)] = found
        return out

    return resolve


# -- pledges ----------------------------------------------------------------------------------------
def pledged(project_id: int | None = None) -> dict[str, int]:
    """Outstanding pledges per currency (fund-wide or for one project): the pledges whose state
    the funding domain's ``PLEDGE_FIGURES`` counts as "outstanding" — the same rule as each
    project's ``ProjectMoney.pledged``."""
    states = [str(s) for s, figure in PLEDGE_FIGURES.items() if figure == "outstanding"]
    q = (
        select(Pledge.currency, func.coalesce(func.sum(Pledge.amount_minor), 0))
        .where(Pledge.state.in_(states))
        .group_by(Pledge.currency)
    )
    if project_id is not None:
        q = q.where(Pledge.project_id == project_id)
    return {cur: int(total) for cur, total in db.session.execute(q) if total}


def pledge_states(project_ids) -> tuple[dict[int, dict[str, int]], dict[str, str | None]]:
    """Pledged amounts per project and pledge state (in the project's currency, one grouped
    statement for all ``project_ids``), and how each state counts (the funding domain's
    ``PLEDGE_FIGURES``). Pledges are promises, not money: they are not in the ledger."""
    ids = sorted({int(i) for i in project_ids if i is not None})
    if not ids:
        return {}, {}

    out: dict[int, dict[str, int]] = {}
    for pid, state, total in db.session.execute(
        select(Pledge.project_id, Pledge.state, func.coalesce(func.sum(Pledge.amount_minor), 0))
        .where(Pledge.project_id.in_(ids))
        .group_by(Pledge.project_id, Pledge.state)
    ):
        out.setdefault(int(pid), {})[str(state)] = int(total)
    return out, {str(k): v for k, v in PLEDGE_FIGURES.items()}


def load_milestones(projects) -> None:
    """Load the milestones of all ``projects`` in one statement (a list page reads each card's)."""
    from sqlalchemy.orm import selectinload

    ids = [p.id for p in projects if "milestones" not in p.__dict__]
    if ids:
        db.session.scalars(
            select(Project).where(Project.id.in_(ids)).options(selectinload(Project.milestones))
        ).all()


def milestone_payments(project_ids, tree_size: int) -> dict[int, dict[int, int]]:
    """{project id: {milestone id: amount paid}}: executed disbursements whose ledger entry is
    sealed within ``tree_size`` (so a milestone reads "paid" when the figures count the payout)."""
    ids = sorted({int(i) for i in project_ids if i is not None})
    if not ids:
        return {}

    out: dict[int, dict[int, int]] = {}
    for pid, mid, total in db.session.execute(
        select(
            DisbursementRequest.project_id,
            DisbursementRequest.milestone_id,
            func.coalesce(func.sum(DisbursementRequest.amount_minor), 0),
        )
        .join(JournalEntry, JournalEntry.id == DisbursementRequest.journal_entry_id)
        .where(
            DisbursementRequest.project_id.in_(ids),
            DisbursementRequest.state == "executed",
            JournalEntry.sequence.is_not(None),
            JournalEntry.sequence <= tree_size,
        )
        .group_by(DisbursementRequest.project_id, DisbursementRequest.milestone_id)
    ):
        out.setdefault(int(pid), {})[int(mid)] = int(total)
    return out


# -- a project's payouts and repayments ---------------------------------------------------------------
@dataclass
class PublicEvidence:
    title: str
    url: str


@dataclass
class PublicDisbursement:
    amount: Money
    milestone: str | None
    state_label: str
    executed_at: datetime | None
    sequence: int | None
    decision_url: str | None = None
    decision_label: str | None = None
    evidence: list[PublicEvidence] = field(default_factory=list)


def disbursements(project) -> list[PublicDisbursement]:
    """The project's executed disbursements with their evidence and council decision."""
    out = []
    for req in dsvc.public_disbursements(project):
        seq = (
            db.session.scalar(select(JournalEntry.sequence).where(JournalEntry.id == req.journal_entry_id))
            if req.journal_entry_id
            else None
        )
        item = PublicDisbursement(
            amount=req.amount,
            milestone=req.milestone.title if req.milestone else None,
            state_label=str(req.state_label),
            executed_at=req.executed_at,
            sequence=seq,
        )
        decision = req.council_decision
        if decision is not None:
            item.decision_label = decision.number
            item.decision_url = url_for("council.decision_detail", decision_id=decision.id)
        for ev in req.evidence:
            label = str(ev.kind_label) + (f": {ev.caption}" if ev.caption else "")
            item.evidence.append(PublicEvidence(label, url_for("files.download", file_id=ev.file_id)))
        out.append(item)
    return out


@dataclass
class PublicRepayment:
    when: object
    amount: Money
    interest: Money | None
    sequence: int | None


def repayments(project) -> list[PublicRepayment]:
    """Loan repayments the project made (amounts and dates; never who recorded them)."""
    rows = db.session.execute(
        select(Repayment.received_on, Repayment.amount_minor, Repayment.currency, JournalEntry.sequence)
        .outerjoin(JournalEntry, JournalEntry.id == Repayment.ledger_entry_id)
        .where(Repayment.project_id == project.id)
        .order_by(Repayment.received_on, Repayment.id)
    )
    return [PublicRepayment(when, Money(int(a), cur), None, seq) for when, a, cur, seq in rows]


def install_resolvers() -> None:
    """Tell the counters how to find a backer's country and a project's place."""
    from . import counters

    counters.set_project_resolver(project_place, many=project_places)
    counters.register_backer_resolver(
        "donation", _donation_backer, many=_many_backers(Donation, Donation.backer_id, Donation.email)
    )
    counters.register_backer_resolver("pledge", _pledge_backer, many=_many_backers(Pledge, Pledge.backer_id))
    counters.register_backer_resolver(
        "investment", _investment_backer, many=_many_backers(Investment, Investment.investor_id)
    )
