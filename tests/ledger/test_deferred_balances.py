"""Balance rows kept where entries are sealed: the accounts that never refuse a posting (clearing
accounts, fees, payables) have their rows written by the sealer, once per entry; their current
balance is the row plus the legs of entries not yet sealed. No-negative accounts stay current in
the posting's own transaction, which is how an overdraft is refused."""

from __future__ import annotations

from sqlalchemy import select

from fundapp.extensions import db
from fundapp.ledger import balances, sealing
from fundapp.ledger import public as records
from fundapp.ledger import services as L
from fundapp.ledger.models import AccountBalance
from fundapp.ledger.verify import verify_ledger

from .conftest import tjs


def _row(account) -> tuple[int, int, int, int, int]:
    b = db.session.get(AccountBalance, account.id, populate_existing=True)
    return b.debits_minor, b.credits_minor, b.balance_minor, b.reserved_minor, b.entry_count


def _books_hold() -> None:
    """Verification finds nothing wrong with the sums (entries waiting for their seal and the
    checkpoint still to come are reported too; they are not what these tests are about)."""
    report = verify_ledger()
    waiting = ("entries are not sealed", "there is no signed checkpoint", "newest signed checkpoint")
    assert [p for p in report.problems if not any(w in p for w in waiting)] == [], report.problems


def _sealed_and_signed() -> None:
    sealing.seal_pending()
    sealing.make_checkpoint()
    db.session.commit()
    report = verify_ledger()
    assert report.ok, report.problems


def _gift(a, key: str, amount: int, project: str = "p1"):
    return L.post_entry(
        "donation",
        [L.Leg.debit(a["stripe"], tjs(amount)), L.Leg.credit(a[project], tjs(amount))],
        memo="gift",
        idempotency_key=key,
    )


def test_a_clearing_account_is_current_before_its_entries_are_sealed(app, accounts):
    """Does the clearing account's balance count a committed, unsealed donation, while its row waits
    for the sealer, and does sealing move the amount into the row exactly once?"""
    a = accounts
    _gift(a, "g1", 5000)
    _gift(a, "g2", 700, "p2")
    db.session.commit()
    # the project's row is current at once: it is the one a posting may be refused on
    assert _row(a["p1"]) == (0, 5000, 5000, 0, 1)
    # the clearing account's row holds only sealed entries, none yet; its balance counts both
    assert _row(a["stripe"]) == (0, 0, 0, 0, 0)
    assert L.balance(a["stripe"]) == tjs(5700) and L.available(a["stripe"]) == tjs(5700)
    assert ("stripe_clearing", "TJS", "asset", 5700, 0) in balances.all_current()
    _books_hold()
    # published balances stand for sealed entries only: nothing yet, on either side
    published = {(b["code"], b["currency"]): b["balance"] for b in records.balances()}
    assert published[("stripe_clearing", "TJS")] == 0 and published[("project:1", "TJS")] == 0

    assert sealing.seal_pending() == 2
    db.session.commit()
    assert _row(a["stripe"]) == (5700, 0, 5700, 0, 2)
    assert L.balance(a["stripe"]) == tjs(5700)
    published = {(b["code"], b["currency"]): b["balance"] for b in records.balances()}
    assert published[("stripe_clearing", "TJS")] == 5700 and published[("project:1", "TJS")] == 5000
    # sealing again finds nothing and adds nothing
    assert sealing.seal_pending() == 0
    db.session.commit()
    assert _row(a["stripe"]) == (5700, 0, 5700, 0, 2)
    _sealed_and_signed()


