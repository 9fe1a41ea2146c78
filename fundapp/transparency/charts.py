"""Server-rendered SVG charts: readable at a glance, accessible, no JavaScript.

Each helper returns a :class:`Chart`: the SVG markup (``role="img"``, ``aria-labelledby`` pointing
at its ``<title>`` and ``<desc>``) and the rows behind it, which the template shows as a table —
the same numbers, for screen readers, for copying, and for anyone who prefers to read.

Values are integers (minor units of money, or counts); nothing here rounds money: the geometry is
scaled with integer arithmetic and the labels come from a ``fmt`` callable (``format_money`` …).
Colours pass WCAG contrast on white; no ``style`` attributes (the CSP forbids them), only
presentation attributes and classes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

PALETTE = ("#0b6e4f", "#b3261e", "#1f5fa8", "#8a5a00", "#6b3fa0", "#44545c")
INK = "#1b1f1d"
GRID = "#c4ccc8"


@dataclass
class Chart:
    """An SVG chart and the table of the numbers it draws."""

    id: str
    title: str
    description: str
    svg: Markup
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.rows


def _safe_id(text: str) -> str:
    slug = re.sub(r"[^a-zA-Z0-9_-]+", "-", text).strip("-").lower()
    return slug or "chart"


def _nice_max(value: int) -> int:
    """The smallest 1/2/5×10ⁿ at or above ``value`` (an axis end a person can read)."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _scale(value: int, maximum: int, length: int) -> int:
    """Pixels for ``value`` on an axis of ``length`` pixels ending at ``maximum`` (integers only)."""
    if maximum <= 0 or value <= 0:
        return 0
    return value * length // maximum


def _open_svg(cid: str, title: str, desc: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="{cid}-title {cid}-desc" class="chart-svg" '
        f'font-family="system-ui, sans-serif" font-size="14">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(desc)}</desc>',
    ]


def _svg(parts: list[str]) -> Markup:
    """Join SVG parts built above: every piece of text in them went through ``escape``."""
    return Markup("".join(parts))  # noqa: S704 - all interpolated text is escaped


