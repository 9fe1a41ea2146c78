"""Public read API (``/api/v1/organisations…``) and open data downloads of the directory.

Only verified organisations and only their public fields: never the registration document, the
members, the decision's reason or anyone's address."""

from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, Response, abort, jsonify, request, url_for

from fundapp.core.security import public
from fundapp.extensions import db

from . import services, vocab
from .models import Organisation, OrganisationStatus

bp = Blueprint("community_api", __name__)

ORG_COLUMNS = (
    "id",
    "name",
    "kind",
    "country",
    "city",
    "languages",
    "fields",
    "year_founded",
    "website",
    "description",
    "url",
)


def organisation_record(org: Organisation) -> dict:
    return {
        "id": org.id,
        "name": org.name,
        "kind": org.kind,
        "country": org.country,
        "city": org.city,
        "languages": org.language_codes,
        "fields": org.field_codes,
        "year_founded": org.year_founded,
        "website": org.website or None,
        "description": org.description,
        "url": url_for("community.organisation_detail", org_id=org.id, _external=True),
    }


def _filters() -> dict:
    args = request.args
    return {
        k: (args.get(k) or "").strip()[:120] for k in ("q", "country", "city", "kind", "field", "language")
    }


def _page_args() -> tuple[int, int]:
    def num(name, default, high):
        raw = request.args.get(name, "")
        if not raw:
            return default
        if not raw.isdigit() or not 1 <= int(raw) <= high:
            abort(400, f"{name} must be a whole number from 1 to {high}")
        return int(raw)

    return num("page", 1, 10_000), num("per_page", 50, 200)


def _open(*args, **kwargs) -> Response:
    """Public JSON any site may read (CORS)."""
    response = jsonify(*args, **kwargs)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _api_page(key: str, query, record) -> Response:
    """One page of ``query`` as ``{key: [record(row)…], page, per_page, total}``."""
    page, per_page = _page_args()
    result = db.paginate(query, page=page, per_page=per_page, error_out=False)
    return _open(
        {
            key: [record(row) for row in result.items],
            "page": page,
            "per_page": per_page,
            "total": result.total,
        }
    )


