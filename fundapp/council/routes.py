"""The public record of Council decisions, the administrators' form to add one, and the exchange
rates the Council threshold is counted at."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from fundapp.core.errors import ValidationFailed
from fundapp.core.params import page_arg, parse_id
from fundapp.core.security import public, roles_required
from fundapp.extensions import db
from fundapp.proposals.models import PUBLIC_STATES, Project

from . import services
from .forms import RateForm
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
    errors = {}
    values = request.form if request.method == "POST" else {}
    if request.method == "POST":
        try:
            raw_date = (request.form.get("decided_on") or "").strip()
            try:
                decided_on = date.fromisoformat(raw_date) if raw_date else None
            except ValueError:
                raise ValidationFailed(_("Enter a date as YYYY-MM-DD."), field="decided_on") from None
            decision = services.record_decision(
                actor=current_user,
                number=request.form.get("number", ""),
                decided_on=decided_on,
                agenda_item=request.form.get("agenda_item", ""),
                summary=request.form.get("summary", ""),
                votes_for=request.form.get("votes_for"),
                votes_against=request.form.get("votes_against"),
                votes_abstained=request.form.get("votes_abstained"),
                minutes=request.files.get("minutes"),
                projects=[parse_id(v) for v in request.form.getlist("projects")],
            )
        except ValidationFailed as exc:
            db.session.rollback()
            errors[exc.field or "form"] = exc.message
        else:
            db.session.commit()
            flash(_("The decision is recorded and published."), "info")
            return redirect(url_for("council.decision_detail", decision_id=decision.id), 303)
    return render_template(
        "council/form.html",
        errors=errors,
        values=values,
        projects=services.decidable_projects(),
        chosen=request.form.getlist("projects") if request.method == "POST" else [],
    ), (400 if errors else 200)


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
                getattr(form, exc.field or "source").errors = [str(exc.message)]
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
