"""Two people acting at the same moment on PostgreSQL: money still moves once, never beyond what is held."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from fundapp.core.errors import DomainError
from fundapp.disbursements import services
from fundapp.disbursements.models import DisbursementRequest
from fundapp.extensions import db
from fundapp.ledger import services as ledger
from fundapp.ledger.models import JournalEntry

pytestmark = pytest.mark.postgres


def _race(app, jobs):
    """Run each ``job(session-bound objects)`` in its own thread and transaction, all at once."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)

    def run(i, job):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                job()
                db.session.commit()
                outcomes[i] = "ok"
            except DomainError as exc:
                db.session.rollback()
                outcomes[i] = type(exc).__name__
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def test_concurrent_executions_post_once(app, cast, requested):
    """When two treasurers execute the same payout at the same moment, does exactly one succeed, with
    one journal entry?"""
    from fundapp.accounts.models import User

    req = requested()
    services.approve_disbursement(req, actor=cast.admin)
    db.session.commit()
    req_id, t1, t2 = req.id, cast.treasurer.id, cast.treasurer2.id
    db.session.remove()

    def execute(user_id, ref):
        def job():
            r = db.session.get(DisbursementRequest, req_id)
            services.execute_disbursement(r, actor=db.session.get(User, user_id), bank_reference=ref)

        return job

    outcomes = _race(app, [execute(t1, "A"), execute(t2, "B")] * 2)
    assert sorted(outcomes) == ["InvalidTransition"] * 3 + ["ok"]
    count = db.session.scalar(
        select(func.count(JournalEntry.id)).where(
            JournalEntry.source_type == "disbursement", JournalEntry.source_id == str(req_id)
        )
    )
    assert count == 1
    req = db.session.get(DisbursementRequest, req_id)
    assert ledger.balance(ledger.project_account(req.project_id, "TJS")).amount == 2_000_000


def test_concurrent_approvals_never_promise_more_than_is_held(app, cast, funded_project, requested):
    """When two administrators approve two payouts that together exceed the holding, at the same moment,
    is exactly one reserved?"""
    from fundapp.accounts.models import User

    project = funded_project(held="20000")
    first = requested("15000", project=project, milestone_index=0)
    second = requested("15000", project=project, milestone_index=1)
    ids, a1, a2, pid = (first.id, second.id), cast.admin.id, cast.admin2.id, project.id
    db.session.remove()

    def approve(req_id, admin_id):
        def job():
            r = db.session.get(DisbursementRequest, req_id)
            services.approve_disbursement(r, actor=db.session.get(User, admin_id))

        return job

    outcomes = _race(app, [approve(ids[0], a1), approve(ids[1], a2)])
    assert sorted(outcomes) == ["InsufficientFunds", "ok"]
    account = ledger.project_account(pid, "TJS")
    assert ledger.available(account).amount == 500_000
