"""The demo backings load through the services, leave the books balanced, and load only once."""

from sqlalchemy import func, select

from fundapp.core.demo import play
from fundapp.extensions import db
from fundapp.funding import demo, loans
from fundapp.funding.models import Donation, Investment, Pledge, RepaymentShare
from tests.fakes.backing import entry_count, ledger_snapshot


def test_demo_loads_once_with_a_funded_loan_and_a_repayment(app, runner, make_user, make_project):
    """Donations (one in roubles), pledges, a funded loan with schedule and repayment; twice = once."""
    users = {
        r: make_user(r if r in ("treasurer", "administrator") else "member")
        for r in ("member", "member2", "member3", "treasurer", "administrator")
    }
    users["treasurer2"] = make_user("treasurer")
    projects = {
        "fundraising": [
            make_project(model="donation"),
            make_project(model="pledge"),
            make_project(model="loan", goal_minor=400_000),
            make_project(model="loan", goal_minor=400_000),
        ]
    }
    ctx = {"users": users, "projects": projects, "passwords": {}}
    demo.load(ctx)
    play(ctx)
    db.session.commit()
    entries = entry_count()
    assert entries > 0
    assert db.session.scalar(select(func.count(Donation.id))) == 3
    assert db.session.scalar(select(func.count(Pledge.id)).where(Pledge.state == "active")) == 2
    assert db.session.scalar(select(func.count(Investment.id)).where(Investment.state == "paid")) == 3
    loan = projects["fundraising"][2]
    assert loan.state == "funded" and loans.schedule_for(loan) is not None
    assert db.session.scalar(select(func.count(RepaymentShare.id))) == 3
    snap = ledger_snapshot()
    assert snap[("fx_loss", "TJS")] == 500  # 10,000 RUB at 0.1195 = 1,195.00 TJS for a 1,200.00 gift
    demo.load(ctx)
    play(ctx)
    db.session.commit()
    assert entry_count() == entries and ledger_snapshot() == snap
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
