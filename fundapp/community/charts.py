"""A horizontal bar chart drawn on the server as SVG: organisations by country.

No world map: no well-kept package in reach supplies country shapes offline, and bars read better
on a phone anyway. Integer geometry, escaped text, no ``style`` attributes (the CSP forbids them);
``role="img"`` with ``<title>``/``<desc>`` referenced by ``aria-labelledby``. The page shows the
same numbers as a table."""

from __future__ import annotations

from markupsafe import Markup, escape

BAR = "#0b6e4f"
INK = "#1b1f1d"


def bar_chart(items: list[tuple[str, int]], *, title: str, chart_id: str, width: int = 420) -> Markup:
    bar_h, gap, label_h = 16, 10, 18
    height = max(40, len(items) * (bar_h + gap + label_h) + 10)
    top = max((n for _, n in items), default=0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" class="chart-svg" '
        f'font-family="system-ui, sans-serif" font-size="14">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(", ".join(f"{label}: {n}" for label, n in items))}</desc>',
    ]
    y = 5
    for label, n in items:
        short = label if len(label) <= 32 else label[:31] + "…"
        parts.append(f'<text x="0" y="{y + 14}" fill="{INK}">{escape(short)} — {int(n)}</text>')
        w = (width - 10) * n // top if top else 0
        parts.append(
            f'<rect x="0" y="{y + label_h}" width="{max(w, 2)}" height="{bar_h}" rx="3" fill="{BAR}"></rect>'
        )
        y += bar_h + gap + label_h
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text went through escape
