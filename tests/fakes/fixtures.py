"""Pytest fixtures around the fake Stripe server.

Import them into a test package's ``conftest.py``::

    from tests.fakes.fixtures import fake_stripe, stripe_app  # noqa: F401

``fake_stripe`` is a running :class:`FakeStripe`; ``stripe_app`` is an application (in an app
context) whose Stripe client talks to it. To make the suite's ``app``/``client``/``make_user``/
``client_for`` fixtures use it, override ``app`` in the test module::

    @pytest.fixture
    def app(stripe_app):
        return stripe_app
"""

from __future__ import annotations

import pytest

from fundapp.extensions import db
from tests.fakes.stripe_server import FakeStripe


@pytest.fixture
def fake_stripe():
    fake = FakeStripe().start()
    yield fake
    fake.stop()


@pytest.fixture
def stripe_app(app_factory, fake_stripe):
    """An application configured with Stripe keys pointing at the fake, inside an app context."""
    app = app_factory(**fake_stripe.config())
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def stripe_client(stripe_app):
    return stripe_app.test_client()


@pytest.fixture
def make_project(app, make_user):
    """``make_project(model="donation"|"pledge"|"loan", goal_minor=..., ...)`` → a fundraising project."""
    from tests.fakes.backing import make_project as _make

    owner = make_user()

    def make(**kw):
        return _make(owner, **kw)

    return make
