"""Fakes of outside services used by the tests (the Stripe API)."""
