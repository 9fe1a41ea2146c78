"""Helpers for tests of backing: a project already raising money (made directly, not through the
proposal workflow, which has its own tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fundapp.extensions import db


def make_project(
    owner,
    *,
    model="donation",
    goal_minor=100_000,
    currency="TJS",
    ends_in=timedelta(days=30),
    state="fundraising",
    rate_bp=1200,
    term_months=12,
    repayment_type="annuity",
    **fields,
):
    from fundapp.proposals.models import Project

    now = datetime.now(UTC)
    project = Project(
        title=fields.pop("title", f"Water for the village ({model})"),
        summary="A test project.",
        description="",
        description_html="",
        owner_id=owner.id,
        category="education",
        home_region="dushanbe",
        home_district="firdavsi",
        funding_model=model,
        goal_minor=goal_minor,
        currency=currency,
        campaign_days=60,
        state=state,
        campaign_starts_at=now - timedelta(days=1),
        campaign_ends_at=now + ends_in,
        published_at=now - timedelta(days=1),
        annual_rate_bp=rate_bp if model == "loan" else None,
        term_months=term_months if model == "loan" else None,
        repayment_type=repayment_type if model == "loan" else None,
        **fields,
    )
    db.session.add(project)
    db.session.commit()
    return project


def ledger_snapshot():
    """Every account's balance, for comparing two runs: {(code, currency): minor}."""
    from sqlalchemy import select

    from fundapp.ledger import services as ledger
    from fundapp.ledger.models import Account

    return {
        (a.code, a.currency): ledger.balance(a).amount
        for a in db.session.scalars(select(Account).order_by(Account.code, Account.currency)).all()
    }


def entry_count() -> int:
    from sqlalchemy import func, select

    from fundapp.ledger.models import JournalEntry

    return db.session.scalar(select(func.count(JournalEntry.id)))


def pay_by_transfer(inv, t1, t2, method="bank"):
    """The investment's money arrives by transfer: one treasurer records it, another confirms."""
    from datetime import date

    from fundapp.payments import services as payments

    r = payments.record_offline_receipt(
        actor=t1,
        method=method,
        operator="Sample Bank",
        transfer_reference=f"INV-{inv.id}",
        sender_name="Investor",
        amount_text=str(inv.amount.to_decimal()),
        currency=inv.currency,
        received_on=date.today(),
        backing_reference=inv.reference_code,
    )
    db.session.commit()
    payments.confirm_offline_receipt(r, actor=t2)
    db.session.commit()
