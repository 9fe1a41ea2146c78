"""The operations of the endpoints the ``api`` package, the ledger, projects and transparency
serve, written by reading each view. Domains that serve their own ``/api/v1/`` routes describe them
in their ``api`` module's ``OPERATIONS`` (see ``fundapp.api.openapi.domain_operations``)."""

from __future__ import annotations

from .schemas import CURRENCY, HEX, INT, MAX_INT, NULLABLE_INT, _error, _json, _ref


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
