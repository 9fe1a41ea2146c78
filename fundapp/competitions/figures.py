"""Figures the Plan's monitoring reads: nominations and prizes in a period, by country.

Countries are ISO 3166-1 alpha-2 codes: an organisation's registered country, a person's stated
country of residence ("" when unknown). Periods are half-open, ``[start, end)``, in UTC. Money is
summed per currency (never converted)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select

from fundapp.accounts.models import User
from fundapp.community.models import Organisation
from fundapp.extensions import db

from .models import Nomination, NomineeKind, Prize, PrizeState


def _country(nom: Nomination, orgs: dict[int, str], people: dict[int, str]) -> str:
    if nom.nominee_kind == NomineeKind.ORGANISATION:
        return orgs.get(nom.nominee_organisation_id, "")
    return people.get(nom.nominee_user_id, "") or ""


def _countries(noms: list[Nomination]) -> tuple[dict[int, str], dict[int, str]]:
    org_ids = {n.nominee_organisation_id for n in noms if n.nominee_organisation_id}
    user_ids = {n.nominee_user_id for n in noms if n.nominee_user_id}
    orgs = dict(
        db.session.execute(
            select(Organisation.id, Organisation.country).where(Organisation.id.in_(org_ids))
        ).all()
    )
    people = dict(
        db.session.execute(select(User.id, User.country_of_residence).where(User.id.in_(user_ids))).all()
    )
    return orgs, people


def nominations_by_country(start: datetime, end: datetime) -> dict[str, int]:
    """Nominations made in ``[start, end)`` (whatever became of them), counted by the nominee's country."""
    noms = list(
        db.session.scalars(
            select(Nomination).where(Nomination.created_at >= start, Nomination.created_at < end)
        )
    )
    orgs, people = _countries(noms)
    out: dict[str, int] = defaultdict(int)
    for nom in noms:
        out[_country(nom, orgs, people)] += 1
    return dict(sorted(out.items()))


def prizes_by_country(start: datetime, end: datetime) -> dict[str, dict]:
    """Prizes given in ``[start, end)`` by the winner's country: ``{"count": n, "money": {currency:
    minor units}}``. A money prize counts when paid, an honour when awarded (by its edition's
    results date)."""
    rows = db.session.scalars(
        select(Prize).where(
            Prize.state.in_([PrizeState.PAID, PrizeState.AWARDED]), Prize.nomination_id.is_not(None)
        )
    ).all()
    noms = [r.nomination for r in rows]
    orgs, people = _countries(noms)
    out: dict[str, dict] = {}
    for prize in rows:
        when = prize.executed_at if prize.state == PrizeState.PAID else prize.edition.results_published_at
        if when is None or not start <= when < end:
            continue
        entry = out.setdefault(
            _country(prize.nomination, orgs, people), {"count": 0, "money": defaultdict(int)}
        )
        entry["count"] += 1
        if prize.amount_minor:
            entry["money"][prize.amount_currency] += prize.amount_minor
    return {k: {"count": v["count"], "money": dict(v["money"])} for k, v in sorted(out.items())}
