"""Security defaults: every view needs a login unless it is marked public on purpose,
role guards, an idle timeout, and strict response headers."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from flask_login import current_user, logout_user

PUBLIC_ATTR = "_fundapp_public"
# Session key holding the UTC timestamp of the last TOTP verification (login or step-up).
MFA_SESSION_KEY = "mfa_at"


def public(view):
    """Mark a view as reachable without logging in."""
    setattr(view, PUBLIC_ATTR, True)
    return view


def is_public_endpoint(app, endpoint: str | None) -> bool:
    if endpoint is None:
        return True  # 404/405 handling: no view to protect
    if endpoint == "static" or endpoint.endswith(".static"):
        return True
    view = app.view_functions.get(endpoint)
    return bool(view and getattr(view, PUBLIC_ATTR, False))


def roles_required(*roles: str):
    """Allow the view to users holding any of ``roles``; others get 403 (anonymous: login)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not current_user.has_any_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped._fundapp_roles = roles
        return wrapped

    return decorator


def safe_next(target: str | None, fallback: str = "core.home") -> str:
    """Only same-site relative paths are followed after login or a language switch."""
    if target:
        parts = urlsplit(target)
        local = not parts.scheme and not parts.netloc and target.startswith("/")
        if local and not target.startswith("//") and "\\" not in target:
            return target
    return url_for(fallback)


def _enforce_login_and_idle():
    app = current_app
    if current_user.is_authenticated:
        now = int(datetime.now(UTC).timestamp())
        last = session.get("last_seen")
        idle = int(app.config["IDLE_TIMEOUT"].total_seconds())
        if last is not None and now - int(last) > idle:
            logout_user()
            session.clear()
            if not is_public_endpoint(app, request.endpoint):
                from flask import flash
                from flask_babel import gettext as _

                flash(_("You were signed out after a period of inactivity."), "info")
                return redirect(url_for("accounts.login", next=request.full_path))
        else:
            session["last_seen"] = now
    if not is_public_endpoint(app, request.endpoint) and not current_user.is_authenticated:
        return app.login_manager.unauthorized()
    return None


def _nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _set_headers(response):
    csp = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "font-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self' https://checkout.stripe.com; frame-ancestors 'none'"
    )
    response.headers.setdefault("Content-Security-Policy", csp)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("HSTS"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    if current_user and getattr(current_user, "is_authenticated", False):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app):
    app.before_request(_enforce_login_and_idle)
    app.after_request(_set_headers)
    app.jinja_env.globals["csp_nonce"] = _nonce
