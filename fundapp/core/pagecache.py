"""A shared-nothing micro-cache in front of Flask for anonymous reads of the public pages.

Public pages are the same for every visitor who is not signed in (the layout carries no
per-visitor token for them: the language switch is a GET form), so one rendering can serve them
all for a few seconds. This WSGI middleware keeps, per process, whole responses — status, headers
and body — and answers from them without entering Flask at all (no session, login manager, locale
selection, hooks or database).

A request is served from, or stored in, the cache only when all of these hold:

- it is a GET or HEAD (a HEAD is answered from a GET's entry, without the body; a HEAD that
  misses is passed on and never stored);
- ``TRANSPARENCY_CACHE_SECONDS`` is above 0 (0 under ``TESTING``: off) and ``PAGE_CACHE_ENABLED``
  is not false (it turns off this cache alone, keeping the views' own caches);
- it carries no session cookie, no "remember me" cookie and no ``Authorization`` header — a
  visitor with a session may be signed in or have a message waiting (flashes live in the session);
- its endpoint is in ``CACHEABLE_ENDPOINTS``, pages checked to be the same for every anonymous
  visitor (never a form with a token, never a download, never the ledger's proofs API);
- the response is a 200 with a ``Content-Length`` of at most ``PAGE_CACHE_MAX_ENTRY_BYTES``, sets no
  cookie and does not say ``no-store``/``private``.

The key is the host and scheme (absolute links in the API answers), the path, the query string and
the language the app would pick for the visitor (``fundapp.core.i18n.visitor_locale`` of the
``lang`` cookie and ``Accept-Language``), so a reader of Tajik never gets the Russian page.
Entries live ``TRANSPARENCY_CACHE_SECONDS``; the cache holds at most ``PAGE_CACHE_MAX_ENTRIES``
entries and ``PAGE_CACHE_MAX_BYTES`` bytes, dropping the least recently used first. Responses of
these pages to anonymous visitors say ``Vary: Cookie, Accept-Language`` (from the cache or not).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_cookie

from fundapp.core.i18n import visitor_locale

# Endpoints whose GET answer is the same for every visitor who is not signed in.
CACHEABLE_ENDPOINTS = frozenset(
    {
        "core.home",
        "proposals.list_projects",
        "proposals.project_detail",
        "transparency.dashboard",
        "transparency.ledger",
        "transparency.project_money",
        "transparency.verify",
        "transparency.data",
        "council.list_decisions",
        "council.decision_detail",
        "proposals_api.projects",
        "proposals_api.project",
        "api.openapi_document",
        "api.transparency_totals",
        "api.transparency_breakdown",
        "api.transparency_project_money",
    }
)
VARY = ("Cookie", "Accept-Language")
# Raw request values (before any ProxyFix) that change absolute links in a response.
_ORIGIN_KEYS = (
    "HTTP_HOST",
    "wsgi.url_scheme",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "SCRIPT_NAME",
)

clock = time.monotonic  # tests move the clock


def cache_seconds(app) -> int:
    """The cache period of the public pages (``TRANSPARENCY_CACHE_SECONDS``; 0 = no caching)."""
    return int(app.config.get("TRANSPARENCY_CACHE_SECONDS", 0 if app.testing else 5) or 0)


@dataclass(frozen=True, slots=True)
class Entry:
    expires: float
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


def _with_vary(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``headers`` with one ``Vary`` naming ``Cookie`` and ``Accept-Language`` (and any others)."""
    names: list[str] = []
    rest = []
    for name, value in headers:
        if name.lower() == "vary":
            names += [v.strip() for v in value.split(",") if v.strip()]
        else:
            rest.append((name, value))
    for name in VARY:
        if name.lower() not in {n.lower() for n in names}:
            names.append(name)
    return [*rest, ("Vary", ", ".join(names))]


