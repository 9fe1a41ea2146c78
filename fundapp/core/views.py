from flask import Blueprint, current_app, make_response, redirect, render_template, request, session
from flask_login import current_user

from fundapp.extensions import db

from .security import public, safe_next

bp = Blueprint("core", __name__)


@bp.get("/")
@public
def home():
    return render_template("core/home.html")


@bp.route("/language", methods=["GET", "POST"])
@public
def set_language():
    """Remember the chosen language in a cookie; signed in, also in the session and the profile.

    Visitors who are not signed in choose with a plain GET form (``?lang=&next=``), so the public
    pages carry no per-visitor token and need no session: they are the same for every anonymous
    reader and can be cached whole (``fundapp.core.pagecache``). Saving a signed-in person's
    profile changes stored data, so it happens only on the POST form, which CSRF protects."""
    lang = request.values.get("lang", "")
    target = safe_next(request.values.get("next"))
    response = make_response(redirect(target))
    response.headers["Cache-Control"] = "no-store"
    if lang in current_app.config["LANGUAGES"]:
        # A session already holding a language (or a signed-in one) must follow the new choice,
        # since the session's choice wins over the cookie; no session is created for anyone else.
        if request.method == "POST" or current_user.is_authenticated or "lang" in session:
            session["lang"] = lang
        response.set_cookie(
            "lang",
            lang,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
        if (
            request.method == "POST"
            and current_user.is_authenticated
            and current_user.preferred_language != lang
        ):
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
