"""CSV that is safe to open in a spreadsheet: every file the app writes goes through here.

A cell that begins with ``=``, ``+``, ``-``, ``@`` (or their full-width forms), a tab, a carriage
return or a line feed is read by Excel and LibreOffice as a formula, so a backer's public name
``=HYPERLINK(…)`` would run on an auditor's machine: such text gets a leading apostrophe, which
spreadsheets show as text. Plain numbers (``-1165.00``) are amounts and stay as they are. Files
start with a UTF-8 byte-order mark, without which Excel reads Cyrillic and Tajik as mojibake, and
are served as ``text/csv; charset=utf-8`` (once).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

from flask import Response, stream_with_context

BOM = "\ufeff"
CONTENT_TYPE = "text/csv; charset=utf-8"
_FORMULA_START = tuple("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def safe_cell(value) -> str | int:
    """The value as a CSV cell that a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return value
    text = str(value)
    if _PLAIN_NUMBER.fullmatch(text):
        return text
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def csv_line(values: Iterable) -> str:
    """One CSV record (``\\r\\n``-terminated, as RFC 4180 says), every cell made safe."""
    buf = io.StringIO()
    csv.writer(buf).writerow([safe_cell(v) for v in values])
    return buf.getvalue()


def csv_chunks(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The whole file, byte-order mark first, a record at a time."""
    yield BOM + csv_line(header)
    for row in rows:
        yield csv_line(row)


def csv_response(chunks: Iterable[str], filename: str, *, no_store: bool = False) -> Response:
    """A download of ``chunks`` (from ``csv_chunks``), streamed."""
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if no_store:
        headers["Cache-Control"] = "no-store"
    return Response(stream_with_context(iter(chunks)), content_type=CONTENT_TYPE, headers=headers)
