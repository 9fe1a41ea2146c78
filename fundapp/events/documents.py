"""Files the organiser and attendees take away: the attendee list (CSV) and certificates of
attendance (PDF, in a font that has every Tajik letter)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from .models import Event, Registration

FONT = "DejaVuSans.ttf"  # Bitstream Vera licence: may be redistributed with the software
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A spreadsheet never runs a cell as a formula: a leading = + - @ (or tab, CR) is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS_FIRST) else text


def attendees_csv(event: Event, registrations: list[Registration]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    questions = list(event.questions)
    writer.writerow(
        [_("Code"), _("Name"), _("Email"), _("Status"), _("Guests"), _("Registered at"), _("Checked in at"),
         _("Guests who came")] + [q.text for q in questions]
    )  # fmt: skip
    for reg in registrations:
        answers = json.loads(reg.answers or "{}")
        row = [
            reg.code,
            reg.user.full_name or reg.user.display_name,
            reg.user.email,
            str(reg.status_label),
            reg.guests,
            reg.queued_at.isoformat(timespec="minutes"),
            reg.attended_at.isoformat(timespec="minutes") if reg.attended_at else "",
            reg.attended_guests if reg.attended_at else "",
        ] + [answers.get(str(q.id), "") for q in questions]
        writer.writerow([safe_cell(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def font_path() -> Path:
    return Path(current_app.static_folder) / "fonts" / FONT


def certificate_pdf(
    reg: Registration, *, title: str, dates: str, place: str, organiser: str, check_url: str
) -> bytes:
    """A one-page certificate of attendance naming the person, the event and the check code."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.add_font("DejaVu", "", str(font_path()))
    pdf.set_draw_color(30, 90, 60)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    width = 257
    pdf.set_xy(20, 28)
    pdf.set_font("DejaVu", size=28)
    pdf.multi_cell(width, 14, _("Certificate of attendance"), align="C")
    pdf.ln(6)
    pdf.set_x(20)
    pdf.set_font("DejaVu", size=13)
    pdf.multi_cell(width, 8, _("This certifies that"), align="C")
    pdf.ln(2)
    pdf.set_x(20)
    pdf.set_font("DejaVu", size=22)
    pdf.multi_cell(width, 12, reg.user.full_name or reg.user.display_name, align="C")
    pdf.ln(2)
    pdf.set_x(20)
    pdf.set_font("DejaVu", size=13)
    pdf.multi_cell(width, 8, _("took part in"), align="C")
    pdf.ln(2)
    pdf.set_x(20)
    pdf.set_font("DejaVu", size=18)
    pdf.multi_cell(width, 10, title, align="C")
    pdf.ln(3)
    pdf.set_font("DejaVu", size=12)
    for line in (dates, place, organiser):
        if line:
            pdf.set_x(20)
            pdf.multi_cell(width, 7, line, align="C")
    pdf.set_xy(20, 172)
    pdf.set_font("DejaVu", size=11)
    pdf.multi_cell(width, 6, _("Certificate code: %(code)s", code=reg.certificate_code), align="C")
    pdf.set_x(20)
    pdf.multi_cell(width, 6, _("Check it at %(url)s", url=check_url), align="C")
    return bytes(pdf.output())
