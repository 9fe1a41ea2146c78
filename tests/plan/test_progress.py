"""The roll-up and status rules, as tables."""

from __future__ import annotations

from datetime import date
from fractions import Fraction as F

import pytest

from fundapp.plan import progress
from fundapp.plan.models import Completion, Status


@pytest.mark.parametrize(
    ("baseline", "target", "actual", "ascending", "expected"),
    [
        (0, 1000, 500, True, F(1, 2)),
        (0, 1000, 1500, True, F(1)),  # beyond the target counts as the whole
        (0, 1000, -10, True, F(0)),  # below the baseline counts as nothing
        (100, 20, 60, False, F(1, 2)),  # lower is better: from 100 down to 60 of the way to 20
        (100, 20, 120, False, F(0)),
        (50, 50, 50, True, F(1)),  # a target equal to the baseline is met or not
        (50, 50, 40, True, F(0)),
        (0, 1000, None, True, None),  # no value, no progress
        (0, None, 300, True, None),  # no target, no progress
    ],
)
def test_indicator_progress(baseline, target, actual, ascending, expected):
    """Is an indicator's progress the share of the way from its baseline to its target, clipped to
    [0, 1], and None without a value or a target?"""
    assert progress.indicator_progress(baseline, target, actual, ascending) == expected


def test_weighted_mean_leaves_out_items_without_data():
    """Does the roll-up weigh items and leave out those without data (and give None for none)?"""
    assert progress.weighted([(2, F(1)), (1, F(1, 2)), (5, None)]) == F(5, 6)
    assert progress.weighted([(1, None)]) is None
    assert progress.weighted([]) is None


@pytest.mark.parametrize(
    ("prog", "today", "expected"),
    [
        (F(0), date(2025, 12, 31), Status.NOT_STARTED),  # before the period
        (None, date(2026, 7, 2), Status.NO_DATA),
        (F(1, 2), date(2026, 7, 2), Status.GREEN),  # half done, half the year gone
        (F(40, 100), date(2026, 7, 2), Status.GREEN),  # 10 points behind is still on track
        (F(30, 100), date(2026, 7, 2), Status.AMBER),  # 20 points behind
        (F(20, 100), date(2026, 7, 2), Status.RED),  # 30 points behind
        (F(1), date(2027, 3, 1), Status.GREEN),  # after the end, all done
        (F(70, 100), date(2027, 3, 1), Status.RED),
    ],
)
def test_status_compares_progress_with_time_elapsed(prog, today, expected):
    """Is the status on track / some delay / off track by how far progress lags the time elapsed?"""
    assert progress.status(prog, date(2026, 1, 1), date(2026, 12, 31), today) == expected


@pytest.mark.parametrize(
    ("prog", "expected"),
    [
        (None, Completion.NO_EVIDENCE),
        (F(0), Completion.NOT_STARTED),
        (F(1, 3), Completion.LIMITED),
        (F(1, 2), Completion.SUBSTANTIAL),
        (F(99, 100), Completion.SUBSTANTIAL),
        (F(1), Completion.COMPLETE),
    ],
)
def test_completion_scale(prog, expected):
    """Is a finished point rated on the OGP completion scale by its progress?"""
    assert progress.completion(prog) == expected


def test_percent_rounds_half_up():
    """Is progress shown as whole percent, rounding half up?"""
    assert progress.percent(F(1, 200)) == 1
    assert progress.percent(F(1, 3)) == 33
    assert progress.percent(None) is None
