"""The permission tables of docs/ARCHITECTURE.md (community), route by route, for a visitor, a
member, an organisation's admin and staff."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from fundapp.community import library, support
from fundapp.extensions import db
from tests.conftest import login_as

LOGIN = "login"


@pytest.fixture
def world(app, people, make_org):
    verified = make_org()
    pending = make_org(verified=False, name="Pending centre")
    res = library.add_resource(
        people.founder,
        {
            "title": "Proposed guide",
            "description": "",
            "language": "ru",
            "category": "legal",
            "audience": "migrants",
            "url": "https://example.org/guide",
            "organisation_id": str(verified.id),
        },
    )
    req = support.submit_request(
        people.founder,
        {"organisation_id": str(verified.id), "kind": "course", "title": "A course", "description": "d"},
    )
    db.session.commit()
    clients = {"visitor": app.test_client()}
    for role, person in (("member", people.stranger), ("org_admin", people.founder), ("staff", people.staff)):
        clients[role] = app.test_client()
        login_as(clients[role], person)
    return {"v": verified.id, "p": pending.id, "res": res.id, "req": req.id, "clients": clients}


ROLES = ("visitor", "member", "org_admin", "staff")
GET_TABLE = [
    ("/organisations", (200, 200, 200, 200)),
    ("/organisations/countries", (200, 200, 200, 200)),
    ("/organisations/data.csv", (200, 200, 200, 200)),
    ("/api/v1/organisations", (200, 200, 200, 200)),
    ("/organisations/{v}", (200, 200, 200, 200)),
    ("/organisations/{p}", (404, 404, 200, 200)),
    ("/organisations/new", (LOGIN, 200, 200, 200)),
    ("/organisations/{v}/edit", (LOGIN, 403, 200, 403)),
    ("/organisations/{v}/members", (LOGIN, 403, 200, 200)),
    ("/organisations/{v}/contact", (LOGIN, 200, 200, 200)),
    ("/organisations/{p}/contact", (LOGIN, 404, 404, 404)),
    ("/community/review", (LOGIN, 403, 403, 200)),
    ("/library", (200, 200, 200, 200)),
    ("/library/{res}", (404, 404, 200, 200)),
    ("/library/new", (LOGIN, 403, 200, 200)),
    ("/library/moderation", (LOGIN, 403, 403, 200)),
    ("/support/new", (LOGIN, 200, 200, 200)),
    ("/support/{req}", (LOGIN, 404, 200, 200)),
    ("/support/queue", (LOGIN, 403, 403, 200)),
]
POST_TABLE = [
    ("/organisations/{p}/verify", (LOGIN, 403, 403, 303)),
    ("/organisations/{v}/invite", (LOGIN, 403, 400, 403)),
    ("/library/{res}/publish", (LOGIN, 403, 403, 303)),
    ("/support/{req}/take", (LOGIN, 403, 403, 303)),
]


def _check(r, expected):
    if expected == LOGIN:
        return r.status_code == 302 and urlsplit(r.headers["Location"]).path == "/login"
    return r.status_code == expected


def test_get_routes_by_role(world):
    """Does every community page answer each role as the permission table says?"""
    problems = []
    for url, expected in GET_TABLE:
        url = url.format(**world)
        for role, want in zip(ROLES, expected, strict=True):
            r = world["clients"][role].get(url)
            if not _check(r, want):
                problems.append(f"{role} GET {url} → {r.status_code}, expected {want}")
    assert not problems, "\n".join(problems)


def test_post_routes_by_role(world):
    """Is every staff or admin action refused to those the table keeps out (and allowed to the
    others)? Posts run in table order, one role after another, on fresh rows."""
    problems = []
    for url, expected in POST_TABLE:
        url = url.format(**world)
        for role, want in zip(ROLES, expected, strict=True):
            r = world["clients"][role].post(url, data={})
            if not _check(r, want):
                problems.append(f"{role} POST {url} → {r.status_code}, expected {want}")
    assert not problems, "\n".join(problems)
