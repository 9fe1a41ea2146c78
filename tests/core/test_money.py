"""Money is exact: integer minor units with a currency, and splitting never makes or loses a unit."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundapp.core.money import Money, MoneyError, allocate


def test_bare_numbers_are_not_money():
    """Is a float, Decimal or bool amount refused as a TypeError?"""
    for bad in (1.5, Decimal("1"), True):
        with pytest.raises(TypeError):
            Money(bad, "TJS")


@pytest.mark.parametrize(
    "text,currency,minor",
    [("12.34", "TJS", 1234), ("1 234,5", "RUB", 123450), ("0", "USD", 0), ("1000", "JPY", 1000)],
)
def test_parse_reads_typed_amounts_exactly(text, currency, minor):
    """Does a typed amount become the exact number of minor units?"""
    assert Money.parse(text, currency) == Money(minor, currency)


@pytest.mark.parametrize("text", ["1.234", "abc", "", "NaN", "Infinity", "1e30", "1.5.5"])
def test_parse_refuses_what_is_not_an_amount(text):
    """Are too many decimals, non-numbers and huge values refused with MoneyError?"""
    with pytest.raises(MoneyError):
        Money.parse(text, "TJS")


def test_unknown_currency_and_mixing_currencies_are_refused():
    """Can an unknown currency be used, or two currencies be added? Neither."""
    with pytest.raises(MoneyError):
        Money(1, "XXX")
    with pytest.raises(ValueError):
        Money(1, "TJS") + Money(1, "USD")


def test_allocate_worked_example():
    """100.00 split 1:1:1 gives 33.34, 33.33, 33.33."""
    assert [m.amount for m in allocate(Money(10000, "TJS"), [1, 1, 1])] == [3334, 3333, 3333]


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=60).filter(lambda w: sum(w) > 0),
)
def test_allocate_never_creates_or_loses_a_minor_unit(total, weights):
    """For any total and weights, do the shares sum exactly and stay within one unit of the ideal?"""
    shares = allocate(Money(total, "TJS"), weights)
    assert sum(s.amount for s in shares) == total
    wsum = sum(weights)
    for share, w in zip(shares, weights, strict=True):
        assert abs(share.amount * wsum - total * w) < wsum
