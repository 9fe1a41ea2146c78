"""Receipts short of their backing by the banks' fee: accepted within the configured tolerance,
the backing credited in full, the fee its own balanced entry shown on the receipt, and the bank
statement's net line reconciled with both entries. The receipt form reports every error at once."""

from datetime import date, timedelta

from sqlalchemy import func, select

from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.funding import donations, receipts
from fundapp.funding import totals as funding_totals
from fundapp.funding.models import DonationState
from fundapp.ledger.models import JournalEntry
from fundapp.payments.models import OfflineReceipt
from fundapp.reconciliation.matching import MatchKind, StatementLine, match
from fundapp.reconciliation.services import ledger_items
from tests.fakes.backing import entry_count, ledger_snapshot


def _form(reference, amount, **kw):
    data = {
        "method": "bank",
        "operator": "Sample Bank",
        "transfer_reference": "SB-FEE-1",
        "sender_name": "Backer",
        "amount": amount,
        "currency": "TJS",
        "received_on": date.today().isoformat(),
        "backing_reference": reference,
    }
    data.update(kw)
    return data


def _donation(project, cents=500_000):
    d = donations.start_donation(project, amount=Money(cents, "TJS"), method="bank", email="g@example.org")
    db.session.commit()
    return d


def test_a_transfer_short_by_a_bank_fee_credits_the_backing_and_books_the_fee(app, client_for, make_project):
    """4,999 received against a 5,000 reference: recorded with a 1.00 fee; once confirmed the project
    has 5,000, the bank holds 4,999, the fund's fees 1.00, in two balanced entries; the receipt
    shows the fee."""
    project = make_project(model="donation", goal_minor=10_000_000)
    donation = _donation(project)
    t1, _ = client_for("treasurer")
    t2, _ = client_for("administrator")
    r = t1.post("/payments/receipts/new", data=_form(donation.reference_code, "4999"))
    assert r.status_code == 303, r.get_data(as_text=True)
    receipt = db.session.scalars(select(OfflineReceipt)).one()
    assert receipt.amount == Money(499_900, "TJS") and receipt.fee == Money(100, "TJS")
    assert receipt.credited == Money(500_000, "TJS")
    before, snap = entry_count(), ledger_snapshot()
    assert t2.post(f"/payments/receipts/{receipt.id}/confirm").status_code == 303
    assert entry_count() == before + 2
    db.session.refresh(receipt)
    fee_entry = db.session.get(JournalEntry, receipt.fee_entry_id)
    assert fee_entry.kind == "fee" and fee_entry.idempotency_key == f"receipt-fee:{receipt.id}"
    after = ledger_snapshot()

    def moved(code):
        return after.get((code, "TJS"), 0) - snap.get((code, "TJS"), 0)

    assert moved("bank") == 499_900 and moved("fees_expense") == 100
    assert moved(f"project:{project.id}") == 500_000
    assert db.session.get(type(donation), donation.id).state == DonationState.RECEIVED
    assert funding_totals.project_totals(project)["raised"] == Money(500_000, "TJS")
    page = t2.get(f"/payments/receipts/{receipt.id}").get_data(as_text=True)
    assert 'data-testid="receipt-fee"' in page and "1.00" in page.split('data-testid="receipt-fee"')[1][:40]
    # the bank statement shows 4,999 under the transfer's reference: both entries match it
    items = ledger_items("bank", "TJS", date.today() - timedelta(days=1), date.today() + timedelta(days=1))
    line = StatementLine("s1", date.today(), Money(499_900, "TJS"), "SB-FEE-1", "Backer")
    result = match([line], items)
    assert [m.kind for m in result.matches] == [MatchKind.MATCHED, MatchKind.MATCHED]


def test_a_shortfall_beyond_the_tolerance_is_refused_keeping_what_was_typed(app, client_for, make_project):
    """4,000 against 5,000 is more than fees: refused beside the amount, naming the tolerance,
    with everything typed still in the form; nothing is recorded."""
    project = make_project(model="donation", goal_minor=10_000_000)
    donation = _donation(project)
    t1, _ = client_for("treasurer")
    r = t1.post("/payments/receipts/new", data=_form(donation.reference_code, "4000", note="see slip"))
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "50.00" in page and 'value="4000"' in page and "SB-FEE-1" in page and "see slip" in page
    assert db.session.scalar(select(func.count(OfflineReceipt.id))) == 0


def test_the_tolerance_is_the_larger_of_the_share_and_the_fixed_amount(app):
    """1% of 5,000.00 is 50.00 and beats the fixed 20.00; on 100.00 the fixed 20.00 wins; never the
    whole amount."""
    assert receipts.fee_tolerance(Money(500_000, "TJS")) == Money(5_000, "TJS")
    assert receipts.fee_tolerance(Money(10_000, "TJS")) == Money(2_000, "TJS")
    assert receipts.fee_tolerance(Money(1_000, "TJS")) == Money(999, "TJS")
    app.config["RECEIPT_FEE_TOLERANCE_BP"] = 0
    app.config["RECEIPT_FEE_TOLERANCE_MINOR"] = {}
    assert receipts.fee_tolerance(Money(500_000, "TJS")) == Money(0, "TJS")


def test_an_empty_receipt_form_reports_every_missing_field_at_once(app, client_for):
    """Submitting the receipt form empty names each required field in one answer, writes nothing."""
    t1, _ = client_for("treasurer")
    r = t1.post("/payments/receipts/new", data={"received_on": ""})
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    for name in ("operator", "transfer_reference", "sender_name", "amount", "received_on"):
        assert f'id="{name}-error"' in page, name
    assert db.session.scalar(select(func.count(OfflineReceipt.id))) == 0


def test_an_unknown_currency_is_refused_beside_its_field(app, client_for, make_project):
    """A receipt posted in a currency the fund does not know is refused beside the currency, with
    the amount left unread and nothing recorded (it once raised inside the amount field)."""
    project = make_project(model="donation", goal_minor=10_000_000)
    donation = _donation(project)
    t1, _ = client_for("treasurer")
    data = {**_form(donation.reference_code, "5000"), "currency": "X´7-"}
    r = t1.post("/payments/receipts/new", data=data)
    assert r.status_code == 400
    assert 'id="currency-error"' in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count(OfflineReceipt.id))) == 0
