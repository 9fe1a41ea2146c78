"""The Council threshold is counted in somoni: a goal in another currency is converted at the
latest rate an administrator recorded on or before the day of the decision, and a currency
without a recorded rate is refused, never taken for somoni."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

import pytest
from sqlalchemy import select

from fundapp.audit.models import AuditEvent
from fundapp.core.db import utcnow
from fundapp.core.errors import ValidationFailed
from fundapp.core.money import Money
from fundapp.council import services as council
from fundapp.council.models import ExchangeRate
from fundapp.extensions import db
from fundapp.proposals import services
from fundapp.proposals.factories import complete_reviews
from tests.conftest import login_as


def record_rate(admin, currency="USD", rate="10.95", days_ago=10):
    row = council.record_rate(
        actor=admin,
        currency=currency,
        rate=Fraction(rate),
        valid_from=utcnow().date() - timedelta(days=days_ago),
        source="National Bank of Tajikistan",
    )
    db.session.commit()
    return row


def _decision(number="20/2026", project=None):
    from fundapp.council.models import CouncilDecision

    d = CouncilDecision(
        number=number,
        decided_on=utcnow().date(),
        agenda_item="Projects of compatriots",
        votes_for=7,
        votes_against=1,
        votes_abstained=0,
    )
    db.session.add(d)
    db.session.flush()
    if project is not None:
        from fundapp.council.services import tie_to_project

        tie_to_project(d, project)
    return d


def _reviewed(project_in, cast, **fields):
    project = project_in("in_review", **fields)
    complete_reviews(project, [cast.reviewer1, cast.reviewer2], admin=cast.admin)
    return project


def test_fifty_thousand_dollars_need_a_council_decision(app, cast, project_in):
    """Is a goal of 50,000 USD (about 547,500 somoni) refused approval without a Council decision,
    though 50,000 is not above the threshold's figure in the goal's own currency?"""
    record_rate(cast.admin, "USD", "10.95")
    project = _reviewed(project_in, cast, goal="50000", currency="USD")
    with pytest.raises(ValidationFailed) as err:
        services.approve_proposal(project, actor=cast.admin)
    assert err.value.field == "council_decision"
    assert "must cite a Coordination Council decision" in str(err.value.message)
    services.approve_proposal(project, actor=cast.admin, council_decision=_decision(project=project))
    assert project.state == "approved"


def test_a_somoni_goal_below_the_threshold_needs_no_decision_and_no_rate(app, cast, project_in):
    """Is a goal of 40,000 TJS approved on the reviews alone, with no rate recorded at all?"""
    assert db.session.scalar(select(ExchangeRate.id)) is None
    project = _reviewed(project_in, cast, goal="40000")
    services.approve_proposal(project, actor=cast.admin)
    assert project.state == "approved" and project.council_decision_id is None


def test_a_currency_without_a_rate_is_refused_with_a_message(app, cast, project_in):
    """With no rate of KZT recorded, is approval of a small KZT goal refused with a message naming
    the currency (never counted as if it were somoni), and accepted once a decision is cited?"""
    record_rate(cast.admin, "USD", "10.95")
    project = _reviewed(project_in, cast, goal="1000", currency="KZT")
    with pytest.raises(ValidationFailed) as err:
        services.approve_proposal(project, actor=cast.admin)
    assert err.value.field == "council_decision"
    assert "No rate of KZT to the somoni is recorded" in str(err.value.message)
    assert project.state == "in_review"
    # the page warns that a decision may be needed
    assert services.needs_council(project)
    services.approve_proposal(project, actor=cast.admin, council_decision=_decision(project=project))
    assert project.state == "approved"


def test_the_latest_rate_on_or_before_the_day_counts(app, cast, project_in):
    """Of two USD rates, does the later one (valid before today) decide, so that 4,000 USD are
    below the threshold at 10.95 but were above it at an old rate of 20?"""
    record_rate(cast.admin, "USD", "20", days_ago=300)
    today = utcnow().date()
    payout = Money(400_000, "USD")
    assert council.above_threshold(payout)
    record_rate(cast.admin, "USD", "10.95", days_ago=3)
    assert not council.above_threshold(payout)
    assert council.above_threshold(payout, day=today - timedelta(days=100))
    with pytest.raises(ValidationFailed):
        council.above_threshold(payout, day=today - timedelta(days=400))
    project = _reviewed(project_in, cast, goal="4000", currency="USD")
    services.approve_proposal(project, actor=cast.admin)
    assert project.state == "approved"


def test_an_administrator_records_a_rate_on_the_page_audited_and_exact(app, cast):
    """Does an administrator's rate typed the Russian way (10,95) become exactly 219/20, audited,
    while an auditor may read the page but not record, and nonsense is refused beside its field?"""
    c = app.test_client()
    login_as(c, cast.admin)
    day = (utcnow().date() - timedelta(days=1)).isoformat()
    c.set_cookie("lang", "ru")
    r = c.post(
        "/council/rates",
        data={"currency": "USD", "rate": "10,95", "valid_from": day, "source": "НБТ"},
    )
    assert r.status_code == 303
    row = db.session.scalar(select(ExchangeRate))
    assert row.rate == Fraction(219, 20) and row.recorded_by_id == cast.admin.id
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "council.record_rate"))
    for bad in ("1e-9999999", "-3", "0", "abc", "1" * 40):
        r = c.post("/council/rates", data={"currency": "USD", "rate": bad, "valid_from": day, "source": "x"})
        assert r.status_code == 400
    r = c.post("/council/rates", data={"currency": "TJS", "rate": "1", "valid_from": day, "source": "x"})
    assert r.status_code == 400
    assert db.session.scalar(select(db.func.count(ExchangeRate.id))) == 1
    auditor = app.test_client()
    login_as(auditor, cast.auditor)
    assert auditor.get("/council/rates").status_code == 200
    r = auditor.post(
        "/council/rates", data={"currency": "USD", "rate": "1", "valid_from": day, "source": "x"}
    )
    assert r.status_code == 403
    assert db.session.scalar(select(db.func.count(ExchangeRate.id))) == 1
