"""The loan's cap on the amount page, and what "My backing" expects back from an investment."""

from sqlalchemy import func, select

from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.funding import common, investments, loans
from fundapp.funding.models import Investment
from fundapp.funding.schedule import build_schedule
from tests.fakes.backing import pay_by_transfer


def _commit(project, investor, cents):
    inv = investments.commit_investment(
        project,
        investor=investor,
        amount=Money(cents, project.currency),
        submission_token=f"t-{investor.id}-{cents}",
        risk_acknowledged=True,
    )
    db.session.commit()
    return inv


def test_amount_beyond_the_room_is_refused_on_the_first_page_keeping_what_was_typed(
    app, client_for, make_project, make_user
):
    """With 400.00 left under a 1,000.00 cap, 500 is refused at once on the amount page: the hint
    and the message name the room, the field still holds "500", no terms or schedule are shown."""
    project = make_project(model="loan", goal_minor=100_000)
    _commit(project, make_user(), 60_000)
    c, _ = client_for("member")
    page = c.get(f"/back/projects/{project.id}/invest").get_data(as_text=True)
    assert "400.00" in page.split('data-testid="invest-hint"')[1].split("</p>")[0]
    r = c.post(f"/back/projects/{project.id}/invest", data={"amount": "500"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "Only 400.00" in page and "Risk notice" not in page and 'name="token"' not in page
    assert 'value="500"' in page
    hint = page.split('data-testid="invest-hint"')[1].split("</p>")[0]
    assert "400.00" in hint and "1,000.00" not in hint
    # within the room: the terms, with the schedule of that amount
    r = c.post(f"/back/projects/{project.id}/invest", data={"amount": "400"})
    assert r.status_code == 200 and "Risk notice" in r.get_data(as_text=True)


def test_every_error_of_the_amount_page_is_shown_at_once(app, client_for, make_project):
    """A bad amount and a too long public name are both reported in one answer."""
    project = make_project(model="loan", goal_minor=100_000)
    c, _ = client_for("member")
    r = c.post(
        f"/back/projects/{project.id}/invest",
        data={"amount": "1,5e3", "named": "y", "public_name": "x" * 200},
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert page.count('class="field-error"') == 2 and 'value="1,5e3"' in page


def test_room_taken_meanwhile_sends_back_to_the_amount_with_it_kept(app, client_for, make_project, make_user):
    """Someone else took the room between the terms and the confirmation: the amount page comes back
    with the amount still in the field and the room in the message; nothing is committed."""
    project = make_project(model="loan", goal_minor=100_000)
    c, _ = client_for("member")
    page = c.post(f"/back/projects/{project.id}/invest", data={"amount": "500"}).get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0]
    _commit(project, make_user(), 70_000)
    r = c.post(
        f"/back/projects/{project.id}/invest/confirm",
        data={"amount": "500.00", "currency": "TJS", "token": token, "risk": "yes"},
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "Only 300.00" in page and 'value="500.00"' in page
    assert db.session.scalar(select(func.count(Investment.id))) == 1


def test_risk_box_not_ticked_keeps_the_terms_page(app, client_for, make_project):
    """Forgetting the risk box shows the terms again with the message beside the box."""
    project = make_project(model="loan", goal_minor=100_000)
    c, _ = client_for("member")
    page = c.post(f"/back/projects/{project.id}/invest", data={"amount": "500"}).get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0]
    r = c.post(
        f"/back/projects/{project.id}/invest/confirm",
        data={"amount": "500.00", "currency": "TJS", "token": token},
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and 'id="risk-error"' in page and token in page
    assert db.session.scalar(select(func.count(Investment.id))) == 0


def test_my_backing_shows_the_repayments_expected_from_a_paid_investment(
    app, client_for, make_project, make_user
):
    """A paid investment of a campaign still running expects what the terms give its amount (not
    0.00); once the loan is funded, its share of the real schedule."""
    project = make_project(model="loan", goal_minor=100_000, rate_bp=1200, term_months=12)
    c, investor = client_for("member")
    inv = _commit(project, investor, 100_000)
    pay_by_transfer(inv, make_user("treasurer"), make_user("treasurer"))
    expected = sum(
        i.amount.amount
        for i in build_schedule(
            Money(100_000, "TJS"),
            annual_rate_bp=1200,
            term_months=12,
            repayment_type="annuity",
            start=common.now().date(),
        )
    )
    assert expected > 100_000
    [row] = loans.portfolio(investor)
    assert row["expected"] == Money(expected, "TJS")
    page = c.get("/back/mine").get_data(as_text=True)
    assert f"{expected // 100:,}.{expected % 100:02d}" in page
    loans.generate_schedule(db.session.get(type(project), project.id))
    db.session.commit()
    [row] = loans.portfolio(investor)
    assert row["expected"] == Money(expected, "TJS")  # the sole investor gets every instalment
