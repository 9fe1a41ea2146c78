"""Reports to the Ministry (MoLMEP): for a quarter or a half-year, in Tajik or Russian, as PDF
and XLSX. A report is computed against one signed ledger checkpoint — its money figures count
exactly the entries sealed into that tree — and says so in every page's footer.

Generation runs outside the request that asks for it (a thread in the web process, or
``flask plan reports run`` from a worker); the request returns at once and the report's page
shows its progress. PDF: fpdf2 with DejaVu Sans (every Tajik letter); XLSX: openpyxl. Both are
pure Python, so nothing beyond the wheels is needed."""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import NotPermitted, ValidationFailed
from fundapp.core.i18n import format_money
from fundapp.extensions import db

from . import evaluation, periods, progress, services, sources
from .indicators import REGISTRY, Window, breakdown_received
from .models import (
    COMPLETION_LABELS,
    REPORT_STATE_LABELS,
    STATUS_LABELS,
    JobState,
    MinistryReport,
    PointReport,
    Unit,
)

log = logging.getLogger(__name__)
FONT_DIR = Path(__file__).resolve().parents[2] / "static" / "fonts"
CHANNEL_LABELS = {"card": _l("card"), "bank": _l("bank transfer"), "transfer": _l("money transfer")}
KIND_LABELS = {
    "donation": _l("donations"),
    "pledge_collection": _l("collected pledges"),
    "investment": _l("investments"),
}


def bounds(report: MinistryReport) -> tuple[date, date]:
    if report.half:
        return periods.half_bounds(report.year, report.part)
    return periods.quarter_bounds(report.year, report.part)


def period_label(report: MinistryReport) -> str:
    if report.half:
        return _("Half-year %(part)s of %(year)s", part=report.part, year=report.year)
    return _("Quarter %(part)s of %(year)s", part=report.part, year=report.year)


def can_request(user) -> bool:
    return services.is_manager(user) or services.is_reviewer(user)


def can_read(user) -> bool:
    return can_request(user) or services.can_see_all(user)


def request_report(actor, *, year: int, half: bool, part: int, language: str, today: date) -> MinistryReport:
    """Queue a report; the caller starts it after the commit (``start_in_background``)."""
    if not can_request(actor):
        raise NotPermitted(_l("Only administrators and the Ministry's reviewers ask for reports."))
    if language not in ("tg", "ru"):
        raise ValidationFailed(_l("Choose Tajik or Russian."), field="language")
    if not (half and 1 <= part <= 2) and not (not half and 1 <= part <= 4):
        raise ValidationFailed(_l("Choose the period."), field="period")
    if not 2020 <= year <= today.year:
        raise ValidationFailed(_l("Choose a year from 2020 to this year."), field="year")
    first = (periods.half_bounds if half else periods.quarter_bounds)(year, part)[0]
    if first > today:
        raise ValidationFailed(_l("This period has not started yet."), field="period")
    report = MinistryReport(year=year, half=half, part=part, language=language, requested_by_id=actor.id)
    db.session.add(report)
    db.session.flush()
    record(
        "plan.report_requested",
        report,
        actor=actor,
        changes={"year": year, "half": half, "part": part, "language": language},
    )
    return report


def start_in_background(app, report_id: int) -> None:
    if not app.config.get("PLAN_REPORTS_IN_THREAD", not app.testing):
        return
    thread = threading.Thread(
        target=_run_in_app, args=(app, report_id), daemon=True, name=f"plan-report-{report_id}"
    )
    thread.start()


def _run_in_app(app, report_id: int) -> None:
    with app.app_context():
        try:
            build(report_id)
        finally:
            db.session.remove()


def run_queued(limit: int = 10) -> int:
    """Build every queued report (for a worker or cron); returns how many were built."""
    ids = db.session.scalars(
        select(MinistryReport.id)
        .where(MinistryReport.state == JobState.QUEUED)
        .order_by(MinistryReport.id)
        .limit(limit)
    ).all()
    for rid in ids:
        build(rid)
    return len(ids)


