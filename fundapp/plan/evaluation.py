"""Evaluation of the Plan on a day: each indicator's latest value (accepted agency reports, or
computed from the portal's data up to a checkpoint), its progress towards the final target, and
the roll-up to points and groups with their status (rules in ``progress``). Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from sqlalchemy import select

from fundapp.extensions import db

from . import periods, progress
from .indicators import REGISTRY, Window
from .models import (
    ActionPoint,
    Indicator,
    PlanGroup,
    PointReport,
    ReportState,
    ReportValue,
    Source,
    Status,
    Unit,
)
from .reporting import overdue_quarters


def final_target(indicator: Indicator) -> int | None:
    return indicator.targets[-1].target_x100 if indicator.targets else None


def target_for(indicator: Indicator, year: int, quarter: int) -> int | None:
    return next((t.target_x100 for t in indicator.targets if (t.year, t.quarter) == (year, quarter)), None)


def accepted_values(indicator: Indicator) -> dict[tuple[int, int], int | None]:
    rows = db.session.execute(
        select(PointReport.year, PointReport.quarter, ReportValue.actual_x100)
        .join(ReportValue, ReportValue.report_id == PointReport.id)
        .where(ReportValue.indicator_id == indicator.id, PointReport.state == ReportState.ACCEPTED)
    ).all()
    return {(r[0], r[1]): r[2] for r in rows}


def computed_value(
    indicator: Indicator,
    until_exclusive: date,
    tree_size: int,
    country: str | None = None,
    since: date | None = None,
) -> int:
    """The computed indicator's cumulative value from the point's start (or ``since``) to the day
    before ``until_exclusive``."""
    spec = REGISTRY[indicator.computed_key]
    first = since or indicator.point.starts_on
    end = min(until_exclusive, indicator.point.ends_on + timedelta(days=1))
    if end <= first:
        return 0
    return spec.compute(
        Window.of_dates(first, end, tree_size, country=country, currency=indicator.currency or "TJS")
    )


def actual_at(indicator: Indicator, as_of: date, tree_size: int) -> int | None:
    """The indicator's value on ``as_of``: the latest accepted agency value of a quarter that has
    started by then, or the computed cumulative value."""
    if indicator.unit == Unit.TEXT:
        return None
    if indicator.source == Source.COMPUTED:
        return computed_value(indicator, as_of, tree_size)
    values = {
        yq: v
        for yq, v in accepted_values(indicator).items()
        if v is not None and periods.quarter_bounds(*yq)[0] <= as_of
    }
    return values[max(values)] if values else None


@dataclass
class IndicatorView:
    indicator: Indicator
    actual: int | None
    target: int | None
    progress: Fraction | None


@dataclass
class PointView:
    point: ActionPoint
    indicators: list[IndicatorView]
    rated: progress.Rated
    overdue: list[tuple[int, int]]


@dataclass
class GroupView:
    group: PlanGroup
    points: list[PointView]
    progress: Fraction | None

    @property
    def percent(self):
        return progress.percent(self.progress)


def rate_point(point: ActionPoint, today: date, tree_size: int) -> PointView:
    views = []
    for ind in point.indicators:
        actual = actual_at(ind, today, tree_size)
        target = final_target(ind)
        p = (
            progress.indicator_progress(ind.baseline_x100, target, actual, ind.ascending)
            if ind.quantitative
            else None
        )
        views.append(IndicatorView(ind, actual, target, p))
    prog = progress.weighted((v.indicator.weight, v.progress) for v in views)
    computed = progress.status(prog, point.starts_on, point.ends_on, today)
    shown = Status(point.status_override) if point.status_override else computed
    completion = progress.completion(prog) if today > point.ends_on else None
    rated = progress.Rated(prog, shown, computed, completion, overridden=bool(point.status_override))
    return PointView(point, views, rated, overdue_quarters(point, today))


def scorecard(today: date, tree_size: int) -> list[GroupView]:
    groups = db.session.scalars(select(PlanGroup).order_by(PlanGroup.number)).all()
    out = []
    for g in groups:
        pts = [rate_point(p, today, tree_size) for p in g.points]
        out.append(GroupView(g, pts, progress.weighted((pv.point.weight, pv.rated.progress) for pv in pts)))
    return out


def overall(groups: list[GroupView]):
    return progress.weighted((sum(pv.point.weight for pv in g.points) or 1, g.progress) for g in groups)
