"""Fixtures of the payments tests: the fake Stripe server and projects raising money."""

from tests.fakes.fixtures import fake_stripe, make_project, stripe_app, stripe_client  # noqa: F401
