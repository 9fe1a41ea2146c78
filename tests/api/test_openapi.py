"""The OpenAPI document describes every /api/v1/ endpoint, and the endpoints keep to it."""

from __future__ import annotations

import re

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fundapp.api.openapi import build_document


def _api_rules(app):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/")]


def test_every_api_route_is_described(app, client):
    """Is every /api/v1/ route and method in the document, with a written description (no route
    marked x-undocumented)?"""
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    described = {(path, method) for path, item in doc["paths"].items() for method in item}
    missing = []
    for rule in _api_rules(app):
        path = rule.rule
        for arg in rule.arguments:
            path = re.sub(r"<[^>]*\b" + arg + ">", "{" + arg + "}", path)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (path, method.lower()) not in described:
                missing.append(f"{method} {rule.rule}")
    assert missing == []
    undocumented = [
        f"{method.upper()} {path}"
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if op.get("x-undocumented")
    ]
    assert undocumented == [], "describe these in fundapp/api/openapi.py OPERATIONS"
    assert len(_api_rules(app)) >= 10


def test_a_new_route_without_description_is_caught(app):
    """If a domain adds an /api/v1/ route and nobody describes it, does the document flag it (so
    the test above fails)?"""
    from flask import Flask

    other = Flask("probe")
    other.add_url_rule("/api/v1/new/<int:thing_id>", "probe.new", lambda thing_id: "")
    doc = build_document(other)
    op = doc["paths"]["/api/v1/new/{thing_id}"]["get"]
    assert op["x-undocumented"] is True


def test_path_parameters_follow_the_url_rules(client):
    """Are <int:…> and <any(…)> converters described as bounded integers and enums?"""
    doc = client.get("/api/v1/openapi.json").get_json()
    proof = doc["paths"]["/api/v1/ledger/entries/{seq}/proof"]["get"]
    seq = next(p for p in proof["parameters"] if p["name"] == "seq")
    assert seq["in"] == "path" and seq["schema"]["type"] == "integer" and seq["schema"]["minimum"] == 0
    breakdown = next(p for p in doc["paths"] if p.startswith("/api/v1/transparency/breakdown/"))
    dim = doc["paths"][breakdown]["get"]["parameters"][0]
    assert "region" in dim["schema"]["enum"] and "country" in dim["schema"]["enum"]


def test_errors_share_one_shape(client):
    """Do API errors come back as JSON with an "error" member (never an HTML page)?"""
    for url in (
        "/api/v1/transparency/projects/999999/money",
        "/api/v1/transparency/breakdown/region?metric=nonsense",
        "/api/v1/no-such-thing",
    ):
        r = client.get(url)
        assert r.status_code in (400, 404)
        assert r.is_json and "error" in r.get_json()


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_schema_break(app, funded_books):
    """Generating requests from the document for every operation (a few examples each), is there
    any 5xx, undocumented status, wrong content type or response that breaks its schema?"""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    ran = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=8,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        def run(case):
            case.call_and_validate(checks=checks)

        run()
        ran.append(operation.label)
    assert len(ran) >= 10
