"""Public pages: dashboard, journal, a project's money, verify, open data and its downloads."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask_babel import get_locale

from fundapp.core.security import public
from fundapp.ledger.models import EntryKind

from . import opendata, views_data
from . import services as svc

bp = Blueprint("transparency", __name__)


@bp.app_context_processor
def _helpers():
    return {
        "transparency_money": _project_money_context,
        "transparency_kind_label": views_data.kind_label,
        "transparency_channel_label": views_data.channel_label,
    }


def _project_money_context(project) -> dict:
    """What ``transparency/_project_money.html`` shows for ``project`` (used by the project page)."""
    from . import sources

    return {
        "figures": svc.project_figures(project),
        "disbursements": sources.disbursements(project),
        "repayments": sources.repayments(project),
        "labels": views_data.TOTAL_LABELS,
    }


@bp.get("/transparency")
@public
def dashboard():
    currencies = svc.currencies_in_use() or ["TJS"]
    currency = request.args.get("currency", "").upper()
    if currency not in currencies:
        currency = currencies[0]
    data = svc.cached(("dashboard", str(get_locale()), currency), lambda: views_data.dashboard(currency))
    return render_template(
        "transparency/dashboard.html",
        currencies=currencies,
        labels=views_data.TOTAL_LABELS,
        order=views_data.TOTAL_ORDER,
        channel_label=views_data.channel_label,
        **data,
    )


@bp.get("/transparency/ledger")
@public
def ledger():
    try:
        filters = svc.parse_filters(request.args)
    except svc.BadFilter as exc:
        return (
            render_template(
                "transparency/ledger.html",
                page=None,
                filters=svc.LedgerFilters(),
                error=(exc.field, str(exc.message)),
                kinds=list(EntryKind),
                kind_label=views_data.kind_label,
            ),
            400,
        )
    page = svc.ledger_page(filters)
    projects = svc.public_projects_by_id({e.project_id for e in page.entries if e.project_id})
    return render_template(
        "transparency/ledger.html",
        page=page,
        filters=filters,
        error=None,
        kinds=list(EntryKind),
        kind_label=views_data.kind_label,
        projects=projects,
        backer_kinds=views_data.BACKER_KINDS,
    )


@bp.get("/projects/<int:project_id>/money")
@public
def project_money(project_id: int):
    project = svc.public_projects_by_id([project_id]).get(project_id)
    if project is None:
        abort(404)
    return render_template("transparency/project_money.html", project=project)


@bp.get("/transparency/verify")
@public
def verify():
    checkpoint = svc.latest_checkpoint()
    return render_template(
        "transparency/verify.html", checkpoint=checkpoint, site=request.host_url.rstrip("/")
    )


DOWNLOADS = {
    "entries.csv": (opendata.entries_csv, "text/csv; charset=utf-8"),
    "legs.csv": (opendata.legs_csv, "text/csv; charset=utf-8"),
    "entries.json": (opendata.entries_json, "application/json"),
    "legs.json": (opendata.legs_json, "application/json"),
    "grants-360giving.json": (opendata.grants_json, "application/json"),
    "activities-iati.xml": (opendata.iati_xml, "application/xml"),
    "ledger-export.json": (opendata.ledger_export, "application/json"),
}


@bp.get("/transparency/data")
@public
def data():
    return render_template("transparency/data.html", downloads=DOWNLOADS)


@bp.get("/transparency/data/<name>")
@public
def download(name: str):
    if name not in DOWNLOADS:
        abort(404)
    builder, mimetype = DOWNLOADS[name]

    response = Response(stream_with_context(builder()), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="hamvatan-{name}"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
