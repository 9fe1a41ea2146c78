"""One account of a project's money: ``ProjectMoney``, the only place a project's figures are put
together, read by every surface that shows them (project cards and lists, the project page's
header, its funding panel and money section, the home page, ``/api/v1/projects``, open data).

Everything but the pledges is derived from the ledger, as of the tree size the public counters
cover (``counters.coverage()``): the counters are written by the sealer, so the figures include
exactly the entries sealed into that tree — received, refunded, disbursed and held all change at
the same moment. Pledges are promises, not money: their amounts come from the funding domain's
pledge states, each counted as its ``PLEDGE_FIGURES`` says (a new state plugs in there).

- ``received`` / ``refunded`` / ``disbursed`` / ``held`` / ``collected`` are in the project's
  (goal) currency: what its own account was credited and debited. Money paid in another currency
  is credited at the rate recorded when it arrived (the FX receipt), so these add up;
  ``paid_by_currency`` and ``paid_by_channel`` say what was paid, in the currency it was paid in.
- ``raised`` = received − refunded; ``share_of_goal`` counts raised plus outstanding pledges.
- ``backers`` counts people (or guests) whose money reached the project, each once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import String, case, cast, func, select

from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.funding.models import PLEDGE_FIGURES, Pledge
from fundapp.proposals.models import Project

from . import counters, sources
from .models import Counter


@dataclass(frozen=True)
class Campaign:
    starts_at: datetime | None
    ends_at: datetime | None  # when it ended (or will end)
    planned_days: int
    closed_early: bool  # the campaign ended before its planned length

    @property
    def days_run(self) -> int | None:
        if self.starts_at is None or self.ends_at is None:
            return None
        return max(0, (self.ends_at - self.starts_at).days)


@dataclass(frozen=True)
class MilestoneState:
    milestone_id: int
    title: str
    amount: Money
    status: str  # planned | in_progress | done (the delivery, reported by the team)
    paid: Money  # executed disbursements for it, sealed in the ledger

    @property
    def state(self) -> str:
        """``paid`` once its payouts reach its amount, ``partly_paid`` before that, else its
        delivery status."""
        if self.paid.amount >= self.amount.amount > 0:
            return "paid"
        if self.paid.amount > 0:
            return "partly_paid"
        return self.status


@dataclass(frozen=True)
class ProjectMoney:
    project_id: int
    goal: Money
    tree_size: int  # the ledger entries these figures include: 1 … tree_size
    received: Money
    refunded: Money
    collected: Money
    disbursed: Money
    held: Money
    backers: int
    # the cash side, in the currency money was paid in: {metric: {currency: amount}} for the
    # metrics of ``counters.classify`` (received, refunded, disbursed, repayments, interest, repaid)
    cash: dict[str, dict[str, int]] = field(default_factory=dict)
    paid_by_channel: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, currency)
    pledges_by_state: dict[str, int] = field(default_factory=dict)
    pledge_figures: dict[str, str | None] = field(default_factory=dict)
    campaign: Campaign | None = None
    milestones: tuple[MilestoneState, ...] = ()

    @property
    def currency(self) -> str:
        return self.goal.currency

    @property
    def paid_by_currency(self) -> dict[str, int]:
        return self.cash.get("received", {})

    @property
    def repayments_by_currency(self) -> dict[str, int]:
        return self.cash.get("repayments", {})

    @property
    def repaid_by_currency(self) -> dict[str, int]:
        return self.cash.get("repaid", {})

    @property
    def raised(self) -> Money:
        return Money(self.received.amount - self.refunded.amount, self.currency)

    def _pledges(self, figure: str) -> Money:
        total = sum(a for s, a in self.pledges_by_state.items() if self.pledge_figures.get(s) == figure)
        return Money(int(total), self.currency)

    @property
    def pledged(self) -> Money:
        """Promised by saved pledges and still expected (not collected, not lapsed)."""
        return self._pledges("outstanding")

    @property
    def pledges_lapsed(self) -> Money:
        return self._pledges("lapsed")

    @property
    def pledges_released(self) -> Money:
        return self._pledges("released")

    @property
    def counted(self) -> Money:
        return Money(self.raised.amount + self.pledged.amount, self.currency)

    @property
    def share_of_goal(self) -> int:
        """Per cent of the goal raised or pledged (may exceed 100)."""
        return self.counted.amount * 100 // self.goal.amount if self.goal.amount > 0 else 0

    @property
    def paid_in_other_currencies(self) -> bool:
        return any(c != self.currency for c, a in self.paid_by_currency.items() if a)

    def as_dict(self) -> dict:
        """The figures as JSON (amounts in minor units of ``currency``)."""
        return {
            "currency": self.currency,
            "goal": self.goal.amount,
            "received": self.received.amount,
            "refunded": self.refunded.amount,
            "raised": self.raised.amount,
            "collected": self.collected.amount,
            "pledged": self.pledged.amount,
            "pledges_lapsed": self.pledges_lapsed.amount,
            "disbursed": self.disbursed.amount,
            "held": self.held.amount,
            "backers": self.backers,
            "share_of_goal": self.share_of_goal,
            "paid_by_currency": dict(sorted((c, a) for c, a in self.paid_by_currency.items() if a)),
            "tree_size": self.tree_size,
        }


def _campaign(project) -> Campaign | None:
    if project.campaign_starts_at is None:
        return None
    starts, ends = project.campaign_starts_at, project.campaign_ends_at
    if project.closed_at is not None and (ends is None or project.closed_at < ends):
        ends = project.closed_at
    planned = int(project.campaign_days or 0)
    early = bool(ends is not None and (ends - starts).days < planned and ends <= datetime.now(UTC))
    return Campaign(starts, ends, planned, early)


def project_money_many(projects, *, tree_size: int | None = None) -> dict[int, ProjectMoney]:
    """The account of each project's money (three statements whatever the number of projects;
    a page that shows a project's figures in several places reads them once)."""
    projects = [p for p in projects if p is not None and p.id is not None]
    if tree_size is None:
        tree_size = counters.coverage().tree_size
    memo = counters.read_memo("project_money")
    if memo is None:
        return _project_money_many(projects, tree_size)
    missing = [p for p in projects if (p.id, tree_size) not in memo]
    if missing:
        for pid, pm in _project_money_many(missing, tree_size).items():
            memo[(pid, tree_size)] = pm
    return {p.id: memo[(p.id, tree_size)] for p in projects if (p.id, tree_size) in memo}


