"""The Plan's pages for administrators (editing the Plan, settings, unlocking) and the reports to
the Ministry; the same blueprint as ``routes``."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from fundapp.audit.services import record
from fundapp.core.errors import ValidationFailed
from fundapp.core.security import roles_required
from fundapp.extensions import db

from . import periods, reports, services
from .forms import (
    IndicatorForm,
    MinistryReportForm,
    OverrideForm,
    PointForm,
    SettingsForm,
    choices,
    targets_form_class,
)
from .indicators import REGISTRY
from .models import ActionPoint, Indicator, JobState, MinistryReport, PlanGroup
from .routes import _apply_errors, _lang, _point_or_404, _today, bp


# -- administrators ----------------------------------------------------------------------------------
@bp.get("/manage")
@roles_required("administrator", "auditor")
def manage():
    groups = db.session.scalars(select(PlanGroup).order_by(PlanGroup.number)).all()
    st = services.settings()
    form = SettingsForm(ministry_id=st.ministry_id, deadline_days=st.deadline_days)
    form.ministry_id.choices = choices(
        [("", _("— not chosen —"))] + [(a.id, a.name) for a in services.agencies()]
    )
    db.session.commit()
    return render_template("plan/manage.html", groups=groups, form=form, lang=_lang())


@bp.post("/settings")
@roles_required("administrator")
def save_settings():
    form = SettingsForm()
    form.ministry_id.choices = choices([("", "")] + [(a.id, a.name) for a in services.agencies()])
    if not form.validate():
        groups = db.session.scalars(select(PlanGroup).order_by(PlanGroup.number)).all()
        return render_template("plan/manage.html", groups=groups, form=form, lang=_lang()), 400
    st = services.settings()
    old = {"ministry_id": st.ministry_id, "deadline_days": st.deadline_days}
    st.ministry_id = form.ministry_id.data
    st.deadline_days = form.deadline_days.data
    record(
        "plan.settings_saved",
        st,
        actor=current_user,
        changes={"before": old, "after": {"ministry_id": st.ministry_id, "deadline_days": st.deadline_days}},
    )
    db.session.commit()
    flash(_("Saved."), "info")
    return redirect(url_for("plan.manage"), 303)


def _point_form(formdata=None, **kw) -> PointForm:
    form = PointForm(formdata=formdata, **kw) if formdata is not None else PointForm(**kw)
    lang = _lang()
    form.group_id.choices = choices(
        [
            (g.id, f"{g.number}. {getattr(g, 'title_' + lang)}")
            for g in db.session.scalars(select(PlanGroup).order_by(PlanGroup.number))
        ]
    )
    agencies = [(a.id, a.name) for a in services.agencies()]
    form.lead_agency_id.choices = choices([("", _("— not chosen —"))] + agencies)
    form.supporting_ids.choices = choices(agencies)
    return form


@bp.route("/points/new", methods=["GET", "POST"])
@roles_required("administrator")
def new_point():
    return _edit_point(None)


@bp.route("/points/<int:point_id>/edit", methods=["GET", "POST"])
@roles_required("administrator")
def edit_point(point_id: int):
    return _edit_point(_point_or_404(point_id))


def _edit_point(point: ActionPoint | None):
    if request.method == "GET":
        if point is None:
            form = _point_form(formdata=None)
        else:
            form = _point_form(formdata=None, obj=point)
            form.supporting_ids.data = [a.organisation_id for a in point.supporting]
        return render_template("plan/point_form.html", form=form, point=point)
    form = _point_form()
    if form.validate():
        data = services.PointData(
            group_id=form.group_id.data,
            number=form.number.data,
            text_tg=form.text_tg.data,
            text_ru=form.text_ru.data,
            text_en=form.text_en.data,
            lead_agency_id=form.lead_agency_id.data,
            supporting_ids=list(form.supporting_ids.data or []),
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
            weight=form.weight.data,
            is_example=form.is_example.data,
        )
        try:
            saved = services.save_point(current_user, point, data, form.reason.data or "")
        except ValidationFailed as exc:
            db.session.rollback()
            _apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("The point is saved."), "info")
            return redirect(url_for("plan.point_detail", point_id=saved.id), 303)
    elif point is not None and not (form.reason.data or "").strip():
        form.reason.errors = list(form.reason.errors) + [_("Say why the point is changed.")]
    return render_template("plan/point_form.html", form=form, point=point), 400


def _indicator_form(formdata=True, **kw) -> IndicatorForm:
    form = IndicatorForm(**kw) if formdata else IndicatorForm(formdata=None, **kw)
    form.computed_key.choices = choices(
        [("", _("— not chosen —"))] + [(k, v.label) for k, v in REGISTRY.items()]
    )
    return form


@bp.route("/points/<int:point_id>/indicators/new", methods=["GET", "POST"])
@roles_required("administrator")
def new_indicator(point_id: int):
    return _edit_indicator(_point_or_404(point_id), None)


@bp.route("/indicators/<int:indicator_id>/edit", methods=["GET", "POST"])
@roles_required("administrator")
def edit_indicator(indicator_id: int):
    ind = db.session.get(Indicator, indicator_id)
    if ind is None:
        abort(404)
    return _edit_indicator(ind.point, ind)


def _edit_indicator(point: ActionPoint, ind: Indicator | None):
    if request.method == "GET":
        form = _indicator_form(False, obj=ind) if ind else _indicator_form(False)
        if ind is not None:
            form.baseline.data = ind.baseline_x100
            form.computed_key.data = ind.computed_key or ""
            form.currency.data = ind.currency or ""
        return render_template("plan/indicator_form.html", form=form, point=point, indicator=ind)
    form = _indicator_form()
    if form.validate():
        try:
            saved = services.save_indicator(
                current_user,
                point,
                ind,
                code=form.code.data,
                name_tg=form.name_tg.data,
                name_ru=form.name_ru.data,
                name_en=form.name_en.data,
                unit=form.unit.data,
                currency=form.currency.data,
                ascending=form.ascending.data,
                baseline_x100=form.baseline.data,
                source=form.source.data,
                computed_key=form.computed_key.data,
                weight=form.weight.data,
            )
        except ValidationFailed as exc:
            db.session.rollback()
            _apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("The indicator is saved."), "info")
            return redirect(url_for("plan.edit_targets", indicator_id=saved.id), 303)
    return render_template("plan/indicator_form.html", form=form, point=point, indicator=ind), 400


@bp.route("/indicators/<int:indicator_id>/targets", methods=["GET", "POST"])
@roles_required("administrator")
def edit_targets(indicator_id: int):
    ind = db.session.get(Indicator, indicator_id)
    if ind is None:
        abort(404)
    quarters = periods.quarters_between(ind.point.starts_on, ind.point.ends_on)
    Form = targets_form_class(quarters)
    if request.method == "GET":
        form = Form(formdata=None)
        for t in ind.targets:
            field = getattr(form, f"t_{t.year}_{t.quarter}", None)
            if field is not None:
                field.data = t.target_x100
        return render_template("plan/targets_form.html", form=form, indicator=ind, quarters=quarters)
    form = Form()
    if form.validate():
        targets = {(y, q): form[f"t_{y}_{q}"].data for y, q in quarters}
        try:
            services.set_targets(current_user, ind, targets)
        except ValidationFailed as exc:
            db.session.rollback()
            _apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("The targets are saved."), "info")
            return redirect(url_for("plan.point_detail", point_id=ind.point_id), 303)
    return render_template("plan/targets_form.html", form=form, indicator=ind, quarters=quarters), 400


@bp.post("/points/<int:point_id>/status")
@roles_required("administrator")
def override_status(point_id: int):
    point = _point_or_404(point_id)
    form = OverrideForm()
    if form.validate():
        try:
            services.override_status(current_user, point, form.status.data or None, form.reason.data)
        except ValidationFailed as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            return redirect(url_for("plan.point_detail", point_id=point.id), 303)
        db.session.commit()
        flash(_("The status is set."), "info")
    else:
        flash(_("Say why the status is set by hand."), "error")
    return redirect(url_for("plan.point_detail", point_id=point.id), 303)


# -- reports to the Ministry ---------------------------------------------------------------------------
@bp.route("/ministry-reports", methods=["GET", "POST"])
def ministry_reports():
    if not reports.can_read(current_user):
        abort(403)
    form = MinistryReportForm(year=_today().year, language="ru" if _lang() == "ru" else "tg")
    if request.method == "POST":
        if not reports.can_request(current_user):
            abort(403)
        if form.validate():
            half = form.period.data.startswith("h")
            try:
                report = reports.request_report(
                    current_user,
                    year=form.year.data,
                    half=half,
                    part=int(form.period.data[1]),
                    language=form.language.data,
                    today=_today(),
                )
            except ValidationFailed as exc:
                db.session.rollback()
                _apply_errors(form, exc)
            else:
                db.session.commit()
                reports.start_in_background(current_app._get_current_object(), report.id)
                return redirect(url_for("plan.ministry_report", report_id=report.id), 303)
    listing = db.session.scalars(select(MinistryReport).order_by(MinistryReport.id.desc()).limit(50)).all()
    status = 400 if request.method == "POST" else 200
    return render_template(
        "plan/ministry_reports.html",
        form=form,
        listing=listing,
        can_request=reports.can_request(current_user),
    ), status


@bp.get("/ministry-reports/<int:report_id>")
def ministry_report(report_id: int):
    if not reports.can_read(current_user):
        abort(403)
    report = db.session.get(MinistryReport, report_id)
    if report is None:
        abort(404)
    return render_template(
        "plan/ministry_report.html",
        report=report,
        label=reports.period_label(report),
        running=report.state in (JobState.QUEUED, JobState.RUNNING),
    )


@bp.get("/ministry-reports/<int:report_id>.<fmt>")
def ministry_report_file(report_id: int, fmt: str):
    if not reports.can_read(current_user):
        abort(403)
    report = db.session.get(MinistryReport, report_id)
    if report is None or report.state != JobState.DONE or fmt not in ("pdf", "xlsx"):
        abort(404)
    data = report.pdf_data if fmt == "pdf" else report.xlsx_data
    mimetype = (
        "application/pdf"
        if fmt == "pdf"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    part = f"h{report.part}" if report.half else f"q{report.part}"
    resp = Response(data, mimetype=mimetype)
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="plan-{report.year}-{part}-{report.language}.{fmt}"'
    )
    return resp