def _truncate(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def hbar_chart(
    cid: str,
    title: str,
    desc: str,
    items: Sequence[tuple[str, int]],
    *,
    fmt: Callable[[int], str] = str,
    label_header: str = "",
    value_header: str = "",
    width: int = 420,
    colour: str = PALETTE[0],
) -> Chart:
    """Horizontal bars, one per (label, value): the shape that reads best on a phone (regions,
    categories, countries, top projects). Labels sit above their bars so long names fit."""
    cid = _safe_id(cid)
    rows = [[label, fmt(value)] for label, value in items]
    bar_h, gap, label_h = 18, 10, 18
    height = max(40, len(items) * (bar_h + gap + label_h) + 10)
    out = _open_svg(cid, title, desc, width, height)
    top = max((v for _, v in items), default=0)
    maximum = _nice_max(top)
    usable = width - 10
    y = 5
    for label, value in items:
        y_label = y + 14
        out.append(
            f'<text x="0" y="{y_label}" fill="{INK}">{escape(_truncate(label, 32))} — '
            f"{escape(fmt(value))}</text>"
        )
        w = max(_scale(value, maximum, usable), 2 if value > 0 else 0)
        out.append(
            f'<rect x="0" y="{y + label_h}" width="{w}" height="{bar_h}" rx="3" fill="{colour}">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
        )
        y += bar_h + gap + label_h
    if not items:
        out.append(f'<text x="0" y="24" fill="{INK}">—</text>')
    out.append("</svg>")
    return Chart(cid, title, desc, _svg(out), [label_header, value_header], rows)


def bar_chart(
    cid: str,
    title: str,
    desc: str,
    items: Sequence[tuple[str, int]],
    *,
    fmt: Callable[[int], str] = str,
    label_header: str = "",
    value_header: str = "",
    width: int = 480,
    height: int = 260,
    colour: str = PALETTE[0],
) -> Chart:
    """Vertical bars for a few categories (projects per state …), with the axis maximum labelled."""
    cid = _safe_id(cid)
    rows = [[label, fmt(value)] for label, value in items]
    out = _open_svg(cid, title, desc, width, height)
    left, bottom, top_pad = 8, 60, 24
    plot_h = height - bottom - top_pad
    top = max((v for _, v in items), default=0)
    maximum = _nice_max(top)
    n = max(len(items), 1)
    slot = (width - left) // n
    bar_w = max(min(slot - 8, 60), 4)
    base_y = top_pad + plot_h
    out.append(f'<line x1="{left}" y1="{base_y}" x2="{width}" y2="{base_y}" stroke="{GRID}"/>')
    for i, (label, value) in enumerate(items):
        h = _scale(value, maximum, plot_h)
        x = left + i * slot + (slot - bar_w) // 2
        out.append(
            f'<rect x="{x}" y="{base_y - h}" width="{bar_w}" height="{h}" fill="{colour}">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
        )
        cx = x + bar_w // 2
        out.append(
            f'<text x="{cx}" y="{base_y - h - 4}" text-anchor="middle" fill="{INK}">'
            f"{escape(fmt(value))}</text>"
        )
        out.append(
            f'<text x="{cx}" y="{base_y + 16}" text-anchor="end" fill="{INK}" '
            f'transform="rotate(-30 {cx} {base_y + 16})">{escape(_truncate(label, 16))}</text>'
        )
    out.append("</svg>")
    return Chart(cid, title, desc, _svg(out), [label_header, value_header], rows)


def time_chart(
    cid: str,
    title: str,
    desc: str,
    periods: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    fmt: Callable[[int], str] = str,
    period_header: str = "",
    width: int = 480,
    height: int = 280,
    area: bool = True,
) -> Chart:
    """Lines (areas under the first series) over time: ``periods`` are the x labels (months),
    ``series`` are (name, one value per period). A legend names each colour in words."""
    cid = _safe_id(cid)
    rows = [[p] + [fmt(values[i]) for _, values in series] for i, p in enumerate(periods)]
    out = _open_svg(cid, title, desc, width, height)
    left, right, top_pad, bottom = 8, 8, 40, 34
    plot_w = width - left - right
    plot_h = height - top_pad - bottom
    top = max((v for _, values in series for v in values), default=0)
    maximum = _nice_max(top)
    base_y = top_pad + plot_h
    n = len(periods)
    # legend
    lx = left
    for k, (name, _values) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        out.append(f'<rect x="{lx}" y="6" width="14" height="14" fill="{colour}"/>')
        out.append(f'<text x="{lx + 20}" y="18" fill="{INK}">{escape(name)}</text>')
        lx += 30 + 9 * len(name)
    out.append(f'<text x="{width - right}" y="{top_pad - 4}" text-anchor="end" fill="{INK}">')
    out.append(f"{escape(fmt(maximum))}</text>")
    out.append(
        f'<line x1="{left}" y1="{top_pad}" x2="{width - right}" y2="{top_pad}" stroke="{GRID}" '
        f'stroke-dasharray="4 4"/>'
    )
    out.append(f'<line x1="{left}" y1="{base_y}" x2="{width - right}" y2="{base_y}" stroke="{GRID}"/>')

    def x_at(i: int) -> int:
        return left + (plot_w // 2 if n == 1 else i * plot_w // (n - 1))

    for k, (name, values) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = [(x_at(i), base_y - _scale(v, maximum, plot_h)) for i, v in enumerate(values)]
        if not points:
            continue
        path = " ".join(f"{x},{y}" for x, y in points)
        if area and k == 0 and len(points) > 1:
            poly = f"{points[0][0]},{base_y} {path} {points[-1][0]},{base_y}"
            out.append(f'<polygon points="{poly}" fill="{colour}" fill-opacity="0.15"/>')
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
        for (x, y), v, p in zip(points, values, periods, strict=True):
            out.append(
                f'<circle cx="{x}" cy="{y}" r="3.5" fill="{colour}">'
                f"<title>{escape(name)}, {escape(p)}: {escape(fmt(v))}</title></circle>"
            )
    # x labels: first, last and a few between so they never overlap
    if n:
        step = max(1, -(-n // 5))  # at most six labels, a full step apart
        shown = sorted({i for i in range(0, n, step) if i == 0 or n - 1 - i >= step} | {n - 1})
        for i in shown:
            anchor = "start" if i == 0 and n > 1 else ("end" if i == n - 1 and n > 1 else "middle")
            out.append(
                f'<text x="{x_at(i)}" y="{base_y + 20}" text-anchor="{anchor}" fill="{INK}">'
                f"{escape(periods[i])}</text>"
            )
    else:
        out.append(f'<text x="{left}" y="{base_y - 10}" fill="{INK}">—</text>')
    out.append("</svg>")
    return Chart(cid, title, desc, _svg(out), [period_header] + [name for name, _ in series], rows)
