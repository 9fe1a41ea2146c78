"""Demo reviews: the proposal in review gets a completed review and one waiting for its
declaration, the submitted one an assignment, so that each demo reviewer has a queue."""

from __future__ import annotations

from sqlalchemy import select

from fundapp.extensions import db

from .factories import complete_reviews
from .models import ReviewAssignment
from .services import assign_reviewer


def _assigned(project, reviewer) -> bool:
    return (
        db.session.scalar(
            select(ReviewAssignment.id).where(
                ReviewAssignment.project_id == project.id, ReviewAssignment.reviewer_id == reviewer.id
            )
        )
        is not None
    )


def load(ctx: dict) -> None:
    users = ctx.get("users") or {}
    projects = ctx.get("projects") or {}
    admin, first, second = users.get("administrator"), users.get("reviewer"), users.get("reviewer2")
    if admin is None or first is None or second is None:
        return
    for project in projects.get("in_review", []):
        if not _assigned(project, first):
            complete_reviews(project, [first], admin=admin)
        if not _assigned(project, second):
            assign_reviewer(project, second, actor=admin)
    for project in projects.get("submitted", []):
        if not _assigned(project, second):
            assign_reviewer(project, second, actor=admin)
    ctx["reviews"] = list(db.session.scalars(select(ReviewAssignment)))
