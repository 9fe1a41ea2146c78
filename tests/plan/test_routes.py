"""The Plan's permission table, route by route: visitor, member, agency (of the point and of
another), Ministry reviewer, administrator, auditor. See docs/ARCHITECTURE.md."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fundapp.extensions import db

LOGIN = "login"
WHO = ("visitor", "member", "reporter", "other_reporter", "reviewer", "admin", "auditor")


def _row(visitor, member, reporter, other, reviewer, admin, auditor):
    return dict(zip(WHO, (visitor, member, reporter, other, reviewer, admin, auditor), strict=True))


PUBLIC = _row(200, 200, 200, 200, 200, 200, 200)
GET_TABLE = [
    ("/plan", PUBLIC),
    ("/plan/points/{point}", PUBLIC),
    ("/plan/indicators", PUBLIC),
    ("/plan/data.csv", PUBLIC),
    ("/plan/data.json", PUBLIC),
    ("/plan/iati-results.xml", PUBLIC),
    ("/plan/my", _row(LOGIN, 200, 200, 200, 200, 200, 200)),
    ("/plan/points/{point}/reports/2026/3", _row(LOGIN, 404, 200, 404, 200, 404, 404)),
    ("/plan/reports/{report}", _row(LOGIN, 404, 200, 404, 200, 200, 200)),
    ("/plan/review", _row(LOGIN, 403, 403, 403, 200, 403, 403)),
    ("/plan/manage", _row(LOGIN, 403, 403, 403, 403, 200, 200)),
    ("/plan/points/new", _row(LOGIN, 403, 403, 403, 403, 200, 403)),
    ("/plan/points/{point}/edit", _row(LOGIN, 403, 403, 403, 403, 200, 403)),
    ("/plan/points/{point}/indicators/new", _row(LOGIN, 403, 403, 403, 403, 200, 403)),
    ("/plan/indicators/{indicator}/edit", _row(LOGIN, 403, 403, 403, 403, 200, 403)),
    ("/plan/indicators/{indicator}/targets", _row(LOGIN, 403, 403, 403, 403, 200, 403)),
    ("/plan/ministry-reports", _row(LOGIN, 403, 403, 403, 200, 200, 200)),
]
POST_TABLE = [
    # (url, data, expected per person): refused people never change anything
    (
        "/plan/points/{point}/status",
        {"status": "red", "reason": "x"},
        _row(LOGIN, 403, 403, 403, 403, 303, 403),
    ),
    ("/plan/settings", {"deadline_days": "30"}, _row(LOGIN, 403, 403, 403, 403, 303, 403)),
    ("/plan/reports/{report}/unlock", {"reason": "x"}, _row(LOGIN, 403, 403, 403, 403, 409, 403)),
    ("/plan/reports/{report}/review", {"accept": "1"}, _row(LOGIN, 403, 403, 403, 303, 403, 403)),
    (
        "/plan/ministry-reports",
        {"year": "2026", "period": "q1", "language": "tg"},
        _row(LOGIN, 403, 403, 403, 303, 303, 403),
    ),
]


@pytest.fixture
def world(app, plan, signed_in):
    from fundapp.plan.models import PointReport

    r = signed_in(plan.reporter).post(
        f"/plan/points/{plan.point.id}/reports/2026/3",
        data={
            "language": "tg",
            "narrative": "Done",
            f"value_{plan.centres.id}": "10",
            f"note_{plan.story.id}": "ok",
            "submit": "1",
        },
    )
    assert r.status_code == 303
    report = db.session.scalar(select(PointReport))
    clients = {"visitor": app.test_client()}
    for who in WHO[1:]:
        clients[who] = signed_in(getattr(plan, who if who != "admin" else "admin"))
    ids = {"point": plan.point.id, "report": report.id, "indicator": plan.centres.id}
    return clients, ids


def _check(r, expected) -> bool:
    if expected == LOGIN:
        return r.status_code == 302 and "/login" in r.headers["Location"]
    return r.status_code == expected


@pytest.mark.parametrize(("url", "table"), GET_TABLE, ids=[u for u, _ in GET_TABLE])
def test_get_routes(world, url, table):
    """Does each person get exactly the answer the permission table gives?"""
    clients, ids = world
    for who, expected in table.items():
        r = clients[who].get(url.format(**ids))
        assert _check(r, expected), (who, url, r.status_code)


@pytest.mark.parametrize(("url", "data", "table"), POST_TABLE, ids=[u for u, _, _ in POST_TABLE])
def test_post_routes(world, url, data, table):
    """Does each person get exactly the answer the permission table gives, in the order visitor
    first and the allowed person last (so that the refusals are seen on an unchanged record)?"""
    clients, ids = world
    order = sorted(table, key=lambda who: table[who] in (303, 409))
    for who in order:
        r = clients[who].post(url.format(**ids), data=data)
        assert _check(r, table[who]), (who, url, r.status_code)


def test_iati_results_hold_the_scorecard(app, plan, signed_in):
    """Are the points published as IATI results, with each indicator's measure, baseline, targets
    and the accepted actual value, and the languages of the narratives marked?"""
    from xml.etree import ElementTree

    r = signed_in(plan.reporter).post(
        f"/plan/points/{plan.point.id}/reports/2026/3",
        data={
            "language": "tg",
            "narrative": "Done",
            f"value_{plan.centres.id}": "12.5",
            f"note_{plan.story.id}": "ok",
            "submit": "1",
        },
    )
    from fundapp.plan.models import PointReport

    report = db.session.scalar(select(PointReport))
    signed_in(plan.reviewer).post(f"/plan/reports/{report.id}/review", data={"accept": "1"})
    r = app.test_client().get("/plan/iati-results.xml")
    assert r.status_code == 200 and r.mimetype == "application/xml"
    root = ElementTree.fromstring(r.data)
    results = root.findall("./iati-activity/result")
    assert len(results) == 2
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    titles = {n.get(lang): n.text for n in results[0].findall("./title/narrative")}
    assert titles["tg"].startswith("3.1") and set(titles) == {"tg", "ru", "en"}
    centres = results[0].findall("./indicator")[0]
    assert centres.get("measure") == "1" and centres.get("ascending") == "1"
    q3 = [p for p in centres.findall("./period") if p.find("period-start").get("iso-date") == "2026-07-01"][0]
    assert q3.find("target").get("value") == "15"
    assert q3.find("actual").get("value") == "12.5"
    assert results[0].findall("./indicator")[2].get("measure") == "5"  # qualitative
