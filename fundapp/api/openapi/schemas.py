"""The shared pieces of the OpenAPI document: limits, the JSON Schemas of the components, and
small builders of responses."""

from __future__ import annotations

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
