"""Recording Coordination Council decisions and the exchange rates its threshold is counted at
(administrators only), and the threshold check itself.

The threshold (``COUNCIL_THRESHOLD_MINOR``) is in somoni minor units (diram). A goal or a payout in
another currency is converted at the latest rate recorded on or before the day of the decision;
with no such rate the check refuses, it never takes a dollar for a somoni."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import NotPermitted, ValidationFailed
from fundapp.core.money import Money, exponent
from fundapp.extensions import db
from fundapp.files.services import store_upload
from fundapp.proposals.models import Project

from .models import CouncilDecision, CouncilDecisionProject, ExchangeRate

SOMONI = "TJS"


def _votes(value, field: str) -> int:
    try:
        n = int(str(value if value is not None else "").strip() or "0")
    except ValueError:
        raise ValidationFailed(_l("Enter a whole number."), field=field) from None
    if not 0 <= n <= 1000:
        raise ValidationFailed(_l("Enter a number from 0 to 1000."), field=field)
    return n


def record_decision(
    *,
    actor,
    number: str,
    decided_on: date | None,
    agenda_item: str,
    summary: str = "",
    votes_for=0,
    votes_against=0,
    votes_abstained=0,
    minutes=None,
    projects=(),
) -> CouncilDecision:
    """Record a decision; ``minutes`` is an uploaded PDF (FileStorage) made public, or None;
    ``projects`` are the projects it is about (only they may cite it)."""
    if actor is None or not actor.has_role("administrator"):
        raise NotPermitted(_l("Only an administrator records Council decisions."))
    number = (number or "").strip()
    if not number or len(number) > 40:
        raise ValidationFailed(_l("Enter the decision's number (at most 40 characters)."), field="number")
    if db.session.scalar(select(CouncilDecision.id).where(CouncilDecision.number == number)):
        raise ValidationFailed(_l("A decision with this number is already recorded."), field="number")
    if decided_on is None:
        raise ValidationFailed(_l("Enter the date of the decision."), field="decided_on")
    if decided_on > date.today():
        raise ValidationFailed(_l("The decision cannot be dated in the future."), field="decided_on")
    agenda_item = (agenda_item or "").strip()
    if not agenda_item or len(agenda_item) > 300:
        raise ValidationFailed(_l("Enter the agenda item (at most 300 characters)."), field="agenda_item")
    summary = (summary or "").strip()
    if len(summary) > 10000:
        raise ValidationFailed(_l("At most %(n)s characters.", n=10000), field="summary")
    decision = CouncilDecision(
        number=number,
        decided_on=decided_on,
        agenda_item=agenda_item,
        summary=summary,
        votes_for=_votes(votes_for, "votes_for"),
        votes_against=_votes(votes_against, "votes_against"),
        votes_abstained=_votes(votes_abstained, "votes_abstained"),
        recorded_by_id=actor.id,
    )
    if minutes is not None and getattr(minutes, "filename", None):
        decision.minutes_file = store_upload(
            minutes, uploaded_by=actor, allowed=("pdf",), is_public=True, field="minutes"
        )
    chosen = _projects_to_link(projects)
    db.session.add(decision)
    db.session.flush()
    for project in chosen:
        db.session.add(CouncilDecisionProject(decision_id=decision.id, project_id=project.id))
    db.session.flush()
    db.session.expire(decision, ["projects"])
    record(
        "council.record_decision",
        decision,
        actor=actor,
        changes={
            "number": number,
            "votes": [decision.votes_for, decision.votes_against, decision.votes_abstained],
            "projects": [p.id for p in chosen],
        },
    )
    return decision


# States in which a project can be the subject of a Council decision: submitted and later, up to
# its payouts; never a draft (not yet a proposal) nor a closed one.
DECIDABLE_STATES = (
    "submitted",
    "in_review",
    "changes_requested",
    "approved",
    "fundraising",
    "funded",
    "implementing",
)


def decidable_projects() -> list:
    """The projects a new decision may be about (for the form)."""
    return list(
        db.session.scalars(
            select(Project).where(Project.state.in_(DECIDABLE_STATES)).order_by(Project.id.desc()).limit(500)
        )
    )


def _projects_to_link(projects) -> list:
    chosen: dict[int, object] = {}
    for item in projects or ():
        project = item if isinstance(item, Project) else (db.session.get(Project, item) if item else None)
        if project is None or project.state not in DECIDABLE_STATES:
            raise ValidationFailed(_l("Choose the projects from the list."), field="projects")
        chosen[project.id] = project
    if len(chosen) > 50:
        raise ValidationFailed(_l("At most %(n)s projects.", n=50), field="projects")
    return list(chosen.values())


def tie_to_project(decision: CouncilDecision, project) -> None:
    """Record that ``decision`` is (also) about ``project`` (the demo and test factories; the
    form records it with the decision)."""
    if decision.concerns(project):
        return
    db.session.add(CouncilDecisionProject(decision_id=decision.id, project_id=project.id))
    db.session.flush()
    db.session.expire(decision, ["projects"])


def decisions_about(project) -> list[CouncilDecision]:
    """The decisions a project may cite, newest first."""
    return list(
        db.session.scalars(
            select(CouncilDecision)
            .join(CouncilDecisionProject, CouncilDecisionProject.decision_id == CouncilDecision.id)
            .where(CouncilDecisionProject.project_id == project.id)
            .order_by(CouncilDecision.decided_on.desc(), CouncilDecision.id.desc())
        )
    )


def check_citation(decision: CouncilDecision, project, *, field: str = "council_decision") -> None:
    """A decision may be cited only for a project it is about, and only when it was carried."""
    if not decision.concerns(project):
        raise ValidationFailed(
            _l(
                "Council decision %(number)s is not about this project, so it cannot be cited for it. "
                "Choose a decision that names this project.",
                number=decision.number,
            ),
            field=field,
        )
    if not decision.carried:
        raise ValidationFailed(
            _l("Council decision %(number)s was not carried.", number=decision.number), field=field
        )


# -- exchange rates and the threshold -------------------------------------------------------------


def record_rate(
    *, actor, currency: str, rate: Fraction, valid_from: date | None, source: str
) -> ExchangeRate:
    """Record how many somoni one unit of ``currency`` is worth from ``valid_from`` on."""
    if actor is None or not actor.has_role("administrator"):
        raise NotPermitted(_l("Only an administrator records exchange rates."))
    currencies = tuple(c for c in current_app.config["SUPPORTED_CURRENCIES"] if c != SOMONI)
    if currency not in currencies:
        raise ValidationFailed(_l("Choose a currency from the list."), field="currency")
    if not isinstance(rate, Fraction) or rate <= 0:
        raise ValidationFailed(_l("The rate must be greater than zero."), field="rate")
    if valid_from is None:
        raise ValidationFailed(_l("Enter the date from which the rate holds."), field="valid_from")
    if valid_from > utcnow().date():
        raise ValidationFailed(_l("A rate cannot hold from a future date."), field="valid_from")
    source = (source or "").strip()
    if not source or len(source) > 200:
        raise ValidationFailed(_l("Say where the rate comes from (at most 200 characters)."), field="source")
    row = ExchangeRate(
        currency=currency,
        somoni_numerator=rate.numerator,
        somoni_denominator=rate.denominator,
        valid_from=valid_from,
        source=source,
        recorded_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    record(
        "council.record_rate",
        row,
        actor=actor,
        changes={"currency": currency, "rate": row.rate_text, "valid_from": valid_from.isoformat()},
    )
    return row


def rate_on(currency: str, day: date) -> ExchangeRate | None:
    """The latest rate of ``currency`` recorded to hold on or before ``day`` (the later record
    wins when two hold from the same day)."""
    return db.session.scalar(
        select(ExchangeRate)
        .where(ExchangeRate.currency == currency, ExchangeRate.valid_from <= day)
        .order_by(ExchangeRate.valid_from.desc(), ExchangeRate.id.desc())
        .limit(1)
    )


def council_threshold() -> Money:
    """Above this many somoni a decision must cite a carried Council decision."""
    return Money(int(current_app.config.get("COUNCIL_THRESHOLD_MINOR", 5_000_000)), SOMONI)


def no_rate_message(currency: str, day: date):
    return _l(
        "No rate of %(currency)s to the somoni is recorded on or before %(day)s, so the Council "
        "threshold of %(threshold)s cannot be checked: an administrator records the rate under "
        "Council, Exchange rates — or cite a Council decision.",
        currency=currency,
        day=day.isoformat(),
        threshold=str(council_threshold()),
    )


def somoni_minor(amount: Money, day: date) -> Fraction | None:
    """``amount`` in diram, exactly, at the rate that held on ``day``; None when none is recorded."""
    if not isinstance(amount, Money):
        raise TypeError("amount must be Money")
    if amount.currency == SOMONI:
        return Fraction(amount.amount)
    row = rate_on(amount.currency, day)
    if row is None:
        return None
    return Fraction(amount.amount * 10 ** exponent(SOMONI), 10 ** exponent(amount.currency)) * row.rate


def above_threshold(amount: Money, *, day: date | None = None, field: str = "council_decision") -> bool:
    """Is ``amount``, counted in somoni on ``day`` (default today, UTC), above the threshold?
    ``ValidationFailed`` naming ``field`` when no rate of its currency is recorded by then."""
    day = day or utcnow().date()
    value = somoni_minor(amount, day)
    if value is None:
        raise ValidationFailed(no_rate_message(amount.currency, day), field=field)
    return value > council_threshold().amount


def may_need_council(amount: Money, *, day: date | None = None) -> bool:
    """For pages: above the threshold, or not known to be below it (no rate recorded)."""
    try:
        return above_threshold(amount, day=day)
    except ValidationFailed:
        return True


def rates() -> list[ExchangeRate]:
    return list(
        db.session.scalars(
            select(ExchangeRate).order_by(ExchangeRate.valid_from.desc(), ExchangeRate.id.desc()).limit(200)
        )
    )
