"""Demo data of reconciliation: the auditor's bank statement for this month, matched against the
ledger's bank movements (loaded after the year of history, so every movement is there)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from fundapp.core.db import clock_at, utcnow
from fundapp.core.money import Money
from fundapp.extensions import db

from . import services as reconciliation
from .models import ReconciliationRun


def load(ctx: dict) -> None:
    auditor = (ctx.get("users") or {}).get("auditor")
    if auditor is None:
        return
    with clock_at(utcnow() - timedelta(hours=1)):
        _reconcile(auditor)


def _reconcile(auditor) -> None:
    """A bank statement of the demo's bank movements in somoni: all but one as in the ledger, one
    receipt 10 somoni short, one bank fee the ledger does not know."""
    if db.session.scalar(select(ReconciliationRun.id)) is not None:
        return
    today = utcnow().date()
    items = reconciliation.ledger_items("bank", "TJS", today.replace(day=1), today)
    if len(items) < 2:
        return
    rows = ["date,amount,currency,reference,counterparty"]
    for i, item in enumerate(items[:-1]):  # the last movement is missing from the statement
        amount = item.amount.amount - (1000 if i == 0 and item.amount.amount > 1000 else 0)
        ref = next((r for r in item.references if len(r) <= 40), "")
        rows.append(f"{item.on.isoformat()},{Money(amount, 'TJS').to_decimal()},TJS,{ref},Амонатбонк")
    rows.append(f"{today.isoformat()},-25.00,TJS,FEE-{today:%Y%m},Хизматрасонии бонк")
    reconciliation.import_bank_statement(
        ("\n".join(rows) + "\n").encode(), actor=auditor, filename="demo.csv"
    )
