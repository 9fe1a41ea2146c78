"""Amounts and rates as people type them: read in the page's language, exactly, or refused with a
message that shows how to write them — never misread, never an exception, never slow."""

from __future__ import annotations

import time
from fractions import Fraction

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from fundapp.core.errors import ValidationFailed
from fundapp.core.forms import MoneyField, RateField, example_amount, typed_amount
from fundapp.core.i18n import format_money
from fundapp.core.money import (
    CURRENCY_EXPONENTS,
    MAX_MINOR,
    AmountError,
    Money,
    format_plain,
    read_amount,
    read_rate,
)

LANGUAGES = ("tg", "ru", "en")
CURRENCIES = sorted(CURRENCY_EXPONENTS)


@pytest.mark.parametrize(
    "text,locale,minor",
    [
        ("1 500,50", "ru", 150050),
        ("1\u00a0500,50", "tg", 150050),
        ("1\u202f500,50", "ru", 150050),
        ("12 000 000", "tg", 1200000000),
        ("1,5", "ru", 150),
        ("1,500.50", "en", 150050),
        ("12,000.50", "en", 1200050),
        ("1,500", "en", 150000),
        ("1500", "ru", 150000),
        ("1500.5", "ru", 150050),
        ("1500.5", "tg", 150050),
        ("1500.5", "en", 150050),
        ("  250 ", "en", 25000),
    ],
)
def test_amounts_read_in_the_page_language(text, locale, minor):
    """Is each way people of that language write an amount read exactly?"""
    assert read_amount(text, "TJS", locale) == Money(minor, "TJS")


@pytest.mark.parametrize(
    "text,locale",
    [
        ("1,500", "ru"),  # a decimal comma or a thousands comma? Refused, never guessed
        ("1,500", "tg"),
        ("1,5", "en"),
        ("1 500,50", "en"),
        ("1.500,50", "ru"),
        ("1,500.50", "ru"),
        ("1,5e3", "ru"),
        ("1e9", "en"),
        ("1e999999", "en"),
        ("1E3", "en"),
        ("1_000", "en"),
        ("+150", "en"),
        ("-150", "ru"),
        ("\u0661\u0665\u0660", "en"),  # Arabic-Indic digits
        ("\u06f1\u06f5\u06f0", "tg"),  # Persian digits
        ("\uff11\uff15\uff10", "ru"),  # full-width digits
        ("1.234", "en"),  # more decimals than TJS has
        ("1,234", "ru"),
        ("12 00", "ru"),  # groups of three only
        ("1  500", "ru"),
        ("0x10", "en"),
        ("NaN", "en"),
        ("Infinity", "en"),
        ("1.", "en"),
        (".5", "en"),
        ("", "en"),
        ("   ", "ru"),
        ("0", "ru"),
        ("0,00", "ru"),
    ],
)
def test_ambiguous_and_foreign_amounts_are_refused(text, locale):
    """Is an amount that could be misread, or is not how the language writes amounts, refused?"""
    with pytest.raises(AmountError):
        read_amount(text, "TJS", locale)


def test_a_currency_without_decimals_takes_none():
    """Is 1500,5 yen refused while 1 500 yen is read?"""
    assert read_amount("1 500", "JPY", "ru") == Money(1500, "JPY")
    with pytest.raises(AmountError) as exc:
        read_amount("1500,5", "JPY", "ru")
    assert exc.value.reason == "decimals"


def test_bounds_are_refused_as_range():
    """Are amounts outside the bounds the caller gives refused, whatever their size?"""
    with pytest.raises(AmountError) as exc:
        read_amount("10", "TJS", "en", maximum=999)
    assert exc.value.reason == "too_large"
    with pytest.raises(AmountError) as exc:
        read_amount("9" * 30, "TJS", "en")
    assert exc.value.reason == "too_large"
    assert read_amount("10", "TJS", "en", maximum=1000) == Money(1000, "TJS")


@pytest.mark.parametrize("locale", LANGUAGES)
@settings(max_examples=300)
@given(minor=st.integers(min_value=1, max_value=MAX_MINOR), currency=st.sampled_from(CURRENCIES))
def test_formatting_then_reading_gives_the_same_amount(locale, minor, currency):
    """Any amount the app writes in a language (with any of the spaces Russian and Tajik use) reads
    back as the very same amount in that language?"""
    money = Money(minor, currency)
    for group in ("\u00a0", " ", "\u202f"):
        assert read_amount(format_plain(money, locale, group=group), currency, locale) == money


@pytest.mark.parametrize("locale", LANGUAGES)
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(minor=st.integers(min_value=1, max_value=10**14), currency=st.sampled_from(["TJS", "USD", "JPY"]))
def test_what_the_money_filter_prints_reads_back(app, locale, minor, currency):
    """Does what the pages print (the ``money`` filter, without the currency) read back exactly?"""
    money = Money(minor, currency)
    with app.test_request_context(f"/?lang={locale}"):
        printed = format_money(money, with_currency=False)
        assert read_amount(printed, currency, locale) == money


@pytest.mark.parametrize("locale", LANGUAGES)
@settings(max_examples=300)
@given(
    whole=st.integers(min_value=1, max_value=999_999),
    thousands=st.integers(min_value=1, max_value=999),
)
def test_a_comma_before_three_digits_is_never_guessed(locale, whole, thousands):
    """Is "<n>,<3 digits>" — a thousands comma in English, a decimal comma in Russian — either read
    as thousands on an English page or refused, never taken as decimals?"""
    text = f"{whole},{thousands:03d}"
    try:
        money = read_amount(text, "TJS", locale)
    except AmountError:
        assert locale != "en" or whole > 999
    else:
        assert locale == "en" and money == Money((whole * 1000 + thousands) * 100, "TJS")


