"""A walk of the backing and receipt forms, each submitted empty and then with one bad field, as a
person who may use it: every required field is reported in one 400 response (beside the field and
in the summary at the top) and nothing is written."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.funding import donations, investments, loans, refunds
from fundapp.funding.models import Donation, Investment, Pledge, RefundRequest, Repayment
from fundapp.payments import services as payments
from fundapp.payments.models import OfflineReceipt
from tests.fakes.backing import entry_count, pay_by_transfer


def _rows() -> tuple:
    return (
        db.session.scalar(select(func.count(OfflineReceipt.id))),
        db.session.scalar(select(func.count(Pledge.id))),
        db.session.scalar(select(func.count(Investment.id))),
        entry_count(),
        tuple(db.session.scalars(select(OfflineReceipt.state).order_by(OfflineReceipt.id))),
    )


def _reported(response, fields) -> None:
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "error-summary" in html
    for name in fields:
        assert f'id="{name}-error"' in html, name  # beside the field
        assert f'href="#{name}"' in html, name  # and linked from the summary


RECEIPT = {
    "method": "bank",
    "operator": "Bank",
    "transfer_reference": "WALK-1",
    "sender_name": "Sender",
    "amount": "12",
    "currency": "TJS",
    "received_on": date.today().isoformat(),
}


def _forms(project_of):
    """(roles, url, required fields, a valid submit, one bad field)"""
    return [
        (
            ("treasurer",),
            lambda: "/payments/receipts/new",
            ["operator", "transfer_reference", "sender_name", "amount", "received_on"],
            lambda: {**RECEIPT, "project_id": str(project_of("donation").id)},
            ("amount", "1,5e3"),
        ),
        (
            ("administrator",),
            lambda: f"/payments/receipts/{project_of('receipt').id}/reject",
            ["reason"],
            lambda: {"reason": "not on the statement"},
            ("reason", "x" * 2001),
        ),
        (
            ("member",),
            lambda: f"/back/projects/{project_of('pledge').id}/pledge",
            ["amount"],
            lambda: {"amount": "150", "method": "transfer"},
            ("amount", "1e9"),
        ),
        (
            ("member",),
            lambda: f"/back/projects/{project_of('loan').id}/invest",
            ["amount"],
            lambda: {"amount": "150"},
            ("amount", "+150"),
        ),
    ]


@pytest.mark.parametrize("index", range(4), ids=["receipt", "reject-receipt", "pledge", "invest"])
def test_every_form_reports_every_error_at_once_and_writes_nothing(
    app, client_for, make_user, make_project, index
):
    made = {}

    def project_of(kind):
        if kind not in made:
            if kind == "receipt":
                made[kind] = _receipt(make_user("treasurer"), project_of("donation"))
            else:
                made[kind] = make_project(model=kind)
            db.session.commit()
        return made[kind]

    roles, url, required, valid, (bad_name, bad_value) = _forms(project_of)[index]
    target = url()
    client, _user = client_for(*roles)
    before = _rows()

    _reported(client.post(target, data={}), required)
    assert _rows() == before

    data = {**valid(), bad_name: bad_value}
    response = client.post(target, data=data)
    _reported(response, [bad_name])
    # what was typed is kept
    assert (bad_value if len(bad_value) < 100 else bad_value[:100]) in response.get_data(as_text=True)
    assert _rows() == before


def _receipt(treasurer, project):
    return payments.record_offline_receipt(
        actor=treasurer,
        method="bank",
        operator="Bank",
        transfer_reference="WALK-0",
        sender_name="Sender",
        amount_text="12",
        currency="TJS",
        received_on=date.today(),
        project=project,
    )


def _donations() -> int:
    return db.session.scalar(select(func.count(Donation.id)))


def test_donate_form_reports_every_error_at_once_and_writes_nothing(app, client, make_project):
    """A guest sends the donation form empty, then with one bad amount: every required field is
    reported in one 400 (beside it and in the summary), what was typed is kept, nothing is written."""
    project = make_project(model="donation")
    db.session.commit()
    url = f"/back/projects/{project.id}/donate"
    before = (_donations(), _rows())

    _reported(client.post(url, data={}), ["amount", "method", "email"])
    assert (_donations(), _rows()) == before

    data = {"amount": "1,5e3", "currency": "TJS", "method": "bank", "email": "a@example.org", "message": "hi"}
    r = client.post(url, data=data)
    _reported(r, ["amount"])
    page = r.get_data(as_text=True)
    assert 'value="1,5e3"' in page and 'value="a@example.org"' in page and "hi</textarea>" in page
    assert 'id="email-error"' not in page and 'id="method-error"' not in page
    assert (_donations(), _rows()) == before


def test_donate_form_signed_in_needs_no_email(app, client_for, make_project):
    """A member's receipt goes to their account: the form asks no email, an empty one is no error."""
    project = make_project(model="donation")
    db.session.commit()
    member, _user = client_for("member")
    r = member.post(f"/back/projects/{project.id}/donate", data={"method": "mto"})
    _reported(r, ["amount"])
    assert 'name="email"' not in r.get_data(as_text=True)
    assert _donations() == 0


