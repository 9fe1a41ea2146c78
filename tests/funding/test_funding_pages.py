"""The backing pages render for the people who may see them, and only for them."""

from datetime import date

import pytest

from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.funding import donations, investments, loans


@pytest.fixture
def app(stripe_app):
    return stripe_app


def test_public_project_page_shows_the_panel_for_each_model(app, client, make_project):
    """The project page includes the panel: donate for donations, pledged vs collected for pledges,
    the room left for loans, and transfer instructions marked as samples."""
    d = make_project(model="donation")
    p = make_project(model="pledge")
    loan = make_project(model="loan", goal_minor=50_000)
    page = client.get(f"/projects/{d.id}?lang=en").get_data(as_text=True)
    assert "Back this project" in page and f"/back/projects/{d.id}/donate" in page and "SAMPLE" in page
    page = client.get(f"/projects/{p.id}?lang=en").get_data(as_text=True)
    assert "Pledged" in page and "Collected" in page
    # without card payments a pledge is still offered, to be paid by transfer
    assert "bank or money transfer" in page and f"/back/projects/{p.id}/pledge" in page
    page = client.get(f"/projects/{loan.id}?lang=en").get_data(as_text=True)
    assert f"/back/projects/{loan.id}/invest" in page and "500.00" in page


def test_my_backing_and_dashboard(app, client_for, make_project, make_user):
    """A backer sees their donations, pledges and investments with states, and where money went."""
    project = make_project(model="donation")
    loan = make_project(model="loan", goal_minor=50_000)
    c, user = client_for("member")
    donations.start_donation(project, amount=Money(1000, "TJS"), method="bank", email=None, backer=user)
    investments.commit_investment(
        loan, investor=user, amount=Money(5000, "TJS"), submission_token="tok-1", risk_acknowledged=True
    )
    db.session.commit()
    page = c.get("/back/mine?lang=en").get_data(as_text=True)
    assert "Waiting for payment" in page and "Committed, waiting for payment" in page
    assert "Where the money went" in page
    dash = c.get("/me?lang=en").get_data(as_text=True)  # "My page" includes funding/_dashboard.html
    assert "My backing" in dash and "Waiting for payment" in dash
    inv_id = loans.portfolio(user)[0]["investment"].id
    assert "Pay by card" in c.get(f"/back/investments/{inv_id}?lang=en").get_data(as_text=True)
    other, _ = client_for("member")
    assert other.get(f"/back/investments/{inv_id}").status_code == 404


def test_staff_pages_and_permissions(app, client_for, make_project):
    """Treasurers record receipts and repayments; members cannot reach staff pages."""
    project = make_project(model="loan", goal_minor=50_000)
    tc, _ = client_for("treasurer")
    assert tc.get("/payments/receipts").status_code == 200
    assert tc.get("/payments/receipts/new").status_code == 200
    assert tc.get("/back/staff").status_code == 200
    assert tc.get(f"/back/staff/projects/{project.id}/loan").status_code == 200
    mc, _ = client_for("member")
    assert mc.get("/payments/receipts").status_code == 403
    assert mc.get("/back/staff").status_code == 403
    r = tc.post(
        "/payments/receipts/new",
        data={
            "method": "bank",
            "operator": "Bank",
            "transfer_reference": "A1",
            "sender_name": "S",
            "amount": "12",
            "currency": "TJS",
            "received_on": date.today().isoformat(),
            "project_id": str(project.id),
        },
    )
    assert r.status_code == 303
    detail = tc.get(r.location + "?lang=en").get_data(as_text=True)
    assert "another treasurer or an administrator must confirm" in detail
    r = tc.post(
        "/payments/receipts/new",
        data={
            "method": "bank",
            "operator": "Bank",
            "transfer_reference": "A1",
            "sender_name": "S",
            "amount": "12",
            "currency": "TJS",
            "received_on": date.today().isoformat(),
            "project_id": str(project.id),
        },
    )
    assert r.status_code == 400
