"""Reviewers' queue, the declaration and the scoring form; administrators assign and withdraw."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fundapp.accounts.models import User
from fundapp.core.errors import ValidationFailed
from fundapp.core.params import parse_id
from fundapp.core.security import roles_required
from fundapp.extensions import db
from fundapp.proposals.models import Project
from fundapp.proposals.routes import render_project_page

from . import services
from .forms import AssignForm, DeclareForm, ReviewForm
from .models import CRITERIA, RECOMMENDATION_LABELS, SCORE_MEANINGS, AssignmentStatus, ReviewAssignment

bp = Blueprint("reviews", __name__)


def _my_assignment(assignment_id: int) -> ReviewAssignment:
    """The current reviewer's own assignment; anything else is 404."""
    assignment = db.session.get(ReviewAssignment, assignment_id)
    if assignment is None or assignment.reviewer_id != current_user.id:
        abort(404)
    return assignment


@bp.get("/reviews")
@roles_required("reviewer")
def queue():
    return render_template("reviews/queue.html", assignments=services.queue_for(current_user))


@bp.route("/reviews/<int:assignment_id>", methods=["GET", "POST"])
@roles_required("reviewer")
def review(assignment_id: int):
    assignment = _my_assignment(assignment_id)
    if assignment.status in (AssignmentStatus.RECUSED, AssignmentStatus.WITHDRAWN):
        abort(404)
    if assignment.status == AssignmentStatus.ASSIGNED:
        return redirect(url_for("reviews.declare", assignment_id=assignment.id))
    earlier = None
    if assignment.status == AssignmentStatus.ACCEPTED:
        earlier = services.last_past_review(assignment)
    if request.method == "POST":
        form = ReviewForm()
    else:
        form = ReviewForm(formdata=None, data=_values_of(earlier) if earlier is not None else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                services.submit_review(
                    assignment,
                    actor=current_user,
                    scores=form.scores(),
                    comments=form.comments(),
                    recommendation=form.recommendation.data,
                    summary=form.summary.data or "",
                )
            except ValidationFailed as exc:
                db.session.rollback()
                field = getattr(form, exc.field or "", None)
                if field is not None and hasattr(field, "errors"):
                    field.errors = [*list(field.errors), str(exc.message)]
                else:
                    form.form_errors.append(str(exc.message))
            else:
                db.session.commit()
                flash(_("Thank you: your review is submitted."), "info")
                return redirect(url_for("reviews.queue"), 303)
    return render_template(
        "reviews/review.html",
        assignment=assignment,
        project=assignment.project,
        criteria=CRITERIA,
        score_meanings=SCORE_MEANINGS,
        recommendations=RECOMMENDATION_LABELS,
        form=form,
        earlier=earlier,
    ), status


def _values_of(past) -> dict:
    """The form's fields filled in from the reviewer's review of the earlier version."""
    values = {"recommendation": past.recommendation, "summary": past.summary or ""}
    for key in CRITERIA:
        values[f"{key}_score"] = past.score(key)
        values[f"{key}_comment"] = past.comment(key) or ""
    return values


@bp.route("/reviews/<int:assignment_id>/declare", methods=["GET", "POST"])
@roles_required("reviewer")
def declare(assignment_id: int):
    """The conflict-of-interest declaration. Before it, the reviewer sees only the title."""
    assignment = _my_assignment(assignment_id)
    errors = {}
    form = DeclareForm()
    if request.method == "POST":
        choice = form.conflict.data if form.validate() else None
        try:
            if choice not in ("no", "yes"):
                message = (form.conflict.errors or [None])[0] or _("Please choose one answer.")
                raise ValidationFailed(message, field="conflict")
            services.declare_conflict(
                assignment, actor=current_user, has_conflict=choice == "yes", note=form.note.data or ""
            )
        except ValidationFailed as exc:
            db.session.rollback()
            errors[exc.field or "form"] = exc.message
        else:
            db.session.commit()
            if choice == "yes":
                flash(
                    _("Thank you. You are recused from this proposal; the administrators are told."), "info"
                )
                return redirect(url_for("reviews.queue"), 303)
            return redirect(url_for("reviews.review", assignment_id=assignment.id), 303)
    elif assignment.status != AssignmentStatus.ASSIGNED:
        return redirect(url_for("reviews.queue"))
    return render_template("reviews/declare.html", assignment=assignment, errors=errors), (
        400 if errors else 200
    )


@bp.post("/projects/<int:project_id>/reviewers")
@roles_required("administrator")
def assign(project_id: int):
    project = db.session.get(Project, project_id)
    if project is None:
        abort(404)
    form = AssignForm()
    raw = form.reviewer.data if form.validate() else ""
    reviewer = db.session.get(User, parse_id(raw)) if parse_id(raw) else None
    try:
        services.assign_reviewer(project, reviewer, actor=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        # the project page again, with the message beside the reviewer field
        return render_project_page(project, assign_error=str(exc.message)), 400
    db.session.commit()
    flash(_("The reviewer is assigned and told by email."), "info")
    return redirect(url_for("proposals.project_detail", project_id=project.id) + "#reviews", 303)


@bp.post("/reviews/<int:assignment_id>/withdraw")
@roles_required("administrator")
def withdraw(assignment_id: int):
    assignment = db.session.get(ReviewAssignment, assignment_id)
    if assignment is None:
        abort(404)
    services.withdraw_assignment(assignment, actor=current_user)
    db.session.commit()
    flash(_("The assignment is withdrawn."), "info")
    return redirect(url_for("proposals.project_detail", project_id=assignment.project_id) + "#reviews", 303)


@bp.app_context_processor
def _reviews_globals():
    def review_panel(project):
        assignments = services.assignments_for(project)
        # a reviewer already assigned (and not withdrawn) is not offered again
        taken = {a.reviewer_id for a in assignments if a.status != AssignmentStatus.WITHDRAWN}
        return {
            "assignments": assignments,
            "past_reviews": services.past_reviews_for(project),
            "reviewers": [r for r in services.reviewers() if not project.is_insider(r) and r.id not in taken],
            "criteria": CRITERIA,
        }

    def my_review_queue():
        if not current_user.is_authenticated or not current_user.has_role("reviewer"):
            return []
        return services.queue_for(current_user)

    return {"review_panel": review_panel, "my_review_queue": my_review_queue}
