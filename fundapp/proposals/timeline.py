"""A project's timeline and the people who hear its news (followers, and every registered source
of followers, e.g. its backers)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fundapp.accounts.models import User, UserRole
from fundapp.core.db import utcnow
from fundapp.core.urls import public_url
from fundapp.extensions import db
from fundapp.mail.services import queue_email

from .models import (
    Project,
    ProjectFollower,
    TimelineEvent,
)

FollowerSource = Callable[[Project], Iterable[User]]
_follower_sources: list[FollowerSource] = []


def register_follower_source(fn: FollowerSource) -> FollowerSource:
    """``fn(project) -> iterable of users`` who should hear the project's news (e.g. its backers)."""
    if fn not in _follower_sources:
        _follower_sources.append(fn)
    return fn


# -- the timeline and notifications -----------------------------------------------------------

# Notes the fund's services write on a project's timeline (and in its audit rows), kept in this
# canonical form and shown in the reader's language (fundapp.core.phrases).
TIMELINE_NOTES = (
    ("campaign closed: goal met", _l("campaign closed: goal met")),
    ("campaign closed: goal not met", _l("campaign closed: goal not met")),
    ("campaign closed early: goal received", _l("campaign closed early: goal received")),
    ("First disbursement #{id} paid ({amount})", _l("First disbursement #%(id)s paid (%(amount)s)")),
    ("All milestones are reported done.", _l("All milestones are reported done.")),
    ("proposal resubmitted", _l("proposal resubmitted")),
)


def add_timeline_event(
    project: Project,
    kind: str,
    *,
    public: bool,
    actor=None,
    text: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
) -> TimelineEvent:
    event = TimelineEvent(
        project=project,
        kind=kind,
        public=public,
        actor_id=getattr(actor, "id", None),
        text=text,
        from_state=from_state,
        to_state=to_state,
        created_at=utcnow(),
    )
    db.session.add(event)
    db.session.flush()
    return event


def administrators() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "administrator", User.is_active_account.is_(True))
            .order_by(User.id)
        ).unique()
    )


def followers(project: Project) -> list[User]:
    """Everyone who hears a project's news: its followers, plus every registered source's users."""
    seen: dict[int, User] = {}
    rows = db.session.scalars(select(ProjectFollower).where(ProjectFollower.project_id == project.id))
    for f in rows:
        seen.setdefault(f.user_id, f.user)
    for source in _follower_sources:
        for user in source(project) or ():
            if user is not None and getattr(user, "id", None) is not None:
                seen.setdefault(user.id, user)
    return [u for u in seen.values() if u.is_active_account]


def external_url(endpoint: str, **values) -> str:
    """An absolute link for email, always on ``PUBLIC_BASE_URL`` (inside a request or outside one)."""
    return public_url(endpoint, **values)


def project_link(project: Project) -> str:
    return external_url("proposals.project_detail", project_id=project.id)


def notify_followers(project: Project, subject, template: str, *, exclude=(), **context) -> int:
    """Queue ``template`` (e.g. ``proposals/email/update``) to everyone following ``project``."""
    context.setdefault("link", project_link(project))
    skip = {getattr(u, "id", u) for u in exclude}
    count = 0
    for user in followers(project):
        if user.id in skip:
            continue
        queue_email(user, subject, template, project=project, **context)
        count += 1
    return count
