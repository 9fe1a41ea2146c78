"""A walk of the staff's role buttons, read through forms: sent empty or with one bad field by an
administrator, each is refused with a 400 and changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from fundapp.accounts.models import RoleGrant
from fundapp.extensions import db
from tests.conftest import login_as


def _grants() -> int:
    return db.session.scalar(select(func.count()).select_from(RoleGrant))


def test_role_buttons_refuse_empty_and_bad_posts(app, make_user):
    admin = make_user("administrator")
    person = make_user("member")
    c = app.test_client()
    login_as(c, admin)
    before = _grants()
    url = f"/admin/users/{person.id}/roles"
    assert c.post(url, data={}).status_code == 400
    assert c.post(url, data={"role": "emperor", "action": "grant"}).status_code == 400
    assert c.post(url, data={"role": "auditor", "action": "crown"}).status_code == 400
    assert _grants() == before
    assert c.post(url, data={"role": "auditor", "action": "grant"}).status_code == 302
    assert _grants() == before + 1
    grant = db.session.scalars(select(RoleGrant)).first()
    assert c.post(f"/admin/role-grants/{grant.id}", data={"decision": "maybe"}).status_code == 400
    assert c.post(f"/admin/role-grants/{grant.id}", data={}).status_code == 400
    assert not person.has_role("auditor")
