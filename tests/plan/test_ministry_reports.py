"""Reports to the Ministry: asked for without waiting, built once, in Tajik and Russian, as PDF
and XLSX holding the scorecard's figures, with the ledger checkpoint they were computed from."""

from __future__ import annotations

import io

from sqlalchemy import select

from fundapp.extensions import db


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _xlsx_cells(data: bytes) -> dict[str, list[list]]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def _accepted_report(p, signed_in, value="2000"):
    url = f"/plan/points/{p.point.id}/reports/2026/3"
    data = {
        "language": "tg",
        "narrative": "Ду марказ кушода шуд.",
        f"value_{p.centres.id}": value,
        f"note_{p.story.id}": "Курсҳо",
        "submit": "1",
    }
    assert signed_in(p.reporter).post(url, data=data).status_code == 303
    from fundapp.plan.models import PointReport

    report = db.session.scalar(select(PointReport))
    assert (
        signed_in(p.reviewer).post(f"/plan/reports/{report.id}/review", data={"accept": "1"}).status_code
        == 303
    )


def _checkpoint(app):
    from fundapp.core.money import Money
    from fundapp.ledger import sealing
    from fundapp.ledger import services as L

    L.post_entry(
        "donation",
        [
            L.Leg.debit(L.get_account("bank", "TJS"), Money(1_234_500, "TJS")),
            L.Leg.credit(L.get_account("general_fund", "TJS"), Money(1_234_500, "TJS")),
        ],
        memo="gift",
        idempotency_key="report-gift",
    )
    db.session.commit()
    sealing.seal_and_checkpoint()
    db.session.commit()
    return sealing.latest_checkpoint()


def test_a_quarterly_report_in_tajik_holds_the_scorecard_and_its_checkpoint(app, plan, signed_in):
    """Does the Tajik PDF and XLSX carry the point's status and progress, the computed money
    received, and, in the footer, a checkpoint that exists and verifies?"""
    from fundapp.ledger.verify import verify_ledger
    from fundapp.plan import reports
    from fundapp.plan.models import MinistryReport

    p = plan
    _accepted_report(p, signed_in)
    cp = _checkpoint(app)
    admin = signed_in(p.admin)
    r = admin.post(
        "/plan/ministry-reports", data={"year": "2026", "period": "q4", "language": "tg", "make": "1"}
    )
    assert r.status_code == 303
    report = db.session.scalar(select(MinistryReport))
    assert report.state == "queued"  # the request did not wait for it
    page = admin.get(r.headers["Location"])
    assert b'http-equiv="refresh"' in page.data
    assert reports.run_queued() == 1
    assert reports.run_queued() == 0  # built once
    db.session.refresh(report)
    assert report.state == "done", report.error
    assert (report.tree_size, report.root_hex) == (cp.tree_size, cp.root_hash.hex())
    pdf = admin.get(f"/plan/ministry-reports/{report.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = _pdf_text(pdf.data)
    assert "Ҳисобот" in text or "Нақша" in text  # Tajik letters survive (the font has them)
    assert "3.1" in text
    assert cp.root_hash.hex() in text.replace("\n", "")
    assert str(cp.tree_size) in text
    assert "12 345" in text.replace("\u00a0", " ").replace("\u202f", " ")  # money received, computed
    xlsx = admin.get(f"/plan/ministry-reports/{report.id}.xlsx")
    cells = _xlsx_cells(xlsx.data)
    flat = [str(c) for rows in cells.values() for row in rows for c in row if c is not None]
    assert any(c == "3.1" for c in flat)
    assert any(cp.root_hash.hex() in c for c in flat)
    # the figures agree with the public scorecard
    from datetime import date

    from fundapp.plan import evaluation

    pv = evaluation.rate_point(p.point, min(date.today(), date(2026, 12, 31)), cp.tree_size)
    assert f"{pv.rated.percent} %" in flat
    # and the checkpoint it names is one the ledger signed and still verifies
    assert verify_ledger().ok


def test_a_half_year_report_in_russian(app, plan, signed_in):
    """Is a half-year report built in Russian too?"""
    from fundapp.plan import reports
    from fundapp.plan.models import MinistryReport

    _checkpoint(app)
    admin = signed_in(plan.admin)
    r = admin.post(
        "/plan/ministry-reports", data={"year": "2026", "period": "h2", "language": "ru", "make": "1"}
    )
    assert r.status_code == 303
    reports.run_queued()
    report = db.session.scalar(select(MinistryReport))
    assert report.state == "done", report.error
    text = _pdf_text(admin.get(f"/plan/ministry-reports/{report.id}.pdf").data)
    assert "Полугодие 2 2026" in text or "2026" in text
    assert "Министерств" in text


def test_bad_requests_for_reports_are_refused(plan, signed_in):
    """A future period, a year out of range and a member are refused; nothing is queued."""
    from fundapp.plan.models import MinistryReport

    admin = signed_in(plan.admin)
    assert (
        admin.post(
            "/plan/ministry-reports", data={"year": "2027", "period": "q1", "language": "tg"}
        ).status_code
        == 400
    )
    assert (
        admin.post(
            "/plan/ministry-reports", data={"year": "1999", "period": "q1", "language": "tg"}
        ).status_code
        == 400
    )
    assert (
        admin.post(
            "/plan/ministry-reports", data={"year": "2026", "period": "q9", "language": "tg"}
        ).status_code
        == 400
    )
    assert (
        admin.post(
            "/plan/ministry-reports", data={"year": "2026", "period": "q1", "language": "en"}
        ).status_code
        == 400
    )
    assert (
        signed_in(plan.member)
        .post("/plan/ministry-reports", data={"year": "2026", "period": "q1", "language": "tg"})
        .status_code
        == 403
    )
    assert signed_in(plan.auditor).get("/plan/ministry-reports").status_code == 200
    assert (
        signed_in(plan.auditor)
        .post("/plan/ministry-reports", data={"year": "2026", "period": "q1", "language": "tg"})
        .status_code
        == 403
    )
    assert db.session.scalar(select(MinistryReport.id)) is None
