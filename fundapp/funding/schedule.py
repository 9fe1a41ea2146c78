"""Repayment schedules and pro-rata distributions, exact to the minor unit.

Rounding rules (documented in docs/ARCHITECTURE.md, "Backing and payments"):

* Interest for a month is ``balance × annual_rate / 12``, rounded half-up to the minor unit.
* Annuity: the level instalment is the exact annuity formula rounded up; every month pays the
  rounded interest and ``instalment − interest`` of principal; the **last instalment absorbs the
  remainder**, i.e. it repays whatever principal is still outstanding plus its interest, so the
  principal parts always add up to the principal exactly.
* Bullet: interest is paid every month; the whole principal is repaid with the last instalment.
* A zero rate splits the principal evenly; the last instalment takes the units left over.
* Distributions to investors use :func:`fundapp.core.money.allocate` (largest remainder): the shares
  add up to the amount received, no minor unit is created or lost.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from fundapp.core.money import Money, allocate


@dataclass(frozen=True)
class Instalment:
    number: int
    due_on: date
    principal: Money
    interest: Money

    @property
    def amount(self) -> Money:
        return self.principal + self.interest


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, clamped to the end of shorter months."""
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _round_half_up(value: Fraction) -> int:
    if value < 0:
        return -_round_half_up(-value)
    return int((value + Fraction(1, 2)) // 1)


def monthly_rate(annual_rate_bp: int) -> Fraction:
    return Fraction(annual_rate_bp, 10000 * 12)


def annuity_payment(principal: int, annual_rate_bp: int, months: int) -> int:
    """The level monthly instalment in minor units, rounded UP, so that the last instalment (which
    takes whatever is left) is never larger than the others."""
    r = monthly_rate(annual_rate_bp)
    if r == 0:
        return -(-principal // months)
    factor = (1 + r) ** months
    exact = principal * r * factor / (factor - 1)
    return -(-exact.numerator // exact.denominator)


def build_schedule(
    principal: Money, *, annual_rate_bp: int, term_months: int, repayment_type: str, start: date
) -> list[Instalment]:
    """The instalments repaying ``principal`` over ``term_months`` (first due a month after ``start``)."""
    if not isinstance(principal, Money):
        raise TypeError("principal must be Money")
    if principal.amount <= 0:
        raise ValueError("principal must be positive")
    if type(term_months) is not int or term_months < 1 or term_months > 600:
        raise ValueError("term must be 1..600 months")
    if type(annual_rate_bp) is not int or annual_rate_bp < 0 or annual_rate_bp > 100000:
        raise ValueError("rate must be 0..100000 basis points")
    if repayment_type not in ("annuity", "bullet"):
        raise ValueError("unknown repayment type")
    cur = principal.currency
    r = monthly_rate(annual_rate_bp)
    balance = principal.amount
    out: list[Instalment] = []
    if repayment_type == "annuity" and r == 0:
        base = balance // term_months
        parts = [base] * (term_months - 1) + [balance - base * (term_months - 1)]
        for i, p in enumerate(parts, start=1):
            out.append(Instalment(i, add_months(start, i), Money(p, cur), Money(0, cur)))
        return out
    level = annuity_payment(balance, annual_rate_bp, term_months) if repayment_type == "annuity" else 0
    for i in range(1, term_months + 1):
        interest = _round_half_up(balance * r)
        if i == term_months:
            principal_part = balance  # the last instalment absorbs the remainder
        elif repayment_type == "annuity":
            principal_part = min(max(level - interest, 0), balance)
        else:
            principal_part = 0
        balance -= principal_part
        out.append(Instalment(i, add_months(start, i), Money(principal_part, cur), Money(interest, cur)))
    return out


def distribute(total: Money, holdings: list[tuple[int, Money]]) -> list[tuple[int, Money]]:
    """Split ``total`` among ``holdings`` ((key, amount invested)) pro rata, exactly."""
    if not holdings:
        raise ValueError("nobody to distribute to")
    for _, m in holdings:
        if m.currency != total.currency:
            raise ValueError("currency mismatch")
    shares = allocate(total, [m.amount for _, m in holdings])
    return [(key, share) for (key, _), share in zip(holdings, shares, strict=True)]
