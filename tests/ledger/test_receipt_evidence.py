"""A backer's evidence: the receipt page shows the entry's number, leaf hash, checkpoint and
inclusion proof and offers them as a file the verifier checks offline; the receipt mail links to
that file."""

from __future__ import annotations

import importlib.util
import io
import re
from datetime import date
from pathlib import Path

from sqlalchemy import select

from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.ledger import sealing
from tests.fakes.backing import make_project

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_ledger.py"


def _verifier():
    spec = importlib.util.spec_from_file_location("verify_ledger_receipts", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _received_donation(make_user):
    from fundapp.funding import donations
    from fundapp.payments import services as payments

    project = make_project(make_user("member"))
    donation = donations.start_donation(
        project, amount=Money(12_500, "TJS"), method="bank", email="backer@example.org"
    )
    db.session.commit()
    receipt = payments.record_offline_receipt(
        actor=make_user("treasurer"),
        method="bank",
        operator="Sample Bank",
        transfer_reference="TR-1",
        sender_name="Backer",
        amount_text="125.00",
        currency="TJS",
        received_on=date.today(),
        backing_reference=donation.reference_code,
    )
    db.session.commit()
    payments.confirm_offline_receipt(receipt, actor=make_user("treasurer"))
    db.session.commit()
    return donation


def test_the_receipt_page_and_mail_carry_the_ledger_evidence(app, client, make_user):
    """Once sealed, does the receipt page show the entry number, leaf hash, checkpoint root and
    inclusion proof, does its download verify offline, and does the mail link to the same file?"""
    from fundapp.mail.models import OutboxMessage

    donation = _received_donation(make_user)
    sealing.seal_after_commit()
    page = client.get(f"/back/donations/{donation.access_token}").get_data(as_text=True)
    seq = int(re.search(r'data-evidence="seq">(\d+)<', page).group(1))
    leaf = re.search(r'data-evidence="leaf_hash">([0-9a-f]{64})<', page).group(1)
    proof = client.get(f"/api/v1/ledger/entries/{seq}/receipt-proof.json").get_json()
    assert proof["leaf_hash"] == leaf and proof["entry"]["seq"] == seq
    assert proof["checkpoint"]["root_hash"] in page
    assert "Donation" in proof["entry"]["memo"] and proof["entry"]["legs"]
    out = io.StringIO()
    result = _verifier().Result(out)
    assert _verifier().check_receipt(proof, result) is not None and result.failures == 0, out.getvalue()
    # a tampered proof (another amount) does not verify
    proof["entry"]["legs"][0][3] += 1
    result = _verifier().Result(io.StringIO())
    assert _verifier().check_receipt(proof, result) is None
    mail = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == "backer@example.org")
    ).all()[-1]
    link = re.search(r"(http\S+/receipt-proof\.json)", mail.body_text).group(1)
    answer = client.get(link.split("localhost", 1)[-1])
    assert answer.status_code == 200 and answer.get_json()["entry"]["seq"] == seq


def test_a_receipt_before_sealing_says_so(app, client, make_user):
    """Before its entry is sealed, does the page say the proof is coming (not fail), and the
    mailed link answer 404 with a reason?"""
    from flask import g

    from fundapp.funding.models import Donation

    donation = _received_donation(make_user)
    g.pop("ledger_unsealed", None)  # the test's postings would be sealed after the next request
    page = client.get(f"/back/donations/{donation.access_token}")
    assert page.status_code == 200 and "being sealed" in page.get_data(as_text=True)
    entry_id = db.session.get(Donation, donation.id).ledger_entry_id
    r = client.get(f"/api/v1/ledger/postings/{entry_id}/receipt-proof.json")
    assert r.status_code == 404 and "not sealed" in r.get_json()["error"]
