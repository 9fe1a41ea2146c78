"""Money: integer minor units with an ISO 4217 currency, and the one helper that splits it.

A bare ``int`` (or a float, or a Decimal) where money is expected is a ``TypeError``: the
currency always travels with the amount, and nothing here ever rounds silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

# Minor-unit exponents (ISO 4217) of the currencies the fund may hold or receive.
CURRENCY_EXPONENTS: dict[str, int] = {
    "TJS": 2,
    "USD": 2,
    "EUR": 2,
    "RUB": 2,
    "KZT": 2,
    "TRY": 2,
    "GBP": 2,
    "UZS": 2,
    "KGS": 2,
    "CNY": 2,
    "AED": 2,
    "JPY": 0,
}

# Far above any real amount, far below the 64-bit limit of the database columns.
MAX_MINOR = 10**15


class MoneyError(ValueError):
    """Input that cannot be read as an amount of money (bad digits, too many decimals, …)."""


class AmountError(MoneyError):
    """What a person typed is not an amount in the page's notation.

    ``reason`` says why, so that the form can say how to write it: ``empty``, ``format`` (not how
    amounts are written in this language: exponents, signs, other digits, a comma that could be
    either a decimal or a thousands separator), ``decimals`` (more than the currency has),
    ``too_small`` / ``too_large`` (outside the bounds the form accepts)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise MoneyError(f"unknown currency {currency!r}") from None


@dataclass(frozen=True, slots=True, order=False)
class Money:
    amount: int  # minor units
    currency: str

    def __post_init__(self):
        if type(self.amount) is not int:  # bool is an int subclass and is refused too
            raise TypeError(f"Money amount must be int minor units, not {type(self.amount).__name__}")
        if not isinstance(self.currency, str):
            raise TypeError("Money currency must be an ISO 4217 code")
        exponent(self.currency)
        if abs(self.amount) > MAX_MINOR:
            raise MoneyError("amount out of range")

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str | Decimal, currency: str) -> Money:
        """Read a decimal amount typed by a person ("1 234,50", "1234.5") exactly.

        Refuses more decimals than the currency has, non-numbers, NaN and infinities."""
        if isinstance(text, float):
            raise TypeError("floats are never money")
        exp = exponent(currency)
        if isinstance(text, Decimal):
            value = text
        else:
            cleaned = str(text).strip().replace("\u00a0", "").replace(" ", "").replace("\u202f", "")
            if cleaned.count(",") == 1 and "." not in cleaned:
                cleaned = cleaned.replace(",", ".")
            # Plain digits with one optional point and sign: no exponent can make Decimal build a
            # number of a million digits.
            if not cleaned or len(cleaned) > 40 or not _MACHINE_AMOUNT.fullmatch(cleaned):
                raise MoneyError("not an amount")
            try:
                value = Decimal(cleaned)
            except InvalidOperation:
                raise MoneyError("not an amount") from None
        if not value.is_finite():
            raise MoneyError("not an amount")
        scaled = value.scaleb(exp)
        if scaled != scaled.to_integral_value():
            raise MoneyError("too many decimal places")
        minor = int(scaled)
        if abs(minor) > MAX_MINOR:
            raise MoneyError("amount out of range")
        return cls(minor, currency)

    # -- arithmetic -----------------------------------------------------------------------
    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError("Money can only be combined with Money")
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} and {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def __bool__(self) -> bool:
        return self.amount != 0

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-exponent(self.currency))

    def __str__(self) -> str:  # plain, locale-free; templates use the ``money`` filter
        return f"{self.to_decimal():.{exponent(self.currency)}f} {self.currency}"

    def allocate(self, weights: list[int]) -> list[Money]:
        return allocate(self, weights)


def allocate(total: Money, weights: list[int]) -> list[Money]:
    """Split ``total`` in proportion to integer ``weights`` without creating or losing a minor unit.

    Largest-remainder method: each share is floored, then the units left over go one each to the
    shares with the largest remainders (ties to the earlier weight, so the result is deterministic).
    Works for negative totals too (the split mirrors the positive one).
    """
    if not isinstance(total, Money):
        raise TypeError("allocate() splits Money")
    if not weights:
        raise ValueError("allocate() needs at least one weight")
    if any(type(w) is not int or w < 0 for w in weights):
        raise ValueError("weights must be non-negative integers")
    wsum = sum(weights)
    if wsum == 0:
        raise ValueError("weights must not all be zero")
    sign = -1 if total.amount < 0 else 1
    amount = abs(total.amount)
    shares = []
    remainders = []
    for i, w in enumerate(weights):
        q, r = divmod(amount * w, wsum)
        shares.append(q)
        remainders.append((-r, i))
    left = amount - sum(shares)
    for _, i in sorted(remainders)[:left]:
        shares[i] += 1
    return [Money(sign * s, total.currency) for s in shares]


# -- amounts and rates as people type them ---------------------------------------------------------

_MACHINE_AMOUNT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)

# Nothing a person types as an amount is longer; the length is checked before any other work, so
# reading costs the same whatever arrives.
MAX_TYPED_LENGTH = 40

