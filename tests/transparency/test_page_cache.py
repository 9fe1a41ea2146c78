"""The page cache in front of Flask (``fundapp.core.pagecache``): who gets a cached page, which
pages, in which language, for how long — and that public pages need no session at all."""

from __future__ import annotations

import re

import pytest

from fundapp.core import pagecache
from fundapp.core.i18n import visitor_locale
from fundapp.extensions import db
from tests.conftest import login_as

TTL = 60


@pytest.fixture
def cached(app):
    """The app with the cache on, and the list of requests that reached Flask behind it."""
    app.config["TRANSPARENCY_CACHE_SECONDS"] = TTL
    cache = app.extensions["page_cache"]
    inner = cache.wsgi_app
    reached = []

    def counting(environ, start_response):
        reached.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        return inner(environ, start_response)

    cache.wsgi_app = counting
    yield reached
    cache.wsgi_app = inner
    cache.clear()


def _lang(response) -> str:
    return re.search(r'<html lang="([a-z]+)"', response.get_data(as_text=True)).group(1)


def test_a_hit_is_the_same_response_without_reaching_flask(app, cached):
    """Does a second anonymous visitor get exactly the first one's status, headers and body, without
    the request reaching Flask; and does a HEAD get the same headers with no body?"""
    first = app.test_client().get("/transparency")
    second = app.test_client().get("/transparency")
    assert first.status_code == second.status_code == 200
    assert cached == [("GET", "/transparency")]
    assert second.get_data() == first.get_data()
    assert sorted(second.headers.items()) == sorted(first.headers.items())
    assert {v.strip() for v in first.headers["Vary"].split(",")} >= {"Cookie", "Accept-Language"}
    assert "Content-Security-Policy" in second.headers and "Set-Cookie" not in second.headers
    head = app.test_client().head("/transparency")
    assert cached == [("GET", "/transparency")]
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Length"] == first.headers["Content-Length"]


def test_a_head_that_misses_reaches_flask_and_is_not_stored(app, cached):
    """Is a HEAD with nothing cached answered by the app (headers only) and never stored as a page?"""
    head = app.test_client().head("/")
    assert head.status_code == 200 and head.get_data() == b""
    page = app.test_client().get("/")
    assert cached == [("HEAD", "/"), ("GET", "/")]
    assert page.get_data() and page.headers["Content-Length"] == head.headers["Content-Length"]


def test_signed_in_people_and_any_session_bypass_the_cache(app, cached, make_user):
    """Does a signed-in member, or anyone with a session or "remember me" cookie or an Authorization
    header, always reach the app — and never leave a page in the cache for anonymous visitors?"""
    member = app.test_client()
    login_as(member, make_user("member"))
    for _ in range(2):
        r = member.get("/transparency")
        assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
        assert "Sign out" in r.get_data(as_text=True)
    with_session = app.test_client()
    with_session.set_cookie(app.config["SESSION_COOKIE_NAME"], "anything")
    with_session.get("/transparency")
    remembered = app.test_client()
    remembered.set_cookie("remember_token", "anything")
    remembered.get("/transparency")
    app.test_client().get("/transparency", headers={"Authorization": "Bearer x"})
    assert len(cached) == 5
    anonymous = app.test_client().get("/transparency")
    assert len(cached) == 6, "a personal page was stored and served to an anonymous visitor"
    assert "Sign out" not in anonymous.get_data(as_text=True)


def test_a_visitor_with_a_message_waiting_is_never_served_from_the_cache(app, cached):
    """Does a visitor whose session holds a flash message get a fresh page with the message, and is
    that page kept out of the cache?"""
    app.test_client().get("/")  # cached
    visitor = app.test_client()
    with visitor.session_transaction() as sess:
        sess["_flashes"] = [("info", "A message for you alone")]
    r = visitor.get("/")
    assert "A message for you alone" in r.get_data(as_text=True)
    assert cached == [("GET", "/"), ("GET", "/")]
    assert "A message for you alone" not in app.test_client().get("/").get_data(as_text=True)
    assert len(cached) == 2


