"""Indicators the portal computes from its own data. Each is defined once, here: its key, its
unit and a sentence saying exactly what it counts, which the public page shows beside it. The same
window (period, country, checkpoint) always gives the same figure, so every report can be
recomputed from the downloaded ledger and the public pages.

Values are in hundredths (see ``models``): a count of 7 is 700; money is in minor units."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, func, select

from fundapp.audit.models import AuditEvent
from fundapp.community import specialists
from fundapp.community.models import (
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    SupportRequest,
    SupportStatus,
)
from fundapp.competitions import figures as competition_figures
from fundapp.events import figures as event_figures
from fundapp.extensions import db

from . import sources
from .models import Unit


@dataclass(frozen=True)
class Window:
    """[start, end) in UTC, an optional country of residence (ISO code), the ledger checkpoint's
    tree size that bounds money figures, and the currency of money figures."""

    start: datetime
    end: datetime
    tree_size: int
    country: str | None = None
    currency: str = "TJS"

    @classmethod
    def of_dates(cls, first: date, last_exclusive: date, tree_size: int, **kw) -> Window:
        return cls(
            datetime.combine(first, time(), UTC),
            datetime.combine(last_exclusive, time(), UTC),
            tree_size,
            **kw,
        )


@dataclass(frozen=True)
class Computed:
    key: str
    label: object
    unit: Unit
    definition: object
    compute: Callable[[Window], int]


REGISTRY: dict[str, Computed] = {}


def computed(key: str, label, unit: Unit, definition):
    def register(fn):
        REGISTRY[key] = Computed(key, label, unit, definition, fn)
        return fn

    return register


def breakdown_received(w: Window) -> dict[tuple[str, str], int]:
    """Money received in the window by (kind, channel), in minor units."""
    out: dict[tuple[str, str], int] = {}
    for kind, channel, amount in sources.ledger_flows(
        sources.RECEIPT_KINDS, "debit", w.start, w.end, w.tree_size, w.currency, w.country
    ):
        out[(kind, channel)] = out.get((kind, channel), 0) + amount
    return out


@computed(
    "money_received",
    _l("Money received from compatriots"),
    Unit.MONEY,
    _l(
        "The sum of donations, collected pledges and investments that arrived in the fund's card, "
        "bank and money-transfer accounts in the period, in the indicator's currency, counted from "
        "the ledger's sealed entries up to the report's checkpoint. Refunds are not deducted."
    ),
)
def money_received(w: Window) -> int:
    return sum(breakdown_received(w).values())


@computed(
    "money_disbursed",
    _l("Money disbursed to projects"),
    Unit.MONEY,
    _l(
        "The sum paid out of the fund's accounts for project milestones in the period, in the "
        "indicator's currency, counted from the ledger's sealed entries up to the report's checkpoint."
    ),
)
def money_disbursed(w: Window) -> int:
    flows = sources.ledger_flows(("disbursement",), "credit", w.start, w.end, w.tree_size, w.currency)
    return sum(a for _, _, a in flows)


def _projects(state: str, label, definition):
    @computed(f"projects_{state}", label, Unit.COUNT, definition)
    def count(w: Window) -> int:
        return 100 * sources.first_reached(state, w.start, w.end, w.country)

    return count


_projects(
    "submitted",
    _l("Projects proposed"),
    _l("Projects submitted for review for the first time in the period (by the author's country)."),
)
_projects(
    "approved",
    _l("Projects approved"),
    _l("Projects approved for the first time in the period (by the author's country)."),
)
_projects(
    "funded",
    _l("Projects funded"),
    _l("Projects that reached their funding goal in the period (by the author's country)."),
)
_projects(
    "completed",
    _l("Projects completed"),
    _l("Projects completed in the period (by the author's country)."),
)


def choices():
    return [(c.key, c.label) for c in REGISTRY.values()]


# -- events (fundapp.events.figures is the one place their figures are defined) ------------------
@computed(
    "events_held",
    _l("Events held"),
    Unit.COUNT,
    _l(
        "Events published and not cancelled that ended in the period, in the country where they were "
        "held (online events belong to no country)."
    ),
)
def events_held(w: Window) -> int:
    rows = event_figures.events_held(w.start, w.end)
    return 100 * sum(r["events"] for r in rows if w.country is None or r["country"] == w.country)


@computed(
    "event_attendance",
    _l("People attending events"),
    Unit.COUNT,
    _l(
        "People checked in at the door of events held in the period, with the guests they brought "
        "(by the country where the event was held)."
    ),
)
def event_attendance(w: Window) -> int:
    return 100 * event_figures.attendance(w.start, w.end, country=w.country)["checked_in"]


@computed(
    "organisations_in_events",
    _l("Organisations holding events"),
    Unit.COUNT,
    _l("Organisations that held or co-organised at least one event held in the period (by their country)."),
)
def organisations_in_events(w: Window) -> int:
    rows = event_figures.organisations_involved(w.start, w.end)
    return 100 * sum(1 for r in rows if w.country is None or r["country"] == w.country)


# -- competitions (fundapp.competitions.figures) ---------------------------------------------------
@computed(
    "nominations",
    _l("Nominations for the diaspora's competitions"),
    Unit.COUNT,
    _l("Nominations made in the period, whatever became of them (by the nominee's country)."),
)
def nominations(w: Window) -> int:
    by_country = competition_figures.nominations_by_country(w.start, w.end)
    return 100 * (sum(by_country.values()) if w.country is None else by_country.get(w.country, 0))


@computed(
    "prizes",
    _l("Prizes given"),
    Unit.COUNT,
    _l(
        "Prizes given in the period: a money prize when it was paid, an honour when it was awarded "
        "(by the winner's country)."
    ),
)
def prizes(w: Window) -> int:
    by_country = competition_figures.prizes_by_country(w.start, w.end)
    if w.country is not None:
        return 100 * by_country.get(w.country, {}).get("count", 0)
    return 100 * sum(v["count"] for v in by_country.values())


# -- community ---------------------------------------------------------------------------------------
@computed(
    "organisations_verified",
    _l("Diaspora organisations verified"),
    Unit.COUNT,
    _l(
        "Organisations (other than government agencies) whose registration the fund verified in the "
        "period and that are still verified (by the organisation's country)."
    ),
)
def organisations_verified(w: Window) -> int:
    q = select(func.count(Organisation.id)).where(
        Organisation.status == OrganisationStatus.verified,
        Organisation.kind != OrganisationKind.government_agency,
        Organisation.decided_at >= w.start,
        Organisation.decided_at < w.end,
    )
    if w.country is not None:
        q = q.where(Organisation.country == w.country)
    return 100 * int(db.session.scalar(q) or 0)


@computed(
    "support_requests_resolved",
    _l("Support requests resolved"),
    Unit.COUNT,
    _l(
        "Requests for the fund's help (centres, courses, schools, libraries, technical support) that "
        "staff resolved in the period, as the audit trail dates it (by the organisation's country)."
    ),
)
def support_requests_resolved(w: Window) -> int:
    resolved = (
        select(func.min(AuditEvent.occurred_at).label("at"), AuditEvent.object_id)
        .where(AuditEvent.action == "community.resolve_support_request")
        .group_by(AuditEvent.object_id)
        .subquery()
    )
    q = (
        select(func.count(SupportRequest.id))
        .join(resolved, resolved.c.object_id == cast(SupportRequest.id, String))
        .where(
            SupportRequest.status == SupportStatus.resolved,
            resolved.c.at >= w.start,
            resolved.c.at < w.end,
        )
    )
    if w.country is not None:
        q = q.join(Organisation, Organisation.id == SupportRequest.organisation_id).where(
            Organisation.country == w.country
        )
    return 100 * int(db.session.scalar(q) or 0)


# -- community (fundapp.community.specialists) ----------------------------------------------------
@computed(
    "specialists_placed",
    _l("Specialists placed"),
    Unit.COUNT,
    _l(
        "Placements of specialists with a need of a project or an organisation that started in the "
        "period (the need's owner and the specialist both agreed), by the specialist's country of residence."
    ),
)
def specialists_placed(w: Window) -> int:
    by_country = specialists.placements_started_by_country(w.start, w.end)
    return 100 * (sum(by_country.values()) if w.country is None else by_country.get(w.country, 0))
