"""Security defaults: every view needs a login unless it is marked public on purpose,
role guards, a TOTP gate for staff, step-up for money-moving actions, an idle timeout, and strict
response headers."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from flask_login import current_user, logout_user

PUBLIC_ATTR = "_fundapp_public"
ROLES_ATTR = "_fundapp_roles"
STEP_UP_ATTR = "_fundapp_step_up"
# Session key holding the UTC timestamp of the last TOTP verification (login or step-up).
MFA_SESSION_KEY = "mfa_at"
# Endpoints a staff member may reach before the TOTP check: signing in and out, and the check itself.
MFA_EXEMPT_ENDPOINTS = frozenset(
    {
        "accounts.login",
        "accounts.logout",
        "accounts.mfa_verify",
        "accounts.mfa_enrol",
        "accounts.step_up",
    }
)


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


def mark_mfa_verified() -> None:
    """Record in the session that the user has just proved possession of their TOTP device."""
    session[MFA_SESSION_KEY] = _now()


def mfa_age_seconds() -> int | None:
    """Seconds since the last TOTP verification in this session, or None when there was none."""
    at = session.get(MFA_SESSION_KEY)
    if at is None:
        return None
    try:
        return _now() - int(at)
    except (TypeError, ValueError):
        return None


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

        setattr(wrapped, ROLES_ATTR, roles)
        if getattr(view, STEP_UP_ATTR, False):
            setattr(wrapped, STEP_UP_ATTR, True)
        return wrapped

    return decorator


def _step_up_target() -> str:
    """Where to come back after the step-up: the page itself for a GET; for a form post, the page
    the form was on (the post cannot be replayed by a redirect)."""
    if request.method == "GET":
        return request.full_path if request.query_string else request.path
    ref = request.referrer
    if ref:
        parts = urlsplit(ref)
        if parts.netloc == request.host:
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return url_for("accounts.dashboard")


def mfa_is_fresh() -> bool:
    """Has this session passed a TOTP check within ``STEP_UP_WINDOW``?"""
    age = mfa_age_seconds()
    window = int(current_app.config["STEP_UP_WINDOW"].total_seconds())
    return age is not None and 0 <= age <= window


# Keeps a form post stopped by the step-up, to finish it after the code (set by the accounts
# domain: ``fundapp.accounts.stepup.hold``); returns whether it could.
_step_up_holder = None


def set_step_up_holder(fn) -> None:
    global _step_up_holder
    _step_up_holder = fn


def _redirect_to_step_up():
    from flask import flash
    from flask_babel import gettext as _

    target = _step_up_target()
    if request.method == "POST" and _step_up_holder is not None:
        _step_up_holder(target)  # the post is finished after the code when it could be kept
    flash(_("Please confirm it is you with a fresh code from your authenticator app."), "info")
    return redirect(url_for("accounts.step_up", next=target))


def step_up_required(view):
    """Require a TOTP verification within ``STEP_UP_WINDOW`` (approving or executing money).

    Otherwise the user is sent to ``accounts.step_up``; a form post is kept and finished after
    the code (``fundapp.accounts.stepup``), a page is shown again."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if not mfa_is_fresh():
            return _redirect_to_step_up()
        return view(*args, **kwargs)

    setattr(wrapped, STEP_UP_ATTR, True)
    for attr in (ROLES_ATTR, PUBLIC_ATTR):
        if hasattr(view, attr):
            setattr(wrapped, attr, getattr(view, attr))
    return wrapped


def safe_next(target: str | None, fallback: str = "core.home") -> str:
    """Only same-site relative paths are followed after login or a language switch. Control
    characters (a CR/LF would split the Location header) send the person to ``fallback``."""
    if target and any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        target = None
    if target:
        parts = urlsplit(target)
        local = not parts.scheme and not parts.netloc and target.startswith("/")
        if local and not target.startswith("//") and "\\" not in target:
            return target
    return url_for(fallback)


def _enforce_login_and_idle():
    app = current_app
    if current_user.is_authenticated:
        now = _now()
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
    return _enforce_staff_mfa()


def _enforce_staff_mfa():
    """Staff reach nothing but signing in/out and the TOTP pages until this session has passed a
    TOTP check; a staff member without TOTP is sent to enrol first."""
    if not current_user.is_authenticated or not current_user.is_staff:
        return None
    endpoint = request.endpoint
    if endpoint in MFA_EXEMPT_ENDPOINTS or is_public_endpoint(current_app, endpoint):
        return None
    if session.get(MFA_SESSION_KEY) is not None:
        return None
    target = request.full_path if request.query_string else request.path
    if current_user.totp_enabled_at is None or not current_user.totp_secret:
        return redirect(url_for("accounts.mfa_enrol", next=target))
    return redirect(url_for("accounts.mfa_verify", next=target))


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
    if _is_token_page():
        # A page reached by a secret link (password reset, email confirmation, a donation's
        # receipt) is never kept by a browser or proxy, and its address never sent on as a Referer.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


# Pages whose address carries a secret besides those with a ``<token>`` in the URL.
TOKEN_ENDPOINTS = frozenset({"funding.checkout_return"})


def _is_token_page() -> bool:
    return bool(request.view_args and "token" in request.view_args) or request.endpoint in TOKEN_ENDPOINTS


def _fresh_request_state():
    """Each request loads its user and language afresh. (The test suite runs many requests in one
    application context, whose ``g`` would otherwise keep the previous request's user and locale.)"""
    g.pop("_login_user", None)
    from flask_babel import refresh

    refresh()


def init_app(app):
    from .errors import StepUpRequired

    app.register_error_handler(StepUpRequired, lambda exc: _redirect_to_step_up())
    app.before_request(_fresh_request_state)
    app.before_request(_enforce_login_and_idle)
    app.after_request(_set_headers)
    app.jinja_env.globals["csp_nonce"] = _nonce
