"""Whatever posts from the command line (cron's `flask campaigns close`) seals what it committed
before it exits, so the public figures count it and a correct ledger verifies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from fundapp.core.money import Money
from fundapp.extensions import db


def test_campaigns_close_from_the_cli_seals_its_entries(app, runner, people, project_in, make_user):
    """A loan campaign that missed its goal: the closer, run as cron runs it, owes the paid
    investment back (an entry out of the project's account). When the command ends, is that entry
    sealed, counted by the public figures, and does the ledger verify?"""
    from fundapp.funding import investments
    from fundapp.ledger.models import JournalEntry
    from fundapp.payments import services as payments
    from fundapp.proposals.models import Project
    from fundapp.transparency import counters
    from fundapp.transparency.money import project_money

    p = project_in(
        "fundraising", funding_model="loan", annual_rate="8", term_months="12", repayment_type="annuity"
    )
    inv = investments.commit_investment(
        p,
        investor=make_user("member"),
        amount=Money(10_000, p.currency),
        submission_token="cli-1",
        risk_acknowledged=True,
    )
    db.session.commit()
    receipt = payments.record_offline_receipt(
        actor=people.treasurer,
        method="bank",
        operator="Amonatbonk",
        transfer_reference="CLI-1",
        sender_name="Sender",
        amount_text="100.00",
        currency=p.currency,
        received_on=date.today(),
        backing_reference=inv.reference_code,
        fx_rate_text=None,
    )
    payments.confirm_offline_receipt(receipt, actor=people.admin)
    db.session.commit()
    from fundapp.ledger import sealing

    sealing.seal_and_checkpoint()
    db.session.commit()
    assert project_money(p).received == Money(10_000, p.currency)
    p = db.session.get(Project, p.id)
    p.campaign_ends_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()

    result = runner.invoke(args=["campaigns", "close"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Project, p.id).state == "unsuccessful"
    unsealed = db.session.scalars(select(JournalEntry.id).where(JournalEntry.sequence.is_(None))).all()
    assert unsealed == []
    pm = project_money(db.session.get(Project, p.id))
    assert pm.refunded == Money(10_000, p.currency) and pm.held.amount == 0
    assert pm.tree_size == counters.coverage().tree_size
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0