def test_each_language_gets_its_own_page(app, cached):
    """Do readers of Tajik, Russian and English each get the page in their language — the chosen
    language cookie winning over the browser's, and a cached Russian page never going to a Tajik
    reader?"""

    def get(accept, cookie=None):
        c = app.test_client()
        if cookie:
            c.set_cookie("lang", cookie)
        return c.get("/transparency", headers={"Accept-Language": accept})

    assert _lang(get("ru-RU,ru;q=0.9")) == "ru"
    assert _lang(get("tg")) == "tg"
    assert _lang(get("ru", cookie="tg")) == "tg"
    assert _lang(get("tg", cookie="en")) == "en"
    assert _lang(get("")) == "tg"  # the default
    reached = len(cached)
    assert _lang(get("ru-RU,ru;q=0.9")) == "ru"
    assert _lang(get("ru", cookie="tg")) == "tg"
    assert len(cached) == reached  # the same readers again: from the cache
    assert reached == 3  # one page per language: the Tajik cookie, "tg" and the default share one


@pytest.mark.parametrize(
    ("accept", "cookie"),
    [("ru", None), ("en-GB,en;q=0.8", None), ("ru", "en"), ("de", None), ("", "xx"), ("fr, ru;q=0.1", None)],
)
def test_the_cache_key_uses_the_language_the_app_picks(app, accept, cookie):
    """Is the language in the cache key always the one the app itself renders for that visitor?"""
    c = app.test_client()
    if cookie:
        c.set_cookie("lang", cookie)
    rendered = _lang(c.get("/", headers={"Accept-Language": accept}))
    assert rendered == visitor_locale(
        tuple(app.config["LANGUAGES"]), app.config["BABEL_DEFAULT_LOCALE"], cookie, accept
    )


def test_posts_and_other_pages_are_never_cached(app, cached):
    """Do a POST to a cached URL, the sign-in page and a 404 always reach the app?"""
    c = app.test_client()
    c.get("/")
    assert c.post("/").status_code == 405
    assert c.post("/").status_code == 405
    for _ in range(2):
        assert app.test_client().get("/login").status_code == 200
        assert app.test_client().get("/projects/999999").status_code == 404
    others = [("GET", "/login"), ("GET", "/projects/999999")]
    assert cached == [("GET", "/"), ("POST", "/"), ("POST", "/"), *others, *others]


def test_entries_expire_after_the_cache_period(app, cached, monkeypatch):
    """Is a page served from the cache until the period is over, and rendered again after?"""
    now = [1000.0]
    monkeypatch.setattr(pagecache, "clock", lambda: now[0])
    app.test_client().get("/")
    now[0] += TTL - 1
    app.test_client().get("/")
    assert len(cached) == 1
    now[0] += 2
    app.test_client().get("/")
    assert len(cached) == 2


def test_the_cache_is_bounded(app, cached):
    """With room for two pages, is the least recently used one dropped for a third?"""
    app.config["PAGE_CACHE_MAX_ENTRIES"] = 2
    for q in ("a", "b", "a", "c", "a", "b"):
        app.test_client().get(f"/projects?q={q}")
    # a, b stored; a hit; c evicts b; a hit; b again rendered
    assert [p for _, p in cached] == ["/projects"] * 4
    assert len(app.extensions["page_cache"].entries) == 2


