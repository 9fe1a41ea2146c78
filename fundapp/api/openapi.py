"""The OpenAPI 3.1 document of ``/api/v1/``, built at request time from ``app.url_map``.

Each endpoint's operation (parameters, responses with their JSON Schemas) is written down in
``OPERATIONS`` by reading the view that serves it; the path parameters come from the URL rule
itself. A route nobody described still appears, marked ``x-undocumented: true`` — the test suite
fails on that, so a new endpoint cannot ship without its description.
"""

from __future__ import annotations

import re

from flask import Flask

API_PREFIX = "/api/v1/"
MAX_INT = 10**15  # the ledger refuses larger numbers; far below the databases' 64-bit limits
KINDS = [
    "donation",
    "pledge_collection",
    "investment",
    "disbursement",
    "refund",
    "fee",
    "repayment",
    "distribution",
    "reversal",
    "adjustment",
    "fx",
    "transfer",
]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


HEX = {"type": "string", "pattern": "^[0-9a-f]*$"}
INT = {"type": "integer", "minimum": 0}
NULLABLE_INT = {"type": ["integer", "null"]}
CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$"}

SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "oneOf": [
                    {"type": "string"},
                    {
                        "type": "object",
                        "required": ["status", "message"],
                        "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
                    },
                ]
            }
        },
    },
    "LedgerEntry": {
        "type": "object",
        "description": "A sealed journal entry exactly as hashed into its Merkle leaf, plus the leaf hash. "
        "`backer` is the backer's chosen public label, null for an anonymous backer.",
        "required": ["backer", "kind", "legs", "memo", "posted_at", "reverses", "seq", "v", "leaf_hash"],
        "properties": {
            "backer": {"type": ["string", "null"]},
            "kind": {"type": "string", "enum": KINDS},
            "legs": {
                "type": "array",
                "minItems": 2,
                "items": {
                    "type": "array",
                    "description": "[direction D|C, account code, currency, amount in minor units]",
                    "prefixItems": [
                        {"type": "string", "enum": ["D", "C"]},
                        {"type": "string"},
                        CURRENCY,
                        {"type": "integer", "minimum": 1},
                    ],
                    "minItems": 4,
                    "maxItems": 4,
                },
            },
            "memo": {"type": "string"},
            "posted_at": {"type": "string"},
            "reverses": NULLABLE_INT,
            "seq": {"type": "integer", "minimum": 1},
            "v": {"type": "integer"},
            "leaf_hash": HEX,
        },
    },
    "Checkpoint": {
        "type": "object",
        "description": (
            "A signed statement of the Merkle tree: a C2SP tlog-checkpoint note (origin, size, base64 "
            "root) signed with the fund's Ed25519 note key, with the witnesses' cosignatures."
        ),
        "required": [
            "tree_size",
            "root_hash",
            "signed_at",
            "algorithm",
            "key_id",
            "public_key",
            "signature",
            "message",
        ],
        "properties": {
            "tree_size": INT,
            "root_hash": HEX,
            "signed_at": {"type": "string"},
            "algorithm": {"type": "string", "const": "Ed25519"},
            "key_id": {"type": "string"},
            "public_key": HEX,
            "public_key_base64": {"type": "string"},
            "signature": HEX,
            "signature_base64": {"type": "string"},
            "message": {"type": "string", "description": "The signed note text"},
            "id": INT,
            "origin": {"type": ["string", "null"]},
            "format": {"type": "string"},
            "note": {"type": "string", "description": "The signed note with every signature line"},
            "vkey": {"type": "string", "description": "The fund's C2SP verifier key"},
            "cosignatures": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"witness": {"type": "string"}, "key_id": HEX, "timestamp": INT},
                },
            },
            "consistency": {
                "type": ["object", "null"],
                "description": "In the list only: the proof that it extends the checkpoint before",
            },
        },
    },
    "Balance": {
        "type": "object",
        "required": ["code", "currency", "type", "project_id", "debits", "credits", "balance", "reserved"],
        "properties": {
            "code": {"type": "string"},
            "currency": CURRENCY,
            "type": {"type": "string", "enum": ["asset", "liability", "equity", "income", "expense"]},
            "project_id": NULLABLE_INT,
            "debits": {"type": "integer"},
            "credits": {"type": "integer"},
            "balance": {"type": "integer"},
            "reserved": {"type": "integer"},
        },
    },
    "Money": {
        "type": "object",
        "required": ["amount_minor", "currency", "amount"],
        "properties": {
            "amount_minor": {"type": "integer"},
            "currency": CURRENCY,
            "amount": {"type": "string", "description": "The same amount as a decimal string"},
        },
    },
    "ProjectMoney": {
        "type": "object",
        "description": (
            "The one account of a project's money, from the ledger entries 1 … `tree_size` (the sealed "
            "entries the public figures cover). Amounts in minor units of `currency` (the goal's); "
            "money paid in another currency counts at the rate recorded when it arrived, and "
            "`paid_by_currency` says what was paid, in the currency it was paid in."
        ),
        "required": [
            "currency",
            "goal",
            "received",
            "refunded",
            "raised",
            "collected",
            "pledged",
            "pledges_lapsed",
            "disbursed",
            "held",
            "backers",
            "share_of_goal",
            "paid_by_currency",
            "tree_size",
        ],
        "properties": {
            "currency": CURRENCY,
            **{
                k: {"type": "integer"}
                for k in (
                    "goal",
                    "received",
                    "refunded",
                    "raised",
                    "collected",
                    "pledged",
                    "pledges_lapsed",
                    "disbursed",
                    "held",
                    "share_of_goal",
                )
            },
            "backers": INT,
            "paid_by_currency": {"type": "object", "additionalProperties": {"type": "integer"}},
            "tree_size": INT,
        },
    },
    "ProjectSummary": {
        "type": "object",
        "required": [
            "id",
            "title",
            "summary",
            "state",
            "category",
            "category_name",
            "home_region",
            "home_district",
            "funding_model",
            "goal",
            "raised",
            "pledged",
            "percent",
            "backers",
            "campaign_starts_at",
            "campaign_ends_at",
            "published_at",
            "url",
        ],
        "properties": {
            "id": INT,
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "state": {
                "type": "string",
                "enum": ["fundraising", "funded", "unsuccessful", "implementing", "completed", "cancelled"],
            },
            "category": {"type": "string"},
            "category_name": {"type": "string"},
            "home_region": {"type": "string"},
            "home_district": {"type": "string"},
            "funding_model": {"type": "string", "enum": ["donation", "pledge", "loan"]},
            "goal": _ref("Money"),
            "raised": _ref("Money"),
            "pledged": _ref("Money"),
            "percent": {"type": "integer"},
            "backers": INT,
            "money": {"oneOf": [{"type": "null"}, _ref("ProjectMoney")]},
            "campaign_starts_at": {"type": ["string", "null"]},
            "campaign_ends_at": {"type": ["string", "null"]},
            "published_at": {"type": ["string", "null"]},
            "url": {"type": "string"},
        },
    },
    "CurrencyTotals": {
        "type": "object",
        "description": "Amounts in minor units of `currency`.",
        "required": [
            "currency",
            "received",
            "pledged",
            "held",
            "disbursed",
            "refunded",
            "repaid",
            "repayments",
            "interest",
            "fees",
            "received_by_channel",
        ],
        "properties": {
            "currency": CURRENCY,
            **{
                k: {"type": "integer"}
                for k in (
                    "received",
                    "pledged",
                    "held",
                    "disbursed",
                    "refunded",
                    "repaid",
                    "repayments",
                    "interest",
                    "fees",
                )
            },
            "received_by_channel": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
    },
}


