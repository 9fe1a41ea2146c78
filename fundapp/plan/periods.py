"""Quarters and half-years: the Plan's reporting periods, and their deadlines."""

from __future__ import annotations

from datetime import date, timedelta


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First day of the quarter and first day after it."""
    first = date(year, 3 * (quarter - 1) + 1, 1)
    nxt = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, nxt


def half_bounds(year: int, half: int) -> tuple[date, date]:
    return (date(year, 1, 1), date(year, 7, 1)) if half == 1 else (date(year, 7, 1), date(year + 1, 1, 1))


def deadline(year: int, quarter: int, days: int) -> date:
    """The last day an agency may submit its report on a quarter."""
    return quarter_bounds(year, quarter)[1] + timedelta(days=days - 1)


def quarters_between(first: date, last: date) -> list[tuple[int, int]]:
    """Every quarter that overlaps [first, last], in order."""
    out = []
    y, q = quarter_of(first)
    while quarter_bounds(y, q)[0] <= last:
        out.append((y, q))
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def label(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"