def test_the_cache_is_off_when_the_period_is_zero_or_it_is_disabled(app):
    """With TRANSPARENCY_CACHE_SECONDS = 0 (as under test), or PAGE_CACHE_ENABLED off, is nothing
    stored?"""
    app.test_client().get("/")
    app.config.update(TRANSPARENCY_CACHE_SECONDS=TTL, PAGE_CACHE_ENABLED=False)
    app.test_client().get("/")
    assert not app.extensions["page_cache"].entries


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        ("200 OK", [("Set-Cookie", "session=x; Path=/")]),
        ("200 OK", [("Cache-Control", "no-store")]),
        ("404 NOT FOUND", []),
        ("200 OK", "no length"),
    ],
)
def test_responses_that_are_personal_or_not_ok_are_not_stored(app, status, headers):
    """Is a response that sets a cookie, says no-store, is not a 200, or has no known length
    (streamed) passed on and never stored?"""
    app.config["TRANSPARENCY_CACHE_SECONDS"] = TTL
    body = b"<p>page</p>"
    hdrs = [("Content-Type", "text/html")]
    if headers != "no length":
        hdrs += [("Content-Length", str(len(body))), *headers]

    def fake(environ, start_response):
        start_response(status, list(hdrs))
        return [body]

    cache = pagecache.PageCache(app, fake)
    got = {}

    def start_response(s, h, exc_info=None):
        got.update(status=s, headers=h)

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": "", "SERVER_NAME": "localhost"}
    environ.update({"SERVER_PORT": "80", "wsgi.url_scheme": "http", "HTTP_HOST": "localhost"})
    assert b"".join(cache(dict(environ), start_response)) == body
    assert got["status"] == status
    assert not cache.entries


def test_anonymous_public_pages_set_no_cookie_and_carry_no_token(app, project_in, books):
    """Does every cached public page answer a visitor who is not signed in with no Set-Cookie and
    no CSRF token, with the cache off and on?"""
    project = project_in("fundraising")
    books.donate(project, 10_000)
    books.seal()
    urls = [
        "/",
        "/projects",
        f"/projects/{project.id}",
        f"/projects/{project.id}/money",
        "/transparency",
        "/transparency/ledger",
        "/transparency/verify",
        "/transparency/data",
        "/council",
        "/api/v1/projects",
        f"/api/v1/projects/{project.id}",
        "/api/v1/transparency/totals",
        f"/api/v1/transparency/projects/{project.id}/money",
        "/api/v1/openapi.json",
    ]
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: forms would need a token
    for ttl in (0, TTL, TTL):
        app.config["TRANSPARENCY_CACHE_SECONDS"] = ttl
        for url in urls:
            r = app.test_client().get(url)
            assert r.status_code == 200, url
            assert "Set-Cookie" not in r.headers, url
            assert "csrf_token" not in r.get_data(as_text=True), url
    app.extensions["page_cache"].clear()


def test_anonymous_language_switch_needs_no_session(app, client):
    """Does the language switch of a visitor who is not signed in (a GET) set only the language
    cookie, send them back to a local page, and refuse to send them elsewhere?"""
    page = client.get("/transparency").get_data(as_text=True)
    assert re.search(r'<form method="get" action="/language" class="lang-switch">', page)
    r = client.get("/language?next=/transparency&lang=ru")
    assert r.status_code == 302 and r.headers["Location"].endswith("/transparency")
    cookies = r.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith("lang=ru") and "HttpOnly" in cookies[0]
    assert _lang(client.get("/transparency")) == "ru"
    assert "evil" not in client.get("/language?next=//evil.example/&lang=en").headers["Location"]


def test_signed_in_language_switch_still_posts_and_saves_the_profile(app, client_for):
    """Does a signed-in person still get the CSRF-protected POST form, and does a GET switch change
    their pages but leave their stored profile alone (a GET changes no stored data)?"""
    c, user = client_for("member")
    page = c.get("/transparency").get_data(as_text=True)
    assert re.search(r'<form method="post" action="/language" class="lang-switch">', page)
    before = user.preferred_language
    r = c.get("/language?next=/me&lang=ru")
    assert r.status_code == 302
    assert _lang(c.get("/me")) == "ru"
    db.session.expire_all()
    assert user.preferred_language == before
    c.post("/language", data={"lang": "en", "next": "/me"})
    db.session.expire_all()
    assert user.preferred_language == "en"
