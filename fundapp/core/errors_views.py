"""Custom error pages: a clear message in the user's language, never a stack trace."""

import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from fundapp.extensions import db

from .errors import DomainError

log = logging.getLogger("fundapp")


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _titles():
    return {
        400: _("The request could not be understood."),
        403: _("You do not have access to this page."),
        404: _("This page does not exist."),
        405: _("This action is not allowed here."),
        409: _("This action conflicts with the current state."),
        413: _("The file or form is too large."),
        429: _("Too many attempts. Please wait a little and try again."),
        500: _("Something went wrong on our side. It has been logged; please try again later."),
    }


def render_error(status: int, message: str | None = None):
    title = _titles().get(status, _("The request could not be completed."))
    if _wants_json():
        return jsonify(error={"status": status, "message": str(message or title)}), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def init_app(app):
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_error(400, _("The form expired or was sent from elsewhere. Please try again."))

    @app.errorhandler(DomainError)
    def domain_error(exc):
        db.session.rollback()
        return render_error(exc.status_code, str(exc.message))

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return render_error(exc.code or 500, None)

    @app.errorhandler(Exception)
    def unexpected(exc):
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if app.config.get("TESTING") and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise exc
        return render_error(500)
