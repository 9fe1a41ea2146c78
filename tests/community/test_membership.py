"""Membership: asking to join, invitations that reveal nothing, handing over the admin role, and
an organisation that always keeps an admin."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from fundapp.community import services
from fundapp.community.models import OrganisationMember
from fundapp.core.errors import DuplicateRequest, InvalidTransition, NotPermitted
from fundapp.extensions import db
from fundapp.mail.models import OutboxMessage
from tests.conftest import login_as


def test_ask_to_join_then_an_admin_accepts(app, people, make_org):
    """Does a request wait for an admin (mailed), refuse a second request, and become an active
    membership once accepted — which only an admin may do?"""
    org = make_org()
    c = app.test_client()
    login_as(c, people.second)
    assert c.post(f"/organisations/{org.id}/join").status_code == 303
    m = services.membership(people.second, org)
    assert m.status == "requested"
    assert org.id not in services.member_organisation_ids(people.second)
    with pytest.raises(DuplicateRequest):
        services.request_membership(org, people.second)
    db.session.rollback()
    assert c.post(f"/organisations/{org.id}/members/{m.id}/accept").status_code == 303
    assert services.membership(people.second, org).status == "requested"
    admin = app.test_client()
    login_as(admin, people.founder)
    assert b"asks to join" in admin.get(f"/organisations/{org.id}/members").data
    assert admin.post(f"/organisations/{org.id}/members/{m.id}/accept").status_code == 303
    db.session.expire_all()
    assert org.id in services.member_organisation_ids(people.second)


def test_a_pending_organisation_takes_no_members(people, make_org):
    """Can nobody ask to join an organisation the staff have not verified?"""
    org = make_org(verified=False)
    with pytest.raises(InvalidTransition):
        services.request_membership(org, people.second)


def test_invitation_answer_is_the_same_with_or_without_an_account(app, people, make_org):
    """Does the admin see the same page whether the address has an account or not, while each
    address receives an invitation link that its owner can accept (and nobody else)?"""
    org = make_org()
    admin = app.test_client()
    login_as(admin, people.founder)
    known = admin.post(
        f"/organisations/{org.id}/invite", data={"email": people.second.email}, follow_redirects=True
    )
    unknown = admin.post(
        f"/organisations/{org.id}/invite", data={"email": "nobody@example.net"}, follow_redirects=True
    )
    assert known.status_code == unknown.status_code == 200
    strip = lambda r: re.sub(r'name="csrf_token" value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(known) == strip(unknown)
    assert admin.post(f"/organisations/{org.id}/invite", data={"email": "not an address"}).status_code == 400
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == people.second.email))
    link = re.search(r"http://\S+/organisations/invitations/\S+", mail.body_text).group(0)
    path = link.split("localhost", 1)[1]
    other = app.test_client()
    login_as(other, people.stranger)
    assert other.post(path).status_code == 303
    assert services.membership(people.stranger, org) is None
    invitee = app.test_client()
    login_as(invitee, people.second)
    assert invitee.post(path).status_code == 303
    assert services.membership(people.second, org).status == "active"
    assert invitee.get(path).status_code == 404  # used once


def test_hand_over_and_at_least_one_admin(app, people, make_org):
    """Can the last admin neither leave nor be removed, and after handing over the admin role is
    the new admin in charge and the old one a member who may now leave?"""
    org = make_org()
    services.request_membership(org, people.second)
    m = services.membership(people.second, org)
    services.accept_membership(org, people.founder, m.id)
    db.session.commit()
    mine = services.membership(people.founder, org)
    with pytest.raises(InvalidTransition):
        services.remove_member(org, people.founder, mine.id)
    db.session.rollback()
    with pytest.raises(NotPermitted):
        services.hand_over_admin(org, people.second, mine.id)
    db.session.rollback()
    c = app.test_client()
    login_as(c, people.founder)
    assert c.post(f"/organisations/{org.id}/members/{m.id}/hand_over").status_code == 303
    db.session.expire_all()
    assert services.is_organisation_admin(people.second, org)
    assert not services.is_organisation_admin(people.founder, org)
    assert c.post(f"/organisations/{org.id}/members/{mine.id}/remove").status_code == 303
    assert db.session.get(OrganisationMember, mine.id) is None
    second = app.test_client()
    login_as(second, people.second)
    second.post(f"/organisations/{org.id}/members/{m.id}/remove")
    db.session.expire_all()
    assert services.is_organisation_admin(people.second, org)


def test_contact_is_relayed_without_addresses_and_rate_limited(app, people, make_org):
    """Is a message mailed to the admins without the sender's address (unless shown), the admins'
    addresses never on the page, and refused after five an hour?"""
    org = make_org()
    c = app.test_client()
    login_as(c, people.stranger)
    page = c.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert people.founder.email not in page
    r = c.post(
        f"/organisations/{org.id}/contact", data={"subject": "Classes", "message": "When do they start?"}
    )
    assert r.status_code == 303
    mail = db.session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.to_address == people.founder.email, OutboxMessage.subject.like("%message%")
        )
    )
    assert "When do they start?" in mail.body_text and people.stranger.email not in mail.body_text
    for _ in range(4):
        c.post(
            f"/organisations/{org.id}/contact", data={"subject": "s", "message": "m", "share_address": "y"}
        )
    r = c.post(f"/organisations/{org.id}/contact", data={"subject": "s", "message": "m"})
    assert r.status_code == 400 and b"try again later" in r.data
    assert c.post(f"/organisations/{org.id}/contact", data={"subject": "", "message": ""}).status_code == 400
