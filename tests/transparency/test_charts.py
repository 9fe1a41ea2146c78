"""The server-side SVG charts: accessible, escaped, integer geometry, same numbers as the table."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from fundapp.transparency import charts

SVG = "{http://www.w3.org/2000/svg}"


def _parse(chart):
    return ET.fromstring(str(chart.svg))


def test_hbar_chart_is_labelled_for_screen_readers():
    """Does a bar chart carry role=img, a <title> and <desc> referenced by aria-labelledby?"""
    c = charts.hbar_chart(
        "by region", "Received by region", "Bars per region", [("Sughd", 500), ("GBAO", 100)]
    )
    root = _parse(c)
    assert root.get("role") == "img"
    ids = root.get("aria-labelledby").split()
    assert ids == [f"{c.id}-title", f"{c.id}-desc"]
    assert root.find(f"{SVG}title").get("id") == ids[0]
    assert root.find(f"{SVG}title").text == "Received by region"
    assert root.find(f"{SVG}desc").get("id") == ids[1]


def test_chart_rows_hold_the_same_numbers_as_the_bars():
    """Is every value drawn also in the table rows, formatted the same way?"""
    fmt = lambda v: f"{v / 100:.2f} TJS"  # noqa: E731 - test formatting only
    c = charts.hbar_chart(
        "x", "t", "d", [("A", 12345), ("B", 5)], fmt=fmt, label_header="L", value_header="V"
    )
    assert c.rows == [["A", "123.45 TJS"], ["B", "0.05 TJS"]]
    assert "123.45 TJS" in str(c.svg)
    assert c.columns == ["L", "V"]


def test_bar_widths_are_proportional_integers():
    """Is the longest bar the full axis (rounded to a 1/2/5 scale) and others in proportion?"""
    c = charts.hbar_chart("x", "t", "d", [("A", 1000), ("B", 500)], width=610)
    rects = _parse(c).findall(f"{SVG}rect")
    widths = [int(r.get("width")) for r in rects]
    assert widths == [600, 300]


def test_labels_are_escaped():
    """Can a project title inject markup into the SVG? No: it is escaped text."""
    c = charts.hbar_chart("x", "<b>t</b>", "d", [('<script>alert(1)</script>"', 10)])
    text = str(c.svg)
    assert "<script>" not in text and "&lt;script&gt;" in text
    _parse(c)  # still well-formed XML


def test_no_style_attributes_for_the_csp():
    """Do the charts avoid style= attributes, which the Content-Security-Policy forbids?"""
    for c in (
        charts.hbar_chart("a", "t", "d", [("A", 1)]),
        charts.bar_chart("b", "t", "d", [("A", 1), ("B", 3)]),
        charts.time_chart("c", "t", "d", ["2026-01", "2026-02"], [("in", [1, 2]), ("out", [0, 1])]),
    ):
        assert "style=" not in str(c.svg)
        _parse(c)


def test_time_chart_draws_a_point_per_period_and_series():
    """Does the line chart have one marker per month per series, and a table row per month?"""
    c = charts.time_chart(
        "c", "t", "d", ["2026-01", "2026-02", "2026-03"], [("in", [1, 2, 3]), ("out", [0, 1, 0])]
    )
    assert len(_parse(c).findall(f"{SVG}circle")) == 6
    assert [r[0] for r in c.rows] == ["2026-01", "2026-02", "2026-03"]
    assert c.columns[1:] == ["in", "out"]


def test_empty_chart_is_marked_empty():
    """Does a chart without data say so rather than draw an empty frame?"""
    assert charts.hbar_chart("a", "t", "d", []).empty
    assert charts.time_chart("a", "t", "d", [], [("in", [])]).empty


def test_nice_axis_maximum():
    """Are axis ends readable numbers (1, 2, 5 × 10ⁿ) at or above the largest value?"""
    assert [charts._nice_max(v) for v in (0, 1, 3, 10, 11, 199, 501, 7_000_001)] == [
        1, 1, 5, 10, 20, 200, 1000, 10_000_000,
    ]  # fmt: skip


def test_month_labels_of_a_year_never_touch():
    """With one to twenty-four months, are the x labels at least 80 px apart (a label "2026-11" is
    about 56 px wide), with the first and the last month always named?"""
    for n in range(1, 25):
        periods = [f"{2025 + (m // 12)}-{m % 12 + 1:02d}" for m in range(n)]
        c = charts.time_chart("c", "t", "d", periods, [("in", list(range(n)))])
        labels = [t for t in _parse(c).findall(f"{SVG}text") if t.text in periods]
        xs = [int(t.get("x")) for t in labels]
        assert labels[0].text == periods[0] and labels[-1].text == periods[-1]
        assert all(b - a >= 80 for a, b in zip(xs, xs[1:], strict=False)), (n, xs)
