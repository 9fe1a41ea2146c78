"""Form fields that read money and rates the way people of the page's language write them.

One field for every form that takes an amount (``MoneyField``) and one for every rate
(``RateField``): both read through ``fundapp.core.money`` (``read_amount`` / ``read_rate``), so an
amount means the same on every page, and a refusal always says how to write it in that language.
Domains whose input is not yet a form class read through ``typed_amount`` / ``typed_rate``, which
answer the same messages as a ``ValidationFailed`` naming the field.

A service's refusal reaches the form through ``put_errors``: each error beside the field it names.
"""

from __future__ import annotations

from fractions import Fraction

from flask import current_app, flash
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.validators import StopValidation
from wtforms.widgets import TextInput

from fundapp.core.errors import DomainError, ValidationFailed
from fundapp.core.money import (
    CURRENCY_EXPONENTS,
    MAX_MINOR,
    MAX_TYPED_LENGTH,
    AmountError,
    Money,
    exponent,
    format_plain,
    notation,
    read_amount,
    read_rate,
)


def page_locale() -> str:
    """The language of the page being answered (its notation for numbers)."""
    return str(get_locale() or current_app.config.get("BABEL_DEFAULT_LOCALE", "tg"))


def example_amount(currency: str, locale: str | None) -> str:
    """How 1500.50 (or 1500 in a currency without decimals) is written in ``locale``."""
    minor = 150050 if exponent(currency) == 2 else 1500 * 10 ** exponent(currency)
    return format_plain(Money(minor, currency), locale, group=" ")


def example_rate(locale: str | None) -> str:
    return "0,1215" if notation(locale) == "comma" else "0.1215"


def amount_message(
    reason: str, currency: str, locale: str | None, *, minimum: int = 1, maximum: int = MAX_MINOR
):
    """The sentence that tells a person why their amount was refused and how to write it."""
    example = example_amount(currency, locale)
    if reason == "empty":
        return _l("Enter an amount, for example %(example)s.", example=example)
    if reason == "decimals":
        return _l(
            "%(currency)s has at most %(n)s digits after the decimal separator; write it like %(example)s.",
            currency=currency,
            n=exponent(currency),
            example=example,
        )
    if reason == "too_small":
        if minimum <= 1:
            return _l("The amount must be greater than zero.")
        low = format_plain(Money(minimum, currency), locale)
        return _l("The amount must be at least %(low)s %(currency)s.", low=low, currency=currency)
    if reason == "too_large":
        high = format_plain(Money(min(maximum, MAX_MINOR), currency), locale)
        return _l("This amount is too large: at most %(high)s %(currency)s.", high=high, currency=currency)
    if notation(locale) == "comma":
        return _l(
            "Write the amount with digits, spaces between thousands and a comma before the decimals, "
            "like %(example)s.",
            example=example,
        )
    return _l(
        "Write the amount with digits, commas between thousands and a point before the decimals, "
        "like %(example)s.",
        example=example,
    )


def rate_message(reason: str, locale: str | None, *, max_digits: int, max_decimals: int):
    example = example_rate(locale)
    if reason == "empty":
        return _l("Enter the rate, for example %(example)s.", example=example)
    if reason == "decimals":
        return _l("At most %(n)s digits after the decimal separator.", n=max_decimals)
    if reason == "too_small":
        return _l("The rate must be greater than zero.")
    if reason == "too_large":
        return _l("This rate is too large (at most %(n)s digits).", n=max_digits)
    return _l("Write the rate with digits and one decimal separator, like %(example)s.", example=example)


def typed_amount(
    text,
    currency: str,
    *,
    field: str = "amount",
    minimum: int = 1,
    maximum: int | None = None,
    locale: str | None = None,
) -> Money:
    """Read an amount typed in a raw form field, or raise ``ValidationFailed`` naming ``field``."""
    locale = locale or page_locale()
    maximum = maximum if maximum is not None else configured_maximum()
    try:
        return read_amount(
            text if isinstance(text, str) else None, currency, locale, minimum=minimum, maximum=maximum
        )
    except AmountError as exc:
        raise ValidationFailed(
            amount_message(exc.reason, currency, locale, minimum=minimum, maximum=maximum), field=field
        ) from None


def typed_rate(text, *, field: str, locale: str | None = None, **limits) -> Fraction:
    """Read a rate typed in a raw form field, or raise ``ValidationFailed`` naming ``field``."""
    locale = locale or page_locale()
    limits.setdefault("max_digits", 12)
    limits.setdefault("max_decimals", 8)
    try:
        return read_rate(text if isinstance(text, str) else None, locale, **limits)
    except AmountError as exc:
        raise ValidationFailed(
            rate_message(
                exc.reason, locale, max_digits=limits["max_digits"], max_decimals=limits["max_decimals"]
            ),
            field=field,
        ) from None


def configured_maximum() -> int:
    """The largest amount a person may type anywhere (``MAX_TYPED_AMOUNT_MINOR``)."""
    return min(int(current_app.config.get("MAX_TYPED_AMOUNT_MINOR", MAX_MINOR)), MAX_MINOR)


