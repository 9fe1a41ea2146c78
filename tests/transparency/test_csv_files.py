"""Every CSV the app writes, public and staff: formula-leading cells neutralised, UTF-8 with a
byte-order mark, one charset in the header."""

from __future__ import annotations

import csv
import io

from fundapp.core.csvfile import BOM, CONTENT_TYPE, csv_line, safe_cell


def test_cells_that_would_run_as_formulas_are_text():
    """Are =, +, -, @, tab, CR, LF and their full-width forms prefixed, and plain amounts and
    numbers left alone?"""
    for bad in ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "\nx", "＝1+1", "＠x"]:
        assert safe_cell(bad) == "'" + bad
    assert safe_cell("-1165.00") == "-1165.00" and safe_cell(-5) == -5 and safe_cell(12) == 12
    assert safe_cell("Нигора") == "Нигора" and safe_cell(None) == ""
    assert next(csv.reader(io.StringIO(csv_line(["=1", 'a "b"', None])))) == ["'=1", 'a "b"', ""]


def test_a_guests_formula_name_lands_as_text_in_the_public_csv(client, books, project_in):
    """A guest names themselves =HYPERLINK(...): is it text in entries.csv, with a BOM so Excel
    reads Cyrillic, and one charset in the Content-Type?"""
    p = project_in("fundraising")
    books.donate(p, 500, label='=HYPERLINK("http://evil.example","click")')
    books.donate(p, 700, label="Нигора из Москвы")
    books.seal()
    for name in ("entries.csv", "legs.csv"):
        r = client.get(f"/transparency/data/{name}")
        assert r.headers["Content-Type"] == CONTENT_TYPE
        assert r.data.startswith(BOM.encode("utf-8"))
    rows = list(
        csv.DictReader(io.StringIO(client.get("/transparency/data/entries.csv").data.decode("utf-8-sig")))
    )
    backers = {row["backer"] for row in rows}
    assert '\'=HYPERLINK("http://evil.example","click")' in backers and "Нигора из Москвы" in backers
    assert not any(v.startswith("=") for row in rows for v in row.values())


def test_every_staff_csv_has_a_bom_one_charset_and_no_formula(app, client_for, make_user, books, project_in):
    """Do the audit export, the auditor's trial balance, account statement, disbursements and
    journal all start with a BOM, say charset once, and neutralise a formula in the data?"""
    from fundapp.audit.services import record
    from fundapp.extensions import db
    from fundapp.ledger.models import Account

    p = project_in("fundraising")
    books.donate(p, 900, label="=cmd|' /C calc'!A0")
    books.seal()
    record("test.formula", object_type="project", object_id=p.id, reason="=1+1")
    db.session.commit()
    c, _ = client_for("auditor")
    account = db.session.query(Account).filter_by(code=f"project:{p.id}").first()
    urls = [
        "/audit/export.csv",
        "/auditor/trial-balance?format=csv",
        f"/auditor/accounts/{account.id}?format=csv",
        "/auditor/disbursements?format=csv",
        "/auditor/journal.csv",
    ]
    for url in urls:
        r = c.get(url)
        assert r.status_code == 200, url
        assert r.headers["Content-Type"] == CONTENT_TYPE, url
        assert r.data.startswith(BOM.encode("utf-8")), url
        for row in csv.reader(io.StringIO(r.data.decode("utf-8-sig"))):
            assert not any(cell[:1] in ("=", "+", "@") for cell in row), (url, row)
    audit = c.get("/audit/export.csv").data.decode("utf-8-sig")
    assert "'=1+1" in audit
