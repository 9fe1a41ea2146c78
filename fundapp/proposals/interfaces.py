"""What proposals needs to know from the domains above it, without importing them.

Proposals sits below reviews, council and transparency (see docs/ARCHITECTURE.md, layers). Where a
project's page or a transition needs their answer, it asks one of the small interfaces below, which
those domains fill in from their ``init_app`` (``provide_reviews``, ``provide_council``,
``provide_page_cache``). Asking an interface nobody provided is a programming error, never a
silent "no": the app registers every domain at start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ReviewsInterface:
    """Filled in by ``fundapp.reviews``."""

    may_read_proposal: Callable  # (user, project) -> bool: a reviewer working on this proposal?
    completed_review_count: Callable  # (project) -> int: completed reviews of it as it stands
    complete_reviews: Callable  # (project, reviewers, *, admin, recommendation): for demo and tests


@dataclass(frozen=True)
class CouncilInterface:
    """Filled in by ``fundapp.council``."""

    may_need_council: Callable  # (goal: Money) -> bool, for the page
    above_threshold: Callable  # (goal: Money) -> bool, at the rate of the day; no rate refuses
    council_threshold: Callable  # () -> Money
    check_citation: Callable  # (decision, project) -> None or ValidationFailed
    decisions_about: Callable  # (project) -> list of decisions it may cite
    decision: Callable  # (decision id) -> decision or None
    tie_to_project: Callable  # (decision, project): the decision names the project (demo and tests)


_provided: dict[str, object] = {}


def provide_reviews(interface: ReviewsInterface) -> None:
    _provided["reviews"] = interface


def provide_council(interface: CouncilInterface) -> None:
    _provided["council"] = interface


def provide_page_cache(fn: Callable) -> None:
    """``fn(key, render) -> str``: serve a public page from a cache for anonymous visitors
    (``fundapp.transparency`` provides it)."""
    _provided["page_cache"] = fn


def _get(name: str):
    try:
        return _provided[name]
    except KeyError:
        raise RuntimeError(f"fundapp.proposals.interfaces: no domain provided {name!r}") from None


def reviews() -> ReviewsInterface:
    return _get("reviews")


def council() -> CouncilInterface:
    return _get("council")


def public_page(key: tuple, render: Callable[[], str]) -> str:
    """A public page, through the page cache when one is provided (it is an optimisation only)."""
    cache = _provided.get("page_cache")
    return cache(key, render) if cache is not None else render()
