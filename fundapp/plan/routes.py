"""Pages of the Plan: the public scorecard and open data, the agencies' reports, the Ministry's
review, the administrators' editing, and the reports to the Ministry."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from fundapp.core.errors import DomainError, ValidationFailed
from fundapp.core.security import public, roles_required
from fundapp.extensions import db
from fundapp.transparency.charts import hbar_chart, time_chart

from . import evaluation, periods, reporting, reports, services
from .forms import (
    OverrideForm,
    ReviewForm,
    UnlockForm,
    report_form_class,
)
from .indicators import REGISTRY
from .models import (
    COMPLETION_LABELS,
    STATUS_LABELS,
    UNIT_LABELS,
    ActionPoint,
    PointReport,
    PointRevision,
    ReportState,
    Source,
)
from .models import (
    PointAgency as _PointAgency,  # noqa: F401 - keeps the relationship's class loaded
)

bp = Blueprint("plan", __name__, url_prefix="/plan")
MAX_YEAR = 2100


def _lang() -> str:
    return str(get_locale() or "en")


def _today() -> date:
    return date.today()


def _tree_size() -> int:
    from .sources import checkpoint

    cp = checkpoint()
    return cp.tree_size if cp else 0


def _apply_errors(form, exc: DomainError) -> None:
    """Put each error of a service beside its field (all of them at once)."""
    errors = getattr(exc, "errors", None) or [exc]
    for err in errors:
        field = getattr(form, err.field, None) if err.field else None
        if field is not None:
            field.errors = list(field.errors) + [str(err.message)]
        else:
            form.form_errors.append(str(err.message))


def _point_or_404(point_id: int) -> ActionPoint:
    point = db.session.get(ActionPoint, point_id)
    if point is None:
        abort(404)
    return point


# -- public ----------------------------------------------------------------------------------------
@bp.get("")
@public
def scorecard():
    tree_size = _tree_size()
    today = _today()
    groups = evaluation.scorecard(today, tree_size)
    chart = hbar_chart(
        "plan-progress",
        _("Progress of the Plan by group"),
        _("Share of each group's targets reached, weighted by the points' weights."),
        [(f"{g.group.number}. {getattr(g.group, 'title_' + _lang())}", g.percent or 0) for g in groups],
        fmt=lambda v: f"{v} %",
        label_header=_("Group"),
        value_header=_("Progress to target"),
    )
    return render_template(
        "plan/scorecard.html",
        groups=groups,
        overall=evaluation.overall(groups),
        chart=chart,
        tree_size=tree_size,
        today=today,
        lang=_lang(),
        STATUS_LABELS=STATUS_LABELS,
        COMPLETION_LABELS=COMPLETION_LABELS,
    )


@bp.get("/points/<int:point_id>")
@public
def point_detail(point_id: int):
    point = _point_or_404(point_id)
    today = _today()
    tree_size = _tree_size()
    view = evaluation.rate_point(point, today, tree_size)
    quarters = reporting.open_quarters(point, today)
    charts = []
    for iv in view.indicators:
        ind = iv.indicator
        if not ind.quantitative:
            continue
        labels = [periods.label(*yq) for yq in quarters]
        accepted = evaluation.accepted_values(ind)
        actuals = []
        for yq in quarters:
            if ind.source == Source.COMPUTED:
                actuals.append(
                    evaluation.computed_value(ind, min(periods.quarter_bounds(*yq)[1], today), tree_size)
                )
            else:  # a quarter without an accepted report keeps the level last reported
                actuals.append(accepted.get(tuple(yq)) or (actuals[-1] if actuals else 0))
        targets = [evaluation.target_for(ind, *yq) or 0 for yq in quarters]
        if labels:
            charts.append(
                time_chart(
                    f"ind-{ind.id}",
                    ind.name(_lang()),
                    _("Value at the end of each quarter and the target for it."),
                    labels,
                    [(_("Value"), [v // 100 for v in actuals]), (_("Target"), [t // 100 for t in targets])],
                    period_header=_("Quarter"),
                    area=False,
                )
            )
    reports_ = db.session.scalars(
        select(PointReport)
        .where(PointReport.point_id == point.id, PointReport.state == ReportState.ACCEPTED)
        .order_by(PointReport.year.desc(), PointReport.quarter.desc())
    ).all()
    history = db.session.scalars(
        select(PointRevision).where(PointRevision.point_id == point.id).order_by(PointRevision.id.desc())
    ).all()
    return render_template(
        "plan/point.html",
        point=point,
        view=view,
        charts=charts,
        reports=reports_,
        history=history,
        lang=_lang(),
        STATUS_LABELS=STATUS_LABELS,
        COMPLETION_LABELS=COMPLETION_LABELS,
        UNIT_LABELS=UNIT_LABELS,
        REGISTRY=REGISTRY,
        tree_size=tree_size,
        can_report=services.reporting_agency(current_user, point) is not None,
        can_manage=services.is_manager(current_user),
        quarters=quarters,
        override_form=OverrideForm(status=point.status_override or ""),
    )


@bp.get("/indicators")
@public
def definitions():
    return render_template("plan/definitions.html", registry=REGISTRY, UNIT_LABELS=UNIT_LABELS)


def _open_rows(today: date, tree_size: int):
    lang = _lang()
    for g in evaluation.scorecard(today, tree_size):
        for pv in g.points:
            for iv in pv.indicators:
                ind = iv.indicator
                yield {
                    "group": g.group.number,
                    "point": pv.point.number,
                    "point_text": pv.point.text(lang),
                    "example": pv.point.is_example,
                    "status": pv.rated.status.value,
                    "status_overridden": pv.rated.overridden,
                    "point_progress_percent": pv.rated.percent,
                    "indicator": ind.code,
                    "indicator_name": ind.name(lang),
                    "unit": ind.unit,
                    "currency": ind.currency,
                    "source": ind.source,
                    "computed": ind.computed_key,
                    "ascending": ind.ascending,
                    "baseline_x100": ind.baseline_x100,
                    "target_x100": iv.target,
                    "actual_x100": iv.actual,
                    "as_of": today.isoformat(),
                    "ledger_tree_size": tree_size,
                }


@bp.get("/data.json")
@public
def data_json():
    tree_size = _tree_size()
    body = {
        "as_of": _today().isoformat(),
        "ledger_tree_size": tree_size,
        "values_in": "hundredths (money: minor units)",
        "rows": list(_open_rows(_today(), tree_size)),
    }
    return Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype="application/json")


@bp.get("/data.csv")
@public
def data_csv():
    rows = list(_open_rows(_today(), _tree_size()))
    buf = io.StringIO()
    buf.write("\ufeff")
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        for r in rows:
            writer.writerow({k: reports._cell(v) if isinstance(v, str) else v for k, v in r.items()})
    resp = Response(buf.getvalue(), content_type="text/csv; charset=utf-8")
    resp.headers["Content-Disposition"] = 'attachment; filename="plan.csv"'
    return resp


# -- agencies --------------------------------------------------------------------------------------
@bp.get("/my")
def my_points():
    today = _today()
    points = services.points_of(current_user)
    rows = []
    for p in points:
        for yq in reversed(reporting.open_quarters(p, today)):
            rows.append(
                (p, yq, reporting.report_of(p, *yq), periods.deadline(*yq, services.settings().deadline_days))
            )
    return render_template(
        "plan/my.html",
        rows=rows,
        today=today,
        lang=_lang(),
        has_agency=bool(services.agency_ids_of(current_user)),
    )


def _report_page(point: ActionPoint, year: int, quarter: int):
    if not (2000 <= year <= MAX_YEAR and 1 <= quarter <= 4):
        abort(404)
    if services.reporting_agency(current_user, point) is None:
        abort(404)
    report = reporting.report_of(point, year, quarter)
    return report


@bp.route("/points/<int:point_id>/reports/<int:year>/<int:quarter>", methods=["GET", "POST"])
def edit_report(point_id: int, year: int, quarter: int):
    point = _point_or_404(point_id)
    report = _report_page(point, year, quarter)
    indicators = [i for i in point.indicators if i.source == Source.AGENCY]
    Form = report_form_class(indicators)
    editable = report is None or reporting.can_edit_report(current_user, report)
    if request.method == "GET":
        form = Form(formdata=None)
        if report is not None:
            form.language.data = report.language
            form.narrative.data = report.narrative
            for ind in indicators:
                row = report.value_for(ind.id)
                if row is not None:
                    if ind.quantitative:
                        form[f"value_{ind.id}"].data = row.actual_x100
                    form[f"note_{ind.id}"].data = row.note
        else:
            form.language.data = "ru" if _lang() == "ru" else "tg"
        return _render_report(point, report, form, indicators, editable, year, quarter)
    form = Form()
    if not editable:
        abort(409)
    valid = form.validate()
    if valid:
        try:
            report = reporting.start_report(current_user, point, year, quarter, _today())
            values = {
                ind.id: (
                    form[f"value_{ind.id}"].data if ind.quantitative else None,
                    form[f"note_{ind.id}"].data,
                )
                for ind in indicators
            }
            files = [f for f in (form.evidence.data or []) if getattr(f, "filename", "")]
            reporting.save_report(
                current_user,
                report,
                language=form.language.data,
                narrative=form.narrative.data or "",
                values=values,
                evidence=files,
                evidence_public=form.evidence_public.data,
                caption=form.caption.data or "",
            )
            if form.submit.data:
                reporting.submit_report(current_user, report)
        except ValidationFailed as exc:
            db.session.rollback()
            _apply_errors(form, exc)
        else:
            db.session.commit()
            flash(
                _("The report is sent to the Ministry.") if form.submit.data else _("The draft is saved."),
                "info",
            )
            return redirect(url_for("plan.edit_report", point_id=point.id, year=year, quarter=quarter), 303)
    report = reporting.report_of(point, year, quarter)
    return _render_report(point, report, form, indicators, True, year, quarter), 400


def _render_report(point, report, form, indicators, editable, year, quarter):
    return render_template(
        "plan/report_form.html",
        point=point,
        report=report,
        form=form,
        indicators=indicators,
        editable=editable,
        year=year,
        quarter=quarter,
        lang=_lang(),
        UNIT_LABELS=UNIT_LABELS,
        deadline=periods.deadline(year, quarter, services.settings().deadline_days),
    )


@bp.get("/reports/<int:report_id>")
def report_detail(report_id: int):
    report = db.session.get(PointReport, report_id)
    if report is None:
        abort(404)
    user = current_user
    allowed = (
        services.is_reviewer(user)
        or services.can_see_all(user)
        or services.reporting_agency(user, report.point) is not None
    )
    if not allowed:
        abort(404)
    return render_template(
        "plan/report.html",
        report=report,
        point=report.point,
        lang=_lang(),
        review_form=ReviewForm(),
        unlock_form=UnlockForm(),
        can_review=services.is_reviewer(user)
        and report.submitted_by_id != user.id
        and report.state == ReportState.SUBMITTED,
        can_unlock=services.is_manager(user) and report.state == ReportState.ACCEPTED,
        UNIT_LABELS=UNIT_LABELS,
    )


@bp.get("/review")
def review_queue():
    if not services.is_reviewer(current_user):
        abort(403)
    waiting = db.session.scalars(
        select(PointReport)
        .where(PointReport.state == ReportState.SUBMITTED)
        .order_by(PointReport.submitted_at)
    ).all()
    return render_template("plan/review.html", waiting=waiting, lang=_lang())


@bp.post("/reports/<int:report_id>/review")
def review_report(report_id: int):
    report = db.session.get(PointReport, report_id)
    if report is None:
        abort(404)
    form = ReviewForm()
    if not form.validate():
        abort(400)
    try:
        if form.send_back.data:
            reporting.return_report(current_user, report, form.comment.data or "")
        else:
            reporting.accept_report(current_user, report, form.comment.data or "")
    except ValidationFailed as exc:
        db.session.rollback()
        _apply_errors(form, exc)
        return render_template(
            "plan/report.html",
            report=report,
            point=report.point,
            lang=_lang(),
            review_form=form,
            unlock_form=UnlockForm(),
            can_review=True,
            can_unlock=False,
            UNIT_LABELS=UNIT_LABELS,
        ), 400
    db.session.commit()
    flash(
        _("The report is returned to the agency.") if form.send_back.data else _("The report is accepted."),
        "info",
    )
    return redirect(url_for("plan.review_queue"), 303)


@bp.post("/reports/<int:report_id>/unlock")
@roles_required("administrator")
def unlock_report(report_id: int):
    report = db.session.get(PointReport, report_id)
    if report is None:
        abort(404)
    form = UnlockForm()
    if not form.validate():
        form.reason.errors = [_("Say why the report is unlocked.")]
        return render_template(
            "plan/report.html",
            report=report,
            point=report.point,
            lang=_lang(),
            review_form=ReviewForm(),
            unlock_form=form,
            can_review=False,
            can_unlock=True,
            UNIT_LABELS=UNIT_LABELS,
        ), 400
    reporting.unlock_report(current_user, report, form.reason.data)
    db.session.commit()
    flash(_("The report is open for changes again."), "info")
    return redirect(url_for("plan.report_detail", report_id=report.id), 303)


@bp.get("/iati-results.xml")
@public
def iati_results():
    """The Plan's points as IATI ``result`` elements (activity standard 2.03): one result per
    point, its indicators with measure, ascending, baseline and a period per quarter holding the
    target and the accepted (or computed) actual value."""
    from .iati import results_xml

    body = results_xml(_today(), _tree_size())
    return Response(body, mimetype="application/xml")