def _q(name: str, description: str, *, minimum: int = 0, maximum: int = MAX_INT, required=False) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "integer", "minimum": minimum, "maximum": maximum},
    }


OPERATIONS: dict[str, dict] = {
    # -- this package ------------------------------------------------------------------------------
    "api.openapi_document": {
        "summary": "This OpenAPI document",
        "tags": ["meta"],
        "responses": {"200": _json({"type": "object", "required": ["openapi", "paths"]}, "The document")},
    },
    "api.transparency_totals": {
        "summary": "Fund totals per currency, backers, entries and projects per state",
        "description": "The same figures as the /transparency dashboard, from maintained counters "
        "and balances.",
        "tags": ["transparency"],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["currencies", "backers", "entries", "projects_per_state"],
                    "properties": {
                        "currencies": {"type": "array", "items": _ref("CurrencyTotals")},
                        "backers": INT,
                        "entries": INT,
                        "projects_per_state": {"type": "object", "additionalProperties": INT},
                    },
                },
                "Totals",
            )
        },
    },
    "api.transparency_breakdown": {
        "summary": "Money by region, district, category, country of residence, month, channel or project",
        "tags": ["transparency"],
        "parameters": [
            {
                "name": "metric",
                "in": "query",
                "required": False,
                "schema": {
                    "type": "string",
                    "enum": ["received", "disbursed", "refunded", "repaid", "repayments", "interest", "fees"],
                },
            },
            {"name": "currency", "in": "query", "required": False, "schema": CURRENCY},
        ],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["dimension", "metric", "currency", "items"],
                    "properties": {
                        "dimension": {"type": "string"},
                        "metric": {"type": "string"},
                        "currency": CURRENCY,
                        "items": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["key", "amount"],
                                "properties": {"key": {"type": "string"}, "amount": {"type": "integer"}},
                            },
                        },
                    },
                },
                "The largest keys first (at most 100)",
            ),
            "400": _error("Unknown metric or currency"),
        },
    },
    "api.transparency_project_money": {
        "summary": "A published project's money: received (by channel), pledged, held, disbursed, repaid",
        "tags": ["transparency"],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["project_id", "currencies"],
                    "properties": {
                        "project_id": INT,
                        "currencies": {"type": "array", "items": _ref("CurrencyTotals")},
                    },
                },
                "The project's figures",
            ),
            "404": _error("No published project with this id"),
        },
    },
    # -- proposals (fundapp/proposals/api.py) -----------------------------------------------------
    "proposals_api.projects": {
        "summary": "Published projects, newest first (filters as on /projects)",
        "tags": ["projects"],
        "parameters": [
            _q("page", "Page number (1–10000)", minimum=1, maximum=10_000),
            _q("per_page", "Projects per page (1–100, default 20)", minimum=1, maximum=100),
            *(
                {
                    "name": name,
                    "in": "query",
                    "required": False,
                    "description": desc,
                    "schema": {"type": "string"},
                }
                for name, desc in (
                    ("region", "Home region key, e.g. sughd"),
                    ("district", "Home district key, e.g. khujand"),
                    ("category", "Category key, e.g. education"),
                    ("funding_model", "donation, pledge or loan"),
                    ("status", "A public state, e.g. fundraising"),
                    ("q", "Words in the title or summary"),
                    ("sort", "newest, ending or funded"),
                )
            ),
        ],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["items", "page", "per_page", "total", "pages"],
                    "properties": {
                        "items": {"type": "array", "items": _ref("ProjectSummary")},
                        "page": {"type": "integer", "minimum": 1},
                        "per_page": {"type": "integer", "minimum": 1},
                        "total": INT,
                        "pages": {"type": "integer", "minimum": 1},
                    },
                },
                "A page of projects",
            ),
            "400": _error("page or per_page is not a whole number"),
        },
    },
    "proposals_api.project": {
        "summary": "One published project with its budget, milestones, team, public timeline and updates",
        "tags": ["projects"],
        "responses": {
            "200": _json(
                {
                    "allOf": [_ref("ProjectSummary")],
                    "type": "object",
                    "required": ["description_html", "budget", "milestones", "team", "timeline", "updates"],
                    "properties": {
                        "description_html": {"type": "string"},
                        "diaspora_organisation": {"type": ["string", "null"]},
                        "campaign_days": {"type": "integer"},
                        "loan": {
                            "oneOf": [
                                {"type": "null"},
                                {
                                    "type": "object",
                                    "properties": {
                                        "annual_rate_bp": NULLABLE_INT,
                                        "term_months": NULLABLE_INT,
                                        "repayment_type": {"type": ["string", "null"]},
                                    },
                                },
                            ]
                        },
                        "budget": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["label", "amount"],
                                "properties": {"label": {"type": "string"}, "amount": _ref("Money")},
                            },
                        },
                        "milestones": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id", "title", "due_date", "amount", "status"],
                                "properties": {
                                    "id": INT,
                                    "title": {"type": "string"},
                                    "due_date": {"type": ["string", "null"]},
                                    "amount": _ref("Money"),
                                    "status": {"type": "string", "description": "Delivery, as reported"},
                                    "state": {
                                        "type": "string",
                                        "description": "paid, partly_paid, or the delivery status",
                                    },
                                    "paid": {"oneOf": [{"type": "null"}, _ref("Money")]},
                                },
                            },
                        },
                        "team": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"name": {"type": "string"}, "role": {"type": "string"}},
                            },
                        },
                        "council_decision": {
                            "oneOf": [
                                {"type": "null"},
                                {"type": "object", "properties": {"id": INT, "number": {"type": "string"}}},
                            ]
                        },
                        "timeline": {"type": "array", "items": {"type": "object"}},
                        "updates": {"type": "array", "items": {"type": "object"}},
                    },
                },
                "The project",
            ),
            "404": _error("No published project with this id"),
        },
    },
    # -- ledger (fundapp/ledger/api.py) -----------------------------------------------------------
    "ledger_api.entries": {
        "summary": "Sealed journal entries in sequence order (keyset pagination)",
        "tags": ["ledger"],
        "parameters": [
            _q("after", "Return entries with a sequence number above this one"),
            _q("limit", "How many (1–1000, default 100)", minimum=1, maximum=1000),
        ],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["entries", "next_after", "tree_size"],
                    "properties": {
                        "entries": {"type": "array", "items": _ref("LedgerEntry")},
                        "next_after": NULLABLE_INT,
                        "tree_size": INT,
                    },
                },
                "A page of entries",
            ),
            "400": _error("A parameter is not a whole number in range"),
        },
    },
    "ledger_api.entry": {
        "summary": "One sealed entry",
        "tags": ["ledger"],
        "responses": {
            "200": _json(_ref("LedgerEntry"), "The entry"),
            "404": _error("No sealed entry with this sequence number"),
        },
    },
    "ledger_api.checkpoint": {
        "summary": "The latest signed checkpoint (or the one of a given tree size)",
        "tags": ["ledger"],
        "parameters": [_q("tree_size", "The size of the tree the checkpoint signs")],
        "responses": {
            "200": _json(_ref("Checkpoint"), "The checkpoint and the fund's public key"),
            "400": _error("A parameter is not a whole number in range"),
            "404": _error("No such checkpoint yet"),
        },
    },
    "ledger_api.checkpoints": {
        "summary": "Every signed checkpoint, oldest first, with consistency proofs between neighbours",
        "tags": ["ledger"],
        "parameters": [
            _q("after", "Only checkpoints with a larger id"),
            _q("limit", "How many (1-100, default 100)", minimum=1, maximum=100),
        ],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["checkpoints", "next_after"],
                    "properties": {
                        "checkpoints": {"type": "array", "items": _ref("Checkpoint")},
                        "next_after": NULLABLE_INT,
                    },
                },
                "A page of checkpoints",
            ),
            "400": _error("A parameter is not a whole number in range"),
        },
    },
    "ledger_api.cosignatures": {
        "summary": "A witness hands in its C2SP cosignature of a checkpoint",
        "tags": ["ledger"],
        "requestBody": {
            "required": True,
            "content": {"text/plain": {"schema": {"type": "string", "description": "The cosigned note"}}},
        },
        "responses": {
            "200": _json({"type": "object"}, "Nothing new: these cosignatures were already kept"),
            "201": _json({"type": "object"}, "The cosignatures kept, and the checkpoint as now published"),
            "400": _error("The body is not UTF-8 text"),
            "413": _error("The note is too large"),
            "422": _error("Not a checkpoint of this fund cosigned by a configured witness"),
        },
    },
    "ledger_api.receipt_proof": {
        "summary": "A backer's evidence for one entry, to keep and check offline",
        "tags": ["ledger"],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": [
                        "format",
                        "entry",
                        "leaf_index",
                        "leaf_hash",
                        "inclusion_proof",
                        "checkpoint",
                    ],
                    "properties": {
                        "format": {"type": "string", "const": "hamvatan-fund-receipt-proof/v1"},
                        "entry": _ref("LedgerEntry"),
                        "leaf_index": INT,
                        "leaf_hash": HEX,
                        "inclusion_proof": {"type": "array", "items": HEX},
                        "checkpoint": _ref("Checkpoint"),
                    },
                },
                "The entry, its leaf hash, the signed checkpoint and the inclusion proof",
            ),
            "404": _error("No sealed entry with this sequence number"),
        },
    },
    "ledger_api.posting_receipt_proof": {
        "summary": "A backer's evidence for one entry, found by the posting a receipt mail names",
        "tags": ["ledger"],
        "responses": {
            "200": _json({"type": "object"}, "The same file as /entries/<seq>/receipt-proof.json"),
            "404": _error("The posting is not sealed yet"),
        },
    },
    "ledger_api.inclusion_proof": {
        "summary": "RFC 6962 inclusion proof of an entry",
        "tags": ["ledger"],
        "parameters": [_q("tree_size", "Tree size (default: the latest checkpoint)", minimum=1)],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": [
                        "seq",
                        "leaf_index",
                        "leaf_hash",
                        "tree_size",
                        "root_hash",
                        "proof",
                        "checkpoint",
                    ],
                    "properties": {
                        "seq": INT,
                        "leaf_index": INT,
                        "leaf_hash": HEX,
                        "tree_size": INT,
                        "root_hash": HEX,
                        "proof": {"type": "array", "items": HEX},
                        "checkpoint": {"oneOf": [_ref("Checkpoint"), {"type": "null"}]},
                    },
                },
                "The audit path from the leaf to the root",
            ),
            "400": _error("A parameter is not a whole number in range"),
            "404": _error("No checkpoint yet, or the entry is not covered by that tree"),
        },
    },
    "ledger_api.consistency": {
        "summary": "RFC 6962 consistency proof between two tree sizes",
        "tags": ["ledger"],
        "parameters": [
            _q("from", "The older tree size", required=True),
            _q("to", "The newer tree size (default: the latest checkpoint)"),
        ],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["from", "to", "from_root", "to_root", "proof", "checkpoint"],
                    "properties": {
                        "from": INT,
                        "to": INT,
                        "from_root": HEX,
                        "to_root": HEX,
                        "proof": {"type": "array", "items": HEX},
                        "checkpoint": {"oneOf": [_ref("Checkpoint"), {"type": "null"}]},
                    },
                },
                "The proof that the newer tree extends the older one",
            ),
            "400": _error("A parameter is missing, not a whole number, or from > to"),
            "404": _error("No checkpoint yet, or the tree is not that large"),
        },
    },
    "ledger_api.balances": {
        "summary": "Every account's stored balance (minor units)",
        "tags": ["ledger"],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["balances", "tree_size"],
                    "properties": {"balances": {"type": "array", "items": _ref("Balance")}, "tree_size": INT},
                },
                "Balances",
            )
        },
    },
}

