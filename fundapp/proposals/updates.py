"""After publication: the owner's updates, and following a project."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fundapp.audit.services import record
from fundapp.core.errors import InvalidTransition, NotPermitted
from fundapp.core.text import clean_text
from fundapp.extensions import db

from .models import (
    Project,
    ProjectFollower,
    ProjectUpdate,
)
from .text import render_markdown
from .timeline import add_timeline_event, notify_followers

# -- after publication ----------------------------------------------------------------------------


def post_update(project: Project, *, actor, title: str, body: str) -> ProjectUpdate:
    """The owner tells followers and backers what happened; they are emailed."""
    if actor is None or actor.id != project.owner_id:
        raise NotPermitted(_l("Only the project's owner can post updates."))
    if not project.is_public:
        raise InvalidTransition(_l("Updates can be posted once the project is published."))
    update = ProjectUpdate(
        project=project,
        author_id=actor.id,
        title=clean_text(title, 200, "title", required=True),
        body=clean_text(body, 10000, "body", required=True),
    )
    update.body_html = render_markdown(update.body)
    db.session.add(update)
    db.session.flush()
    record("project.update_posted", project, actor=actor, changes={"update": update.id})
    add_timeline_event(project, "update", public=True, actor=actor, text=update.title)
    notify_followers(
        project,
        _l("News from “%(title)s”", title=project.title),
        "proposals/email/update",
        exclude=[actor],
        update=update,
    )
    return update


def follow(project: Project, user) -> ProjectFollower:
    if not project.is_public:
        raise InvalidTransition(_l("Only published projects can be followed."))
    existing = db.session.scalar(
        select(ProjectFollower).where(
            ProjectFollower.project_id == project.id, ProjectFollower.user_id == user.id
        )
    )
    if existing is not None:
        return existing
    row = ProjectFollower(project_id=project.id, user_id=user.id)
    db.session.add(row)
    db.session.flush()
    return row


def unfollow(project: Project, user) -> None:
    row = db.session.scalar(
        select(ProjectFollower).where(
            ProjectFollower.project_id == project.id, ProjectFollower.user_id == user.id
        )
    )
    if row is not None:
        db.session.delete(row)
        db.session.flush()


def is_following(project: Project, user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(ProjectFollower.id).where(
                ProjectFollower.project_id == project.id, ProjectFollower.user_id == user.id
            )
        )
        is not None
    )