def test_russian_page_refuses_a_point_group_and_reads_a_space_group(app, client, make_project):
    """On a Russian page "1,500" is refused with an example of how to write it; "1 500" is read as
    1 500,00 and shown so on the confirmation page, nothing written yet."""
    project = make_project(model="donation")
    db.session.commit()
    url = f"/back/projects/{project.id}/donate?lang=ru"
    data = {"currency": "TJS", "method": "bank", "email": "a@example.org"}
    r = client.post(url, data={**data, "amount": "1,500"})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert 'id="amount-error"' in page and "1 500,50" in page  # the example, as Russian writes it
    assert 'value="1,500"' in page
    r = client.post(url, data={**data, "amount": "1 500"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "1\u00a0500,00\u00a0TJS" in page
    assert 'name="amount" value="1500.00"' in page and 'name="confirm" value="1"' in page
    assert _donations() == 0


def test_confirming_a_donation_twice_makes_one(app, client, make_project):
    """The confirmation sent twice (a double click, a reload) makes one donation, and both answers
    lead to its page."""
    project = make_project(model="donation")
    db.session.commit()
    url = f"/back/projects/{project.id}/donate"
    data = {"amount": "25", "currency": "TJS", "method": "bank", "email": "a@example.org"}
    page = client.post(url, data=data).get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0]
    answers = [
        client.post(url, data={**data, "amount": "25.00", "token": token, "confirm": "1"}) for _ in "12"
    ]
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    donation = db.session.scalars(select(Donation)).one()
    assert donation.amount.amount == 2500 and donation.access_token == token


def test_invest_terms_empty_goes_back_to_the_amount_and_writes_nothing(app, client_for, make_project):
    """The terms form sent empty (no amount, no token, no risk box) answers 400 on the amount page
    with the reason beside the amount; without only the risk box, the terms page again with the
    error beside the box; nothing is written either way."""
    project = make_project(model="loan", goal_minor=1_000_000)
    db.session.commit()
    member, _user = client_for("member")
    url = f"/back/projects/{project.id}/invest/confirm"
    before = _rows()
    r = member.post(url, data={})
    _reported(r, ["amount"])
    assert 'data-testid="invest-hint"' in r.get_data(as_text=True)
    assert _rows() == before
    page = member.post(f"/back/projects/{project.id}/invest", data={"amount": "500"}).get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0]
    r = member.post(url, data={"amount": "500.00", "currency": "TJS", "token": token})
    _reported(r, ["risk"])
    assert "Risk notice" in r.get_data(as_text=True)
    r = member.post(url, data={"amount": "1,5e3", "currency": "TJS", "token": token, "risk": "yes"})
    _reported(r, ["amount"])
    assert 'value="1,5e3"' in r.get_data(as_text=True)
    assert _rows() == before


def _refund_requests() -> int:
    return db.session.scalar(select(func.count(RefundRequest.id)))


@pytest.fixture
def received_bank_donation(make_project, make_user):
    project = make_project(model="donation")
    d = donations.start_donation(project, amount=Money(7500, "TJS"), method="bank", email="d@example.org")
    db.session.commit()
    donations.receive_donation(d, actor=make_user("treasurer"), via="bank")
    db.session.commit()
    return d