def _claim(report_id: int) -> bool:
    n = db.session.execute(
        MinistryReport.__table__.update()
        .where(MinistryReport.id == report_id, MinistryReport.state == JobState.QUEUED)
        .values(state=JobState.RUNNING, progress=1)
    ).rowcount
    db.session.commit()
    return n == 1


def _progress(report: MinistryReport, pct: int) -> None:
    report.progress = pct
    db.session.commit()


def build(report_id: int) -> None:
    """Compute and render one queued report (exactly once, even if two workers try)."""
    if not _claim(report_id):
        return
    report = db.session.get(MinistryReport, report_id)
    try:
        checkpoint = sources.checkpoint()
        report.tree_size = checkpoint.tree_size if checkpoint else 0
        report.root_hex = checkpoint.root_hash.hex() if checkpoint else ("0" * 64)
        _progress(report, 10)
        with force_locale(report.language):
            data = compute(report, on_progress=lambda pct: _progress(report, pct))
            _progress(report, 70)
            report.pdf_data = render_pdf(data)
            _progress(report, 85)
            report.xlsx_data = render_xlsx(data)
        report.state = JobState.DONE
        report.progress = 100
        report.finished_at = utcnow()
        db.session.commit()
    except Exception as exc:  # the page must say it failed, whatever the cause
        db.session.rollback()
        log.exception("report %s failed", report_id)
        report = db.session.get(MinistryReport, report_id)
        report.state = JobState.FAILED
        report.error = str(exc)[:2000]
        report.finished_at = utcnow()
        db.session.commit()


@dataclass
class ReportData:
    title: str
    period: str
    footer: str
    scorecard_header: list[str]
    scorecard: list[list[str]]
    figures_header: list[str]
    figures: list[list[str]]
    received_header: list[str]
    received: list[list[str]]
    agency_header: list[str]
    agency: list[list[str]]
    overall: str


def footer_text(tree_size: int, root_hex: str) -> str:
    return _(
        "Money figures computed from the ledger checkpoint: tree size %(size)s, root %(root)s",
        size=tree_size,
        root=root_hex,
    )


