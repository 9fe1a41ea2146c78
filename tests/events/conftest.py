"""Fixtures for events: organisations with their admins, and events built by the real services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fundapp.extensions import db


@pytest.fixture
def org_factory(make_user):
    """``org_factory("Anjuman", admin=user)`` → a verified organisation with ``admin`` as its admin."""
    from fundapp.community.models import Organisation, OrganisationMember

    def make(name="Tajik Cultural Centre", *, admin=None, country="RU", city="Moscow", status="verified"):
        org = Organisation(name=name, kind="cultural_centre", country=country, city=city, status=status)
        db.session.add(org)
        db.session.flush()
        if admin is not None:
            db.session.add(
                OrganisationMember(organisation_id=org.id, user_id=admin.id, role="admin", status="active")
            )
        db.session.commit()
        return org

    return make


@pytest.fixture
def cast(make_user, org_factory):
    """The people of an event: staff, an organisation admin (and the admin of another organisation),
    members."""

    class Cast:
        # mail is rendered in each person's language: English here, so tests read the source text
        staff = make_user("administrator", full_name="Zarina Odinaeva", preferred_language="en")
        org_admin = make_user("member", full_name="Rustam Nazarov", preferred_language="en")
        other_admin = make_user("member", full_name="Gulnora Rahimova", preferred_language="en")
        member = make_user("member", full_name="Farrukh Saidov", preferred_language="en")
        member2 = make_user("member", full_name="Dilorom Karimova", preferred_language="en")

    Cast.org = org_factory("Anjumani tojikon", admin=Cast.org_admin)
    Cast.other_org = org_factory("Somon Kazan", admin=Cast.other_admin, city="Kazan")
    return Cast


def local(days: int, hour: int = 18, zone: str = "Europe/Moscow") -> str:
    """A ``datetime-local`` form value ``days`` from now at ``hour`` in ``zone``."""
    moment = (datetime.now(UTC) + timedelta(days=days)).astimezone(ZoneInfo(zone))
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0, tzinfo=None).strftime(
        "%Y-%m-%dT%H:%M"
    )


def event_form(**over) -> dict:
    data = {
        "kind": "creative_evening",
        "audience": "everyone",
        "title_tg": "Шоми шеър",
        "title_en": "Poetry evening",
        "description_tg": "Шеърхонӣ ва мусиқӣ.",
        "description_en": "Poems and music.",
        "organisation_id": "",
        "timezone": "Europe/Moscow",
        "starts_at": local(10, 18),
        "ends_at": local(10, 21),
        "capacity": "20",
        "max_guests": "2",
        "country": "RU",
        "city": "Moscow",
        "venue": "House of Nationalities",
        "address": "Novaya Basmannaya 4",
        "online_url": "",
        "questions": "",
        "project_ids": "",
    }
    data.update(over)
    return data


@pytest.fixture
def make_event(app, cast):
    """``make_event(state="published", by=cast.org_admin, **form)`` → an event made by the services."""
    from fundapp.events import services

    def make(state="published", by=None, **over):
        by = by or cast.org_admin
        if by is cast.org_admin and "organisation_id" not in over:
            over["organisation_id"] = str(cast.org.id)
        event = services.create_event(by, event_form(**over))
        if state in ("published", "postponed", "cancelled"):
            services.publish_event(event, by)
        if state == "postponed":
            services.postpone_event(event, by, "Hall flooded")
        if state == "cancelled":
            services.cancel_event(event, by, "Hall closed")
        db.session.commit()
        return event

    return make


def move_event(event, *, start: datetime, hours: int = 3) -> None:
    """Put an event at ``start`` directly (past events cannot be made through the form)."""
    event.starts_at = start
    event.ends_at = start + timedelta(hours=hours)
    event.registration_closes_at = None
    event.registration_opens_at = None
    db.session.commit()
