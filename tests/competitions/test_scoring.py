"""The counting method: normalisation per juror, exact on known examples and invariant to how
strict or generous a juror is; the ranking and its tie rule."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundapp.competitions import scoring


def test_known_example_is_exact():
    """Do a juror's scores 1 and 3 (mean 2, deviation 1) become z = ∓1, i.e. 3.25 and 7.75 on 1…10?"""
    out = scoring.normalise({"a": 1.0, "b": 3.0}, 10)
    assert out == {"a": 3.25, "b": 7.75}


def test_three_scores_known_example():
    """Do scores 2, 4, 6 give the mid-point for 4 and symmetric values around it, as the formula says?"""
    out = scoring.normalise({"a": 2.0, "b": 4.0, "c": 6.0}, 10)
    z = 2 / math.sqrt(8 / 3)
    assert out["b"] == 5.5
    assert out["a"] == pytest.approx(5.5 - z * 2.25, abs=1e-12)
    assert out["c"] == pytest.approx(5.5 + z * 2.25, abs=1e-12)


def test_a_juror_who_gives_one_score_everywhere_counts_as_the_middle():
    """Is a juror with no spread (or a single scorecard) put at the mid-point, not divided by zero?"""
    assert scoring.normalise({"a": 7.0, "b": 7.0}, 10) == {"a": 5.5, "b": 5.5}
    assert scoring.normalise({"a": 9.0}, 10) == {"a": 5.5}


def test_normalised_scores_stay_on_the_scale():
    """Does an outlier stay within 1…max after rescaling?"""
    out = scoring.normalise({i: float(x) for i, x in enumerate([1, 1, 1, 1, 1, 1, 1, 1, 1, 10])}, 10)
    assert all(1 <= v <= 10 for v in out.values())
    assert out[9] == 10.0


scores = st.lists(st.integers(min_value=1, max_value=10), min_size=2, max_size=12)


@settings(max_examples=200, deadline=None)
@given(scores, st.floats(min_value=-50, max_value=50), st.floats(min_value=0.05, max_value=20))
def test_invariant_to_a_jurors_shift_and_positive_scale(values, shift, stretch):
    """Does a juror who shifts all their scores by a constant, or stretches them by a positive
    factor, get the same normalised scores (up to rounding)?"""
    raw = {i: float(v) for i, v in enumerate(values)}
    moved = {i: v * stretch + shift for i, v in raw.items()}
    a, b = scoring.normalise(raw, 10), scoring.normalise(moved, 10)
    for key in raw:
        assert a[key] == pytest.approx(b[key], abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(scores)
def test_z_scores_have_mean_zero(values):
    """Do a juror's z-scores always average to zero (a strict juror weighs no less than a kind one)?"""
    z = scoring.zscores({i: float(v) for i, v in enumerate(values)})
    assert math.fsum(z.values()) == pytest.approx(0, abs=1e-9)


def test_weighted_raw_score():
    """Is a scorecard's raw score the weighted mean of its criteria?"""
    assert scoring.raw_score({"1": 8, "2": 4}, {"1": 3, "2": 1}) == 7.0


def _compute(cards, votes=(), jury=100, public=0):
    return scoring.compute(
        scale_max=10,
        jury_weight=jury,
        public_weight=public,
        weights={"1": 1},
        nominations=[{"id": 1, "category": 1, "name": "A"}, {"id": 2, "category": 1, "name": "B"}],
        scorecards=cards,
        votes=list(votes),
    )


def test_a_tie_is_broken_by_the_published_rule():
    """With equal combined and jury scores, do more public votes win, and then the earlier nomination?"""
    cards = [
        {"juror": "J1", "nomination": 1, "scores": {"1": 5}},
        {"juror": "J1", "nomination": 2, "scores": {"1": 5}},
    ]
    ranking = _compute(cards)["categories"][0]["ranking"]
    assert [r["nomination"] for r in ranking] == [1, 2]  # earlier nomination first
    votes = [{"category": 1, "nomination": 2}]
    ranking = _compute(cards, votes, jury=100, public=0)["categories"][0]["ranking"]
    assert [r["nomination"] for r in ranking] == [2, 1]  # same combined, same jury: more votes


def test_jury_and_public_weights_combine():
    """Is the combined score 70 % jury part and 30 % public share?"""
    cards = [
        {"juror": "J1", "nomination": 1, "scores": {"1": 9}},
        {"juror": "J1", "nomination": 2, "scores": {"1": 3}},
    ]
    votes = [{"category": 1, "nomination": 2}] * 3 + [{"category": 1, "nomination": 1}]
    out = _compute(cards, votes, jury=70, public=30)["categories"][0]["ranking"]
    by_id = {r["nomination"]: r for r in out}
    # juror's two scores → z ±1 → 7.75 and 3.25 → jury parts 75 and 25
    assert by_id[1]["jury_score"] == "7.7500"
    assert by_id[1]["combined"] == f"{0.7 * 75 + 0.3 * 25:.4f}"
    assert by_id[2]["combined"] == f"{0.7 * 25 + 0.3 * 75:.4f}"
    assert by_id[2]["public_votes"] == 3
