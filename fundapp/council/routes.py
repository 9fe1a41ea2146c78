"""The public record of Council decisions, the administrators' form to add one, and the exchange
rates the Council threshold is counted at."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from fundapp.core.errors import ValidationFailed
from fundapp.core.forms import put_errors
from fundapp.core.params import page_arg
from fundapp.core.security import public, roles_required
from fundapp.extensions import db
from fundapp.files.held import HeldUploads
from fundapp.proposals.models import PUBLIC_STATES, Project

from . import services
from .forms import DecisionForm, RateForm
from .models import CouncilDecision

bp = Blueprint("council", __name__)


@bp.get("/council")
@public
def list_decisions():
    page = page_arg()
    result = db.paginate(
        select(CouncilDecision).order_by(CouncilDecision.decided_on.desc(), CouncilDecision.id.desc()),
        page=page,
        per_page=30,
        error_out=False,
    )
    return render_template("council/list.html", result=result)


@bp.get("/council/<int:decision_id>")
@public
def decision_detail(decision_id: int):
    decision = db.session.get(CouncilDecision, decision_id)
    if decision is None:
        abort(404)
    projects = db.session.scalars(
        select(Project).where(
            Project.council_decision_id == decision.id,
            Project.state.in_([s.value for s in PUBLIC_STATES]),
            Project.published_at.is_not(None),
        )
    ).all()
    return render_template("council/detail.html", decision=decision, projects=projects)


@bp.route("/council/new", methods=["GET", "POST"])
@roles_required("administrator")
def new_decision():
    """Record a decision; a refused submit shows every error at once and keeps the minutes chosen."""
    form = DecisionForm()
    form.projects.choices = [
        (p.id, f"{_('No. %(id)s', id=p.id)} — {p.title[:80]}") for p in services.decidable_projects()
    ]
    held = HeldUploads(form, {"minutes": ("pdf",)}, user=current_user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit() & held.validate():
            try:
                decision = services.record_decision(
                    actor=current_user,
                    number=form.number.data,
                    decided_on=form.decided_on.data,
                    agenda_item=form.agenda_item.data,
                    summary=form.summary.data or "",
                    votes_for=form.votes_for.data or 0,
                    votes_against=form.votes_against.data or 0,
                    votes_abstained=form.votes_abstained.data or 0,
                    minutes=held.upload("minutes"),
                    projects=form.projects.data or [],
                )
            except ValidationFailed as exc:
                db.session.rollback()
                put_errors(form, exc)
            else:
                held.commit_attached()
                flash(_("The decision is recorded and published."), "info")
                return redirect(url_for("council.decision_detail", decision_id=decision.id), 303)
        held.commit_held()
    return render_template("council/form.html", form=form, held=held), status


@bp.route("/council/rates", methods=["GET", "POST"])
@roles_required("administrator", "auditor")
def exchange_rates():
    """The recorded rates (append-only), and for administrators the form to record a new one."""
    form = RateForm()
    form.currency.choices = [
        (c, c) for c in current_app.config["SUPPORTED_CURRENCIES"] if c != services.SOMONI
    ]
    status = 200
    if request.method == "POST":
        if not current_user.has_role("administrator"):
            abort(403)
        if form.validate_on_submit():
            try:
                services.record_rate(
                    actor=current_user,
                    currency=form.currency.data,
                    rate=form.rate.data,
                    valid_from=form.valid_from.data,
                    source=form.source.data,
                )
            except ValidationFailed as exc:
                db.session.rollback()
                put_errors(form, exc, default="source")
            else:
                db.session.commit()
                flash(_("The rate is recorded."), "info")
                return redirect(url_for("council.exchange_rates"), 303)
        status = 400
    return render_template(
        "council/rates.html",
        form=form,
        rates=services.rates(),
        threshold=services.council_threshold(),
    ), status