def _download(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return response


def _json_download(filename: str, body: dict) -> Response:
    return _download(
        json.dumps({"licence": "CC BY 4.0", **body}, ensure_ascii=False), "application/json", filename
    )


def _csv_download(filename: str, columns, records) -> Response:
    """A CSV of ``records`` (dicts), one column per name in ``columns``; lists are space-joined."""

    def rows():
        yield columns
        for rec in records:
            yield [" ".join(v) if isinstance(v, list) else v for v in (rec[c] for c in columns)]

    return _download(_csv(rows()), "text/csv", filename)


@bp.get("/api/v1/organisations")
@public
def api_organisations():
    return _api_page("organisations", services.directory_query(**_filters()), organisation_record)


@bp.get("/api/v1/organisations/<int:org_id>")
@public
def api_organisation(org_id: int):
    org = db.session.get(Organisation, org_id)
    if org is None or org.status != OrganisationStatus.verified:
        abort(404)
    return _open(organisation_record(org))


@bp.get("/api/v1/organisations/countries")
@public
def api_countries():
    return _open(countries=[{"country": c, "organisations": n} for c, n in services.counts_by_country()])


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula (= + - @ tab CR at the start)."""
    if value is None:
        return ""
    text = str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def _csv(rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


def _verified():
    return db.session.scalars(services.directory_query())


@bp.get("/organisations/data.csv")
@public
def organisations_csv():
    return _csv_download("organisations.csv", ORG_COLUMNS, (organisation_record(o) for o in _verified()))


@bp.get("/organisations/data.json")
@public
def organisations_json():
    return _json_download(
        "organisations.json",
        {
            "organisations": [organisation_record(o) for o in _verified()],
            "kinds": {k.value: vocab.kind_label(k) for k in vocab.KIND_LABELS},
        },
    )


RESOURCE_COLUMNS = (
    "id",
    "title",
    "kind",
    "language",
    "category",
    "audience",
    "organisation_id",
    "downloads",
    "published_at",
    "description",
    "url",
)


def resource_record(res) -> dict:
    org = res.organisation if res.organisation is not None and res.organisation.verified else None
    return {
        "id": res.id,
        "title": res.title,
        "kind": res.kind,
        "language": res.language,
        "category": res.category,
        "audience": res.audience,
        "organisation_id": getattr(org, "id", None),
        "downloads": res.downloads,
        "published_at": res.published_at.isoformat() if res.published_at else None,
        "description": res.description,
        "url": url_for("community.library_item", resource_id=res.id, _external=True),
    }


def _library_filters() -> dict:
    return {
        k: (request.args.get(k) or "").strip()[:100]
        for k in ("q", "language", "category", "audience", "kind")
    }


@bp.get("/api/v1/library")
@public
def api_library():
    from . import library

    return _api_page("resources", library.library_query(**_library_filters()), resource_record)


@bp.get("/library/data.csv")
@public
def library_csv():
    from . import library

    records = (resource_record(r) for r in db.session.scalars(library.library_query()))
    return _csv_download("library.csv", RESOURCE_COLUMNS, records)


@bp.get("/library/data.json")
@public
def library_json():
    from . import library

    return _json_download(
        "library.json",
        {"resources": [resource_record(r) for r in db.session.scalars(library.library_query())]},
    )


ORGANISATION_SCHEMA = {
    "type": "object",
    "required": ["id", "name", "kind", "country", "city", "languages", "fields", "url"],
    "properties": {
        "id": {"type": "integer", "minimum": 0},
        "name": {"type": "string"},
        "kind": {"type": "string"},
        "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
        "city": {"type": "string"},
        "languages": {"type": "array", "items": {"type": "string"}},
        "fields": {"type": "array", "items": {"type": "string"}},
        "year_founded": {"type": ["integer", "null"]},
        "website": {"type": ["string", "null"]},
        "description": {"type": "string"},
        "url": {"type": "string"},
    },
}


def _text_param(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", "maxLength": 120},
    }


def _int_param(name: str, description: str, high: int) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "integer", "minimum": 1, "maximum": high},
    }


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = _json({"$ref": "#/components/schemas/Error"}, "Bad parameter")


def _page_of(key: str, item_schema: dict, description: str) -> dict:
    """The response of ``_api_page``: one page of items under ``key``."""
    return _json(
        {
            "type": "object",
            "required": [key, "page", "per_page", "total"],
            "properties": {
                key: {"type": "array", "items": item_schema},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "total": {"type": ["integer", "null"]},
            },
        },
        description,
    )


RESOURCE_SCHEMA = {
    "type": "object",
    "required": ["id", "title", "kind", "language", "category", "audience", "downloads", "url"],
    "properties": {
        "id": {"type": "integer", "minimum": 0},
        "title": {"type": "string"},
        "kind": {"type": "string", "enum": ["file", "link"]},
        "language": {"type": "string"},
        "category": {"type": "string"},
        "audience": {"type": "string"},
        "organisation_id": {"type": ["integer", "null"]},
        "downloads": {"type": "integer", "minimum": 0},
        "published_at": {"type": ["string", "null"]},
        "description": {"type": "string"},
        "url": {"type": "string"},
    },
}

# The OpenAPI description of this module's routes, read by ``fundapp.api.openapi``.
OPERATIONS = {
    "community_api.api_library": {
        "summary": "Published items of the resource library, filtered and paginated",
        "tags": ["community"],
        "parameters": [
            _text_param("q", "Words in the title or description"),
            _text_param("language", "ISO 639-1 language code"),
            _text_param("category", "Category"),
            _text_param("audience", "Audience"),
            _text_param("kind", "file or link"),
            _int_param("page", "Page number", 10_000),
            _int_param("per_page", "Items per page", 200),
        ],
        "responses": {
            "200": _page_of("resources", RESOURCE_SCHEMA, "Library items"),
            "400": ERROR,
        },
    },
    "community_api.api_organisations": {
        "summary": "Verified diaspora organisations, filtered and paginated",
        "tags": ["community"],
        "parameters": [
            _text_param("q", "Words in the name, city or description"),
            _text_param("country", "ISO 3166-1 alpha-2 code"),
            _text_param("city", "City (exact, any case)"),
            _text_param("kind", "Kind of organisation"),
            _text_param("field", "Field of activity"),
            _text_param("language", "ISO 639-1 language code"),
            _int_param("page", "Page number", 10_000),
            _int_param("per_page", "Items per page", 200),
        ],
        "responses": {
            "200": _page_of("organisations", ORGANISATION_SCHEMA, "Organisations"),
            "400": ERROR,
        },
    },
    "community_api.api_organisation": {
        "summary": "One verified organisation",
        "tags": ["community"],
        "responses": {"200": _json(ORGANISATION_SCHEMA, "The organisation")},
    },
    "community_api.api_countries": {
        "summary": "Verified organisations counted by country",
        "tags": ["community"],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["countries"],
                    "properties": {
                        "countries": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["country", "organisations"],
                                "properties": {
                                    "country": {"type": "string"},
                                    "organisations": {"type": "integer"},
                                },
                            },
                        }
                    },
                },
                "Counts",
            )
        },
    },
}
