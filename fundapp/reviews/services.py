"""The verbs of review: assign a reviewer, declare (no) conflict of interest, score, withdraw,
and open the reviews again when the author sends a changed proposal back.

A reviewer is never the author nor a linked team member of the project (refused here, whatever
the caller). A reviewer sees a proposal only after declaring no conflict of interest. A decision
counts only reviews of the proposal as it stands: ``reopen_reviews`` keeps each completed review
as a ``PastReview`` and asks its reviewer to review the changed proposal.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from fundapp.accounts.models import User, UserRole
from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.phrases import canonical
from fundapp.extensions import db
from fundapp.mail.services import queue_email
from fundapp.proposals.models import Project, ProjectState
from fundapp.proposals.timeline import add_timeline_event, administrators, external_url, project_link

from .models import CRITERIA, AssignmentStatus, PastReview, Recommendation, ReviewAssignment

A = AssignmentStatus

# The timeline note of an assignment, stored in this canonical form and shown in the reader's
# language (fundapp.core.phrases): who assigned whom.
ASSIGNED_NOTE = "{by} assigned {reviewer} to review the proposal"
TIMELINE_NOTES = ((ASSIGNED_NOTE, _l("%(by)s assigned %(reviewer)s to review the proposal")),)
REVIEWABLE_STATES = frozenset({ProjectState.SUBMITTED, ProjectState.IN_REVIEW})


def _require_admin(actor, project: Project) -> None:
    if actor is None or not actor.has_role("administrator"):
        raise NotPermitted(_l("Only an administrator can assign reviewers."))
    if project.is_insider(actor):
        raise NotPermitted(_l("You cannot decide on a project you own or belong to."))


def assign_reviewer(project: Project, reviewer, *, actor) -> ReviewAssignment:
    _require_admin(actor, project)
    if project.state not in REVIEWABLE_STATES:
        raise InvalidTransition(_l("Reviewers are assigned while a proposal is submitted or in review."))
    if reviewer is None:
        raise ValidationFailed(_l("Choose a reviewer from the list."), field="reviewer")
    if not reviewer.has_role("reviewer") or not reviewer.is_active_account:
        raise ValidationFailed(_l("Choose a person with the reviewer role."), field="reviewer")
    if project.is_insider(reviewer):
        raise NotPermitted(_l("The author or a team member can never review their own proposal."))
    existing = db.session.scalar(
        select(ReviewAssignment).where(
            ReviewAssignment.project_id == project.id, ReviewAssignment.reviewer_id == reviewer.id
        )
    )
    if existing is not None:
        if existing.status != A.WITHDRAWN:
            raise ValidationFailed(_l("This reviewer is already assigned."), field="reviewer")
        existing.status = A.ASSIGNED.value
        existing.assigned_by_id = actor.id
        existing.assigned_at = utcnow()
        existing.declared_at = None
        assignment = existing
    else:
        assignment = ReviewAssignment(project_id=project.id, reviewer_id=reviewer.id, assigned_by_id=actor.id)
        db.session.add(assignment)
    db.session.flush()
    record("review.assign", assignment, actor=actor, changes={"project": project.id, "reviewer": reviewer.id})
    note = canonical(ASSIGNED_NOTE, by=actor.display_name, reviewer=reviewer.display_name)
    add_timeline_event(project, "reviewer_assigned", public=False, actor=actor, text=note)
    queue_email(
        reviewer,
        _l("Please review “%(title)s”", title=project.title),
        "reviews/email/assigned",
        project=project,
        assignment=assignment,
        link=external_url("reviews.review", assignment_id=assignment.id),
    )
    return assignment


def withdraw_assignment(assignment: ReviewAssignment, *, actor) -> ReviewAssignment:
    _require_admin(actor, assignment.project)
    if assignment.status == A.COMPLETED:
        raise InvalidTransition(_l("A completed review cannot be withdrawn."))
    assignment.status = A.WITHDRAWN.value
    db.session.flush()
    record("review.withdraw", assignment, actor=actor)
    return assignment


def _require_reviewer(assignment: ReviewAssignment, actor) -> None:
    if actor is None or actor.id != assignment.reviewer_id or not actor.has_role("reviewer"):
        raise NotPermitted(_l("This review is assigned to someone else."))
    if assignment.project.is_insider(actor):
        raise NotPermitted(_l("The author or a team member can never review their own proposal."))


def declare_conflict(
    assignment: ReviewAssignment, *, actor, has_conflict: bool, note: str = ""
) -> ReviewAssignment:
    """The reviewer declares whether they have a conflict of interest. No conflict → they may read
    and score; a conflict → they are recused and the administrators are told."""
    _require_reviewer(assignment, actor)
    if assignment.status != A.ASSIGNED:
        raise InvalidTransition(_l("The declaration has already been made."))
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationFailed(_l("At most %(n)s characters.", n=2000), field="note")
    if has_conflict and not note:
        raise ValidationFailed(_l("Please say briefly what the conflict is."), field="note")
    assignment.declared_at = utcnow()
    assignment.conflict_note = note or None
    assignment.status = (A.RECUSED if has_conflict else A.ACCEPTED).value
    db.session.flush()
    record(
        "review.declare_conflict" if has_conflict else "review.declare_no_conflict",
        assignment,
        actor=actor,
        reason=note or None,
    )
    if has_conflict:
        for admin in administrators():
            queue_email(
                admin,
                _l("A reviewer recused from “%(title)s”", title=assignment.project.title),
                "reviews/email/recused",
                project=assignment.project,
                assignment=assignment,
                link=project_link(assignment.project),
            )
    return assignment


def submit_review(
    assignment: ReviewAssignment,
    *,
    actor,
    scores: dict[str, int],
    comments: dict[str, str],
    recommendation: str,
    summary: str = "",
) -> ReviewAssignment:
    _require_reviewer(assignment, actor)
    if assignment.status != A.ACCEPTED:
        if assignment.status == A.ASSIGNED:
            raise InvalidTransition(_l("Declare that you have no conflict of interest first."))
        raise InvalidTransition(_l("This review can no longer be changed."))
    if assignment.project.state not in REVIEWABLE_STATES:
        raise InvalidTransition(_l("This proposal is no longer under review."))
    for key in CRITERIA:
        try:
            value = int(scores.get(key))
        except (TypeError, ValueError):
            raise ValidationFailed(_l("Give a score from 1 to 5."), field=f"{key}_score") from None
        if not 1 <= value <= 5:
            raise ValidationFailed(_l("Give a score from 1 to 5."), field=f"{key}_score")
        comment = (comments.get(key) or "").strip()
        if len(comment) > 4000:
            raise ValidationFailed(_l("At most %(n)s characters.", n=4000), field=f"{key}_comment")
        setattr(assignment, f"{key}_score", value)
        setattr(assignment, f"{key}_comment", comment or None)
    if recommendation not in {r.value for r in Recommendation}:
        raise ValidationFailed(_l("Choose a recommendation."), field="recommendation")
    summary = (summary or "").strip()
    if len(summary) > 8000:
        raise ValidationFailed(_l("At most %(n)s characters.", n=8000), field="summary")
    if recommendation != Recommendation.APPROVE and not summary:
        raise ValidationFailed(_l("Please explain your recommendation."), field="summary")
    assignment.recommendation = recommendation
    assignment.summary = summary or None
    assignment.submitted_at = utcnow()
    assignment.status = A.COMPLETED.value
    db.session.flush()
    record(
        "review.submit",
        assignment,
        actor=actor,
        changes={"recommendation": recommendation, "total": assignment.total_score},
    )
    add_timeline_event(assignment.project, "review_completed", public=False, actor=actor)
    for admin in administrators():
        if admin.id != actor.id:
            queue_email(
                admin,
                _l("A review of “%(title)s” is complete", title=assignment.project.title),
                "reviews/email/completed",
                project=assignment.project,
                assignment=assignment,
                link=project_link(assignment.project),
            )
    return assignment


def _on_project_transition(project: Project, name: str, from_state: str, actor) -> None:
    if name == "resubmit_proposal":
        reopen_reviews(project, actor=actor)


def reopen_reviews(project: Project, *, actor) -> list[ReviewAssignment]:
    """The author sent the changed proposal back into review (``resubmit_proposal``): every
    completed review is kept as a past review and its assignment is open again, with the reviewer's
    conflict declaration standing; reviewers still scoring carry on. Each of them is emailed.
    Returns the assignments opened again."""
    now = utcnow()
    reopened, told = [], []
    for assignment in assignments_for(project):
        if assignment.status == A.COMPLETED:
            db.session.add(
                PastReview(
                    assignment_id=assignment.id,
                    project_id=project.id,
                    reviewer_id=assignment.reviewer_id,
                    scores={
                        key: {"score": assignment.score(key), "comment": assignment.comment(key)}
                        for key in CRITERIA
                    },
                    recommendation=assignment.recommendation,
                    summary=assignment.summary,
                    submitted_at=assignment.submitted_at,
                    superseded_at=now,
                )
            )
            for key in CRITERIA:
                setattr(assignment, f"{key}_score", None)
                setattr(assignment, f"{key}_comment", None)
            assignment.recommendation = None
            assignment.summary = None
            assignment.submitted_at = None
            assignment.status = A.ACCEPTED.value
            reopened.append(assignment)
            told.append(assignment)
        elif assignment.status in (A.ASSIGNED, A.ACCEPTED):
            told.append(assignment)
    db.session.flush()
    for assignment in reopened:
        record("review.reopen", assignment, actor=actor, reason="proposal resubmitted")
    for assignment in told:
        queue_email(
            assignment.reviewer,
            _l("“%(title)s” was changed: please review it again", title=project.title),
            "reviews/email/changed",
            project=project,
            assignment=assignment,
            reopened=assignment in reopened,
            link=external_url("reviews.review", assignment_id=assignment.id),
        )
    return reopened


def past_reviews_for(project: Project) -> list[PastReview]:
    """Reviews of earlier versions, newest first."""
    return list(
        db.session.scalars(
            select(PastReview)
            .where(PastReview.project_id == project.id)
            .order_by(PastReview.superseded_at.desc(), PastReview.id.desc())
        )
    )


def last_past_review(assignment: ReviewAssignment) -> PastReview | None:
    """The reviewer's own review of the version before the current one, if any."""
    return db.session.scalar(
        select(PastReview)
        .where(PastReview.assignment_id == assignment.id)
        .order_by(PastReview.id.desc())
        .limit(1)
    )