class _TypedField(Field):
    """Keeps exactly what was typed (shown back on a refused submit) apart from what it means."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = dict(kwargs.pop("render_kw", None) or {})
        render_kw.setdefault("inputmode", "decimal")
        render_kw.setdefault("autocomplete", "off")
        render_kw.setdefault("maxlength", MAX_TYPED_LENGTH)
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.raw = None

    def process_formdata(self, valuelist):
        if valuelist:
            self.raw = valuelist[0] if isinstance(valuelist[0], str) else ""
            self.data = None

    def _value(self):
        if self.raw is not None:
            return self.raw
        return self._format(self.data) if self.data is not None else ""

    def _format(self, value) -> str:  # pragma: no cover - each field says how
        raise NotImplementedError


class MoneyField(_TypedField):
    """An amount of money typed in the page's language; ``data`` is ``Money`` or ``None``.

    The currency is fixed (``currency="TJS"``), set by the view before validation
    (``form.amount.currency = project.currency``) or read from a sibling field
    (``currency_field="currency"``). Bounds are minor units: ``minimum`` (default 1, i.e. more
    than zero) and ``maximum`` (default: the configuration's ``MAX_TYPED_AMOUNT_MINOR``). An empty
    field is refused unless ``optional=True``."""

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        currency: str | None = None,
        currency_field: str | None = None,
        minimum: int = 1,
        maximum: int | None = None,
        optional: bool = False,
        locale: str | None = None,
        **kwargs,
    ):
        super().__init__(label, validators, **kwargs)
        self.currency = currency
        self.currency_field = currency_field
        self.minimum = minimum
        self.maximum = maximum
        self.optional = optional
        self.locale = locale
        if not optional:
            self.flags.required = True

    def _format(self, value) -> str:
        return format_plain(value, self.locale or page_locale()) if isinstance(value, Money) else str(value)

    def resolve_currency(self, form) -> str | None:
        if self.currency_field is not None:
            return getattr(form, self.currency_field).data or None
        return self.currency

    def pre_validate(self, form):
        raw = (self.raw or "").strip()
        if not raw and self.raw is None and isinstance(self.data, Money):
            return  # filled by the view, nothing typed
        if not raw and self.optional:
            self.data = None
            raise StopValidation()
        currency = self.resolve_currency(form)
        if currency is None or currency not in CURRENCY_EXPONENTS:
            self.data = None
            raise StopValidation()  # the currency field reports its own error
        locale = self.locale or page_locale()
        maximum = self.maximum if self.maximum is not None else configured_maximum()
        try:
            self.data = read_amount(self.raw, currency, locale, minimum=self.minimum, maximum=maximum)
        except AmountError as exc:
            self.data = None
            raise StopValidation(
                str(amount_message(exc.reason, currency, locale, minimum=self.minimum, maximum=maximum))
            ) from None


class RateField(_TypedField):
    """A rate (an exchange rate, a percentage) with a bounded number of digits; ``data`` is a
    ``Fraction`` or ``None``."""

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        max_digits: int = 12,
        max_decimals: int = 8,
        minimum: Fraction | None = None,
        maximum: Fraction | None = None,
        allow_zero: bool = False,
        optional: bool = False,
        locale: str | None = None,
        **kwargs,
    ):
        super().__init__(label, validators, **kwargs)
        self.limits = {
            "max_digits": max_digits,
            "max_decimals": max_decimals,
            "minimum": minimum,
            "maximum": maximum,
            "allow_zero": allow_zero,
        }
        self.optional = optional
        self.locale = locale
        if not optional:
            self.flags.required = True

    def _format(self, value) -> str:
        if not isinstance(value, Fraction):
            return str(value)
        digits = self.limits["max_decimals"]
        whole, rest = divmod(value.numerator * 10**digits // value.denominator, 10**digits)
        text = f"{whole}.{rest:0{digits}d}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if notation(self.locale or page_locale()) == "comma" else text

    def pre_validate(self, form):
        raw = (self.raw or "").strip()
        if not raw and self.raw is None and isinstance(self.data, Fraction):
            return
        if not raw and self.optional:
            self.data = None
            raise StopValidation()
        locale = self.locale or page_locale()
        try:
            self.data = read_rate(self.raw, locale, **self.limits)
        except AmountError as exc:
            self.data = None
            raise StopValidation(
                str(
                    rate_message(
                        exc.reason,
                        locale,
                        max_digits=self.limits["max_digits"],
                        max_decimals=self.limits["max_decimals"],
                    )
                )
            ) from None


def put_errors(
    form, exc: DomainError, *, default: str | None = None, aliases=None, flash_rest: bool = False
) -> None:
    """Each error of a service's refusal (``exc.errors`` when it carries several, else ``exc``)
    beside the field it names, after ``aliases`` maps a service's name to the form's; ``default``
    takes one that names no field of the form. Never on the CSRF token. The rest go in the summary
    at the top (``form.form_errors``), or, with ``flash_rest``, are flashed (for a page that does
    not show the form's summary)."""
    aliases = aliases or {}
    for err in getattr(exc, "errors", None) or [exc]:
        name = aliases.get(err.field, err.field) if err.field else None
        if not _takes_errors(form, name):
            name = default if _takes_errors(form, default) else None
        message = str(err.message)
        if name is not None:
            form[name].errors = [*list(form[name].errors), message]
        elif flash_rest:
            flash(message, "error")
        else:
            form.form_errors.append(message)


def _takes_errors(form, name: str | None) -> bool:
    return bool(name) and name != "csrf_token" and name in form


__all__ = [
    "put_errors",
    "MoneyField",
    "RateField",
    "amount_message",
    "example_amount",
    "typed_amount",
    "typed_rate",
]
