"""The resource library: who publishes, moderation, counted downloads, and what stays private."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from fundapp.audit.models import AuditEvent
from fundapp.community import library
from fundapp.community.models import Resource
from fundapp.core.errors import NotPermitted, ValidationFailed
from fundapp.extensions import db
from fundapp.mail.models import OutboxMessage
from tests.conftest import login_as

from .conftest import PDF


def _data(**over):
    data = {
        "title": "Алифбои тоҷикӣ барои кӯдакон",
        "description": "Дафтари машқ",
        "language": "tg",
        "category": "teaching",
        "audience": "children",
        "url": "",
        "organisation_id": "",
    }
    data.update(over)
    return data


def test_staff_publish_a_file_at_once_and_downloads_are_counted(app, people):
    """Is a staff member's file published (and its file public) at once, and does each download
    through the library count once before handing over to the files route?"""
    c = app.test_client()
    login_as(c, people.staff)
    data = _data()
    data["file"] = (io.BytesIO(PDF), "alifbo.pdf")
    r = c.post("/library/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 303
    res = db.session.scalar(select(Resource))
    assert res.status == "published" and res.kind == "file"
    anon = app.test_client()
    assert "Алифбои" in anon.get("/library?q=АЛИФБОИ").get_data(as_text=True)
    r = anon.get(f"/library/{res.id}/download")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/files/{res.file_id}")
    assert anon.get(r.headers["Location"]).status_code == 200
    anon.get(f"/library/{res.id}/download")
    db.session.expire_all()
    assert db.session.get(Resource, res.id).downloads == 2


def test_an_organisation_proposes_and_staff_moderate(app, people, make_org):
    """Does an organisation's item wait unseen (its file private) until staff publish it; does a
    decline need a reason that is mailed and audited?"""
    org = make_org()
    c = app.test_client()
    login_as(c, people.founder)
    data = _data(
        organisation_id=str(org.id),
        title="Huquqi muhojir handbook",
        language="ru",
        category="legal",
        audience="migrants",
    )
    data["file"] = (io.BytesIO(PDF), "guide.pdf")
    assert c.post("/library/new", data=data, content_type="multipart/form-data").status_code == 303
    res = db.session.scalar(select(Resource))
    assert res.status == "pending"
    anon = app.test_client()
    assert anon.get(f"/library/{res.id}").status_code == 404
    assert anon.get(f"/files/{res.file_id}").status_code == 404
    assert "Huquqi muhojir" not in anon.get("/library").get_data(as_text=True)
    staff = app.test_client()
    login_as(staff, people.staff)
    assert staff.post(f"/library/{res.id}/decline", data={"reason": ""}).status_code == 303
    assert db.session.get(Resource, res.id).status == "pending"
    staff.post(f"/library/{res.id}/decline", data={"reason": "The scan is unreadable."})
    db.session.expire_all()
    assert db.session.get(Resource, res.id).status == "declined"
    assert db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.body_text.like("%scan is unreadable%"))
    )
    staff.post(f"/library/{res.id}/publish")
    db.session.expire_all()
    assert db.session.get(Resource, res.id).status == "published"
    assert anon.get(f"/files/{res.file_id}").status_code == 200
    assert "Huquqi muhojir" in anon.get(f"/organisations/{org.id}").get_data(as_text=True)
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {
        "community.propose_resource",
        "community.decline_resource",
        "community.publish_resource",
    } <= actions


def test_who_may_add(app, people, make_org):
    """Is a member without a verified organisation refused (403 page, NotPermitted in the service),
    and may an admin publish only for their own verified organisation?"""
    c = app.test_client()
    login_as(c, people.stranger)
    assert c.get("/library/new").status_code == 403
    with pytest.raises(NotPermitted):
        library.add_resource(people.stranger, _data(url="https://example.org"))
    other = make_org(founder=people.second, name="Other club")
    make_org()
    with pytest.raises(ValidationFailed):
        library.add_resource(people.founder, _data(url="https://example.org", organisation_id=str(other.id)))
    member = app.test_client()
    login_as(member, people.stranger)
    assert member.post(f"/library/{1}/publish").status_code == 403


@pytest.mark.parametrize(
    "over",
    [
        {"title": ""},
        {"language": "xx"},
        {"category": "x"},
        {"audience": "x"},
        {"url": "ftp://x"},
        {"url": ""},
    ],
)
def test_bad_input_changes_nothing(app, people, over):
    """Is each bad value refused with a message and no item stored?"""
    c = app.test_client()
    login_as(c, people.staff)
    data = _data(url="https://example.org/guide")
    data.update(over)
    assert c.post("/library/new", data=data).status_code == 400
    assert db.session.scalar(select(Resource.id)) is None


def test_open_data_lists_published_items_only(app, people, make_org):
    """Do the CSV, JSON and API list only published items, with formulas neutralised?"""
    library.add_resource(people.staff, _data(url="https://example.org/a", title="=cmd|' /C calc'!A0"))
    org = make_org()
    library.add_resource(
        people.founder, _data(url="https://example.org/b", title="Pending item", organisation_id=str(org.id))
    )
    db.session.commit()
    c = app.test_client()
    text = c.get("/library/data.csv").get_data(as_text=True)
    assert "'=cmd" in text and "Pending item" not in text
    assert len(c.get("/library/data.json").get_json()["resources"]) == 1
    assert c.get("/api/v1/library").get_json()["total"] == 1