def _storable(status: str, headers: list[tuple[str, str]], max_bytes: int) -> bool:
    if not status.startswith("200 "):
        return False
    length = None
    for name, value in headers:
        lname = name.lower()
        if lname == "set-cookie":
            return False
        if lname == "cache-control" and ("no-store" in value or "private" in value):
            return False
        if lname == "content-length":
            length = value
    return length is not None and length.isdigit() and int(length) <= max_bytes


class PageCache:
    """WSGI middleware: ``app.wsgi_app = PageCache(app, app.wsgi_app)`` (done by the factory)."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    # -- the store ----------------------------------------------------------------------------
    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0

    def _get(self, key: tuple) -> Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            if entry.expires <= clock():
                del self.entries[key]
                self.size -= len(entry.body)
                return None
            self.entries.move_to_end(key)
            return entry

    def _put(self, key: tuple, entry: Entry) -> None:
        config = self.app.config
        max_entries = int(config.get("PAGE_CACHE_MAX_ENTRIES", 1000))
        max_bytes = int(config.get("PAGE_CACHE_MAX_BYTES", 64 * 1024 * 1024))
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= len(old.body)
            self.entries[key] = entry
            self.size += len(entry.body)
            while self.entries and (len(self.entries) > max_entries or self.size > max_bytes):
                _, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped.body)

    # -- deciding ------------------------------------------------------------------------------
    def _key(self, environ) -> tuple | None:
        """The cache key of an anonymous GET/HEAD, or None when this request must reach Flask."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or environ.get("HTTP_AUTHORIZATION"):
            return None
        config = self.app.config
        lang_cookie = None
        raw = environ.get("HTTP_COOKIE")
        if raw:
            cookies = parse_cookie(raw)
            if config["SESSION_COOKIE_NAME"] in cookies:
                return None
            if config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies:
                return None
            lang_cookie = cookies.get("lang")
        locale = visitor_locale(
            tuple(config["LANGUAGES"]),
            config["BABEL_DEFAULT_LOCALE"],
            lang_cookie,
            environ.get("HTTP_ACCEPT_LANGUAGE", ""),
        )
        return (
            *(environ.get(k, "") for k in _ORIGIN_KEYS),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            locale,
        )

    def _cacheable_endpoint(self, environ) -> bool:
        adapter = self.app.url_map.bind_to_environ(environ)
        try:
            endpoint, _ = adapter.match(method="GET")
        except HTTPException:  # 404, 405, a redirect to the canonical URL
            return False
        return endpoint in CACHEABLE_ENDPOINTS

    # -- serving -------------------------------------------------------------------------------
    @staticmethod
    def _no_write(data: bytes) -> None:
        raise RuntimeError("the page cache does not support the WSGI write() callable")  # Flask never uses it

    def __call__(self, environ, start_response):
        ttl = cache_seconds(self.app) if self.app.config.get("PAGE_CACHE_ENABLED", True) else 0
        key = self._key(environ) if ttl > 0 else None
        if key is None:
            return self.wsgi_app(environ, start_response)
        head = environ["REQUEST_METHOD"] == "HEAD"
        entry = self._get(key)
        if entry is not None:
            start_response(entry.status, list(entry.headers))
            return [] if head else [entry.body]
        if not self._cacheable_endpoint(environ):
            return self.wsgi_app(environ, start_response)

        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers, exc_info=exc_info)
            return self._no_write

        app_iter = self.wsgi_app(environ, capture)
        status, headers = captured["status"], _with_vary(captured["headers"])
        max_entry = int(self.app.config.get("PAGE_CACHE_MAX_ENTRY_BYTES", 1024 * 1024))
        if head or captured["exc_info"] or not _storable(status, headers, max_entry):
            start_response(status, headers, captured["exc_info"])
            return app_iter
        try:
            body = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        self._put(key, Entry(clock() + ttl, status, tuple(headers), body))
        start_response(status, headers)
        return [body]


def init_app(app) -> PageCache:
    """Put the page cache in front of ``app`` (outside every other middleware)."""
    cache = PageCache(app, app.wsgi_app)
    app.wsgi_app = cache
    app.extensions["page_cache"] = cache
    return cache
