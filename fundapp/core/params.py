"""Numbers read from URLs, query strings and forms: ASCII digits only, within what the database
can hold. ``str.isdigit`` says yes to ``²`` and ``٣``, which ``int`` then refuses or reads; a
database id beyond 64 bits makes the driver fail. Both must answer 404 or 400, never 500."""

from __future__ import annotations

import re

from flask import request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1  # the largest id a BIGINT (and SQLite's INTEGER) holds
_WHOLE = re.compile(r"[0-9]{1,19}")


def whole_number(raw) -> int | None:
    """``raw`` (stripped) as a non-negative whole number of ASCII digits, or None."""
    if raw is None:
        return None
    text = str(raw).strip()
    if not _WHOLE.fullmatch(text):
        return None
    return int(text)


def parse_id(raw) -> int | None:
    """A database id (1 … 2⁶³−1) written in ASCII digits, or None."""
    value = whole_number(raw)
    return value if value is not None and 1 <= value <= MAX_ID else None


def page_arg(name: str = "page", *, default: int = 1, high: int = 10_000) -> int:
    """A page number from the query string: anything not a whole number in 1…high gives the
    default page."""
    value = whole_number(request.args.get(name))
    return value if value is not None and 1 <= value <= high else default


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: ASCII digits and at most 2⁶³−1, otherwise the URL is a 404."""

    regex = r"[0-9]{1,19}"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app) -> None:
    # Set before any blueprint adds its rules (core is the first domain), so every <int:…> uses it.
    app.url_map.converters["int"] = IdConverter
