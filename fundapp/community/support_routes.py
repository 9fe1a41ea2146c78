"""Support requests' pages: the requester's form and page, the staff's queue and steps."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from fundapp.core.errors import DomainError, ValidationFailed
from fundapp.core.security import roles_required
from fundapp.extensions import db
from fundapp.proposals.models import Project

from . import services, support
from .forms import ActionForm, AnswerForm, LinkProjectForm, NoteForm, SupportForm, parse_budget
from .models import SupportRequest, SupportStatus
from .routes import _fail, _saved, _step, bp


def _req_or_404(request_id: int) -> SupportRequest:
    req = db.session.get(SupportRequest, request_id)
    if req is None or not support.can_view(current_user, req):
        abort(404)
    return req


@bp.route("/support/new", methods=["GET", "POST"])
def support_new():
    form = SupportForm().setup(
        services.admin_organisations(current_user),
        support.KIND_LABELS,
        current_app.config["SUPPORTED_CURRENCIES"],
    )

    def submit():
        try:
            budget = parse_budget(form.budget.data, form.currency.data)
        except ValueError as exc:
            raise ValidationFailed(str(exc), field="budget") from None
        return support.submit_request(
            current_user,
            {k: getattr(form, k).data for k in ("organisation_id", "kind", "title", "description", "needs")},
            budget=budget,
            attachment=form.attachment.data,
        )

    ok, req = _saved(form, submit, form.title)
    if ok:
        flash(_("Your request is sent. The fund's staff will write to you."), "info")
        return redirect(url_for("community.support_detail", request_id=req.id), 303)
    return render_template("community/support_form.html", form=form), (400 if form.errors else 200)


@bp.get("/support/mine")
def support_mine():
    items = db.session.scalars(
        select(SupportRequest)
        .where(SupportRequest.requester_id == current_user.id)
        .order_by(SupportRequest.id.desc())
    ).all()
    return render_template("community/support_list.html", items=items, staff_view=False, status=None)


@bp.get("/support/queue")
@roles_required("administrator", "auditor")
def support_queue():
    status = request.args.get("status", "open")
    query = select(SupportRequest).order_by(SupportRequest.created_at)
    if status in {s.value for s in SupportStatus}:
        query = query.where(SupportRequest.status == status)
    else:
        status = "open"
        query = query.where(SupportRequest.status.in_([s.value for s in support.OPEN]))
    items = db.session.scalars(query.limit(500)).all()
    return render_template("community/support_list.html", items=items, staff_view=True, status=status)


@bp.get("/support/<int:request_id>")
def support_detail(request_id: int):
    req = _req_or_404(request_id)
    project = None
    if req.project_id:
        project = db.session.get(Project, req.project_id)
    link_form = LinkProjectForm()
    mine = req.requester_id == current_user.id
    if mine:
        link_form.project_id.choices = [(str(p.id), p.title) for p in support.own_projects(current_user)]
    return render_template(
        "community/support_detail.html",
        req=req,
        project=project,
        mine=mine,
        action=ActionForm(),
        note_form=NoteForm(),
        answer_form=AnswerForm(),
        link_form=link_form,
    )


@bp.post("/support/<int:request_id>/<any(take, ask, resolve, decline):verb>")
@roles_required("administrator")
def support_step(request_id: int, verb: str):
    req = _req_or_404(request_id)
    target = url_for("community.support_detail", request_id=req.id)
    try:
        if verb == "take":
            if not ActionForm().validate_on_submit():
                abort(400)
            support.take_on(req, current_user)
        else:
            form = NoteForm()
            if not form.validate_on_submit():
                flash(_("Write a note for the requester."), "error")
                return redirect(target, 303)
            if verb == "ask":
                support.ask_for_more(req, current_user, form.note.data)
            else:
                support.close(req, current_user, verb, form.note.data)
    except DomainError as exc:
        return _fail(exc, target)
    db.session.commit()
    flash(_("Saved, and the requester is told."), "info")
    return redirect(target, 303)


@bp.post("/support/<int:request_id>/answer")
def support_answer(request_id: int):
    req = _req_or_404(request_id)
    return _step(
        url_for("community.support_detail", request_id=req.id),
        lambda form: support.answer(req, current_user, form.answer.data),
        _("Your answer was sent."),
        form=AnswerForm(),
        invalid=_("Write your answer."),
    )


@bp.post("/support/<int:request_id>/project")
def support_link_project(request_id: int):
    req = _req_or_404(request_id)
    form = LinkProjectForm()
    form.project_id.choices = [(str(p.id), p.title) for p in support.own_projects(current_user)]
    return _step(
        url_for("community.support_detail", request_id=req.id),
        lambda form: support.link_project(req, current_user, form.project_id.data),
        _("The project is linked to the request."),
        form=form,
        invalid=_("Choose one of your projects."),
    )
