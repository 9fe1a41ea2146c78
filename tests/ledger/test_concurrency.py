"""Many writers at once on PostgreSQL: no lost update, no negative restricted balance, exact final
balances, one entry per idempotency key, gapless sealing."""

from __future__ import annotations

import random
import threading
import time

import pytest
import sqlalchemy as sa

from fundapp.core.errors import InsufficientFunds, InvalidTransition
from fundapp.extensions import db
from fundapp.ledger import sealing
from fundapp.ledger import services as L
from fundapp.ledger.models import AccountBalance, JournalEntry
from fundapp.ledger.verify import verify_ledger

from .conftest import tjs

pytestmark = pytest.mark.postgres

THREADS = 16


@pytest.fixture
def pg_app(app_factory):
    app = app_factory(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 60, "max_overflow": 10, "pool_pre_ping": True})
    with app.app_context():
        yield app
        db.session.remove()


def _run_threads(app, n, work):
    """Run ``work(i)`` in ``n`` threads that start together; return results/exceptions by index."""
    barrier = threading.Barrier(n)
    out: list = [None] * n

    def target(i):
        with app.app_context():
            try:
                barrier.wait()
                out[i] = work(i)
            except Exception as exc:  # collected and asserted by the caller
                db.session.rollback()
                out[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return out


def _ids():
    bank, p1, p2 = L.get_account("bank", "TJS"), L.project_account(1, "TJS"), L.project_account(2, "TJS")
    db.session.commit()
    return bank.id, p1.id, p2.id


def _acc(account_id):
    from fundapp.ledger.models import Account

    return db.session.get(Account, account_id)


def test_many_writers_on_the_same_accounts_lose_nothing(pg_app):
    """With 16 threads giving to and spending from the same project at once, are the final
    balances exact, every refusal a clean InsufficientFunds, and no restricted balance negative?"""
    bank_id, p1_id, p2_id = _ids()
    per_thread = 25

    def work(i):
        rng = random.Random(i)
        done = []
        for j in range(per_thread):
            bank, p1, p2 = _acc(bank_id), _acc(p1_id), _acc(p2_id)
            amount = rng.randint(1, 900)
            choice = rng.choice(["in", "in", "out", "move"])
            if choice == "in":
                legs = [L.Leg.debit(bank, tjs(amount)), L.Leg.credit(p1, tjs(amount))]
            elif choice == "out":
                legs = [L.Leg.debit(p1, tjs(amount)), L.Leg.credit(bank, tjs(amount))]
            else:
                legs = [L.Leg.debit(p1, tjs(amount)), L.Leg.credit(p2, tjs(amount))]
            try:
                L.post_entry("transfer", legs, memo="load", idempotency_key=f"t{i}:{j}")
                db.session.commit()
                done.append((choice, amount))
            except InsufficientFunds:
                db.session.rollback()
            if j % 5 == 4:
                sealing.seal_and_checkpoint()
                db.session.commit()
        return done

    results = _run_threads(pg_app, THREADS, work)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    done = [x for r in results for x in r]
    p1 = sum(a if c == "in" else -a for c, a in done)
    p2 = sum(a for c, a in done if c == "move")
    bank = sum(a if c == "in" else -a for c, a in done if c != "move")
    assert L.balance(_acc(p1_id)) == tjs(p1) and p1 >= 0
    assert L.balance(_acc(p2_id)) == tjs(p2)
    assert L.balance(_acc(bank_id)) == tjs(bank)
    assert db.session.scalar(db.select(db.func.count(JournalEntry.id))) == len(done)
    assert any(c == "out" for c, _ in done)
    sealing.make_checkpoint()
    db.session.commit()
    report = verify_ledger()
    assert report.ok, report.problems


def test_a_busy_sealer_is_not_waited_for_and_what_it_skipped_is_sealed_after(pg_app):
    """While another sealer holds the lock, does sealing after a commit return at once instead of
    waiting, and is the skipped entry sealed by the next round?"""
    bank_id, p1_id, _ = _ids()
    L.post_entry(
        "donation",
        [L.Leg.debit(_acc(bank_id), tjs(7)), L.Leg.credit(_acc(p1_id), tjs(7))],
        memo="gift",
        idempotency_key="busy:1",
    )
    db.session.commit()
    holder = db.engine.connect()
    try:
        holder.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": sealing.SEAL_LOCK})
        started = time.monotonic()
        assert sealing.seal_pending(wait=False) is None
        assert sealing.seal_after_commit() == 0
        assert time.monotonic() - started < 5
        db.session.rollback()
    finally:
        holder.rollback()
        holder.close()
    assert sealing.seal_after_commit() == 1
    assert sealing.tree_size() == 1


def test_sealing_after_each_commit_leaves_nothing_unsealed(pg_app):
    """When many writers each seal after their own commit, skipping whenever another sealer is at
    work, is every entry sealed once they are done, with no gap and a valid tree?"""
    bank_id, p1_id, _ = _ids()

    def work(i):
        for j in range(15):
            L.post_entry(
                "donation",
                [L.Leg.debit(_acc(bank_id), tjs(1 + j)), L.Leg.credit(_acc(p1_id), tjs(1 + j))],
                memo="load",
                idempotency_key=f"after:{i}:{j}",
            )
            db.session.commit()
            sealing.seal_after_commit(rounds=1000)
        return True

    results = _run_threads(pg_app, 8, work)
    assert results == [True] * 8, results
    unsealed = db.session.scalar(
        db.select(db.func.count()).select_from(JournalEntry).where(JournalEntry.sequence.is_(None))
    )
    assert unsealed == 0
    assert sealing.tree_size() == 8 * 15
    sealing.make_checkpoint()
    db.session.commit()
    report = verify_ledger()
    assert report.ok, report.problems


def test_one_idempotency_key_sent_fifty_times_at_once_posts_once(pg_app):
    """When 50 requests with the same key arrive together, is there exactly one entry, returned to all?"""
    bank_id, p1_id, _ = _ids()

    def work(i):
        entry = L.post_entry(
            "donation",
            [L.Leg.debit(_acc(bank_id), tjs(1000)), L.Leg.credit(_acc(p1_id), tjs(1000))],
            memo="the same gift, retried",
            idempotency_key="stripe:pi_123",
        )
        db.session.commit()
        return entry.id

    results = _run_threads(pg_app, 50, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1
    assert db.session.scalar(db.select(db.func.count(JournalEntry.id))) == 1
    assert L.balance(_acc(p1_id)) == tjs(1000)


def test_parallel_first_use_creates_one_account(pg_app):
    """Do 16 simultaneous first uses of a project account create it once?"""

    def work(i):
        acc = L.project_account(77, "USD")
        db.session.commit()
        return acc.id

    results = _run_threads(pg_app, THREADS, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1


def test_a_pending_transfer_is_posted_once_under_a_race(pg_app, make_user):
    """When two treasurers post the same pending transfer at once, does exactly one succeed?"""
    bank_id, p1_id, _ = _ids()
    owner = make_user()
    t1, t2 = make_user("treasurer"), make_user("treasurer")
    L.post_entry(
        "donation",
        [L.Leg.debit(_acc(bank_id), tjs(5000)), L.Leg.credit(_acc(p1_id), tjs(5000))],
        memo="gift",
        idempotency_key="g",
    )
    pending = L.create_pending(
        "disbursement",
        [L.Leg.debit(_acc(p1_id), tjs(5000)), L.Leg.credit(_acc(bank_id), tjs(5000))],
        memo="payout",
        idempotency_key="p",
        actor=owner,
    )
    db.session.commit()
    pending_id, actors = pending.id, [t1.id, t2.id]

    def work(i):
        from fundapp.accounts.models import User
        from fundapp.ledger.models import PendingTransfer

        entry = L.post_pending(
            db.session.get(PendingTransfer, pending_id),
            actor=db.session.get(User, actors[i % 2]),
            idempotency_key=f"post-{i}",
        )
        db.session.commit()
        return entry.id

    results = _run_threads(pg_app, 8, work)
    assert sum(isinstance(r, int) for r in results) == 1
    assert all(isinstance(r, InvalidTransition) for r in results if not isinstance(r, int)), results
    assert L.balance(_acc(p1_id)) == tjs(0) and L.available(_acc(p1_id)) == tjs(0)


def test_a_clearing_balance_read_while_entries_are_sealed_never_counts_one_twice(pg_app):
    """While the sealer moves entries one by one into the bank's balance row, does every reading of
    the bank's balance (row plus unsealed legs, in one statement) give the same total, never an
    entry counted in both places or in neither?"""
    bank_id, p1_id, _ = _ids()
    for j in range(60):
        L.post_entry(
            "donation",
            [L.Leg.debit(_acc(bank_id), tjs(10 + j)), L.Leg.credit(_acc(p1_id), tjs(10 + j))],
            memo="gift",
            idempotency_key=f"read-seal:{j}",
        )
    db.session.commit()
    total = tjs(sum(10 + j for j in range(60)))
    assert L.balance(_acc(bank_id)) == total

    def work(i):
        if i == 0:  # the sealer, one entry per transaction
            sealed = 0
            while sealing.seal_pending(limit=1):
                db.session.commit()
                sealed += 1
            db.session.commit()
            return sealed
        seen = set()
        for _ in range(150):
            seen.add(L.balance(_acc(bank_id)).amount)
            db.session.rollback()
        return seen

    results = _run_threads(pg_app, 3, work)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    assert results[0] == 60
    assert results[1] == {total.amount} and results[2] == {total.amount}
    row = db.session.get(AccountBalance, bank_id, populate_existing=True)
    assert (row.debits_minor, row.balance_minor, row.entry_count) == (total.amount, total.amount, 60)
    sealing.make_checkpoint()
    db.session.commit()
    report = verify_ledger()
    assert report.ok, report.problems