def test_published_balances_at_an_older_size_take_back_what_was_sealed_later(app, accounts):
    """Are the balances published for an older tree size the same whichever way a row is kept?"""
    a = accounts
    _gift(a, "g1", 1000)
    db.session.commit()
    sealing.seal_pending()
    db.session.commit()
    _gift(a, "g2", 300)
    _gift(a, "g3", 40)
    db.session.commit()
    sealing.seal_pending(limit=1)  # g2 sealed, g3 not yet
    db.session.commit()
    at_one = {(b["code"], b["currency"]): b["balance"] for b in records.balances(as_of=1)}
    assert at_one[("stripe_clearing", "TJS")] == 1000 and at_one[("project:1", "TJS")] == 1000
    now, size = records.balances_sealed()
    assert size == 2
    now = {(b["code"], b["currency"]): b["balance"] for b in now}
    assert now[("stripe_clearing", "TJS")] == 1300 and now[("project:1", "TJS")] == 1300
    assert L.balance(a["stripe"]) == tjs(1340) and L.balance(a["p1"]) == tjs(1340)


def test_an_entry_touching_a_deferred_account_twice_counts_once(app, accounts):
    """Does an entry with two legs on the same clearing account add one to its entry count?"""
    a = accounts
    L.post_entry(
        "donation",
        [
            L.Leg.debit(a["stripe"], tjs(100)),
            L.Leg.debit(a["stripe"], tjs(50)),
            L.Leg.credit(a["p1"], tjs(150)),
        ],
        memo="two card payments",
        idempotency_key="twice",
    )
    db.session.commit()
    sealing.seal_pending()
    db.session.commit()
    assert _row(a["stripe"]) == (150, 0, 150, 0, 1)
    _sealed_and_signed()


def test_releasing_a_reservation_on_a_deferred_account_is_written_at_once(app, accounts, make_user):
    """Does a posted transfer give back the bank's reservation in its own transaction, while the
    bank's movement waits for the sealer?"""
    a = accounts
    L.post_entry(
        "donation",
        [L.Leg.debit(a["bank"], tjs(10000)), L.Leg.credit(a["p1"], tjs(10000))],
        memo="gift",
        idempotency_key="gift",
    )
    db.session.commit()
    sealing.seal_pending()
    db.session.commit()
    owner, treasurer = make_user(), make_user("treasurer")
    pending = L.create_pending(
        "disbursement",
        [L.Leg.debit(a["p1"], tjs(6000)), L.Leg.credit(a["bank"], tjs(6000))],
        memo="Milestone 1",
        idempotency_key="pend:1",
        actor=owner,
        project_id=1,
    )
    db.session.commit()
    assert _row(a["bank"])[3] == 6000 and L.available(a["bank"]) == tjs(4000)
    L.post_pending(pending, actor=treasurer)
    db.session.commit()
    assert _row(a["bank"]) == (10000, 0, 10000, 0, 1)  # reservation released, movement not yet
    assert L.balance(a["bank"]) == tjs(4000) and L.available(a["bank"]) == tjs(4000)
    _books_hold()
    sealing.seal_pending()
    db.session.commit()
    assert _row(a["bank"]) == (10000, 6000, 4000, 0, 2)
    _sealed_and_signed()


def test_the_check_finds_a_deferred_row_that_counted_an_unsealed_entry(app, accounts):
    """Does verification notice a clearing account's row that already holds an unsealed entry (it
    would be counted twice once sealed)?"""
    a = accounts
    _gift(a, "g1", 500)
    db.session.commit()
    db.session.execute(
        AccountBalance.__table__.update()
        .where(AccountBalance.account_id == a["stripe"].id)
        .values(debits_minor=500, balance_minor=500)
    )
    db.session.commit()
    report = verify_ledger()
    assert not report.ok
    assert any("stripe_clearing" in p for p in report.problems), report.problems


def test_current_balance_reads_one_statement(app, accounts):
    """Is a current balance one query (row and unsealed legs together), whatever the account?"""
    a = accounts
    _gift(a, "g1", 10)
    db.session.commit()
    statements = []
    from sqlalchemy import event

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        L.balance(a["stripe"])
        L.balance(a["p1"])
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len([s for s in statements if "ledger_balances" in s]) == 2
    assert (
        db.session.scalar(select(AccountBalance.balance_minor).where(AccountBalance.account_id == a["p1"].id))
        == 10
    )
