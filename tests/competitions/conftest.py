"""Fixtures for competitions: organisations and their people, an edition in any state, a jury."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fundapp.extensions import db

STATEMENT = (
    "For ten years this centre has taught Tajik to children abroad and kept our music alive "
    "through weekly evenings open to everyone."
)


def make_org(name: str, *, admin=None, members=(), status: str = "verified", kind: str = "cultural_centre"):
    from fundapp.community.models import Organisation, OrganisationMember

    org = Organisation(name=name, kind=kind, country="RU", city="Moscow", status=status)
    db.session.add(org)
    db.session.flush()
    if admin is not None:
        db.session.add(
            OrganisationMember(organisation_id=org.id, user_id=admin.id, role="admin", status="active")
        )
    for m in members:
        db.session.add(
            OrganisationMember(organisation_id=org.id, user_id=m.id, role="member", status="active")
        )
    db.session.commit()
    return org


def criteria():
    from fundapp.competitions.services import CriterionSpec

    levels = [
        {"from": 1, "meaning": "No evidence"},
        {"from": 4, "meaning": "Some evidence"},
        {"from": 8, "meaning": "Outstanding, well documented"},
    ]
    return [CriterionSpec("Impact on the community", 3, levels), CriterionSpec("Sustainability", 1, levels)]


@pytest.fixture
def people(make_user):
    class People:
        admin = make_user("administrator", full_name="Zarina Odinaeva")
        admin2 = make_user("administrator", full_name="Rustam Nazarov")
        treasurer = make_user("treasurer", full_name="Malika Sharipova")
        nominator = make_user("member", full_name="Farrukh Saidov")
        org_admin = make_user("member", full_name="Dilnoza Karimova")
        org_admin2 = make_user("member", full_name="Parviz Hakimov")
        juror1 = make_user("member", full_name="Juror One")
        juror2 = make_user("member", full_name="Juror Two")
        juror3 = make_user("member", full_name="Juror Three")
        stranger = make_user("member")

    return People


@pytest.fixture
def edition_factory(app, people):
    """``edition_factory(public_vote=True)`` → an edition of "Best Cultural Center" in draft."""
    from fundapp.competitions import services

    def make(slug="best-cultural-centre", *, public_vote=False, jury_weight=100, title=None, **kw):
        comps = {c.slug: c for c in services.ensure_plan_competitions()}
        now = datetime.now(UTC)
        edition = services.create_edition(
            comps[slug],
            actor=people.admin,
            title=title or f"{now.year} edition {now.timestamp()}",
            nominations_open_on=now - timedelta(days=1),
            nominations_close_on=now + timedelta(days=30),
            results_on=now + timedelta(days=60),
            eligibility_rules="Registered for at least two years; active in the diaspora.",
            categories=["Russia", "Europe"],
            criteria=criteria(),
            public_vote=public_vote,
            jury_weight=jury_weight,
            voter_min_account_days=kw.pop("voter_min_account_days", 0),
            **kw,
        )
        db.session.commit()
        return edition

    return make


def old_account(user, days=400):
    user.created_at = datetime.now(UTC) - timedelta(days=days)
    db.session.commit()
    return user