def _project_money_many(projects, tree_size: int) -> dict[int, ProjectMoney]:
    keys = [str(p.id) for p in projects]
    rows: dict[str, list] = {k: [] for k in keys}
    if keys:
        channel_keys = [f"{k}:{ch}" for k in keys for ch in ("card", "bank", "mto", "other")]
        for dim, key, metric, currency, amount, entries in db.session.execute(
            select(
                Counter.dimension,
                Counter.key,
                Counter.metric,
                Counter.currency,
                Counter.amount_minor,
                Counter.entries,
            ).where(
                (Counter.dimension.in_(("project", counters.PROJECT_ACCOUNT)) & Counter.key.in_(keys))
                | ((Counter.dimension == "project_channel") & Counter.key.in_(channel_keys))
            )
        ):
            pid = key.split(":", 1)[0]
            rows.setdefault(pid, []).append((dim, key, metric, currency, int(amount), int(entries)))
    pledges, figures = sources.pledge_states(p.id for p in projects)
    paid = sources.milestone_payments((p.id for p in projects), tree_size)
    sources.load_milestones(projects)
    out = {}
    for p in projects:
        cur = p.currency
        own: dict[str, int] = {}
        by_currency: dict[str, dict[str, int]] = {m: {} for m in counters.METRICS}
        channels: dict[tuple[str, str], int] = {}
        backers = 0
        for dim, key, metric, currency, amount, entries in rows.get(str(p.id), []):
            if dim == counters.PROJECT_ACCOUNT and currency == cur:
                own[metric] = amount
            elif dim == "project" and metric == "backers":
                backers = entries
            elif dim == "project" and metric in by_currency:
                by_currency[metric][currency] = amount
            elif dim == "project_channel" and metric == "received":
                channels[(key.split(":", 1)[1], currency)] = amount
        milestones = tuple(
            MilestoneState(
                m.id,
                m.title,
                Money(int(m.amount_minor), cur),
                m.status,
                Money(paid.get(p.id, {}).get(m.id, 0), cur),
            )
            for m in p.milestones
        )
        out[p.id] = ProjectMoney(
            project_id=p.id,
            goal=p.goal,
            tree_size=tree_size,
            received=Money(own.get("received", 0), cur),
            refunded=Money(own.get("refunded", 0), cur),
            collected=Money(own.get("collected", 0), cur),
            disbursed=Money(own.get("disbursed", 0), cur),
            held=Money(own.get("held", 0), cur),
            backers=backers,
            cash=by_currency,
            paid_by_channel=channels,
            pledges_by_state=pledges.get(p.id, {}),
            pledge_figures=figures,
            campaign=_campaign(p),
            milestones=milestones,
        )
    return out


def project_money(project, *, tree_size: int | None = None) -> ProjectMoney:
    return project_money_many([project], tree_size=tree_size)[project.id]


def share_of_goal_sql():
    """``ProjectMoney.share_of_goal`` as a SQL expression over ``Project`` (raised from the
    project's own counters, plus outstanding pledges, as a whole per cent of the goal), so a list
    can be ordered by it in the database: each project costs two lookups by key, however many
    projects there are."""
    key = cast(Project.id, String)

    def own(metric: str):
        return (
            select(func.coalesce(func.sum(Counter.amount_minor), 0))
            .where(
                Counter.dimension == counters.PROJECT_ACCOUNT,
                Counter.key == key,
                Counter.metric == metric,
                Counter.currency == Project.currency,
            )
            .scalar_subquery()
        )

    outstanding = sorted(state for state, figure in PLEDGE_FIGURES.items() if figure == "outstanding")
    pledged = (
        select(func.coalesce(func.sum(Pledge.amount_minor), 0))
        .where(Pledge.project_id == Project.id, Pledge.state.in_(outstanding))
        .scalar_subquery()
    )
    counted = own("received") - own("refunded") + pledged
    return case((Project.goal_minor > 0, (counted * 100) / Project.goal_minor), else_=0)
