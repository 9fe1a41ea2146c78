"""The OpenAPI 3.1 document of ``/api/v1/``, built at request time from ``app.url_map``.

Each endpoint's operation (parameters, responses with their JSON Schemas) is written down by
reading the view that serves it: in ``operations.OPERATIONS`` for the endpoints of this package,
the ledger, projects and transparency, and in ``fundapp.<domain>.api.OPERATIONS`` for a domain
that serves its own ``/api/v1/`` routes (the community). This package reads the domains' modules —
a domain never writes into the document — so the layers run one way (core → domains → api). The
path parameters come from the URL rule itself. A route nobody described still appears, marked
``x-undocumented: true`` — the test suite fails on that, so a new endpoint cannot ship without its
description.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from functools import cache

from flask import Flask

from .operations import OPERATIONS
from .schemas import API_PREFIX, MAX_INT, SCHEMAS, _error

__all__ = ["API_PREFIX", "OPERATIONS", "build_document", "domain_operations"]


@cache
def domain_operations() -> dict[str, dict]:
    """``OPERATIONS`` of every domain's ``api`` module, in the order the app loads the domains."""
    from fundapp import DOMAINS

    found: dict[str, dict] = {}
    for name in DOMAINS:
        module_name = f"fundapp.{name}.api"
        if name == "api" or importlib.util.find_spec(module_name) is None:
            continue
        found.update(getattr(importlib.import_module(module_name), "OPERATIONS", {}))
    return found


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
    operations = {**OPERATIONS, **domain_operations(), **(extra_operations or {})}
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