# Thousands separators people type in Russian and Tajik: a space, a no-break space (what the app
# itself prints) or a narrow no-break space (what newer keyboards and CLDR data print).
_SPACES = " \u00a0\u202f"
_PLAIN = re.compile(r"([0-9]+)(?:\.([0-9]+))?", re.ASCII)
_NOTATIONS = {
    # comma decimals, space groups: "1 500,50", "1500,5"
    "comma": (
        re.compile(r"([0-9]{1,3}(?:[" + _SPACES + r"][0-9]{3})+)(?:,([0-9]+))?", re.ASCII),
        re.compile(r"([0-9]+),([0-9]+)", re.ASCII),
    ),
    # point decimals, comma groups: "1,500.50"
    "point": (re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+)(?:\.([0-9]+))?", re.ASCII),),
}
NOTATION_OF_LANGUAGE = {"en": "point", "ru": "comma", "tg": "comma"}


def notation(locale: str | None) -> str:
    """How amounts are written in ``locale``: ``point`` (1,500.50) or ``comma`` (1 500,50)."""
    lang = str(locale or "").split("_")[0].split("-")[0].lower()
    return NOTATION_OF_LANGUAGE.get(lang, "comma")


def _split_number(text: str, locale: str | None) -> tuple[str, str]:
    """(whole digits, decimal digits) of ``text`` written in ``locale``'s notation or plainly."""
    if len(text) > MAX_TYPED_LENGTH:
        # a long run of plain digits is a (far too) large amount; anything else is not an amount
        raise AmountError("too_large" if text.isascii() and text.strip().isdigit() else "format")
    text = text.strip(_SPACES + "\t\r\n")
    if not text:
        raise AmountError("empty")
    match = _PLAIN.fullmatch(text)
    if match is None:
        for pattern in _NOTATIONS[notation(locale)]:
            match = pattern.fullmatch(text)
            if match is not None:
                break
        else:
            raise AmountError("format")
        if pattern is _NOTATIONS["comma"][1] and len(match.group(2)) == 3:
            # "1,500" on a Russian page: one and a half, or fifteen hundred typed the English way?
            raise AmountError("format")
    whole = "".join(ch for ch in match.group(1) if ch.isdigit())
    return whole, match.group(2) or ""


def read_amount(
    text: str | None,
    currency: str,
    locale: str | None,
    *,
    minimum: int = 1,
    maximum: int = MAX_MINOR,
) -> Money:
    """Read an amount a person typed on a page in ``locale`` as exact ``Money`` in ``currency``.

    Russian and Tajik pages read ``1 500,50`` (space, no-break or narrow no-break space groups,
    comma decimals), English pages ``1,500.50``, and ``1500`` or ``1500.5`` are read everywhere.
    Anything else — ``1,500`` on a Russian page, exponents, underscores, signs, digits of other
    scripts, more decimals than ``currency`` has, more than ``MAX_TYPED_LENGTH`` characters — is
    an ``AmountError`` whose ``reason`` says why. ``minimum`` and ``maximum`` are minor units."""
    if not isinstance(text, str | None):
        raise TypeError("a typed amount is text")
    exp = exponent(currency)
    whole, decimals = _split_number(text or "", locale)
    if len(decimals) > exp:
        raise AmountError("decimals")
    if len(whole.lstrip("0")) > len(str(MAX_MINOR)):
        raise AmountError("too_large")
    minor = int(whole) * 10**exp + (int(decimals.ljust(exp, "0")) if exp else 0)
    if minor < minimum:
        raise AmountError("too_small")
    if minor > min(maximum, MAX_MINOR):
        raise AmountError("too_large")
    return Money(minor, currency)


def format_plain(money: Money, locale: str | None, *, group: str = "\u00a0") -> str:
    """``money`` without its currency, as ``read_amount`` reads it back in ``locale``."""
    exp = exponent(money.currency)
    whole, frac = divmod(abs(money.amount), 10**exp)
    if notation(locale) == "point":
        text = f"{whole:,}" + (f".{frac:0{exp}d}" if exp else "")
    else:
        text = f"{whole:,}".replace(",", group) + (f",{frac:0{exp}d}" if exp else "")
    return ("-" if money.amount < 0 else "") + text


def read_rate(
    text: str | None,
    locale: str | None,
    *,
    max_digits: int = 12,
    max_decimals: int = 8,
    minimum: Fraction | None = None,
    maximum: Fraction | None = None,
    allow_zero: bool = False,
) -> Fraction:
    """Read a rate (an exchange rate, a percentage) typed on a page in ``locale``, exactly.

    Plain digits with at most one decimal separator (the page's, or a point everywhere); at most
    ``max_digits`` digits in all and ``max_decimals`` after the separator, so that no input costs
    more than a few microseconds. No groups, exponents or signs."""
    if not isinstance(text, str | None):
        raise TypeError("a typed rate is text")
    raw = text or ""
    if len(raw) > MAX_TYPED_LENGTH:
        raise AmountError("too_large" if raw.isascii() and raw.strip().isdigit() else "format")
    raw = raw.strip(_SPACES + "\t\r\n")
    if not raw:
        raise AmountError("empty")
    sep = "," if notation(locale) == "comma" else "."
    match = _PLAIN.fullmatch(raw) or (
        re.fullmatch(r"([0-9]+),([0-9]+)", raw, re.ASCII) if sep == "," else None
    )
    if match is None:
        raise AmountError("format")
    whole, decimals = match.group(1).lstrip("0"), match.group(2) or ""
    if len(decimals) > max_decimals:
        raise AmountError("decimals")
    if len(whole) + len(decimals) > max_digits:
        raise AmountError("too_large")
    value = Fraction(int(whole or "0") * 10 ** len(decimals) + int(decimals or "0"), 10 ** len(decimals))
    if (value == 0 and not allow_zero) or (minimum is not None and value < minimum):
        raise AmountError("too_small")
    if maximum is not None and value > maximum:
        raise AmountError("too_large")
    return value
