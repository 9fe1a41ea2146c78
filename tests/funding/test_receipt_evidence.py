"""Every backer holds evidence: a collected pledge's and a paid investment's receipt page and mail
carry the ledger entry, its leaf hash, the checkpoint and the inclusion proof; the downloaded file
passes `tools/verify_ledger.py --receipt` and a tampered copy does not."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.funding import investments, pledges
from fundapp.funding.models import Investment, Pledge
from fundapp.ledger import sealing
from fundapp.payments import services as payment_events
from fundapp.proposals.models import Project
from tests.conftest import login_as
from tests.fakes.stripe_server import GOOD_CARD

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_ledger.py"


@pytest.fixture
def app(stripe_app):
    return stripe_app


def _verify(tmp_path: Path, proof: dict, name: str) -> subprocess.CompletedProcess:
    path = tmp_path / name
    path.write_text(json.dumps(proof), encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(TOOL), "--receipt", str(path)], capture_output=True, text=True, timeout=60
    )


def _evidence_checks(client, tmp_path, page: str, mail_body: str, label: str) -> None:
    seq = int(re.search(r'data-evidence="seq">(\d+)<', page).group(1))
    leaf = re.search(r'data-evidence="leaf_hash">([0-9a-f]{64})<', page).group(1)
    link = re.search(r'href="([^"]+/receipt-proof\.json)" download', page).group(1)
    proof = client.get(link).get_json()
    assert proof["entry"]["seq"] == seq and proof["leaf_hash"] == leaf
    assert proof["checkpoint"]["root_hash"] in page
    ok = _verify(tmp_path, proof, f"{label}.json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    tampered = json.loads(json.dumps(proof))
    tampered["entry"]["legs"][0][3] += 1  # another amount
    bad = _verify(tmp_path, tampered, f"{label}-tampered.json")
    assert bad.returncode != 0, bad.stdout
    mailed = re.search(r"(http\S+/receipt-proof\.json)", mail_body).group(1)
    answer = client.get(mailed.split("localhost", 1)[-1]).get_json()
    assert answer["entry"]["seq"] == seq and answer["leaf_hash"] == leaf


def _last_mail(user, subject_part: str) -> str:
    from fundapp.mail.models import OutboxMessage

    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == user.email).order_by(OutboxMessage.id)
    ).all()
    found = [m for m in rows if "receipt-proof.json" in m.body_text and subject_part in m.body_text]
    assert found, [m.subject for m in rows]
    return found[-1].body_text


def test_a_collected_pledge_has_a_receipt_with_evidence(
    app, client, runner, make_user, fake_stripe, make_project, tmp_path
):
    from fundapp.payments import gateway

    project = make_project(model="pledge", goal_minor=10_000)
    backer = make_user()
    p = pledges.make_pledge(project, backer=backer, amount=Money(12_000, project.currency))
    db.session.commit()
    pledges.open_pledge_card_setup(
        p, success_url="http://x/ok?s={CHECKOUT_SESSION_ID}", cancel_url="http://x/"
    )
    db.session.commit()
    fake_stripe.complete_checkout(p.setup_session_id, GOOD_CARD)
    payment_events.apply_checkout_session(gateway.retrieve_checkout(p.setup_session_id))
    db.session.commit()
    row = db.session.get(Project, project.id)
    row.campaign_ends_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    assert runner.invoke(args=["campaigns", "close"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(Pledge, p.id).state == "collected"
    sealing.seal_and_checkpoint(wait=True)
    db.session.commit()
    login_as(client, backer)
    page = client.get(f"/back/pledges/{p.id}").get_data(as_text=True)
    assert 'data-state="collected"' in page
    _evidence_checks(client, tmp_path, page, _last_mail(backer, f"/back/pledges/{p.id}"), "pledge")
    # someone else's pledge receipt does not exist for them
    login_as(client, make_user())
    assert client.get(f"/back/pledges/{p.id}").status_code == 404


def test_a_paid_investment_has_evidence(app, client, make_user, make_project, tmp_path):
    from fundapp.payments import services as payments

    project = make_project(model="loan", goal_minor=400_000)
    investor = make_user()
    inv = investments.commit_investment(
        project,
        investor=investor,
        amount=Money(20_000, project.currency),
        submission_token="ev-1",
        risk_acknowledged=True,
    )
    db.session.commit()
    receipt = payments.record_offline_receipt(
        actor=make_user("treasurer"),
        method="bank",
        operator="Sample Bank",
        transfer_reference="EV-1",
        sender_name="Investor",
        amount_text="200.00",
        currency=project.currency,
        received_on=date.today(),
        backing_reference=inv.reference_code,
    )
    db.session.commit()
    payments.confirm_offline_receipt(receipt, actor=make_user("treasurer"))
    db.session.commit()
    assert db.session.get(Investment, inv.id).state == "paid"
    sealing.seal_and_checkpoint(wait=True)
    db.session.commit()
    login_as(client, investor)
    page = client.get(f"/back/investments/{inv.id}").get_data(as_text=True)
    _evidence_checks(
        client, tmp_path, page, _last_mail(investor, f"/back/investments/{inv.id}"), "investment"
    )
