"""Reconciliation runs against the real ledger: import, match, review, adjust under four eyes."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from sqlalchemy import select

from fundapp.core.errors import NotPermitted
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.ledger import services as ledger
from fundapp.reconciliation import services
from fundapp.reconciliation.models import ReconciliationItem, ReconciliationRun
from tests.conftest import login_as

from .conftest import STATEMENT


def _upload(c, data: bytes, name="march.csv", **extra):
    form = {
        "bank-statement": (io.BytesIO(data), name),
        "bank-account_code": "bank",
        "bank-currency": "TJS",
        "bank-window_days": "5",
        **extra,
    }
    return c.post("/reconciliation/import", data=form, content_type="multipart/form-data")


def test_statement_with_exact_missing_extra_and_difference(app, client_for, books):
    """Does a statement with exact matches, a missing entry, an extra entry and an amount difference
    come out as exactly those, shown on the run's page?"""
    c, auditor = client_for("auditor")
    r = _upload(c, STATEMENT.encode())
    assert r.status_code == 303, r.get_data(as_text=True)
    run = db.session.scalars(select(ReconciliationRun)).one()
    kinds = Counter(i.kind for i in run.items)
    assert kinds == {"matched": 3, "missing_in_ledger": 1, "missing_on_statement": 1, "difference": 1}
    assert (run.matched_count, run.mismatch_count) == (3, 3)
    diff = next(i for i in run.items if i.kind == "difference")
    assert diff.difference == Money(-1000, "TJS") and diff.line_reference == "RCPT-004"
    extra = next(i for i in run.items if i.kind == "missing_on_statement")
    assert extra.leg_amount == Money(70000, "TJS")
    page = c.get(f"/reconciliation/runs/{run.id}").get_data(as_text=True)
    assert "Unknown sender" in page and "Amount differs" in page
    csv_text = c.get(f"/reconciliation/runs/{run.id}/export.csv").data.decode("utf-8-sig")
    assert "missing_in_ledger" in csv_text and "-10.00" in csv_text


def test_bad_lines_are_listed_and_nothing_is_imported(app, client_for, books):
    """Does a statement with bad lines list each line's error and import nothing?"""
    c, _ = client_for("treasurer")
    data = b"date,amount,currency,ref\n2026-03-10,150.00,TJS,A\n2026-13-10,1,TJS,B\n2026-03-10,1.234,TJS,C\n"
    r = _upload(c, data)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "Line 3:" in page and "Line 4:" in page
    assert db.session.scalars(select(ReconciliationRun)).all() == []


@pytest.mark.parametrize(
    "data",
    [b"", b"\x89PNG\r\n\x1a\n\x00\x00", b"when,how much\n1,2\n", "дата,сумма\n".encode("utf-16")],
)
def test_unreadable_files_get_a_message(app, client_for, data):
    """Do an empty file, a picture, a file without the columns and a UTF-16 file get a message, not a 500?"""
    c, _ = client_for("auditor")
    r = _upload(c, data)
    assert r.status_code == 400


def test_members_cannot_reconcile(app, client_for):
    """May a member or a reviewer see or run reconciliation? No."""
    c, _ = client_for("member")
    assert c.get("/reconciliation/").status_code == 403
    assert _upload(c, STATEMENT.encode()).status_code == 403


def _run(actor) -> ReconciliationRun:
    run = services.import_bank_statement(STATEMENT.encode(), actor=actor)
    db.session.commit()
    return run


def test_review_records_who_and_how(app, make_user, books):
    """Is a reviewed mismatch marked with the reviewer, the time and the explanation?"""
    auditor = make_user("auditor")
    run = _run(auditor)
    extra = next(i for i in run.items if i.kind == "missing_on_statement")
    services.resolve_item(extra, actor=auditor, note="Cash deposited on 31 March; on April's statement.")
    db.session.commit()
    assert extra.status == "resolved" and extra.reviewed_by_id == auditor.id and extra.reviewed_at


