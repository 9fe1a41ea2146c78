"""Domain errors: one type per failure a user can cause. Views turn them into a clear message
and the right status code; none of them is ever a 500."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    status_code = 400
    default_message = _l("This request cannot be carried out.")

    def __init__(self, message=None, *, field: str | None = None):
        self.message = message if message is not None else self.default_message
        self.field = field
        super().__init__(str(self.message))


class InvalidTransition(DomainError):
    status_code = 409
    default_message = _l("This action is not possible in the current state.")


class NotPermitted(DomainError):
    status_code = 403
    default_message = _l("You are not permitted to do this.")


class InsufficientFunds(DomainError):
    status_code = 409
    default_message = _l("There is not enough money in the account for this.")


class DuplicateRequest(DomainError):
    status_code = 409
    default_message = _l("This request was already received.")


class ValidationFailed(DomainError):
    status_code = 400
    default_message = _l("Please correct the highlighted fields.")


class NotFound(DomainError):
    status_code = 404
    default_message = _l("Not found.")


class StepUpRequired(NotPermitted):
    """Raised (by ``fundapp.accounts.services.require_fresh_mfa``) when a money action needs a
    fresh TOTP code; the web layer answers with the step-up page instead of a 403."""

    default_message = _l("Please confirm it is you with a fresh code from your authenticator app.")
