"""Amounts and rates typed by people: exact, or a clear refusal — never another exception."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from flask_babel import refresh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fundapp.core.errors import ValidationFailed
from fundapp.core.money import Money
from fundapp.proposals import services


@contextmanager
def _page(app, lang):
    """A request for a page in ``lang`` (the language is chosen once per application context)."""
    with app.test_request_context(f"/?lang={lang}"):
        refresh()
        yield
    refresh()


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
    """Are the ways people of the page's language write amounts read exactly, in minor units?"""
    with _page(app, "ru"):
        assert services.parse_amount("1 234,50", "TJS", field="goal") == Money(123450, "TJS")
        assert services.parse_amount("1234.5", "USD", field="goal") == Money(123450, "USD")
        assert services.parse_amount("\u00a0250\u00a0000 ", "RUB", field="goal") == Money(25000000, "RUB")
        assert services.parse_rate_bp("12,75%") == 1275
    with _page(app, "en"):
        assert services.parse_amount("1,234.50", "TJS", field="goal") == Money(123450, "TJS")
        assert services.parse_rate_bp("12.75") == 1275


def test_a_budget_line_of_1_500_is_never_one_and_a_half(app):
    """Is "1,500" read as fifteen hundred on an English page and refused (never 1.50) on a Russian
    or Tajik one?"""
    with _page(app, "en"):
        assert services.parse_amount("1,500", "TJS", field="amount") == Money(150000, "TJS")
    for lang in ("ru", "tg"):
        with _page(app, lang):
            with pytest.raises(ValidationFailed) as exc:
                services.parse_amount("1,500", "TJS", field="amount")
            assert "1 500,50" in str(exc.value.message)
