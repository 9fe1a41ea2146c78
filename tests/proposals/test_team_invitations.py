"""Adding a team member is an invitation: the person named by an address joins (and so becomes an
insider, barred from reviewing or deciding) only by accepting, and the author's form never tells
whether an address belongs to an account."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from fundapp.audit.models import AuditEvent
from fundapp.core.errors import NotFound, NotPermitted
from fundapp.extensions import db
from fundapp.mail.models import OutboxMessage
from fundapp.proposals import services, team
from fundapp.proposals.factories import create_complete_draft
from fundapp.proposals.models import TeamMember
from fundapp.reviews import services as reviews
from tests.conftest import login_as


def _team_section(html: str, project_id: int) -> str:
    section = re.search(r'<section id="team".*?</section>', html, re.S).group(0)
    section = re.sub(r'name="csrf_token" value="[^"]*"', "", section)
    section = re.sub(r'name="row" value="\d+"', "", section)
    return section.replace(f"/proposals/{project_id}/", "/proposals/N/")


def _flashes(html: str) -> list[str]:
    return re.findall(r'class="flash[^"]*"[^>]*>(.*?)<', html, re.S)


def _add(client, project, email):
    r = client.post(
        f"/proposals/{project.id}/team", data={"name": "Sukhrob", "role": "Engineer", "email": email}
    )
    page = client.get(r.headers["Location"])
    return r.status_code, r.headers["Location"].replace(str(project.id), "N"), page.get_data(as_text=True)


def test_the_answer_is_the_same_whether_an_account_exists_or_not(app, make_user):
    """Does adding a team member by the address of an existing account answer exactly as adding
    one by an address nobody has — status, redirect, message and the team list?"""
    owner, existing = make_user("member"), make_user("reviewer")
    first, second = create_complete_draft(owner), create_complete_draft(owner)
    db.session.commit()
    c = app.test_client()
    login_as(c, owner)
    status1, where1, page1 = _add(c, first, existing.email.upper())
    status2, where2, page2 = _add(c, second, "nobody-here@example.org")
    assert (status1, where1) == (status2, where2) == (303, "/proposals/N/edit#team")
    assert _flashes(page1) == _flashes(page2) and _flashes(page1)
    assert _team_section(page1, first.id) == _team_section(page2, second.id)
    # only the existing account was invited, by mail, with a link on the public address
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == existing.id)).all()
    assert len(mail) == 1 and app.config["PUBLIC_BASE_URL"] + "/my/invitations" in mail[0].body_text
    bad = c.post(f"/proposals/{first.id}/team", data={"name": "X", "email": "not an address"})
    assert bad.status_code == 303 and len(first.team_members) == 3


def test_staff_are_not_linked_or_barred_until_they_accept(app, make_user):
    """Is a reviewer invited to a team still free to review it (not an insider), and barred only
    once they accept — with each step audited?"""
    owner, admin, reviewer = make_user("member"), make_user("administrator"), make_user("reviewer")
    project = create_complete_draft(owner)
    member = services.add_team_member(project, actor=owner, name="R", role="Adviser", email=reviewer.email)
    assert member.user_id is None and member.invited_user_id == reviewer.id
    assert not project.is_insider(reviewer)
    services.submit_proposal(project, actor=owner)
    assignment = reviews.assign_reviewer(project, reviewer, actor=admin)  # not barred yet
    assert assignment.reviewer_id == reviewer.id
    team.accept_invitation(member.id, actor=reviewer)
    db.session.commit()
    assert member.user_id == reviewer.id and member.invited_user_id is None
    assert project.is_insider(reviewer)
    with pytest.raises(NotPermitted):
        reviews.declare_conflict(assignment, actor=reviewer, has_conflict=False)
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"project.team_add", "project.team_invite", "project.team_accept"} <= actions
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == owner.id))


def test_only_the_invitee_accepts_or_declines(app, make_user):
    """Does the invitee see the invitation on their page and on My page, while another person (the
    author included) gets 404 answering it and changes nothing; and does declining leave the
    row a plain name?"""
    owner, mate, stranger = make_user("member"), make_user("member"), make_user("member")
    project = create_complete_draft(owner)
    member = services.add_team_member(project, actor=owner, name="Mate", role="Builder", email=mate.email)
    db.session.commit()
    for other in (stranger, owner):
        c = app.test_client()
        login_as(c, other)
        assert "Mate" not in c.get("/my/invitations").get_data(as_text=True)
        assert c.post(f"/my/invitations/{member.id}", data={"answer": "accept"}).status_code == 404
        db.session.refresh(member)
        assert member.user_id is None and member.invited_user_id == mate.id
    with pytest.raises(NotFound):
        team.accept_invitation(member.id, actor=stranger)
    c = app.test_client()
    login_as(c, mate)
    assert project.title in c.get("/my/invitations").get_data(as_text=True)
    assert project.title in c.get("/me").get_data(as_text=True)
    assert c.post(f"/my/invitations/{member.id}", data={"answer": "maybe"}).status_code == 400
    assert c.post(f"/my/invitations/{member.id}", data={"answer": "decline"}).status_code == 303
    db.session.expire_all()
    member = db.session.get(TeamMember, member.id)
    assert member.user_id is None and member.invited_user_id is None
    assert not project.is_insider(mate)
    # declined once, it cannot be accepted afterwards
    assert c.post(f"/my/invitations/{member.id}", data={"answer": "accept"}).status_code == 404
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "project.team_decline"))


def test_the_invitee_accepts_from_their_page(app, make_user):
    """Does accepting on the invitations page link the invitee, who then sees the draft?"""
    owner, mate = make_user("member"), make_user("member")
    project = create_complete_draft(owner)
    member = services.add_team_member(project, actor=owner, name="Mate", role="Builder", email=mate.email)
    db.session.commit()
    c = app.test_client()
    login_as(c, mate)
    assert c.get(f"/projects/{project.id}").status_code == 404
    assert c.post(f"/my/invitations/{member.id}", data={"answer": "accept"}).status_code == 303
    assert c.get(f"/projects/{project.id}").status_code == 200
    assert project.title not in c.get("/my/invitations").get_data(as_text=True)
