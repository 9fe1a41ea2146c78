"""Public pages: dashboard, journal, a project's money, verify, open data and its downloads."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from fundapp.core.security import public
from fundapp.ledger import public as records
from fundapp.ledger.labels import account_name
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
        "transparency_coverage": _coverage,
    }


def _coverage():
    """What the public figures cover (``counters.coverage()``), for ``transparency/_coverage.html``."""
    from . import counters

    return counters.coverage()


def _project_money_context(project) -> dict:
    """What ``transparency/_project_money.html`` shows for ``project`` (used by the project page)."""
    from . import sources

    def compute():
        figures = svc.project_figures(project)
        return {
            "figures": figures,
            "money": figures["money"],
            "disbursements": sources.disbursements(project),
            "repayments": sources.repayments(project),
            "labels": views_data.TOTAL_LABELS,
        }

    return svc.cached(("project-money", str(get_locale()), project.id), compute)


def _page(key: tuple, title: str, description: str, template: str, *, context, status: int = 200):
    """Render ``template`` (the page's main content, public and the same for everyone who reads
    it in this language) at most once per cache period, inside the layout.

    For a visitor who is not signed in and has no message waiting, the layout is the same for
    everyone but for the CSRF token of the language form: the whole page is cached with a mark in
    its place, and each response gets the visitor's own token."""
    locale = str(get_locale())
    body = svc.cached(
        ("page", locale, *key),
        lambda: Markup(render_template(template, **context())),  # noqa: S704
    )

    def layout() -> str:
        return render_template(
            "transparency/shell.html", page_title=title, page_description=description, body=body
        )

    return svc.anonymous_page(key, layout), status


@bp.get("/transparency")
@public
def dashboard():
    requested = request.args.get("currency", "").upper()[:3]

    def context():
        snap = svc.Snapshot()
        currencies = svc.currencies_in_use(snap) or ["TJS"]
        currency = requested if requested in currencies else currencies[0]
        return {
            "currencies": currencies,
            "labels": views_data.TOTAL_LABELS,
            "order": views_data.TOTAL_ORDER,
            "channel_label": views_data.channel_label,
            **views_data.dashboard(currency, snap),
        }

    return _page(
        ("dashboard", requested),
        _("Where the money goes"),
        _("Every somoni the fund received, holds and paid out, in charts and tables."),
        "transparency/dashboard.html",
        context=context,
    )


@bp.get("/transparency/ledger")
@public
def ledger():
    title = _("Public ledger")
    description = _("Every journal entry of the fund, newest first, with its legs, sequence number and hash.")

    def common() -> dict:
        # each kind's label translated once per rendering (the filter lists them all, every entry
        # shows one), and only when the page is rendered, not when its cached body is served
        return {
            "kinds": list(EntryKind),
            "kind_labels": {k.value: views_data.kind_label(k.value) for k in EntryKind},
        }

    try:
        filters = svc.parse_filters(request.args)
    except svc.BadFilter as exc:
        # the form comes back as it was typed, each bad value marked with its own message
        body = render_template(
            "transparency/ledger.html",
            page=None,
            filters=svc.LedgerFilters(),
            typed={k: v for k, v in request.args.items() if k != "lang"},
            errors={field: str(message) for field, message in exc.errors},  # in the form's order
            **common(),
        )
        html = render_template(
            "transparency/shell.html",
            page_title=title,
            page_description=description,
            body=Markup(body),  # noqa: S704
        )
        return html, 400

    def context():
        page = svc.ledger_page(filters)
        projects = svc.public_projects_by_id({e.project_id for e in page.entries if e.project_id})
        # a page shows a few accounts many times: each name is translated once
        accounts = {leg.account_id: leg.account for e in page.entries for leg in e.legs}
        return {
            "page": page,
            "account_names": {i: account_name(a) for i, a in accounts.items()},
            "filters": filters,
            "typed": None,
            "errors": {},
            "projects": projects,
            "backer_kinds": views_data.BACKER_KINDS,
            **common(),
        }

    key = tuple(sorted((k, v) for k, v in request.args.items() if k != "lang"))
    return _page(("ledger", key), title, description, "transparency/ledger.html", context=context)


@bp.get("/projects/<int:project_id>/money")
@public
def project_money(project_id: int):
    def title():
        project = svc.public_projects_by_id([project_id]).get(project_id)
        return None if project is None else project.title

    project_title = svc.cached(("project-title", project_id), title)
    if project_title is None:
        abort(404)
    return _page(
        ("project", project_id),
        _("Money of %(title)s", title=project_title),
        _("What this project received, holds and paid out."),
        "transparency/project_money.html",
        context=lambda: {"project": svc.public_projects_by_id([project_id])[project_id]},
    )


@bp.get("/transparency/verify")
@public
def verify():
    site = request.host_url.rstrip("/")

    def context():

        cp = svc.latest_checkpoint()
        return {
            "checkpoint": cp,
            "record": records.checkpoint_record(cp) if cp is not None else None,
            "site": site,
            "format_html": svc.ledger_format_html(),
        }

    return _page(
        ("verify", site),
        _("Verify the ledger yourself"),
        _("What the signed checkpoints prove, and how to check the ledger yourself."),
        "transparency/verify.html",
        context=context,
    )


@bp.get("/transparency/verify/<name>")
@public
def verifier_file(name: str):
    """The verifier, the witness, the format and its test vectors, to download and read."""
    found = svc.VERIFIER_FILES.get(name)
    if found is None or not found[0].is_file():
        abort(404)
    path, mimetype = found
    response = Response(path.read_bytes(), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/transparency/data")
@public
def data():
    return _page(
        ("data",),
        _("Open data"),
        _("The ledger and the projects as CSV, JSON, 360Giving and IATI, free to re-use."),
        "transparency/data.html",
        context=lambda: {"downloads": DOWNLOADS},
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


# downloads that list entries: they stop at the coverage's tree size (the ledger export stops at
# its checkpoint, within the coverage)
COVERED_DOWNLOADS = frozenset({"entries.csv", "legs.csv", "entries.json", "legs.json"})


@bp.get("/transparency/data/<name>")
@public
def download(name: str):
    if name not in DOWNLOADS:
        abort(404)
    builder, mimetype = DOWNLOADS[name]
    from . import counters

    cov = counters.coverage()
    stream = builder(cov) if name in COVERED_DOWNLOADS else builder()
    response = Response(stream_with_context(stream), content_type=mimetype)
    # what the download was computed from: the sealed entries 1 … tree size, and the checkpoint
    response.headers["X-Ledger-Tree-Size"] = str(cov.tree_size)
    if cov.checkpoint_size is not None:
        response.headers["X-Ledger-Checkpoint-Size"] = str(cov.checkpoint_size)
        response.headers["X-Ledger-Checkpoint-Root"] = cov.checkpoint_root.hex()
    response.headers["Content-Disposition"] = f'attachment; filename="hamvatan-{name}"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
