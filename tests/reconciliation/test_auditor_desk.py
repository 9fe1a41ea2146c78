"""The auditor's desk: trial balance at a date, statements, pending transfers, exports."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from fundapp.audit.models import AuditEvent
from fundapp.extensions import db
from fundapp.ledger import services as ledger


def _csv(r):
    return list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))


def test_trial_balance_at_a_date(app, client_for, books):
    """Does the trial balance at a date count only what occurred by then, and balance per currency?"""
    c, _ = client_for("auditor")
    rows = _csv(c.get("/auditor/trial-balance?at=2026-03-10&format=csv"))
    bank = next(r for r in rows if r["account_code"] == "bank")
    assert (bank["debits"], bank["credits"], bank["balance"]) == ("850.00", "0.00", "850.00")
    rows = _csv(c.get("/auditor/trial-balance?at=2026-03-31&format=csv"))
    bank = next(r for r in rows if r["account_code"] == "bank")
    assert bank["balance"] == "-1165.00"
    from decimal import Decimal

    assert sum(Decimal(r["debits"]) for r in rows) == sum(Decimal(r["credits"]) for r in rows)
    page = c.get("/auditor/trial-balance?at=2026-03-31").get_data(as_text=True)
    assert "balanced" in page and "NOT balanced" not in page
    assert c.get("/auditor/trial-balance?at=nonsense").status_code == 200


def test_account_statement_runs_from_opening_to_closing(app, client_for, books):
    """Does an account statement start from the opening balance and run to the closing one?"""
    c, _ = client_for("administrator")
    bank = ledger.get_account("bank", "TJS")
    rows = _csv(c.get(f"/auditor/accounts/{bank.id}?start=2026-03-11&end=2026-03-31&format=csv"))
    assert [r["debit"] or "-" + r["credit"] for r in rows] == ["-2500.00", "500.00", "-15.00"]
    assert rows[-1]["balance"] == "-1165.00"
    page = c.get(f"/auditor/accounts/{bank.id}?start=2026-03-11&end=2026-03-31&lang=en").get_data(
        as_text=True
    )
    assert "850.00" in page  # the opening balance


def test_journal_export_has_one_row_per_leg_with_fees_apart(app, client_for, books):
    """Does the journal CSV give one row per leg, the fee as its own row, with dates and references?"""
    c, _ = client_for("auditor")
    rows = _csv(c.get("/auditor/journal.csv?start=2026-03-01&end=2026-03-31"))
    assert len(rows) == 10
    fee = [r for r in rows if r["account_code"] == "fees_expense"]
    assert len(fee) == 1 and fee[0]["debit"] == "15.00" and fee[0]["date"] == "2026-03-14"
    assert fee[0]["reference"] == "test:FEE-MARCH"
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auditor.exported")).first()


def test_pending_and_disbursements_are_listed(app, client_for, cast, requested):
    """Are an approved payout's reservation and the payout with its evidence on the desk?"""
    from fundapp.disbursements import services

    req = requested()
    services.approve_disbursement(req, actor=cast.admin)
    db.session.commit()
    c, _ = client_for("auditor")
    page = c.get("/auditor/pending").get_data(as_text=True)
    assert f"Disbursement #{req.id}" in page
    page = c.get("/auditor/disbursements").get_data(as_text=True)
    assert "Invoice No. 17" in page
    rows = _csv(c.get("/auditor/disbursements?format=csv"))
    assert rows[0]["state"] == "approved" and rows[0]["amount"] == "10000.00"


@pytest.mark.parametrize("role", ["member", "treasurer", "reviewer"])
def test_the_desk_is_for_auditors_and_administrators(app, client_for, role):
    """May anyone but an auditor or administrator open the desk? No."""
    c, _ = client_for(role)
    for url in ("/auditor/", "/auditor/trial-balance", "/auditor/pending", "/auditor/journal.csv"):
        assert c.get(url).status_code == 403
