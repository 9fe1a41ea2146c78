"""Amounts and rates typed by people: exact, or a clear refusal — never another exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fundapp.core.errors import ValidationFailed
from fundapp.core.money import Money
from fundapp.proposals import services


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(text=st.text(max_size=60))
def test_any_typed_amount_is_money_or_a_clear_refusal(app, text):
    """Whatever is typed in an amount field, is the result positive Money in the right currency or a
    ValidationFailed naming the field — never another exception?"""
    try:
        money = services.parse_amount(text, "TJS", field="amount")
    except ValidationFailed as exc:
        assert exc.field == "amount" and str(exc.message)
    else:
        assert isinstance(money, Money) and money.currency == "TJS" and money.amount > 0


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(text=st.text(max_size=30))
def test_any_typed_rate_is_basis_points_or_a_clear_refusal(app, text):
    """Is any typed annual rate either 0–10000 basis points or a ValidationFailed on annual_rate?"""
    try:
        bp = services.parse_rate_bp(text)
    except ValidationFailed as exc:
        assert exc.field == "annual_rate"
    else:
        assert isinstance(bp, int) and 0 <= bp <= 10_000


def test_amounts_are_read_exactly(app):
    """Are the ways people write amounts read exactly, in minor units?"""
    assert services.parse_amount("1 234,50", "TJS", field="goal") == Money(123450, "TJS")
    assert services.parse_amount("1234.5", "USD", field="goal") == Money(123450, "USD")
    assert services.parse_amount("\u00a0250\u00a0000 ", "RUB", field="goal") == Money(25000000, "RUB")
    assert services.parse_rate_bp("12,75%") == 1275
