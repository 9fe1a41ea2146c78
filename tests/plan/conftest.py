"""Fixtures of the Plan's monitoring: two agencies (one of them the Ministry that reviews), their
people, and a point with an agency indicator and a computed one."""

from __future__ import annotations

from datetime import date

import pytest

from fundapp.extensions import db


def _org(name, kind="government_agency"):
    from fundapp.community.models import Organisation

    org = Organisation(name=name, kind=kind, country="TJ", city="Dushanbe", status="verified")
    db.session.add(org)
    db.session.flush()
    return org


def _join(org, user, role="member"):
    from fundapp.community.models import OrganisationMember

    db.session.add(OrganisationMember(organisation_id=org.id, user_id=user.id, role=role, status="active"))


@pytest.fixture
def plan(app, make_user):
    """A small Plan: group 3 with point 3.1 led by the education agency (the tax agency
    supports it); the Ministry reviews. People: an agency reporter, a reporter of another agency,
    a Ministry reviewer, an administrator, an auditor, a plain member."""
    from fundapp.plan import services
    from fundapp.plan.models import ActionPoint, Indicator, IndicatorTarget, PlanGroup, PointAgency

    class P:
        pass

    p = P()
    p.reporter = make_user("member", full_name="Agency Reporter")
    p.other_reporter = make_user("member", full_name="Other Agency Reporter")
    p.reviewer = make_user("member", full_name="Ministry Reviewer")
    p.admin = make_user("administrator")
    p.auditor = make_user("auditor")
    p.member = make_user("member")
    p.ministry = _org("Ministry of Labour")
    p.education = _org("Ministry of Education")
    p.tax = _org("Tax Committee")
    p.club = _org("Tajik club in Moscow", kind="association")
    _join(p.ministry, p.reviewer, "admin")
    _join(p.education, p.reporter)
    _join(p.tax, p.other_reporter)
    _join(p.club, p.member)
    services.settings().ministry_id = p.ministry.id
    p.group = PlanGroup(number=3, title_tg="Шарикони рушд", title_ru="Партнёры развития", title_en="Partners")
    db.session.add(p.group)
    p.point = ActionPoint(
        group=p.group,
        number="3.1",
        text_tg="Нуқта",
        text_ru="Пункт",
        text_en="Point",
        lead_agency_id=p.education.id,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        weight=2,
    )
    p.point.supporting = [PointAgency(organisation_id=p.ministry.id)]
    p.other_point = ActionPoint(
        group=p.group,
        number="3.2",
        text_tg="Дигар",
        text_ru="Другой",
        text_en="Other",
        lead_agency_id=p.tax.id,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
    )
    db.session.add_all([p.point, p.other_point])
    db.session.flush()
    p.centres = Indicator(
        point=p.point,
        code="3.1-a",
        name_tg="Марказҳо",
        name_ru="Центры",
        name_en="Centres",
        unit="count",
        source="agency",
        baseline_x100=0,
    )
    p.centres.targets = [IndicatorTarget(year=2026, quarter=q, target_x100=q * 500) for q in (1, 2, 3, 4)]
    p.money = Indicator(
        point=p.point,
        code="3.1-b",
        name_tg="Маблағ",
        name_ru="Средства",
        name_en="Money",
        unit="money",
        currency="TJS",
        source="computed",
        computed_key="money_received",
    )
    p.money.targets = [IndicatorTarget(year=2026, quarter=4, target_x100=1_000_000)]
    p.story = Indicator(
        point=p.point,
        code="3.1-c",
        name_tg="Тавсиф",
        name_ru="Описание",
        name_en="Story",
        unit="text",
        source="agency",
    )
    db.session.add_all([p.centres, p.money, p.story])
    db.session.commit()
    return p


@pytest.fixture
def signed_in(app):
    """``signed_in(user)`` → a test client signed in as ``user``."""
    from tests.conftest import login_as

    def make(user):
        c = app.test_client()
        login_as(c, user)
        return c

    return make