def test_adjustment_is_proposed_by_one_and_posted_by_another(app, make_user, books):
    """Is an adjusting entry posted only when a second person approves it, moving the bank balance by the
    difference?"""
    t1, t2, auditor = make_user("treasurer"), make_user("treasurer"), make_user("auditor")
    run = _run(auditor)
    item = next(i for i in run.items if i.kind == "missing_in_ledger")
    bank = ledger.get_account("bank", "TJS")
    before = ledger.balance(bank)
    with pytest.raises(NotPermitted):
        services.propose_adjustment(item, actor=auditor, counter_account_code="suspense", memo="x")
    adj = services.propose_adjustment(
        item, actor=t1, counter_account_code="suspense", memo="Unidentified receipt"
    )
    db.session.commit()
    assert item.status == "adjusting" and ledger.balance(bank) == before
    with pytest.raises(NotPermitted):
        services.approve_adjustment(adj, actor=t1)
    db.session.rollback()
    with pytest.raises(NotPermitted):
        services.approve_adjustment(adj, actor=auditor)
    db.session.rollback()
    services.approve_adjustment(adj, actor=t2)
    db.session.commit()
    assert adj.state == "posted" and adj.entry_id
    assert ledger.balance(bank) == before + Money(99900, "TJS")
    assert ledger.balance(ledger.get_account("suspense", "TJS")) == Money(99900, "TJS")
    assert item.status == "resolved" and item.reviewed_by_id == t2.id


def test_a_difference_adjusts_in_the_right_direction(app, make_user, books):
    """When the bank shows a receipt 10.00 below the ledger, does the adjustment lower the bank by 10.00?"""
    t1, t2 = make_user("treasurer"), make_user("administrator")
    run = _run(t1)
    item = next(i for i in run.items if i.kind == "difference")
    bank = ledger.get_account("bank", "TJS")
    before = ledger.balance(bank)
    adj = services.propose_adjustment(item, actor=t1, counter_account_code="fees_expense", memo="Bank charge")
    services.approve_adjustment(adj, actor=t2)
    db.session.commit()
    assert ledger.balance(bank) == before - Money(1000, "TJS")


def test_rejected_adjustment_reopens_the_mismatch(app, make_user, books):
    """When the second person refuses a proposed adjustment, is nothing posted and the item open again?"""
    t1, t2 = make_user("treasurer"), make_user("treasurer")
    run = _run(t1)
    item = next(i for i in run.items if i.kind == "missing_in_ledger")
    adj = services.propose_adjustment(item, actor=t1, counter_account_code="suspense", memo="Unknown")
    services.reject_adjustment(adj, actor=t2, note="It is a donation; record it as one.")
    db.session.commit()
    assert adj.state == "rejected" and adj.entry_id is None and item.status == "open"


def test_adjustment_over_http_needs_fresh_step_up_and_a_second_person(app, make_user, books):
    """Over the pages, is approving an adjustment refused to its proposer and done by a second treasurer?"""
    t1, t2 = make_user("treasurer"), make_user("treasurer")
    run = _run(t1)
    item = next(i for i in run.items if i.kind == "missing_in_ledger")
    c = app.test_client()
    login_as(c, t1)
    r = c.post(
        f"/reconciliation/items/{item.id}/adjust", data={"counter_account_code": "suspense", "memo": "?"}
    )
    assert r.status_code == 303
    adj = item.adjustments[0]
    r = c.post(f"/reconciliation/adjustments/{adj.id}/approve")
    assert r.status_code == 303
    db.session.refresh(adj)
    assert adj.state == "proposed"
    login_as(c, t2)
    assert c.post(f"/reconciliation/adjustments/{adj.id}/approve").status_code == 303
    db.session.refresh(adj)
    assert adj.state == "posted"


def test_stripe_without_keys_is_a_clear_refusal(app, client_for):
    """Without Stripe keys, does the Stripe reconciliation say so instead of failing?"""
    c, _ = client_for("auditor")
    r = c.post(
        "/reconciliation/stripe",
        data={"stripe-start": "2026-03-01", "stripe-end": "2026-03-31", "stripe-currency": "USD"},
    )
    assert r.status_code == 409
    assert "not configured" in r.get_data(as_text=True)
    assert db.session.scalars(select(ReconciliationItem)).all() == []