@pytest.mark.parametrize("locale", LANGUAGES)
@settings(max_examples=500)
@given(text=st.text(max_size=80))
def test_arbitrary_text_is_an_amount_or_a_refusal(locale, text):
    """Whatever is typed, is the answer positive Money or an AmountError — never another exception?"""
    try:
        money = read_amount(text, "TJS", locale)
    except AmountError as exc:
        assert exc.reason in {"empty", "format", "decimals", "too_small", "too_large"}
    else:
        assert money.currency == "TJS" and 1 <= money.amount <= MAX_MINOR


@pytest.mark.parametrize("locale", LANGUAGES)
@settings(max_examples=300)
@given(text=st.text(alphabet="0123456789,. \u00a0\u202feE+-_", max_size=50))
def test_number_like_text_is_an_amount_or_a_refusal(locale, text):
    """Do strings made only of digits and separators (the risky ones) read or refuse cleanly?"""
    try:
        money = read_amount(text, "USD", locale)
    except AmountError as exc:
        assert exc.reason in {"empty", "format", "decimals", "too_small", "too_large"}
    else:
        assert "e" not in text.lower() and "_" not in text and "+" not in text and "-" not in text
        assert money.amount >= 1


def test_huge_inputs_cost_nothing():
    """Do exponents and very long inputs come back at once (the length is checked first)?"""
    started = time.perf_counter()
    for text in ("1e999999", "1e-9999999", "9" * 100_000, "1" + " 000" * 50_000, "0." + "0" * 100_000):
        with pytest.raises(AmountError):
            read_amount(text, "TJS", "ru")
        with pytest.raises(AmountError):
            read_rate(text, "en")
    assert time.perf_counter() - started < 0.1


@pytest.mark.parametrize(
    "text,locale,value",
    [("0,1215", "ru", Fraction(1215, 10000)), ("0.1215", "tg", Fraction(1215, 10000)), ("12", "en", 12)],
)
def test_rates_are_read_exactly(text, locale, value):
    """Is a rate read exactly, with the page's decimal separator or a point?"""
    assert read_rate(text, locale) == value


@pytest.mark.parametrize(
    "text,locale", [("0,1215", "en"), ("1e-9999999", "en"), ("1,000.5", "en"), ("-1", "ru"), ("0", "ru")]
)
def test_foreign_rates_are_refused(text, locale):
    """Are exponents, groups, signs, zero and the other language's separator refused?"""
    with pytest.raises(AmountError):
        read_rate(text, locale)


@settings(max_examples=300)
@given(text=st.text(max_size=60), locale=st.sampled_from(LANGUAGES))
def test_arbitrary_text_is_a_rate_or_a_refusal(text, locale):
    """Is any typed rate a positive Fraction with bounded digits, or an AmountError?"""
    try:
        rate = read_rate(text, locale, max_digits=12, max_decimals=8)
    except AmountError as exc:
        assert exc.reason in {"empty", "format", "decimals", "too_small", "too_large"}
    else:
        assert rate > 0 and rate.denominator <= 10**8 and rate < 10**12


class _Form(FlaskForm):
    class Meta:
        csrf = False

    amount = MoneyField("Amount", currency="TJS")
    rate = RateField("Rate", optional=True)


@pytest.mark.parametrize(
    "locale,typed,expected",
    [("ru", "1 500,50", 150050), ("tg", "1500", 150000), ("en", "1,500.50", 150050)],
)
def test_the_field_reads_in_the_page_language(app, locale, typed, expected):
    """Does the form field read an amount in the page's language and keep what was typed?"""
    with app.test_request_context(f"/?lang={locale}", method="POST"):
        form = _Form(formdata=MultiDict({"amount": typed}))
        assert form.validate(), form.errors
        assert form.amount.data == Money(expected, "TJS")
        assert form.amount._value() == typed


@pytest.mark.parametrize("locale", LANGUAGES)
def test_the_field_says_how_to_write_it(app, locale):
    """Is a refused amount kept as typed, with a message showing the page language's notation?"""
    with app.test_request_context(f"/?lang={locale}", method="POST"):
        form = _Form(formdata=MultiDict({"amount": "1e9"}))
        assert not form.validate()
        assert form.amount.data is None and form.amount._value() == "1e9"
        (message,) = form.errors["amount"]
        assert example_amount("TJS", locale) in message
        assert ("1 500,50" if locale != "en" else "1,500.50") in message


def test_an_empty_required_field_is_reported(app):
    """Is an empty amount reported as missing, with an example?"""
    with app.test_request_context("/?lang=en", method="POST"):
        form = _Form(formdata=MultiDict({"amount": ""}))
        assert not form.validate() and "1,500.50" in form.errors["amount"][0]


def test_raw_form_reader_names_the_field(app):
    """Does the reader for raw form input raise ValidationFailed naming the field?"""
    with app.test_request_context("/?lang=ru"):
        with pytest.raises(ValidationFailed) as exc:
            typed_amount("1,500", "TJS", field="goal")
        assert exc.value.field == "goal"
        assert typed_amount("1 500", "TJS", field="goal") == Money(150000, "TJS")
