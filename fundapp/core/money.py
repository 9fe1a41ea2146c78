"""Money: integer minor units with an ISO 4217 currency, and the one helper that splits it.

A bare ``int`` (or a float, or a Decimal) where money is expected is a ``TypeError``: the
currency always travels with the amount, and nothing here ever rounds silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

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
            if not cleaned or len(cleaned) > 40:
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

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

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
