"""The Plan's verbs: who is who (settings, agencies, reviewers), editing points and indicators
(with history) and status overrides. The agencies' quarterly reports and their reminders are in
``reporting``; the evaluation that rolls indicators up to points and groups in ``evaluation``.

Who may call what: administrators edit the Plan, override a status and unlock a report;
members of an agency (an organisation of kind ``government_agency``) named on a point report on
it; members of the Ministry's organisation (``PlanSettings.ministry_id``) accept or return
reports, never their own. Everything here flushes; the route commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fundapp.accounts.models import User
from fundapp.audit.services import record
from fundapp.community.models import Organisation, OrganisationKind, OrganisationMember
from fundapp.community.services import member_organisation_ids
from fundapp.core.db import utcnow
from fundapp.core.errors import NotPermitted, ValidationFailed
from fundapp.core.urls import public_url
from fundapp.extensions import db

from . import periods
from .indicators import REGISTRY
from .models import (
    ActionPoint,
    Indicator,
    IndicatorTarget,
    PlanGroup,
    PlanSettings,
    PointAgency,
    PointRevision,
    Source,
    Status,
    Unit,
)

TEXT_MAX = 5000
REMIND_DAYS_BEFORE = 7


# -- settings and people -----------------------------------------------------------------------
def settings() -> PlanSettings:
    row = db.session.get(PlanSettings, 1)
    if row is None:
        row = PlanSettings(id=1, deadline_days=20)
        db.session.add(row)
        db.session.flush()
    return row


def agencies() -> list[Organisation]:
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrganisationKind.government_agency)
            .order_by(Organisation.name)
        )
    )


def agency_ids_of(user) -> set[int]:
    """The agencies ``user`` is an active member of."""
    ids = member_organisation_ids(user)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(Organisation.id).where(
                Organisation.id.in_(ids), Organisation.kind == OrganisationKind.government_agency
            )
        )
    )


def is_reviewer(user) -> bool:
    ministry = settings().ministry_id
    return ministry is not None and ministry in member_organisation_ids(user)


def is_manager(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role("administrator"))


def can_see_all(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_any_role("administrator", "auditor"))


def reporting_agency(user, point: ActionPoint) -> int | None:
    """The agency (of those named on the point) through which ``user`` reports on it, or None."""
    mine = agency_ids_of(user) & point.agency_ids
    if not mine:
        return None
    if point.lead_agency_id in mine:
        return point.lead_agency_id
    return min(mine)


def points_of(user) -> list[ActionPoint]:
    mine = agency_ids_of(user)
    if not mine:
        return []
    supporting = select(PointAgency.point_id).where(PointAgency.organisation_id.in_(mine))
    return list(
        db.session.scalars(
            select(ActionPoint)
            .where((ActionPoint.lead_agency_id.in_(mine)) | (ActionPoint.id.in_(supporting)))
            .order_by(ActionPoint.group_id, ActionPoint.position, ActionPoint.id)
        )
    )


def agency_members(org_ids: set[int]):
    if not org_ids:
        return []
    return list(
        db.session.scalars(
            select(User)
            .join(OrganisationMember, OrganisationMember.user_id == User.id)
            .where(OrganisationMember.organisation_id.in_(org_ids), OrganisationMember.status == "active")
            .distinct()
        )
    )


def public_link(endpoint: str, **values) -> str:
    """A link for mail, always on the configured public address (never the request's Host)."""
    return public_url(endpoint, **values)


# -- editing the Plan ----------------------------------------------------------------------------
@dataclass
class PointData:
    group_id: int | None
    number: str
    text_tg: str
    text_ru: str
    text_en: str
    lead_agency_id: int | None
    supporting_ids: list[int] = field(default_factory=list)
    starts_on: date | None = None
    ends_on: date | None = None
    weight: int = 1
    is_example: bool = False


POINT_FIELDS = (
    "group_id",
    "number",
    "text_tg",
    "text_ru",
    "text_en",
    "lead_agency_id",
    "starts_on",
    "ends_on",
    "weight",
    "is_example",
)


def require_manager(actor) -> None:
    if not is_manager(actor):
        raise NotPermitted(_l("Only an administrator edits the Plan."))


def _check_point(data: PointData, point: ActionPoint | None) -> list[ValidationFailed]:
    errors = []
    if data.group_id is None or db.session.get(PlanGroup, data.group_id) is None:
        errors.append(ValidationFailed(_l("Choose the group."), field="group_id"))
    number = (data.number or "").strip()
    if not number or len(number) > 16:
        errors.append(ValidationFailed(_l("Enter the point's number, such as 1.3."), field="number"))
    else:
        other = db.session.scalar(select(ActionPoint.id).where(ActionPoint.number == number))
        if other is not None and (point is None or other != point.id):
            errors.append(ValidationFailed(_l("Another point has this number."), field="number"))
    for lang in ("tg", "ru", "en"):
        text = (getattr(data, f"text_{lang}") or "").strip()
        if not text or len(text) > TEXT_MAX:
            errors.append(ValidationFailed(_l("Enter the text of the point."), field=f"text_{lang}"))
    agency_ids = {a.id for a in agencies()}
    if data.lead_agency_id is not None and data.lead_agency_id not in agency_ids:
        errors.append(ValidationFailed(_l("Choose a government agency."), field="lead_agency_id"))
    if any(i not in agency_ids for i in data.supporting_ids):
        errors.append(ValidationFailed(_l("Choose government agencies."), field="supporting_ids"))
    if data.starts_on is None:
        errors.append(ValidationFailed(_l("Enter the first day of the period."), field="starts_on"))
    if data.ends_on is None:
        errors.append(ValidationFailed(_l("Enter the last day of the period."), field="ends_on"))
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        errors.append(ValidationFailed(_l("The period cannot end before it starts."), field="ends_on"))
    if not 1 <= int(data.weight or 0) <= 100:
        errors.append(ValidationFailed(_l("Enter a weight from 1 to 100."), field="weight"))
    return errors


def _jsonable(value):
    return value.isoformat() if isinstance(value, date) else value


def save_point(actor, point: ActionPoint | None, data: PointData, reason: str = "") -> ActionPoint:
    """Create or edit a point; every change is kept in its history with the reason given.
    Raises ``ValidationFailed`` errors together (``.errors``) so the form shows them all."""
    require_manager(actor)
    errors = _check_point(data, point)
    reason = (reason or "").strip()
    if point is not None and not reason:
        errors.append(ValidationFailed(_l("Say why the point is changed."), field="reason"))
    if len(reason) > TEXT_MAX:
        errors.append(ValidationFailed(_l("At most %(n)s characters.", n=TEXT_MAX), field="reason"))
    if errors:
        raise ManyErrors(errors)
    creating = point is None
    if creating:
        point = ActionPoint()
        db.session.add(point)
    data.number = data.number.strip()
    for lang in ("tg", "ru", "en"):
        setattr(data, f"text_{lang}", getattr(data, f"text_{lang}").strip())
    changes = {}
    for name in POINT_FIELDS:
        new = getattr(data, name)
        old = getattr(point, name, None)
        if creating or old != new:
            changes[name] = [_jsonable(old) if not creating else None, _jsonable(new)]
            setattr(point, name, new)
    old_support = sorted(a.organisation_id for a in point.supporting)
    new_support = sorted(set(data.supporting_ids) - {data.lead_agency_id})
    if old_support != new_support:
        changes["supporting"] = [old_support, new_support]
        point.supporting = [PointAgency(organisation_id=i) for i in new_support]
    if not changes:
        return point
    point.updated_at = utcnow()
    db.session.flush()
    db.session.add(
        PointRevision(
            point_id=point.id,
            actor_id=actor.id,
            kind="created" if creating else "edited",
            changes=changes,
            reason=reason,
        )
    )
    record(
        "plan.point_created" if creating else "plan.point_edited",
        point,
        actor=actor,
        reason=reason or None,
        changes=changes,
    )
    return point


class ManyErrors(ValidationFailed):
    """Several field errors at once (the form shows each beside its field)."""

    def __init__(self, errors: list[ValidationFailed]):
        super().__init__(errors[0].message, field=errors[0].field)
        self.errors = errors


def save_indicator(actor, point: ActionPoint, indicator: Indicator | None, **data) -> Indicator:
    """Create or edit an indicator of ``point``; the point's history records the change."""
    require_manager(actor)
    errors = []
    code = (data.get("code") or "").strip()
    if not code or len(code) > 24:
        errors.append(ValidationFailed(_l("Enter a short code, such as 1.3-a."), field="code"))
    else:
        other = db.session.scalar(select(Indicator.id).where(Indicator.code == code))
        if other is not None and (indicator is None or other != indicator.id):
            errors.append(ValidationFailed(_l("Another indicator has this code."), field="code"))
    for lang in ("tg", "ru", "en"):
        name = (data.get(f"name_{lang}") or "").strip()
        if not name or len(name) > 300:
            errors.append(ValidationFailed(_l("Enter the indicator's name."), field=f"name_{lang}"))
    unit = data.get("unit")
    if unit not in {u.value for u in Unit}:
        errors.append(ValidationFailed(_l("Choose a unit."), field="unit"))
    source = data.get("source")
    key = data.get("computed_key") or None
    if source == Source.COMPUTED:
        if key not in REGISTRY:
            errors.append(ValidationFailed(_l("Choose what the portal computes."), field="computed_key"))
        elif unit != REGISTRY[key].unit:
            errors.append(ValidationFailed(_l("The unit must be that of the computed figure."), field="unit"))
    elif source == Source.AGENCY:
        key = None
    else:
        errors.append(ValidationFailed(_l("Choose where the values come from."), field="source"))
    currency = (data.get("currency") or "").strip().upper() or None
    if unit == Unit.MONEY:
        if not currency or len(currency) != 3 or not currency.isalpha():
            errors.append(ValidationFailed(_l("Enter a currency code, such as TJS."), field="currency"))
    else:
        currency = None
    weight = data.get("weight") or 1
    if not 1 <= int(weight) <= 100:
        errors.append(ValidationFailed(_l("Enter a weight from 1 to 100."), field="weight"))
    if errors:
        raise ManyErrors(errors)
    creating = indicator is None
    if creating:
        indicator = Indicator(point=point)
        db.session.add(indicator)
    values = {
        "code": code,
        "name_tg": data["name_tg"].strip(),
        "name_ru": data["name_ru"].strip(),
        "name_en": data["name_en"].strip(),
        "unit": unit,
        "currency": currency,
        "ascending": bool(data.get("ascending", True)),
        "baseline_x100": int(data.get("baseline_x100") or 0) if unit != Unit.TEXT else 0,
        "source": source,
        "computed_key": key,
        "weight": int(weight),
    }
    changes = {}
    for name, new in values.items():
        old = getattr(indicator, name, None)
        if creating or old != new:
            changes[name] = [None if creating else old, new]
            setattr(indicator, name, new)
    if changes:
        db.session.flush()
        db.session.add(
            PointRevision(
                point_id=point.id,
                actor_id=actor.id,
                kind="edited",
                changes={"indicator": code, **changes},
                reason="",
            )
        )
        record("plan.indicator_saved", indicator, actor=actor, changes=changes)
    return indicator


def set_targets(actor, indicator: Indicator, targets: dict[tuple[int, int], int | None]) -> None:
    """Set (or clear, with None) the indicator's target for each (year, quarter) given."""
    require_manager(actor)
    point = indicator.point
    allowed = set(periods.quarters_between(point.starts_on, point.ends_on))
    current = {(t.year, t.quarter): t for t in indicator.targets}
    changes = {}
    for yq, value in sorted(targets.items()):
        if yq not in allowed:
            raise ValidationFailed(_l("That quarter is outside the point's period."), field="targets")
        old = current.get(yq)
        if value is None:
            if old is not None:
                changes[periods.label(*yq)] = [old.target_x100, None]
                indicator.targets.remove(old)
            continue
        if value < 0 and indicator.unit != Unit.PERCENT:
            raise ValidationFailed(_l("A target cannot be negative."), field="targets")
        if old is None:
            indicator.targets.append(IndicatorTarget(year=yq[0], quarter=yq[1], target_x100=value))
            changes[periods.label(*yq)] = [None, value]
        elif old.target_x100 != value:
            changes[periods.label(*yq)] = [old.target_x100, value]
            old.target_x100 = value
    if changes:
        db.session.flush()
        db.session.add(
            PointRevision(
                point_id=point.id,
                actor_id=actor.id,
                kind="edited",
                changes={"indicator": indicator.code, "targets": changes},
                reason="",
            )
        )
        record("plan.targets_set", indicator, actor=actor, changes=changes)


def override_status(actor, point: ActionPoint, status: str | None, reason: str) -> None:
    """Set the point's status by hand (or go back to the computed one); a reason is required and
    kept in the point's history."""
    require_manager(actor)
    reason = (reason or "").strip()
    if not reason or len(reason) > TEXT_MAX:
        raise ValidationFailed(_l("Say why the status is set by hand."), field="reason")
    if status is not None and status not in {s.value for s in Status}:
        raise ValidationFailed(_l("Choose a status."), field="status")
    old = point.status_override
    point.status_override = status
    point.override_reason = reason if status else None
    point.updated_at = utcnow()
    db.session.add(
        PointRevision(
            point_id=point.id,
            actor_id=actor.id,
            kind="status",
            changes={"status_override": [old, status]},
            reason=reason,
        )
    )
    record("plan.status_overridden", point, actor=actor, reason=reason, changes={"status": [old, status]})