_CONVERTER = re.compile(
    r"<(?:(?P<conv>[a-zA-Z_][a-zA-Z0-9_]*)(?:\((?P<args>[^)]*)\))?:)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>"
)


def _path_and_params(rule) -> tuple[str, list[dict]]:
    params = []

    def repl(m):
        conv, name = m.group("conv") or "default", m.group("name")
        if conv == "int":
            schema = {"type": "integer", "minimum": 0, "maximum": MAX_INT}
        elif conv == "float":
            schema = {"type": "number"}
        elif conv == "any":
            choices = [c.strip().strip("'\"") for c in (m.group("args") or "").split(",") if c.strip()]
            schema = {"type": "string", "enum": choices}
        else:
            schema = {"type": "string", "pattern": "^[^/]+$", "minLength": 1}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return _CONVERTER.sub(repl, rule.rule), params


def build_document(app: Flask, *, extra_operations: dict | None = None) -> dict:
    """The OpenAPI 3.1 document for every ``/api/v1/`` rule of ``app``."""
    operations = {**OPERATIONS, **(extra_operations or {})}
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(API_PREFIX):
            continue
        path, path_params = _path_and_params(rule)
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        for method in methods:
            spec = operations.get(rule.endpoint)
            if spec is None:
                op = {
                    "summary": f"{rule.endpoint} (not described yet)",
                    "x-undocumented": True,
                    "responses": {"default": {"description": "Undocumented"}},
                }
            else:
                op = {k: v for k, v in spec.items() if k != "parameters"}
                op["parameters"] = path_params + list(spec.get("parameters", []))
                op["responses"] = dict(spec["responses"])
                if path_params:
                    op["responses"].setdefault("404", _error("Not found"))
            op["operationId"] = rule.endpoint if len(methods) == 1 else f"{rule.endpoint}.{method.lower()}"
            op["x-endpoint"] = rule.endpoint
            if not op.get("parameters"):
                op.pop("parameters", None)
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Hamvatan Fund public API",
            "version": "1",
            "description": "Public, read-only JSON: the fund's ledger with signed checkpoints and proofs, "
            "published projects, and the transparency figures. Amounts are integers in minor units. "
            "No personal data: backers appear only under the label they chose to show.",
            "license": {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": SCHEMAS},
    }
