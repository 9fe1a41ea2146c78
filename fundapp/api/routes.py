"""``/api/v1/openapi.json`` and the transparency figures as JSON."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from fundapp.core.money import CURRENCY_EXPONENTS
from fundapp.core.security import public
from fundapp.transparency import services as svc

from . import openapi
from .helpers import BadParameter, api_error

bp = Blueprint("api", __name__, url_prefix="/api/v1")

BREAKDOWN_DIMENSIONS = ("region", "district", "category", "country", "month", "channel", "project")


@bp.errorhandler(BadParameter)
def _bad(error):
    return api_error(400, str(error))


@bp.get("/openapi.json")
@public
def openapi_document():
    response = jsonify(openapi.build_document(current_app))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/transparency/totals")
@public
def transparency_totals():

    def compute():
        return {
            "currencies": [t.as_dict() for t in svc.fund_totals()],
            "backers": svc.backers_count(),
            "entries": svc.entries_count(),
            "projects_per_state": dict(svc.projects_per_state()),
        }

    return jsonify(svc.cached(("api-totals",), compute))


@bp.get(
    "/transparency/breakdown/<any(region, district, category, country, month, channel, project):dimension>"
)
@public
def transparency_breakdown(dimension: str):

    metric = request.args.get("metric", "received")
    if metric not in svc.MONEY_METRICS:
        raise BadParameter("metric must be one of " + ", ".join(svc.MONEY_METRICS))
    currency = request.args.get("currency", "TJS")
    if currency not in CURRENCY_EXPONENTS:
        raise BadParameter("unknown currency")
    items = svc.breakdown(dimension, metric, currency, limit=100)
    if dimension == "project":
        public_ids = svc.public_projects_by_id(k for k, _ in items)
        items = [(k, a) for k, a in items if int(k) in public_ids]
    return jsonify(
        dimension=dimension,
        metric=metric,
        currency=currency,
        items=[{"key": k, "amount": a} for k, a in items],
    )


@bp.get("/transparency/projects/<int:project_id>/money")
@public
def transparency_project_money(project_id: int):

    def compute():
        project = svc.public_projects_by_id([project_id]).get(project_id) if project_id <= 2**31 else None
        if project is None:
            return None
        figures = svc.project_figures(project)
        return {"project_id": project.id, "currencies": [t.as_dict() for t in figures["currencies"]]}

    data = svc.cached(("api-project-money", project_id), compute)
    if data is None:
        return api_error(404, "no published project with this id")
    return jsonify(data)
