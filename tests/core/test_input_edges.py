"""Input at the edges never fails the server: ids beyond 64 bits, digits that are not ASCII in
number parameters, and CR/LF in ``next``."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, login_as

HUGE = str(2**64)


@pytest.mark.parametrize(
    "path",
    [
        f"/projects/{HUGE}",
        f"/projects/{'9' * 40}",
        f"/council/{HUGE}",
        f"/projects/{HUGE}/money",
        f"/api/v1/projects/{HUGE}",
        "/projects/٣",
    ],
)
def test_ids_beyond_64_bits_are_not_found(client, path):
    """Is an id the database cannot hold (or not written in ASCII digits) a 404, not a 500?"""
    assert client.get(path).status_code == 404


def test_huge_ids_in_staff_routes_are_not_found(app, make_user):
    """Are staff routes with an id beyond 64 bits a 404 too?"""
    c = app.test_client()
    login_as(c, make_user("administrator"))
    assert (
        c.post(f"/admin/users/{HUGE}/roles", data={"role": "reviewer", "action": "grant"}).status_code == 404
    )
    assert c.get(f"/disbursements/{HUGE}").status_code == 404


@pytest.mark.parametrize("value", ["²", "٣", "1²", "9" * 5000, "-1", "1e9", " 2 ", HUGE])
@pytest.mark.parametrize("path", ["/projects?page={}", "/council?page={}", "/api/v1/projects?page={}"])
def test_number_parameters_never_fail(client, path, value):
    """Do odd numbers in ``page`` get the first page or a clear 400 — never a 500?"""
    r = client.get(path.format(value))
    assert r.status_code in (200, 400)


@pytest.mark.parametrize("value", ["²", "٣", HUGE])
def test_number_parameters_in_staff_filters_never_fail(app, make_user, value):
    """Do the audit log's actor filter and the people page's pager take odd numbers calmly?"""
    c = app.test_client()
    login_as(c, make_user("auditor"))
    assert c.get(f"/audit/?actor={value}").status_code in (200, 400)
    a = app.test_client()
    login_as(a, make_user("administrator"))
    assert a.get(f"/admin/users?page={value}").status_code == 200


@pytest.mark.parametrize("target", ["/me\r\nSet-Cookie: x=1", "/\nLocation: http://evil.example", "/%0d%0a"])
def test_crlf_in_next_on_the_language_switch_is_refused(client, target):
    """Does a ``next`` with CR/LF on ``/language`` send the visitor home instead of failing?"""
    r = client.get("/language", query_string={"lang": "ru", "next": target})
    assert r.status_code == 302
    assert "\n" not in r.headers["Location"] and "\r" not in r.headers["Location"]
    assert "Set-Cookie: x" not in str(r.headers)


def test_crlf_in_next_after_login_is_refused(client, make_user):
    """After a successful login with a CR/LF ``next``, is the person sent to their page?"""
    user = make_user()
    r = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": "/me\r\nX-Injected: 1"}
    )
    assert r.status_code == 302
    assert r.headers["Location"] in ("/me", "http://localhost/me")
    assert "X-Injected" not in r.headers
