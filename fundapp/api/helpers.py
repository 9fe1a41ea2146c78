"""Shared API helpers: one error shape."""

from __future__ import annotations

from flask import jsonify


class BadParameter(ValueError):
    """A query parameter that cannot be read: a 400 with a message naming it."""


def api_error(status: int, message: str):
    """``{"error": {"status": …, "message": …}}`` — the shape the core error handler uses for
    ``/api/`` paths too."""
    return jsonify(error={"status": status, "message": message}), status
