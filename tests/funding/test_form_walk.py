"""A walk of the backing and receipt forms, each submitted empty and then with one bad field, as a
person who may use it: every required field is reported in one 400 response (beside the field and
in the summary at the top) and nothing is written."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from fundapp.extensions import db
from fundapp.funding.models import Investment, Pledge
from fundapp.payments import services as payments
from fundapp.payments.models import OfflineReceipt
from tests.fakes.backing import entry_count


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
