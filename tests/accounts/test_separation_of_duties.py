"""Separation of duties: a staff role is given only by a second administrator, and roles that the
four-eyes rules keep apart are never held by one person."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fundapp.accounts import services
from fundapp.accounts.models import INCOMPATIBLE_ROLES, RoleGrant, User
from fundapp.core.errors import DomainError, NotPermitted
from fundapp.extensions import db


def _roles(user_id):
    db.session.expire_all()
    return db.session.get(User, user_id).role_names


def test_an_administrator_alone_cannot_make_themselves_treasurer(client_for):
    """Does an administrator asking for the treasurer role for themselves get nothing?"""
    c, admin = client_for("administrator")
    r = c.post(f"/admin/users/{admin.id}/roles", data={"role": "treasurer", "action": "grant"})
    assert r.status_code == 400  # administrator and treasurer are never one person
    assert "treasurer" not in _roles(admin.id)


def test_one_administrator_alone_cannot_give_a_role(client_for, make_user):
    """Does a grant by one administrator stay waiting, and can the asker not approve it?"""
    c, admin = client_for("administrator")
    friend = make_user()
    r = c.post(f"/admin/users/{friend.id}/roles", data={"role": "treasurer", "action": "grant"})
    assert r.status_code == 302
    assert "treasurer" not in _roles(friend.id)
    grant = db.session.scalars(select(RoleGrant)).one()
    assert grant.state == "pending"
    r = c.post(f"/admin/role-grants/{grant.id}", data={"decision": "approve"})
    assert r.status_code == 403
    assert "treasurer" not in _roles(friend.id)


def test_a_second_administrator_gives_the_role(client_for, make_user):
    """Does the approval of a second administrator give the role, audited with both names?"""
    from fundapp.audit.models import AuditEvent

    c, admin = client_for("administrator")
    c2, admin2 = client_for("administrator")
    person = make_user()
    c.post(f"/admin/users/{person.id}/roles", data={"role": "reviewer", "action": "grant"})
    grant = db.session.scalars(select(RoleGrant)).one()
    assert "Roles waiting for a second administrator" in c2.get("/admin/users").get_data(as_text=True)
    assert c2.post(f"/admin/role-grants/{grant.id}", data={"decision": "approve"}).status_code == 302
    assert "reviewer" in _roles(person.id)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.role_granted")).one()
    assert event.actor_id == admin2.id and event.changes["requested_by"] == admin.id
    assert c2.post(f"/admin/role-grants/{grant.id}", data={"decision": "approve"}).status_code == 409


def test_the_person_concerned_cannot_approve_their_own_grant(app, make_user):
    """When an administrator is asked to become something, can they not approve it themselves?"""
    a1, a2 = make_user("administrator"), make_user("administrator")
    person = make_user("reviewer")
    grant = services.request_role(person, "treasurer", actor=a1)
    db.session.commit()
    with pytest.raises(NotPermitted):
        services.approve_role_grant(grant, actor=a1)
    db.session.rollback()
    assert services.approve_role_grant(grant, actor=a2)


def test_the_database_refuses_an_approval_by_the_asker(app, make_user):
    """Even written around the services, is an approval by the asker refused by the database?"""
    from sqlalchemy.exc import IntegrityError

    a1 = make_user("administrator")
    person = make_user()
    grant = services.request_role(person, "reviewer", actor=a1)
    db.session.commit()
    asker_id = a1.id
    with pytest.raises(IntegrityError):
        grant.state = "approved"
        grant.decided_by_id = asker_id
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("pair", sorted(tuple(sorted(p)) for p in INCOMPATIBLE_ROLES))
def test_incompatible_roles_are_never_combined(app, make_user, pair):
    """For each pair in the table, is the second role refused to a holder of the first — when asked
    for, when approved, and from the command line?"""
    first, second = pair
    a1, a2 = make_user("administrator"), make_user("administrator")
    holder = make_user(first) if first != "administrator" else make_user("administrator")
    with pytest.raises(DomainError):
        services.request_role(holder, second, actor=a1 if holder.id != a1.id else a2)
    db.session.rollback()
    with pytest.raises(DomainError):
        services.grant_role_directly(holder, second, via="cli")
    db.session.rollback()
    assert second not in _roles(holder.id)
