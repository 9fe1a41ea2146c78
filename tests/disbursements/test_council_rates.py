"""Payouts count the Council threshold in somoni too: converted at the latest recorded rate, and
refused when no rate of the payout's currency is recorded."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

import pytest
from flask_babel import force_locale

from fundapp.core.db import utcnow
from fundapp.core.errors import ValidationFailed
from fundapp.council import services as council
from fundapp.disbursements import services
from fundapp.extensions import db

from .conftest import council_decision


def _rate(admin, currency, rate):
    council.record_rate(
        actor=admin,
        currency=currency,
        rate=Fraction(rate),
        valid_from=utcnow().date() - timedelta(days=5),
        source="National Bank of Tajikistan",
    )
    db.session.commit()


def test_a_payout_of_fifty_thousand_dollars_needs_a_council_decision(app, cast, funded_project, requested):
    """Is a 50,000 USD payout (547,500 somoni at 10.95) refused without a carried Council decision
    and approved with one?"""
    _rate(cast.admin, "USD", "10.95")
    project = funded_project(goal="100000", currency="USD")
    req = requested("50000", project=project)
    assert services.needs_council(req)
    with pytest.raises(ValidationFailed) as err:
        services.approve_disbursement(req, actor=cast.admin)
    assert err.value.field == "council_decision"
    db.session.rollback()
    services.approve_disbursement(
        req, actor=cast.admin, council_decision=council_decision(cast.admin, project=req.project)
    )
    db.session.commit()
    assert req.state == "approved"


def test_a_somoni_payout_below_the_threshold_needs_no_decision(app, cast, requested):
    """Is a 10,000 TJS payout approved without a Council decision and without any rate?"""
    req = requested("10000")
    assert not services.needs_council(req)
    services.approve_disbursement(req, actor=cast.admin)
    db.session.commit()
    assert req.state == "approved"


def test_a_payout_in_a_currency_without_a_rate_is_refused_with_a_message(
    app, cast, funded_project, requested
):
    """With no rate of RUB recorded, is even a small RUB payout refused with a message naming the
    currency, and nothing reserved?"""
    project = funded_project(goal="30000", currency="RUB")
    req = requested("1000", project=project)
    with pytest.raises(ValidationFailed) as err:
        services.approve_disbursement(req, actor=cast.admin)
    with force_locale("en"):
        assert "No rate of RUB to the somoni is recorded" in str(err.value.message)
    db.session.rollback()
    assert db.session.get(type(req), req.id).state == "requested"
    assert db.session.get(type(req), req.id).pending_transfer_id is None
    _rate(cast.admin, "RUB", "0.1215")
    req = db.session.get(type(req), req.id)
    services.approve_disbursement(req, actor=cast.admin)
    db.session.commit()
    assert req.state == "approved"
