"""The public counters: kept by the sealer as entries are sealed (never in a posting transaction),
equal to what the sealed journal says, and read by the dashboard without touching the journal."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.transparency import counters
from fundapp.transparency import services as svc
from fundapp.transparency.cli import check_counters


def _fund(currency="TJS"):
    return {t.currency: t for t in svc.fund_totals()}[currency]


def test_each_posting_updates_the_fund_totals(app, books, project_in):
    """After a donation, a fee, a disbursement, a refund and a repayment, does every total say
    exactly what moved, in minor units?"""
    p = project_in("fundraising")
    books.donate(p, 50_000, channel="bank")
    books.donate(p, 20_000, channel="stripe_clearing")
    books.donate(p, 5_000, channel="mto_clearing")
    books.fee(300)
    books.disburse(p, 30_000)
    books.refund(p, 2_000)
    books.repay(p, 10_000, 700)
    t = _fund()
    assert (t.received, t.fees, t.disbursed, t.refunded) == (75_000, 300, 30_000, 2_000)
    assert (t.repayments, t.interest) == (10_700, 700)
    assert t.held == 75_000 - 30_000 - 2_000
    assert t.channels == {"bank": 50_000, "card": 20_000, "mto": 5_000}
    assert svc.entries_count() == 7


def test_reversed_donation_counts_as_refunded(app, books, project_in):
    """Does reversing a donation (a refund) show as refunded, leaving the gross received, and the
    money held for the project go down by it?"""
    p = project_in("fundraising", home_district="khujand")
    books.donate(p, 10_000)
    wrong = books.donate(p, 4_000)
    books.reverse(wrong)
    t = _fund()
    assert (t.received, t.refunded, t.held) == (14_000, 4_000, 10_000)
    assert svc.breakdown("region", "refunded", "TJS") == [("sughd", 4_000)]
    assert check_counters() == []


def test_reversed_disbursement_is_taken_back(app, books, project_in):
    """Does reversing a disbursement made in error take it out of the disbursed total?"""
    p = project_in("fundraising")
    books.donate(p, 10_000)
    books.disburse(p, 3_000)
    bad = books.disburse(p, 2_000)
    books.reverse(bad)
    t = _fund()
    assert (t.disbursed, t.held) == (3_000, 7_000)
    assert check_counters() == []


def test_regions_districts_categories_and_top_projects(app, books, project_in):
    """Are donations counted under the project's region, district and category, and are the top
    projects ordered by what they received?"""
    a = project_in("fundraising", home_district="kulob", category="water")
    b = project_in("fundraising", home_district="khujand", category="education")
    books.donate(a, 9_000)
    books.donate(b, 12_000)
    books.donate(b, 1_000)
    assert svc.breakdown("region", "received", "TJS") == [("sughd", 13_000), ("khatlon", 9_000)]
    assert svc.breakdown("district", "received", "TJS") == [
        ("sughd/khujand", 13_000),
        ("khatlon/kulob", 9_000),
    ]
    assert svc.breakdown("category", "received", "TJS") == [("education", 13_000), ("water", 9_000)]
    assert [(p.id, v) for p, v in svc.top_projects("TJS")] == [(b.id, 13_000), (a.id, 9_000)]


def test_currencies_are_never_mixed(app, books, project_in):
    """Do amounts in different currencies stay in separate totals?"""
    p = project_in("fundraising")
    books.donate(p, 1_000, currency="TJS")
    books.donate(p, 700, currency="USD")
    assert _fund("TJS").received == 1_000
    assert _fund("USD").received == 700
    assert svc.currencies_in_use() == ["TJS", "USD"]


def test_backers_and_countries_from_the_resolver(app, books, project_in):
    """Is each backer counted once, under the country they stated, however often they give?"""
    app.config["TRANSPARENCY_MIN_GROUP_BACKERS"] = 1  # every country shown (small groups: test_privacy)
    p = project_in("fundraising")
    people = {"1": ("user:1", "RU"), "2": ("user:2", "KZ"), "3": ("user:1", "RU")}
    counters.register_backer_resolver("test_gift", lambda sid: people[sid])
    try:
        for sid, amount in (("1", 100), ("2", 200), ("3", 300)):
            books.donate(p, amount, source=("test_gift", sid))
        assert svc.backers_count() == 2
        assert svc.breakdown("country", "received", "TJS") == [("RU", 400), ("KZ", 200)]
        assert check_counters() == []
    finally:
        counters._backer_resolvers.pop("test_gift", None)


def test_check_and_rebuild_commands(app, runner, books, project_in):
    """Does `flask transparency check` pass on maintained counters, fail when one is tampered
    with, and does `rebuild` put them right?"""
    p = project_in("fundraising")
    books.donate(p, 10_000)
    books.disburse(p, 4_000)
    assert runner.invoke(args=["transparency", "check"]).exit_code == 0
    db.session.execute(
        db.text("UPDATE transparency_counters SET amount_minor = amount_minor + 1 WHERE dimension = 'fund'")
    )
    db.session.commit()
    bad = runner.invoke(args=["transparency", "check"])
    assert bad.exit_code == 1 and "differ" in bad.output
    assert runner.invoke(args=["transparency", "rebuild"]).exit_code == 0
    assert runner.invoke(args=["transparency", "check"]).exit_code == 0
    assert _fund().received == 10_000


def test_a_failed_posting_leaves_the_counters_alone(app, books, project_in):
    """When a posting is refused (a project account would go negative), do the counters stay as
    they were?"""
    from fundapp.core.errors import InsufficientFunds

    p = project_in("fundraising")
    books.donate(p, 1_000)
    with pytest.raises(InsufficientFunds):
        books.disburse(p, 5_000)
    db.session.rollback()
    assert _fund().disbursed == 0
    assert check_counters() == []


def test_dashboard_does_not_read_the_journal(app, client, books, project_in):
    """Does rendering /transparency, the totals API and a project's money page run no query that
    scans the journal tables?"""
    p = project_in("fundraising")
    for _ in range(3):
        books.donate(p, 1_000)
    books.seal()
    seen = []

    def capture(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        assert client.get("/transparency").status_code == 200
        assert client.get("/api/v1/transparency/totals").status_code == 200
        assert client.get(f"/projects/{p.id}/money").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert seen, "the pages ran no query at all?"
    # A point look-up of one entry by its id (a repayment's or a payout's sequence number) is fine;
    # anything else on the journal tables would grow with the journal.
    journal = [
        s for s in seen if "ledger_legs" in s or ("ledger_entries" in s and "ledger_entries.id =" not in s)
    ]
    assert journal == [], journal


def test_figures_cover_exactly_the_sealed_entries(app, books, project_in):
    """Is an entry committed but not yet sealed left out of every counter, counted once it is
    sealed, and does coverage() name the tree size the figures stand for and the checkpoint
    within it?"""
    from fundapp.core.money import Money
    from fundapp.ledger import sealing
    from fundapp.ledger import services as ledger

    p = project_in("fundraising")
    books.donate(p, 1_000)  # sealed and checkpointed, as after a request
    size = sealing.tree_size()
    assert counters.coverage().tree_size == size
    assert counters.coverage().checkpoint_size == size

    m = Money(500, "TJS")
    ledger.post_entry(
        "donation",
        [ledger.Leg.debit(books.acc("bank"), m), ledger.Leg.credit(books.pacc(p), m)],
        memo="waiting to be sealed",
        idempotency_key="test:unsealed",
        project_id=p.id,
    )
    db.session.commit()
    assert _fund().received == 1_000 and svc.entries_count() == 1
    assert counters.coverage().tree_size == size

    books.seal()
    assert _fund().received == 1_500 and svc.entries_count() == 2
    cover = counters.coverage()
    assert cover.tree_size == sealing.tree_size() == size + 1
    assert cover.checkpoint_size is not None and cover.checkpoint_size <= cover.tree_size
    assert check_counters() == []


def test_no_posting_transaction_writes_a_counter(app, books, project_in):
    """Does a posting write nothing that every posting shares (the counters, the backers), so
    that writers never queue on those rows?"""
    from fundapp.core.money import Money
    from fundapp.ledger import services as ledger

    p = project_in("fundraising")
    books.donate(p, 1_000)
    m = Money(300, "TJS")
    seen = []

    def capture(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    legs = [ledger.Leg.debit(books.acc("bank"), m), ledger.Leg.credit(books.pacc(p), m)]
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        ledger.post_entry("donation", legs, memo="gift", idempotency_key="test:shared", project_id=p.id)
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert not [s for s in seen if "transparency_" in s]
    books.seal()
    assert _fund().received == 1_300


def test_a_command_that_posts_seals_when_it_ends(app, books, project_in):
    """Does something that posts outside a request (a command, a cron job) seal what it committed
    when its app context ends, so the figures and the tree include it?"""
    from fundapp.core.money import Money
    from fundapp.ledger import sealing
    from fundapp.ledger import services as ledger

    p = project_in("fundraising")
    books.donate(p, 1_000)
    size = sealing.tree_size()
    project_id, m = p.id, Money(700, "TJS")
    db.session.commit()  # the test's own session lets go of the database
    with app.app_context():  # what `flask <group> <command>` runs in
        legs = [
            ledger.Leg.debit(ledger.get_account("bank", "TJS"), m),
            ledger.Leg.credit(ledger.project_account(project_id, "TJS"), m),
        ]
        ledger.post_entry(
            "donation", legs, memo="from a command", idempotency_key="test:command", project_id=project_id
        )
        db.session.commit()
    db.session.rollback()
    assert sealing.tree_size() == size + 1
    assert counters.coverage().tree_size == size + 1
    assert _fund().received == 1_700


def test_a_sealed_batch_finds_its_backers_in_one_statement_per_kind(app, books, project_in, make_user):
    """Does the sealer find the backers of a batch of donations with one statement, whatever the
    batch's size, and count the same backers and countries as one look-up per entry would?"""
    import secrets

    from fundapp.funding.models import Donation
    from fundapp.ledger import sealing
    from fundapp.transparency import sources

    app.config["TRANSPARENCY_MIN_GROUP_BACKERS"] = 1
    p = project_in("fundraising")
    backers = [make_user("member", country_of_residence=c) for c in ("RU", "KZ", "RU")]
    donations = []
    for i, (backer, email) in enumerate(
        [
            (backers[0], None),
            (backers[1], None),
            (backers[2], None),
            (None, "Guest@Example.org"),
            (backers[0], None),
        ]
    ):
        d = Donation(
            project_id=p.id,
            backer_id=backer.id if backer else None,
            email=email or backer.email,
            amount_minor=1_000 * (i + 1),
            currency="TJS",
            method="bank",
            reference_code=f"DBATCH{i}",
            access_token=secrets.token_hex(16),
        )
        db.session.add(d)
        donations.append(d)
    db.session.commit()
    resolve = sources._many_backers(Donation, Donation.backer_id, Donation.email)
    assert resolve([str(d.id) for d in donations] + ["x", "999999"]) == {
        str(d.id): sources._donation_backer(str(d.id)) for d in donations
    }

    statements = []

    def count(conn, cursor, statement, *args):
        if "donations" in statement:
            statements.append(statement)

    from fundapp.ledger import services as ledger

    m = {d.id: d.amount_minor for d in donations}
    for d in donations:  # posted and committed, sealed below as one batch
        amount = Money(m[d.id], "TJS")
        ledger.post_entry(
            "donation",
            [ledger.Leg.debit(books.acc("bank"), amount), ledger.Leg.credit(books.pacc(p), amount)],
            memo="test",
            idempotency_key=f"batch:{d.id}",
            project_id=p.id,
            source_type="donation",
            source_id=d.id,
        )
    db.session.commit()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert sealing.seal_pending() == len(donations)
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1  # the batch's backers, joined to their country, at once
    assert svc.backers_count() == 4  # three people and a guest; the first gave twice
    assert dict(svc.breakdown("country", "received", "TJS")) == {"RU": 9_000, "KZ": 2_000, "": 4_000}
    assert check_counters() == []