def test_refund_request_and_decline_report_every_error_on_their_row(app, client_for, received_bank_donation):
    """A treasurer asks for a bank donation's refund with nothing filled in, then with one field
    too long; a second person declines without a reason: each answer is a 400 with every missing
    field beside it on its row and in the summary, and no request is written or decided."""
    d = received_bank_donation
    treasurer, t1 = client_for("treasurer")
    url = f"/back/staff/donations/{d.id}/refund"
    before = (_refund_requests(), _rows())
    key = f"donation-{d.id}"
    _reported(treasurer.post(url, data={}), [f"reason-{key}", f"bank_reference-{key}"])
    assert (_refund_requests(), _rows()) == before
    r = treasurer.post(url, data={"reason": "asked by the donor", "bank_reference": "R" * 101})
    _reported(r, [f"bank_reference-{key}"])
    assert 'value="asked by the donor"' in r.get_data(as_text=True)
    assert (_refund_requests(), _rows()) == before

    req = refunds.request_refund(d, actor=t1, reason="asked", bank_reference="PP-1")
    db.session.commit()
    admin, _admin = client_for("administrator")
    _reported(
        admin.post(f"/back/staff/refunds/{req.id}/decline", data={}), [f"decline_reason-refund-{req.id}"]
    )
    assert db.session.get(RefundRequest, req.id).state == "requested"


def test_repayment_form_reports_every_error_at_once(app, client_for, make_user, make_project):
    """The treasurer's repayment form sent empty, then with a bad amount: every required field in
    one 400 beside it, what was typed kept, no repayment written."""
    project = make_project(model="loan", goal_minor=10_000, rate_bp=1200, term_months=6)
    investor = make_user()
    inv = investments.commit_investment(
        project,
        investor=investor,
        amount=Money(10_000, "TJS"),
        submission_token="walk-" + "x" * 24,
        risk_acknowledged=True,
    )
    db.session.commit()
    pay_by_transfer(inv, make_user("treasurer"), make_user("treasurer"))
    loans.generate_schedule(project)
    db.session.commit()
    treasurer, _t = client_for("treasurer")
    url = f"/back/staff/projects/{project.id}/repayments"
    count = lambda: db.session.scalar(select(func.count(Repayment.id)))  # noqa: E731
    _reported(treasurer.post(url, data={}), ["amount", "reference", "received_on"])
    assert count() == 0
    data = {"amount": "1,5e3", "method": "bank", "reference": "R-1", "received_on": date.today().isoformat()}
    r = treasurer.post(url, data=data)
    _reported(r, ["amount"])
    assert 'value="1,5e3"' in r.get_data(as_text=True) and 'value="R-1"' in r.get_data(as_text=True)
    assert count() == 0


@pytest.mark.postgres
def test_two_confirmations_sent_at_the_same_moment_make_one_donation(app, make_project):
    """Two sends of one confirmation racing (both pass the "already made?" check before either
    commits): the loser waits on the token's unique key, then answers with the winner's donation
    instead of an error; one donation is written."""
    import threading

    from fundapp.proposals.models import Project

    project = make_project(model="donation")
    db.session.commit()
    pid, token = project.id, "t" * 32
    barrier = threading.Barrier(2)
    outcomes = []
    real_check = donations.check_donation

    def check_then_wait(*args, **kwargs):
        email = real_check(*args, **kwargs)
        barrier.wait(10)  # both have looked for the token and found nothing
        return email

    def confirm():
        with app.app_context():
            try:
                made = donations.start_donation(
                    db.session.get(Project, pid),
                    amount=Money(2_500, "TJS"),
                    method="bank",
                    email="a@example.org",
                    access_token=token,
                )
                db.session.commit()
                outcomes.append(made.id)
            except Exception as exc:  # noqa: BLE001
                db.session.rollback()
                outcomes.append(repr(exc))
            finally:
                db.session.remove()

    donations.check_donation = check_then_wait
    try:
        threads = [threading.Thread(target=confirm) for _ in "12"]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        donations.check_donation = real_check
    assert len(outcomes) == 2 and outcomes[0] == outcomes[1], outcomes
    assert db.session.scalar(select(func.count(Donation.id))) == 1
