"""Repayment schedules and pro-rata distributions are exact to the minor unit."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundapp.core.money import Money
from fundapp.funding.schedule import add_months, annuity_payment, build_schedule, distribute


@settings(max_examples=300, deadline=None)
@given(
    total=st.integers(min_value=-(10**12), max_value=10**12),
    amounts=st.lists(st.integers(min_value=0, max_value=10**10), min_size=1, max_size=60).filter(any),
)
def test_distribution_sums_exactly(total, amounts):
    """For any amount and any number of investors, the shares add up to the amount received."""
    holdings = [(i, Money(a, "TJS")) for i, a in enumerate(amounts)]
    shares = distribute(Money(total, "TJS"), holdings)
    assert sum(s.amount for _, s in shares) == total
    assert [k for k, _ in shares] == list(range(len(amounts)))
    for (_, invested), (_, share) in zip(holdings, shares, strict=True):
        if invested.amount == 0:
            assert share.amount == 0
        # nobody is more than one minor unit away from the exact proportion
        exact = total * invested.amount / sum(amounts)
        assert abs(share.amount - exact) < 1.0001


@settings(max_examples=300, deadline=None)
@given(
    principal=st.integers(min_value=1, max_value=10**11),
    rate=st.integers(min_value=0, max_value=5000),
    months=st.integers(min_value=1, max_value=120),
    kind=st.sampled_from(["annuity", "bullet"]),
)
def test_schedule_repays_the_principal_exactly(principal, rate, months, kind):
    """The principal parts add up to the principal; no instalment is negative; totals add up."""
    plan = build_schedule(
        Money(principal, "TJS"),
        annual_rate_bp=rate,
        term_months=months,
        repayment_type=kind,
        start=date(2026, 1, 31),
    )
    assert len(plan) == months
    assert sum(i.principal.amount for i in plan) == principal
    assert all(i.principal.amount >= 0 and i.interest.amount >= 0 for i in plan)
    assert sum(i.amount.amount for i in plan) == sum(i.principal.amount + i.interest.amount for i in plan)
    if kind == "annuity" and months > 1:
        level = annuity_payment(principal, rate, months)
        # every instalment but the last is the level payment (less only once the balance is repaid)
        assert all(i.amount.amount == level or i.amount.amount < level for i in plan[:-1])
        if (
            principal >= 100 * months
        ):  # not for loans of a few diram, where interest rounds up to the instalment
            assert plan[-1].amount.amount <= level + months  # rounding moves at most a unit a month
    if kind == "bullet":
        assert all(i.principal.amount == 0 for i in plan[:-1])


def test_worked_annuity_example():
    """10,000.00 TJS at 12% over 12 months: 888.49 a month, the last 888.47 absorbs the rounding."""
    plan = build_schedule(
        Money(1_000_000, "TJS"),
        annual_rate_bp=1200,
        term_months=12,
        repayment_type="annuity",
        start=date(2026, 1, 31),
    )
    assert [i.amount.amount for i in plan[:11]] == [88849] * 11
    assert plan[-1].amount.amount == 88847
    assert plan[0].interest.amount == 10000
    assert plan[0].due_on == date(2026, 2, 28) and plan[1].due_on == date(2026, 3, 31)


def test_zero_rate_and_bad_terms():
    """A zero rate splits evenly with the remainder last; nonsense terms are refused."""
    plan = build_schedule(
        Money(1000, "TJS"), annual_rate_bp=0, term_months=3, repayment_type="annuity", start=date(2026, 1, 1)
    )
    assert [i.amount.amount for i in plan] == [333, 333, 334]
    with pytest.raises(ValueError):
        build_schedule(
            Money(0, "TJS"), annual_rate_bp=0, term_months=3, repayment_type="annuity", start=date.today()
        )
    with pytest.raises(ValueError):
        build_schedule(
            Money(10, "TJS"), annual_rate_bp=0, term_months=0, repayment_type="annuity", start=date.today()
        )
    with pytest.raises(TypeError):
        build_schedule(1000, annual_rate_bp=0, term_months=3, repayment_type="annuity", start=date.today())
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
