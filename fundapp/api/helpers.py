"""Shared API helpers: one error shape, bounded integer parameters."""

from __future__ import annotations

from flask import jsonify, request

from fundapp.core.params import whole_number


class BadParameter(ValueError):
    """A query parameter that cannot be read: a 400 with a message naming it."""


def api_error(status: int, message: str):
    """``{"error": {"status": …, "message": …}}`` — the shape the core error handler uses for
    ``/api/`` paths too."""
    return jsonify(error={"status": status, "message": message}), status


def int_arg(name: str, default: int | None = None, *, low: int = 0, high: int = 10**15) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if whole_number(raw) is None or len(raw) > 16:
        raise BadParameter(f"{name} must be a whole number")
    value = int(raw)
    if not low <= value <= high:
        raise BadParameter(f"{name} must be between {low} and {high}")
    return value
