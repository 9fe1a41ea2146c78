"""Team invitations: an author names a person by the address of their account; the person is
linked to the project (an insider: never its reviewer, decider or payer) only when they accept.

Invariants: a row is either linked (``user_id``) or invited (``invited_user_id``), never both; only
the invited person accepts or declines; nothing the author sees differs between an address that
belongs to an account and one that does not, until the person accepts.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from fundapp.accounts.models import User
from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import NotFound
from fundapp.core.urls import public_url
from fundapp.extensions import db
from fundapp.mail.services import queue_email

from .models import Project, TeamMember


def invite(project: Project, member: TeamMember, email: str, *, actor) -> None:
    """Invite the holder of ``email`` (if any) to be ``member`` of ``project``. Silent when there is
    no such account, when it is the author's or when its holder is already linked or invited."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None or user.id == project.owner_id:
        return
    if any(user.id in (m.user_id, m.invited_user_id) for m in project.team_members if m is not member):
        return
    member.invited_user_id = user.id
    member.invited_at = utcnow()
    db.session.flush()
    record("project.team_invite", project, actor=actor, changes={"member": member.id, "invited": user.id})
    queue_email(
        user,
        _l("An invitation to the team of “%(title)s”", title=project.title),
        "proposals/email/team_invitation",
        project=project,
        member=member,
        author=project.owner,
        link=public_url("proposals.team_invitations"),
    )


def pending_invitations(user) -> list[TeamMember]:
    """The invitations waiting for ``user``'s answer, newest first."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(
        db.session.scalars(
            select(TeamMember)
            .where(TeamMember.invited_user_id == user.id)
            .order_by(TeamMember.invited_at.desc(), TeamMember.id.desc())
        )
    )


def _invitation_of(member_id: int, actor) -> TeamMember:
    """The invitation ``member_id`` addressed to ``actor``; ``NotFound`` for anyone else, so that
    other people's invitations cannot even be told apart from missing ones."""
    member = db.session.get(TeamMember, member_id, with_for_update=True)
    if member is None or actor is None or member.invited_user_id != getattr(actor, "id", None):
        raise NotFound(_l("This invitation is not open (any more)."))
    return member


def accept_invitation(member_id: int, *, actor) -> TeamMember:
    """The invited person joins the team: from now on an insider of the project."""
    member = _invitation_of(member_id, actor)
    project = member.project
    member.invited_user_id = None
    if actor.id not in project.team_user_ids():
        member.user_id = actor.id
    db.session.flush()
    record("project.team_accept", project, actor=actor, changes={"member": member.id})
    queue_email(
        project.owner,
        _l("%(name)s joined the team of “%(title)s”", name=actor.display_name, title=project.title),
        "proposals/email/team_accepted",
        project=project,
        member=member,
        person=actor,
        link=public_url("proposals.edit_proposal", project_id=project.id, _anchor="team"),
    )
    return member


def decline_invitation(member_id: int, *, actor) -> TeamMember:
    """The invited person says no: the author's row stays a name, linked to nobody. The author
    is not told, so a refusal reveals no more than silence."""
    member = _invitation_of(member_id, actor)
    member.invited_user_id = None
    member.invited_at = None
    db.session.flush()
    record("project.team_decline", member.project, actor=actor, changes={"member": member.id})
    return member