def completed_review_count(project: Project) -> int:
    return int(
        db.session.scalar(
            select(func.count(ReviewAssignment.id)).where(
                ReviewAssignment.project_id == project.id, ReviewAssignment.status == A.COMPLETED.value
            )
        )
        or 0
    )


def assignments_for(project: Project) -> list[ReviewAssignment]:
    return list(
        db.session.scalars(
            select(ReviewAssignment)
            .where(ReviewAssignment.project_id == project.id)
            .order_by(ReviewAssignment.id)
        )
    )


def may_read_proposal(user, project: Project) -> bool:
    """A reviewer reads a proposal only once they declared no conflict (and never their own)."""
    if project.is_insider(user):
        return False
    return (
        db.session.scalar(
            select(ReviewAssignment.id).where(
                ReviewAssignment.project_id == project.id,
                ReviewAssignment.reviewer_id == user.id,
                ReviewAssignment.status.in_([A.ACCEPTED.value, A.COMPLETED.value]),
            )
        )
        is not None
    )


def queue_for(user) -> list[ReviewAssignment]:
    return list(
        db.session.scalars(
            select(ReviewAssignment)
            .where(
                ReviewAssignment.reviewer_id == user.id,
                ReviewAssignment.status.in_([A.ASSIGNED.value, A.ACCEPTED.value, A.COMPLETED.value]),
            )
            .order_by(ReviewAssignment.status, ReviewAssignment.assigned_at.desc())
        )
    )


def reviewers() -> list:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "reviewer", User.is_active_account.is_(True))
            .order_by(User.full_name, User.id)
        ).unique()
    )
