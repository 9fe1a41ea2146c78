from flask import Blueprint, current_app, make_response, redirect, render_template, request, session
from flask_login import current_user

from fundapp.extensions import db

from .security import public, safe_next

bp = Blueprint("core", __name__)


@bp.get("/")
@public
def home():
    return render_template("core/home.html")


@bp.post("/language")
@public
def set_language():
    """Remember the chosen language in the session, a cookie and (signed in) the profile."""
    lang = request.form.get("lang", "")
    target = safe_next(request.form.get("next"))
    response = make_response(redirect(target))
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        response.set_cookie(
            "lang",
            lang,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
        if current_user.is_authenticated and current_user.preferred_language != lang:
            current_user.preferred_language = lang
            db.session.commit()
    return response


@bp.get("/healthz")
@public
def healthz():
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}


def register_nav(app, endpoint: str, label, roles: tuple[str, ...]) -> None:
    """Let a domain add a link to the menu for people holding any of ``roles``."""
    app.extensions.setdefault("fundapp_nav", []).append((endpoint, label, roles))


def _staff_nav():
    from flask import url_for

    items = []
    for endpoint, label, roles in current_app.extensions.get("fundapp_nav", []):
        if current_user.is_authenticated and current_user.has_any_role(*roles):
            # links for every member ("My proposals") sit beside "My page"; the rest are staff work
            items.append({"url": url_for(endpoint), "label": label, "personal": "member" in roles})
    return items


@bp.app_context_processor
def _layout_globals():
    return {
        "url_map_endpoints": lambda: current_app.view_functions.keys(),
        "staff_nav": _staff_nav,
    }
