"""The rules that turn indicator values into progress and a status. Pure functions over
integers and ``Fraction``s, so that every figure is exact and the rules can be tested as tables.

- An indicator's progress is how far its latest value has moved from the baseline towards the
  final target, between 0 and 1 (for a descending indicator, moving down is progress).
- A point's progress is the weighted mean of its quantitative indicators' progress; a group's is
  the weighted mean of its points'; items without data are left out of the mean.
- A point's status compares its progress with the share of its period that has elapsed:
  on track when at most 10 points behind, some delay up to 25 points behind, off track beyond.
- Once a point's period is over, it is also rated on the OGP completion scale: no progress is
  "not started", under one half "limited", under the whole "substantial", the whole "complete".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from .models import Completion, Status

ON_TRACK_GAP = Fraction(10, 100)
SOME_DELAY_GAP = Fraction(25, 100)


def indicator_progress(baseline: int, target: int | None, actual: int | None, ascending: bool):
    """Progress of one indicator as a Fraction in [0, 1], or None without a value or a target."""
    if actual is None or target is None:
        return None
    if target == baseline:
        reached = actual >= target if ascending else actual <= target
        return Fraction(1 if reached else 0)
    p = Fraction(actual - baseline, target - baseline)
    return min(Fraction(1), max(Fraction(0), p))


def weighted(items: Iterable[tuple[int, Fraction | None]]):
    """Weighted mean of the items that have a value; None when none has."""
    total = Fraction(0)
    weights = 0
    for weight, value in items:
        if value is None:
            continue
        total += weight * value
        weights += weight
    return total / weights if weights else None


def elapsed(starts_on: date, ends_on: date, today: date) -> Fraction:
    """Share of the period [starts_on, ends_on] that has passed on ``today``, in [0, 1]."""
    if today <= starts_on:
        return Fraction(0)
    if today >= ends_on:
        return Fraction(1)
    return Fraction((today - starts_on).days, (ends_on - starts_on).days)


def status(progress, starts_on: date, ends_on: date, today: date) -> Status:
    if today < starts_on:
        return Status.NOT_STARTED
    if progress is None:
        return Status.NO_DATA
    gap = elapsed(starts_on, ends_on, today) - progress
    if gap <= ON_TRACK_GAP:
        return Status.GREEN
    if gap <= SOME_DELAY_GAP:
        return Status.AMBER
    return Status.RED


def completion(progress) -> Completion:
    if progress is None:
        return Completion.NO_EVIDENCE
    if progress <= 0:
        return Completion.NOT_STARTED
    if progress < Fraction(1, 2):
        return Completion.LIMITED
    if progress < 1:
        return Completion.SUBSTANTIAL
    return Completion.COMPLETE


def percent(progress) -> int | None:
    """Whole percent, rounded half up, for display."""
    if progress is None:
        return None
    return int(progress * 100 + Fraction(1, 2))


@dataclass
class Rated:
    """The computed state of a point (or group) on a day."""

    progress: Fraction | None
    status: Status
    computed_status: Status
    completion: Completion | None
    overridden: bool = False

    @property
    def percent(self) -> int | None:
        return percent(self.progress)
