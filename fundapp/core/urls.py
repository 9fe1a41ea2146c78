"""Absolute links come only from the configured public address, never from the request.

A reset link built from the ``Host`` (or ``X-Forwarded-Host``) header of the request that asked
for it would send the token to whoever forged that header. So every absolute URL the app builds —
``url_for(..., _external=True)`` in mail, in Stripe return addresses, in the API — is joined to
``PUBLIC_BASE_URL``, inside a request or outside one (command line, scheduled jobs). Requests for
any host not in ``TRUSTED_HOSTS`` are refused with 400 before a view runs.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import Flask
from flask.globals import _cv_request
from werkzeug.routing import BuildError

DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"
DEVELOPMENT_HOSTS = ("localhost", "127.0.0.1")
_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"


class FundApp(Flask):
    """Flask, with external URLs built on ``PUBLIC_BASE_URL``."""

    def url_for(self, endpoint, *, _anchor=None, _method=None, _scheme=None, _external=None, **values):
        req_ctx = _cv_request.get(None)
        external = _external if _external is not None else (req_ctx is None or _scheme is not None)
        base = self.config.get("PUBLIC_BASE_URL")
        # A request for a refused host has no URL adapter; its error page still needs links.
        refused_host = req_ctx is not None and req_ctx.url_adapter is None
        if not base or (not external and not refused_host):
            return super().url_for(
                endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external, **values
            )
        if req_ctx is not None and endpoint[:1] == ".":
            blueprint = req_ctx.request.blueprint
            endpoint = f"{blueprint}{endpoint}" if blueprint else endpoint[1:]
        parts = urlsplit(base)
        adapter = self.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
        self.inject_url_defaults(endpoint, values)
        try:
            rv = adapter.build(endpoint, values, method=_method, force_external=external)
        except BuildError as error:
            values.update(_anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external)
            return self.handle_url_build_error(error, endpoint, values)
        if _anchor is not None:
            rv = f"{rv}#{quote(_anchor, safe=_ANCHOR_SAFE)}"
        return rv


def public_url(endpoint: str, **values) -> str:
    """An absolute link on the fund's public address (for mail and other channels)."""
    from flask import url_for

    return url_for(endpoint, _external=True, **values)


def configure(app: Flask) -> None:
    """Settle ``PUBLIC_BASE_URL`` and ``TRUSTED_HOSTS``. Production must name its address; in
    development the local server's address is assumed."""
    base = (app.config.get("PUBLIC_BASE_URL") or "").strip().rstrip("/")
    if not base:
        if app.config.get("PRODUCTION"):
            raise RuntimeError("PUBLIC_BASE_URL must be set in production (e.g. https://hamvatan.tj)")
        base = DEVELOPMENT_BASE_URL
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise RuntimeError(f"PUBLIC_BASE_URL is not an http(s) address: {base!r}")
    app.config["PUBLIC_BASE_URL"] = base
    hosts = app.config.get("TRUSTED_HOSTS")
    if isinstance(hosts, str):
        hosts = [h.strip() for h in hosts.split(",") if h.strip()]
    if not hosts:
        hosts = [parts.hostname]
        if not app.config.get("PRODUCTION"):
            hosts += [h for h in DEVELOPMENT_HOSTS if h not in hosts]
    app.config["TRUSTED_HOSTS"] = list(hosts)
