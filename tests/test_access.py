"""Who may reach what: every route of the application, for every role.

Expectations come from the views' own markers (``@public``, ``@roles_required``), so this test
keeps guarding the routes other domains add; the accounts routes whose answer depends on the
person's state are listed explicitly below.

A route that may be reached but needs a query parameter or a record that an empty database does
not have (``/api/v1/ledger/checkpoint`` before the first checkpoint) may answer 400 or 404 to
those allowed in; what it may never do is let in someone who is not allowed, shut out someone
who is (403 or the sign-in page), or fail (5xx). The foundation's own routes must answer exactly.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import url_for
from werkzeug.routing.converters import AnyConverter, IntegerConverter

from fundapp.core.security import ROLES_ATTR, is_public_endpoint
from tests.conftest import login_as

ROLES = ("anonymous", "member", "reviewer", "administrator", "treasurer", "auditor")
STAFF = ("reviewer", "administrator", "treasurer", "auditor")
OK, REDIRECT = 200, 302
# answers to an allowed person that mean "nothing here yet" or "say which", not "keep out"
EMPTY_DATABASE_ANSWERS = (400, 404)
EXACT_BLUEPRINTS = ("core", "accounts")

# GET answers that depend on who is asking, not only on the markers. "login" means a redirect
# to the sign-in page.
EXPLICIT = {
    # signed-in people are sent on from the sign-in and registration pages
    "accounts.login": {"anonymous": OK, **dict.fromkeys(ROLES[1:], REDIRECT)},
    "accounts.register": {"anonymous": OK, **dict.fromkeys(ROLES[1:], REDIRECT)},
    # the code page needs a password step first; members (no TOTP) are sent to set it up
    "accounts.mfa_verify": {"anonymous": REDIRECT, "member": REDIRECT, **dict.fromkeys(STAFF, OK)},
    # a step-up needs TOTP: members without it are sent to set it up
    "accounts.step_up": {"anonymous": "login", "member": REDIRECT, **dict.fromkeys(STAFF, OK)},
    # the language switch (a GET form for visitors not signed in) sends everyone back to a page
    "core.set_language": dict.fromkeys(ROLES, REDIRECT),
    # the Plan's review queue is for members of the Ministry's organisation (none here), its
    # reports to the Ministry for them, administrators and auditors
    "plan.review_queue": {"anonymous": "login", **dict.fromkeys(ROLES[1:], 403)},
    "plan.ministry_reports": {
        "anonymous": "login",
        **dict.fromkeys(ROLES[1:], 403),
        "administrator": OK,
        "auditor": OK,
    },
    # staff and admins of verified organisations add to the library; nobody else has the form
    "community.library_new": {**dict.fromkeys(ROLES, 403), "anonymous": "login", "administrator": OK},
}


def _expected(app, endpoint: str, role: str):
    if endpoint in EXPLICIT:
        return EXPLICIT[endpoint][role]
    view = app.view_functions[endpoint]
    if is_public_endpoint(app, endpoint):
        return OK
    if role == "anonymous":
        return "login"
    roles = getattr(view, ROLES_ATTR, None)
    if roles is None:
        return OK
    return OK if role in roles else 403


def _rules(app):
    return sorted(app.url_map.iter_rules(), key=lambda r: r.rule)


def _clients(app, make_user):
    clients = {"anonymous": app.test_client()}
    for role in ROLES[1:]:
        user = make_user(role)
        c = app.test_client()
        login_as(c, user)
        clients[role] = c
    return clients


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


def test_every_get_route_answers_each_role_as_marked(app, make_user):
    """Does every GET route without URL parameters give exactly the expected status to each role
    (public 200; login-only: login for anonymous, 200 for members; role-guarded: 200 for holders,
    403 for others)?"""
    clients = _clients(app, make_user)
    checked, problems = 0, []
    for rule in _rules(app):
        if "GET" not in rule.methods or rule.arguments:
            continue
        for role in ROLES:
            expected = _expected(app, rule.endpoint, role)
            r = clients[role].get(rule.rule)
            checked += 1
            if expected == "login":
                ok = _is_login_redirect(r)
            elif expected == OK and rule.endpoint.split(".")[0] not in EXACT_BLUEPRINTS:
                ok = r.status_code == OK or r.status_code in EMPTY_DATABASE_ANSWERS
            else:
                ok = r.status_code == expected
            if not ok:
                problems.append(f"{role:13s} GET {rule.rule} → {r.status_code}, expected {expected}")
    assert checked > 20
    assert not problems, "\n".join(problems)


def _sample_url(app, rule) -> str:
    values = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = 1 if isinstance(converter, IntegerConverter) else "x"
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def test_routes_with_parameters_send_anonymous_to_login(app):
    """Is every non-public route with URL parameters closed to anonymous visitors (sent to sign in),
    and does no public one fail with a 500 on a made-up id?"""
    client = app.test_client()
    problems = []
    for rule in _rules(app):
        if not rule.arguments or rule.endpoint == "static":
            continue
        url = _sample_url(app, rule)
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        r = client.open(url, method=method)
        if is_public_endpoint(app, rule.endpoint):
            if r.status_code >= 500:
                problems.append(f"{method} {url} → {r.status_code}")
        elif not _is_login_redirect(r):
            problems.append(f"{method} {url} → {r.status_code}, expected a redirect to sign in")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("csrf", [False, True])
def test_post_only_routes_refuse_anonymous(app_factory, csrf):
    """Does every POST-only route without parameters refuse an anonymous post (sign-in redirect,
    400 for a missing CSRF token, 405) — never 200 and never 500?"""
    app = app_factory(WTF_CSRF_ENABLED=csrf)
    client = app.test_client()
    problems = []
    for rule in _rules(app):
        methods = rule.methods - {"HEAD", "OPTIONS"}
        if rule.arguments or "GET" in methods or "POST" not in methods:
            continue
        r = client.post(rule.rule, data={})
        if r.status_code == 200 or r.status_code >= 500:
            problems.append(f"POST {rule.rule} → {r.status_code}")
        elif not is_public_endpoint(app, rule.endpoint) and not (
            _is_login_redirect(r) or r.status_code in (400, 405)
        ):
            problems.append(f"POST {rule.rule} → {r.status_code}, expected sign-in, 400 or 405")
    assert not problems, "\n".join(problems)
