"""Offline receipts: recorded by one treasurer, confirmed by a second staff member, posted once."""

from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from fundapp.core.errors import DuplicateRequest, NotPermitted, ValidationFailed
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.funding import donations, references
from fundapp.funding import totals as funding_totals
from fundapp.funding.models import DonationState
from fundapp.payments import services
from fundapp.payments.models import OfflineReceipt
from tests.fakes.backing import entry_count, ledger_snapshot


def _record(actor, project=None, **kw):
    values = dict(
        actor=actor,
        method="bank",
        operator="Sample Bank",
        transfer_reference="TR-001",
        sender_name="Ali Karimov",
        amount_text="150.00",
        currency="TJS",
        received_on=date.today(),
        project=project,
    )
    values.update(kw)
    return services.record_offline_receipt(**values)


def test_transfer_donation_counts_only_after_a_second_person_confirms(app, make_user, make_project):
    """A guest's transfer donation is pending; the treasurer records it; it counts after another
    staff member confirms, and the ledger holds it in the project's account."""
    project = make_project(model="donation")
    t1, t2 = make_user("treasurer"), make_user("treasurer")
    donation = donations.start_donation(
        project, amount=Money(15000, "TJS"), method="bank", email="guest@example.org"
    )
    db.session.commit()
    receipt = _record(t1, backing_reference=donation.reference_code)
    db.session.commit()
    assert funding_totals.project_totals(project)["raised"] == Money(0, "TJS")
    with pytest.raises(NotPermitted):
        services.confirm_offline_receipt(receipt, actor=t1)
    db.session.rollback()
    before = entry_count()
    services.confirm_offline_receipt(receipt, actor=t2)
    db.session.commit()
    assert entry_count() == before + 1
    db.session.refresh(donation)
    assert donation.state == DonationState.RECEIVED
    totals = funding_totals.project_totals(project)
    assert totals["raised"] == Money(15000, "TJS") and totals["backers"] == 1
    assert totals["by_channel"]["bank"] == Money(15000, "TJS")
    snap = ledger_snapshot()
    assert snap[("bank", "TJS")] == 15000
    # confirming again changes nothing
    with pytest.raises(Exception):  # noqa: B017 - InvalidTransition
        services.confirm_offline_receipt(receipt, actor=t2)
    db.session.rollback()
    assert entry_count() == before + 1


def test_same_operator_and_reference_twice_is_refused(app, make_user, make_project):
    """The same (operator, transfer reference) cannot be recorded twice, even written differently."""
    project = make_project()
    t1 = make_user("treasurer")
    _record(t1, project=project)
    db.session.commit()
    with pytest.raises(DuplicateRequest) as exc:
        _record(t1, project=project, operator="sample bank ", transfer_reference="tr 001")
    with force_locale("en"):
        assert "already recorded" in str(exc.value.message)
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(OfflineReceipt.id))) == 1


def test_rejected_receipt_keeps_its_record_and_posts_nothing(app, make_user, make_project):
    """A rejected receipt stays on record with its reason; nothing reaches the ledger."""
    project = make_project()
    t1, admin = make_user("treasurer"), make_user("administrator")
    receipt = _record(t1, project=project)
    db.session.commit()
    before = entry_count()
    services.reject_offline_receipt(receipt, actor=admin, reason="not on the statement")
    db.session.commit()
    assert receipt.state == "rejected" and receipt.decision_reason == "not on the statement"
    assert entry_count() == before


def test_foreign_currency_receipt_books_the_fx_difference(app, make_user, make_project):
    """RUB arriving for a TJS donation: converted at the recorded rate; the difference from the
    donation's amount goes to fx_gain/fx_loss, and every currency balances."""
    project = make_project()
    t1, t2 = make_user("treasurer"), make_user("administrator")
    donation = donations.start_donation(
        project, amount=Money(12000, "TJS"), method="mto", email="m@example.org"
    )
    db.session.commit()
    # 1000.00 RUB at 0.1195 = 119.50 TJS for a 120.00 TJS donation: 0.50 TJS FX loss
    receipt = _record(
        t1,
        method="mto",
        operator="Zolotaya Korona",
        transfer_reference="ZK-77",
        amount_text="1000",
        currency="RUB",
        fx_rate_text="0.1195",
        backing_reference=donation.reference_code,
    )
    db.session.commit()
    services.confirm_offline_receipt(receipt, actor=t2)
    db.session.commit()
    snap = ledger_snapshot()
    assert snap[("mto_clearing", "RUB")] == 100000
    assert snap[("fx_loss", "TJS")] == 50
    assert funding_totals.project_totals(project)["raised"] == Money(12000, "TJS")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount_text", "0", "greater than zero"),
        ("amount_text", "-5", "Write the amount"),
        ("amount_text", "1.234", "decimal"),
        ("amount_text", "abc", "Write the amount"),
        ("amount_text", "9" * 30, "too large"),
        ("currency", "XXX", "not supported"),
        ("fx_rate_text", "abc", "rate"),
    ],
)
def test_bad_receipt_input_is_a_clear_error(app, make_user, make_project, field, value, message):
    """Bad amounts, currencies and rates are refused with a clear message; nothing is recorded."""
    project = make_project()
    t1 = make_user("treasurer")
    kw = {field: value}
    if field == "fx_rate_text":
        kw["currency"] = "RUB"
    with pytest.raises(ValidationFailed) as exc:
        _record(t1, project=project, **kw)
    with force_locale("en"):
        assert message in str(exc.value.message)
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(OfflineReceipt.id))) == 0


def test_receipt_with_evidence_file_only_for_staff(app, client_for, make_project):
    """The evidence of a receipt is stored through files.store_upload and served to staff only."""
    import io

    project = make_project()
    tc, _ = client_for("treasurer")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
    r = tc.post(
        "/payments/receipts/new",
        data={
            "method": "bank",
            "operator": "Bank",
            "transfer_reference": "EV-1",
            "sender_name": "S",
            "amount": "12",
            "currency": "TJS",
            "received_on": date.today().isoformat(),
            "project_id": str(project.id),
            "evidence": (io.BytesIO(png), "slip.png"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    receipt = db.session.scalars(select(OfflineReceipt)).one()
    assert receipt.evidence_file_id
    assert tc.get(f"/files/{receipt.evidence_file_id}").status_code == 200
    mc, _ = client_for("member")
    assert mc.get(f"/files/{receipt.evidence_file_id}").status_code in (403, 404)
    bad = tc.post(
        "/payments/receipts/new",
        data={
            "method": "bank",
            "operator": "Bank",
            "transfer_reference": "EV-2",
            "sender_name": "S",
            "amount": "12",
            "currency": "TJS",
            "received_on": date.today().isoformat(),
            "project_id": str(project.id),
            "evidence": (io.BytesIO(b"MZ not a picture"), "x.png"),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400
    assert db.session.scalar(select(db.func.count(OfflineReceipt.id))) == 1


def test_reconciliation_knows_a_receipt_by_its_transfer_reference(app, make_user, make_project):
    """Bank statements name transfers by their reference: the receipt's entry carries it."""
    from fundapp.ledger.models import JournalEntry

    project = make_project()
    t1, t2 = make_user("treasurer"), make_user("treasurer")
    receipt = _record(t1, project=project, transfer_reference="BANK-REF-42")
    db.session.commit()
    services.confirm_offline_receipt(receipt, actor=t2)
    db.session.commit()
    entry = db.session.get(JournalEntry, receipt.ledger_entry_id)
    assert references.transfer_references([entry]) == {entry.id: ["BANK-REF-42"]}
