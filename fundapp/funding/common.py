"""Rules shared by every kind of backing: amounts within the project's limits, an open campaign,
reference codes, row locks, links for mails."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from fundapp.core.db import lock_one, utcnow
from fundapp.core.errors import InvalidTransition, ValidationFailed
from fundapp.core.forms import typed_amount
from fundapp.core.money import MAX_MINOR, Money
from fundapp.core.text import clean_text
from fundapp.payments import gateway
from fundapp.proposals.models import FundingModel, Project, ProjectState

from .models import (
    PayMethod,
    PledgeState,
)

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over the phone


# Counting pledges: not yet collected but promised with a saved card or to be paid by transfer.
COUNTING_PLEDGES = (
    PledgeState.ACTIVE,
    PledgeState.CHARGING,
    PledgeState.PAYMENT_FAILED,
    PledgeState.AWAITING_TRANSFER,
)


def now() -> datetime:
    return utcnow()


# -- amounts


def parse_backing_amount(text, currency_text, project: Project, *, field: str = "amount") -> Money:
    """Read the amount a backer typed, in the project's currency, within its limits."""
    currency = (currency_text or project.currency or "").strip().upper()
    if currency != project.currency:
        raise ValidationFailed(
            _l(
                "This project is funded in %(currency)s; please give the amount in %(currency)s.",
                currency=project.currency,
            ),
            field="currency",
        )
    money = typed_amount(text, currency, field=field)
    check_backing_amount(money, project, field=field)
    return money


def minimum_backing(project: Project) -> Money:
    floor = int(current_app.config.get("MIN_BACKING_MINOR", 100))
    return Money(max(int(project.min_backing_minor or 0), floor), project.currency)


def maximum_backing(project: Project) -> Money:
    ceiling = int(current_app.config.get("MAX_BACKING_MINOR", 100_000_000_00))
    if project.max_backing_minor:
        ceiling = min(ceiling, int(project.max_backing_minor))
    return Money(min(ceiling, MAX_MINOR), project.currency)


def check_backing_amount(money: Money, project: Project, *, field: str = "amount") -> None:
    if not isinstance(money, Money):
        raise TypeError("amounts are Money")
    if money.currency != project.currency:
        raise ValidationFailed(
            _l("This project is funded in %(currency)s.", currency=project.currency), field="currency"
        )
    if money.amount <= 0:
        raise ValidationFailed(_l("The amount must be greater than zero."), field=field)
    low, high = minimum_backing(project), maximum_backing(project)
    if money < low:
        raise ValidationFailed(_l("The smallest amount is %(amount)s.", amount=str(low)), field=field)
    if money > high:
        raise ValidationFailed(_l("The largest amount is %(amount)s.", amount=str(high)), field=field)


def new_reference(prefix: str) -> str:
    return prefix + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def lock(model, obj_id):
    """The row, re-read under a row lock (``core.db.lock_one``); ``None`` when there is none."""
    return lock_one(model, obj_id, None)


def external(endpoint: str, **values) -> str:
    try:
        return url_for(endpoint, _external=True, **values)
    except RuntimeError:  # outside a request (the campaign closer run by cron)
        base = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost"
        with current_app.test_request_context(base_url=base):
            return url_for(endpoint, _external=True, **values)


# -- who may back what


def require_open(project: Project, model: FundingModel) -> None:
    if project.state != ProjectState.FUNDRAISING:
        raise InvalidTransition(_l("This project is not raising money at the moment."))
    if project.funding_model != model:
        raise InvalidTransition(_l("This project is not funded this way."))
    if project.campaign_ends_at is not None and project.campaign_ends_at <= now():
        raise InvalidTransition(_l("This campaign has ended."))
    if project.campaign_starts_at is not None and project.campaign_starts_at > now():
        raise InvalidTransition(_l("This campaign has not started yet."))


def check_method(method: str, *, allow_card: bool = True) -> str:
    if method not in {m.value for m in PayMethod}:
        raise ValidationFailed(_l("Choose how you will pay."), field="method")
    if method == PayMethod.CARD and not (allow_card and gateway.enabled()):
        raise ValidationFailed(_l("Card payments are not available; please use a transfer."), field="method")
    return method


def public_label(user, public_name: str | None) -> str | None:
    """The public label of a backing: a name only when the backer chose to be named."""
    return clean_text(public_name, 120, "public_name", refuse_control=True) or None


def campaign_running(project: Project) -> bool:
    """Whether the project's campaign is raising money now (fundraising and not past its end)."""
    return project.state == ProjectState.FUNDRAISING and (
        project.campaign_ends_at is None or project.campaign_ends_at > now()
    )
