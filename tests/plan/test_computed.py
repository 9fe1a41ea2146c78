"""Indicators the portal computes: equal to counts made independently, in plain Python, from the
domains' tables and the ledger, over a generated history; bounded by the checkpoint they state."""

from __future__ import annotations

import random
import secrets
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from fundapp.core.money import Money
from fundapp.extensions import db


def _history(make_user, seed: int):
    """Projects in several states and donations by card, bank and transfer from backers in three
    countries, spread over two quarters; everything sealed and covered by a checkpoint."""
    from fundapp.funding.models import Donation
    from fundapp.ledger import sealing
    from fundapp.ledger import services as L
    from fundapp.proposals.factories import advance, create_complete_draft
    from fundapp.proposals.models import Project

    rng = random.Random(seed)
    admin = make_user("administrator")
    reviewers = [make_user("reviewer"), make_user("reviewer")]
    owners = [make_user("member", country_of_residence=c) for c in ("RU", "KZ", "RU")]
    backers = [make_user("member", country_of_residence=c) for c in ("RU", "RU", "KZ", "TR", None)]
    for i, state in enumerate(["submitted", "approved", "fundraising", "fundraising", "completed"]):
        project = create_complete_draft(owners[i % 3], title=f"Project {i}")
        advance(project, state, admin=admin, reviewers=reviewers)
    db.session.commit()
    target = db.session.scalars(select(Project).where(Project.state == "fundraising")).first()
    channels = {"card": "stripe_clearing", "bank": "bank", "mto": "mto_clearing"}
    now = datetime.now(UTC)
    for n in range(24):
        backer = rng.choice(backers)
        method = rng.choice(list(channels))
        amount = rng.randrange(100, 500_000)
        currency = rng.choice(["TJS", "TJS", "RUB"])
        when = now - timedelta(days=rng.randrange(0, 150))
        d = Donation(
            project_id=target.id,
            backer_id=backer.id,
            email=backer.email,
            amount_minor=amount,
            currency=currency,
            method=method,
            state="received",
            reference_code=f"T{seed}{n:04d}",
            access_token=secrets.token_hex(16),
            received_at=when,
        )
        db.session.add(d)
        db.session.flush()
        L.post_entry(
            "donation",
            [
                L.Leg.debit(L.get_account(channels[method], currency), Money(amount, currency)),
                L.Leg.credit(L.project_account(target.id, currency), Money(amount, currency)),
            ],
            memo="gift",
            idempotency_key=f"test-gift:{seed}:{n}",
            source_type="donation",
            source_id=d.id,
            project_id=target.id,
            occurred_at=when,
        )
    L.post_entry(
        "disbursement",
        [
            L.Leg.debit(L.project_account(target.id, "TJS"), Money(1000, "TJS")),
            L.Leg.credit(L.get_account("bank", "TJS"), Money(1000, "TJS")),
        ],
        memo="payout",
        idempotency_key=f"test-payout:{seed}",
        project_id=target.id,
        occurred_at=now,
    )
    db.session.commit()
    sealing.seal_and_checkpoint()
    db.session.commit()


def _independent_received(start, end, currency, country, tree_size):
    """The same figure, counted entry by entry through the ORM."""
    from fundapp.accounts.models import User
    from fundapp.funding.models import Donation
    from fundapp.ledger.models import JournalEntry

    total = 0
    for entry in db.session.scalars(select(JournalEntry)):
        if entry.kind != "donation" or entry.sequence is None or entry.sequence > tree_size:
            continue
        if not (start <= entry.occurred_at < end):
            continue
        if country is not None:
            backer = db.session.get(User, db.session.get(Donation, int(entry.source_id)).backer_id)
            if backer.country_of_residence != country:
                continue
        for leg in entry.legs:
            if (
                leg.direction == "debit"
                and leg.currency == currency
                and leg.account.code in ("stripe_clearing", "bank", "mto_clearing")
            ):
                total += leg.amount_minor
    return total


def test_computed_indicators_equal_independent_counts(app, make_user):
    """For a generated history, do money received (per currency and country), money disbursed and
    projects per state agree with counts made independently?"""
    from fundapp.plan.indicators import REGISTRY, Window
    from fundapp.plan.sources import checkpoint
    from fundapp.proposals.models import TimelineEvent

    _history(make_user, seed=7)
    size = checkpoint().tree_size
    assert size > 20
    today = date.today()
    windows = [
        (date(2026, 7, 1), date(2026, 10, 1)),
        (date(2026, 10, 1), today + timedelta(days=1)),
        (date(2020, 1, 1), today + timedelta(days=1)),
    ]
    for first, end in windows:
        for country in (None, "RU", "KZ", "TR", "DE"):
            for currency in ("TJS", "RUB"):
                w = Window.of_dates(first, end, size, country=country, currency=currency)
                assert REGISTRY["money_received"].compute(w) == _independent_received(
                    w.start, w.end, currency, country, size
                ), (first, country, currency)
        w = Window.of_dates(first, end, size)
        for state in ("submitted", "approved", "funded", "completed"):
            firsts = {}
            for ev in db.session.scalars(select(TimelineEvent).where(TimelineEvent.to_state == state)):
                firsts[ev.project_id] = min(firsts.get(ev.project_id, ev.created_at), ev.created_at)
            expected = sum(1 for at in firsts.values() if w.start <= at < w.end)
            assert REGISTRY[f"projects_{state}"].compute(w) == 100 * expected, state
    w = Window.of_dates(date(2020, 1, 1), today + timedelta(days=1), size)
    assert REGISTRY["money_disbursed"].compute(w) == 1000
    assert REGISTRY["projects_submitted"].compute(w) == 500  # five projects were proposed


def test_money_figures_stop_at_the_checkpoint(app, make_user):
    """An entry posted after the checkpoint is not counted until a checkpoint covers it."""
    from fundapp.ledger import services as L
    from fundapp.plan.indicators import REGISTRY, Window
    from fundapp.plan.sources import checkpoint

    _history(make_user, seed=11)
    size = checkpoint().tree_size
    w = Window.of_dates(date(2020, 1, 1), date.today() + timedelta(days=1), size)
    before = REGISTRY["money_received"].compute(w)
    L.post_entry(
        "donation",
        [
            L.Leg.debit(L.get_account("bank", "TJS"), Money(777, "TJS")),
            L.Leg.credit(L.get_account("general_fund", "TJS"), Money(777, "TJS")),
        ],
        memo="late gift",
        idempotency_key="late-gift",
    )
    db.session.commit()
    assert REGISTRY["money_received"].compute(w) == before
