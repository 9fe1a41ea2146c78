"""Fixtures for the community: people, and organisations registered through the real services."""

from __future__ import annotations

import pytest

from fundapp.extensions import db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def org_data(**over) -> dict:
    data = {
        "name": "Tajik Cultural Centre of Kazan",
        "kind": "cultural_centre",
        "country": "RU",
        "city": "Kazan",
        "languages": ["tg", "ru"],
        "fields": ["culture", "education"],
        "year_founded": 2012,
        "website": "https://example.org",
        "description": "Tajik language classes for children and Navruz evenings.",
    }
    data.update(over)
    return data


@pytest.fixture(autouse=True)
def english_by_default(app):
    app.config["BABEL_DEFAULT_LOCALE"] = "en"


@pytest.fixture
def people(make_user):
    class People:
        founder = make_user("member", full_name="Rustam Nazarov")
        second = make_user("member", full_name="Malika Rahimova")
        stranger = make_user("member", full_name="Sino Karimov")
        staff = make_user("administrator", full_name="Zarina Odinaeva")
        auditor = make_user("auditor")

    return People


@pytest.fixture
def make_org(app, people):
    """``make_org(verified=True, **fields)`` → an organisation registered by ``people.founder``."""
    from fundapp.community import services

    def make(verified: bool = True, founder=None, **fields):
        org = services.register_organisation(founder or people.founder, org_data(**fields))
        if verified:
            services.verify_organisation(org, people.staff)
        db.session.commit()
        return org

    return make
