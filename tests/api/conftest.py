"""Fixtures for the API tests: a few published projects with money posted, sealed and signed."""

from __future__ import annotations

import pytest

from tests.transparency.conftest import Books, people, project_in  # noqa: F401 - shared fixtures


@pytest.fixture
def books(app):
    return Books()


@pytest.fixture
def funded_books(app, books, project_in):  # noqa: F811
    """Two published projects; donations (one named backer), a fee, a disbursement; sealed."""
    a = project_in("fundraising", home_district="kulob")
    b = project_in("implementing", home_district="khujand", category="water")
    books.donate(a, 12_345, label="Rustam from Moscow")
    books.donate(b, 50_000, channel="stripe_clearing")
    books.fee(150)
    books.disburse(b, 20_000)
    books.seal()
    return a, b
