"""What a receipt is for: a question payments asks before it stores one, answered by the domain
that owns the backings (``funding`` registers its answers at import, see ``funding.receipts``).

A registry rather than a signal: this is a question with exactly one answerer and its answer
(or its refusal, a ``ValidationFailed`` naming the field) decides whether anything is written;
signals announce what happened to whoever listens."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from fundapp.core.money import Money


@dataclass(frozen=True)
class ReceiptDraft:
    """A transfer as the treasurer typed it, its shape already checked."""

    amount: Money  # in the currency it arrived in
    rate: Fraction | None  # as typed, None when empty
    backing_reference: str | None  # normalised: upper case, no spaces or dashes
    project_id: int | None  # chosen when there is no reference code


@dataclass(frozen=True)
class ReceiptTerms:
    """What the receipt pays: the project, the amount credited in the project's currency, the fee
    the banks kept (None when none) and the exchange rate used (None when none was needed)."""

    project_id: int
    credited: Money
    fee: Money | None
    rate: Fraction | None


_answerer: dict[str, Callable] = {}


def register(*, terms: Callable[[ReceiptDraft], ReceiptTerms], projects: Callable[[], list]) -> None:
    """``terms(draft)`` decides what a receipt pays (or refuses it); ``projects()`` lists
    ``(id, label)`` of the projects a receipt without a reference code may be recorded for."""
    _answerer.update(terms=terms, projects=projects)


def terms_of(draft: ReceiptDraft) -> ReceiptTerms:
    if "terms" not in _answerer:
        raise RuntimeError("no domain answers what receipts are for (funding registers it)")
    return _answerer["terms"](draft)


def receipt_projects() -> list[tuple[int, str]]:
    return _answerer["projects"]() if "projects" in _answerer else []
