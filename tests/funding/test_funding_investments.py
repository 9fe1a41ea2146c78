"""Investments in loans: the cap holds (also under concurrency on PostgreSQL), the confirmation
step, cancellation until 48 hours before the end, the schedule, repayments distributed pro rata."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.funding import investments, loans, settlement
from fundapp.funding import totals as funding_totals
from fundapp.funding.models import Investment, RepaymentShare
from fundapp.payments import services as payment_events
from fundapp.proposals.models import Project
from tests.fakes.backing import ledger_snapshot, pay_by_transfer


def _commit(project, user, cents, token=None):
    inv = investments.commit_investment(
        project,
        investor=user,
        amount=Money(cents, project.currency),
        submission_token=token or f"t-{user.id}-{cents}-{datetime.now(UTC).timestamp()}",
        risk_acknowledged=True,
    )
    db.session.commit()
    return inv


def test_confirmation_step_shows_terms_and_risk(app, client_for, make_project):
    """Investing takes two steps: the amount, then the terms and the risk notice to confirm."""
    project = make_project(model="loan", goal_minor=1_000_000)
    c, user = client_for("member")
    r = c.post(f"/back/projects/{project.id}/invest", data={"amount": "500", "currency": "TJS"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Risk notice" in page and 'name="token"' in page
    assert db.session.scalar(select(func.count(Investment.id))) == 0
    token = page.split('name="token" value="')[1].split('"')[0]
    data = {"amount": "500.00", "currency": "TJS", "token": token}
    r = c.post(f"/back/projects/{project.id}/invest/confirm", data=data)  # risk not ticked
    assert db.session.scalar(select(func.count(Investment.id))) == 0
    for _ in range(2):  # the same confirmation twice
        r = c.post(f"/back/projects/{project.id}/invest/confirm", data={**data, "risk": "yes"})
        assert r.status_code == 303
    inv = db.session.scalars(select(Investment)).one()
    assert inv.amount == Money(50_000, "TJS") and inv.investor_id == user.id
    assert funding_totals.project_totals(project)["committed"] == Money(50_000, "TJS")


def test_cap_is_never_exceeded(app, make_user, make_project):
    """Commitments beyond what is left are refused with the amount still open."""
    project = make_project(model="loan", goal_minor=100_000)
    _commit(project, make_user(), 60_000)
    with pytest.raises(ValidationFailed) as exc:
        _commit(project, make_user(), 50_000)
    assert "400.00" in str(exc.value.message)  # the amount, in any language
    db.session.rollback()
    _commit(project, make_user(), 40_000)
    with pytest.raises(InvalidTransition):
        _commit(project, make_user(), 1_000)
    db.session.rollback()
    assert funding_totals.project_totals(project)["committed"] == Money(100_000, "TJS")


def test_cancel_until_48_hours_before_the_deadline(app, make_user, make_project):
    """An investor may cancel until 48 hours before the end, not after; nobody else may."""
    project = make_project(model="loan", goal_minor=100_000, ends_in=timedelta(days=5))
    user = make_user()
    inv = _commit(project, user, 10_000)
    with pytest.raises(NotPermitted):
        investments.cancel_investment(inv, actor=make_user())
    db.session.rollback()
    investments.cancel_investment(inv, actor=user)
    db.session.commit()
    assert funding_totals.project_totals(project)["committed"] == Money(0, "TJS")
    late = make_project(model="loan", goal_minor=100_000, ends_in=timedelta(hours=47))
    inv2 = _commit(late, user, 10_000)
    with pytest.raises(InvalidTransition):
        investments.cancel_investment(inv2, actor=user)
    db.session.rollback()


def test_funded_loan_schedule_repayment_and_pro_rata_distribution(app, make_user, make_project):
    """Paid investments fund the loan at its end; the schedule is generated; a treasurer's repayment
    is split pro rata with no minor unit lost; investors see expected, received and arrears."""
    project = make_project(model="loan", goal_minor=100_000, rate_bp=1200, term_months=12)
    t1, t2 = make_user("treasurer"), make_user("treasurer")
    investors = [make_user() for _ in range(3)]
    invs = [_commit(project, u, c) for u, c in zip(investors, [33_333, 33_333, 33_334], strict=True)]
    for inv in invs:
        pay_by_transfer(inv, t1, t2)
    assert funding_totals.project_totals(project)["raised"] == Money(100_000, "TJS")
    p = db.session.get(Project, project.id)
    p.campaign_ends_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    settlement.close_due_campaigns()
    db.session.expire_all()
    assert db.session.get(Project, project.id).state == "funded"
    plan = loans.schedule_for(project)
    assert plan is not None and len(plan.instalments) == 12
    assert sum(i.principal_minor for i in plan.instalments) == 100_000
    with pytest.raises(NotPermitted):
        loans.record_repayment(
            project,
            amount=Money(1_000, "TJS"),
            method="bank",
            reference="R0",
            received_on=date.today(),
            actor=investors[0],
        )
    db.session.rollback()
    rep = loans.record_repayment(
        project, amount=Money(8_885, "TJS"), method="bank", reference="R1", received_on=date.today(), actor=t1
    )
    db.session.commit()
    shares = db.session.scalars(select(RepaymentShare).where(RepaymentShare.repayment_id == rep.id)).all()
    assert sum(s.amount_minor for s in shares) == 8_885
    assert sorted(s.amount_minor for s in shares) == [2_961, 2_962, 2_962]
    snap = ledger_snapshot()
    assert snap[("investor_payable", "TJS")] == 8_885 and snap[("investor_repayments_clearing", "TJS")] == 0
    with pytest.raises(ValidationFailed):  # the same transfer reference again
        loans.record_repayment(
            project,
            amount=Money(100, "TJS"),
            method="bank",
            reference="R1",
            received_on=date.today(),
            actor=t1,
        )
    db.session.rollback()
    rows = loans.portfolio(investors[2])
    assert rows[0]["received"].amount in (2_961, 2_962)
    total_expected = sum(loans.portfolio(u)[0]["expected"].amount for u in investors)
    assert total_expected == sum(i.amount_minor for i in plan.instalments)
    assert all(r["arrears"].amount == 0 for u in investors for r in loans.portfolio(u))


@pytest.mark.postgres
def test_fifty_concurrent_commitments_never_exceed_the_cap(app, make_user, make_project):
    """50 investors commit at the same moment against a cap that fits 20: exactly 20 succeed."""
    from fundapp.accounts.models import User

    project = make_project(model="loan", goal_minor=200_000)
    users = [
        User(email=f"investor{n}@example.org", password_hash="x", full_name=f"Investor {n}")
        for n in range(50)
    ]
    db.session.add_all(users)
    db.session.commit()
    pid = project.id
    barrier = threading.Barrier(50)
    outcomes = []

    def invest(uid):
        with app.app_context():
            try:
                barrier.wait(30)  # all start together (they then share the connection pool)
                user = db.session.get(User, uid)
                proj = db.session.get(Project, pid)
                investments.commit_investment(
                    proj,
                    investor=user,
                    amount=Money(10_000, "TJS"),
                    submission_token=f"c-{uid}",
                    risk_acknowledged=True,
                )
                db.session.commit()
                outcomes.append("ok")
            except (ValidationFailed, InvalidTransition):
                db.session.rollback()
                outcomes.append("full")
            except Exception as exc:  # noqa: BLE001
                db.session.rollback()
                outcomes.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=invest, args=(u.id,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(set(outcomes)) == ["full", "ok"], outcomes
    assert outcomes.count("ok") == 20
    db.session.expire_all()
    total = db.session.scalar(select(func.sum(Investment.amount_minor)).where(Investment.project_id == pid))
    assert total == 200_000
    assert funding_totals.project_totals(project)["committed"] == Money(200_000, "TJS")


def test_card_payment_after_cancelling_is_refunded(app_factory, fake_stripe, make_user):
    """An investor pays on Stripe's page after cancelling: the money is booked as owed back and
    refunded through Stripe; the loan's counters do not move."""
    from fundapp.payments import gateway
    from tests.fakes.backing import make_project

    stripe_app = app_factory(**fake_stripe.config())
    with stripe_app.app_context():
        user = make_user()
        project = make_project(user, model="loan", goal_minor=100_000)
        inv = _commit(project, user, 10_000)
        investments.open_investment_checkout(
            inv, actor=user, success_url="http://x/?s={CHECKOUT_SESSION_ID}", cancel_url="http://x/"
        )
        db.session.commit()
        investments.cancel_investment(inv, actor=user)
        db.session.commit()
        fake_stripe.complete_checkout(inv.checkout_session_id)
        assert payment_events.apply_checkout_session(gateway.retrieve_checkout(inv.checkout_session_id)) == (
            "refunded_late_payment"
        )
        db.session.commit()
        assert fake_stripe.count("refund") == 1
        snap = ledger_snapshot()
        assert snap[("refunds_payable", "TJS")] == 0
        assert snap[("stripe_clearing", "TJS")] == -(10_000 * 29 // 1000 + 30)
        assert funding_totals.project_totals(project)["raised"] == Money(0, "TJS")
        # a replay changes nothing
        payment_events.apply_checkout_session(gateway.retrieve_checkout(inv.checkout_session_id))
        db.session.commit()
        assert fake_stripe.count("refund") == 1 and ledger_snapshot() == snap
        db.session.remove()
