"""Recording Coordination Council decisions (administrators only)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fundapp.audit.services import record
from fundapp.core.errors import NotPermitted, ValidationFailed
from fundapp.extensions import db

from .models import CouncilDecision


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
) -> CouncilDecision:
    """Record a decision; ``minutes`` is an uploaded PDF (FileStorage) made public, or None."""
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
        from fundapp.files.services import store_upload

        decision.minutes_file = store_upload(
            minutes, uploaded_by=actor, allowed=("pdf",), is_public=True, field="minutes"
        )
    db.session.add(decision)
    db.session.flush()
    record(
        "council.record_decision",
        decision,
        actor=actor,
        changes={
            "number": number,
            "votes": [decision.votes_for, decision.votes_against, decision.votes_abstained],
        },
    )
    return decision