def format_value(unit: str, value: int | None, currency: str | None = None) -> str:
    if value is None:
        return "—"
    if unit == Unit.MONEY:
        from fundapp.core.money import Money

        return format_money(Money(value, currency or "TJS"))
    text = format_decimal(value / 100 if value % 100 else value // 100)
    return f"{text} %" if unit == Unit.PERCENT else text


def compute(report: MinistryReport, on_progress=lambda pct: None) -> ReportData:
    lang = report.language
    first, nxt = bounds(report)
    as_of = min(nxt - timedelta(days=1), date.today())
    groups = evaluation.scorecard(as_of, report.tree_size)
    on_progress(40)
    rows = []
    for g in groups:
        rows.append(
            [
                str(g.group.number),
                getattr(g.group, f"title_{lang}"),
                "",
                "" if g.percent is None else f"{g.percent} %",
                "",
            ]
        )
        for pv in g.points:
            r = pv.rated
            rows.append(
                [
                    pv.point.number + (" *" if pv.point.is_example else ""),
                    pv.point.text(lang),
                    str(STATUS_LABELS[r.status]) + (" (!)" if r.overridden else ""),
                    "—" if r.percent is None else f"{r.percent} %",
                    str(COMPLETION_LABELS[r.completion]) if r.completion else "",
                ]
            )
    figures = []
    window = Window.of_dates(first, nxt, report.tree_size)
    for spec in REGISTRY.values():
        figures.append([str(spec.label), format_value(spec.unit, spec.compute(window))])
    on_progress(55)
    received = [
        [
            str(KIND_LABELS.get(kind, kind)),
            str(CHANNEL_LABELS.get(channel, channel)),
            format_value(Unit.MONEY, amount, "TJS"),
        ]
        for (kind, channel), amount in sorted(breakdown_received(window).items())
    ]
    quarters = (
        [(report.year, q) for q in ((1, 2) if report.part == 1 else (3, 4))]
        if report.half
        else [(report.year, report.part)]
    )
    agency = []
    for y, q in quarters:
        for pr in db.session.scalars(
            select(PointReport)
            .where(PointReport.year == y, PointReport.quarter == q)
            .order_by(PointReport.point_id)
        ):
            agency.append(
                [periods.label(y, q), pr.point.number, str(REPORT_STATE_LABELS[pr.state]), pr.narrative[:600]]
            )
    ov = evaluation.overall(groups)
    return ReportData(
        title=_(
            "Implementation of the Plan of Actions: report to the Ministry of Labour, Migration and "
            "Employment"
        ),
        period=period_label(report),
        footer=footer_text(report.tree_size, report.root_hex),
        scorecard_header=[_("No."), _("Action point"), _("Status"), _("Progress to target"), _("Completion")],
        scorecard=rows,
        figures_header=[_("Computed indicator"), _("Value in the period")],
        figures=figures,
        received_header=[_("Kind"), _("Channel"), _("Amount")],
        received=received,
        agency_header=[_("Quarter"), _("Point"), _("Report"), _("What the agency reported")],
        agency=agency,
        overall="—" if ov is None else f"{progress.percent(ov)} %",
    )


def render_pdf(data: ReportData) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    class ReportPDF(FPDF):
        def footer(self):
            self.set_y(-14)
            self.set_font("DejaVu", size=6.5)
            self.multi_cell(
                0, 3.2, f"{data.footer} · {self.page_no()}", align="C", new_x="LMARGIN", new_y="NEXT"
            )

    pdf = ReportPDF(orientation="P", unit="mm", format="A4")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(data.title)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(0, 6, data.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(
        0, 6, f"{data.period} · {_('Overall progress')}: {data.overall}", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(2)
    heading = FontFace(emphasis="BOLD", fill_color=(230, 238, 234))

    def table(header, rows, widths):
        if not rows:
            pdf.multi_cell(0, 6, "—", new_x="LMARGIN", new_y="NEXT")
            return
        pdf.set_font("DejaVu", "", 8)
        with pdf.table(col_widths=widths, headings_style=heading, line_height=4.2) as t:
            t.row(header)
            for r in rows:
                t.row([str(c) for c in r])
        pdf.ln(3)

    def section(title):
        pdf.set_font("DejaVu", "B", 11)
        pdf.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")

    section(_("Scorecard"))
    table(data.scorecard_header, data.scorecard, (12, 98, 28, 20, 28))
    section(_("Figures computed by the portal"))
    table(data.figures_header, data.figures, (120, 66))
    section(_("Money received from compatriots, by kind and channel"))
    table(data.received_header, data.received, (70, 60, 56))
    section(_("Agencies' reports"))
    table(data.agency_header, data.agency, (20, 16, 30, 120))
    return bytes(pdf.output())


def render_xlsx(data: ReportData) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    sheets = [
        (_("Scorecard"), data.scorecard_header, data.scorecard),
        (_("Computed"), data.figures_header, data.figures),
        (_("Money received"), data.received_header, data.received),
        (_("Agencies"), data.agency_header, data.agency),
    ]
    first = True
    for title, header, rows in sheets:
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = title[:31]
        ws.append([data.title])
        ws.append([data.period])
        ws.append([])
        ws.append(header)
        for cell in ws[4]:
            cell.font = Font(bold=True)
        for r in rows:
            ws.append([_cell(c) for c in r])
        ws.append([])
        ws.append([data.footer])
        ws.oddFooter.center.text = data.footer
        for col in ws.columns:
            letter = col[0].column_letter
            ws.column_dimensions[letter].width = 18 if letter != "B" else 60
        for row in ws.iter_rows(min_row=5):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(value: str) -> str:
    """Text that a spreadsheet will not read as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") and not _is_number(value) else value


def _is_number(value: str) -> bool:
    try:
        float(value.replace(",", ".").replace("\u00a0", "").replace(" ", ""))
    except ValueError:
        return False
    return True


def app_for_thread():
    return current_app._get_current_object()
