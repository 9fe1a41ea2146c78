#!/usr/bin/env python3
"""Costs that should stay flat as the fund grows: time per item at two sizes ten times apart.

    .venv/bin/python benchmarks/flat_costs.py --sizes 1000,10000

- closing a pledge campaign of N saved pledges (``close_due_campaigns``: the settlement, then each
  pledge charged through the Stripe SDK against the fake Stripe server of the tests, then the seal
  of what it committed, as ``flask campaigns close`` does when its app context ends);
- distributing one loan repayment to N investors (``record_repayment`` and its commit, then the
  seal, as after the treasurer's request).

Each size runs on its own project in one scratch PostgreSQL database (``<prefix>_flat``, dropped
and re-created). Prints one JSON line, and a table of milliseconds per item with the ratio of the
larger size to the smaller (1.0 = flat).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.ledger_bench import make_app, migrate, recreate_pg  # noqa: E402


def _users(n: int, tag: str):
    from fundapp.accounts.models import User
    from fundapp.extensions import db

    users = [
        User(
            email=f"{tag}{i}@example.org",
            password_hash="x",  # never signs in
            full_name=f"Backer {tag} {i}",
            email_confirmed_at=datetime.now(UTC),
            country_of_residence=("RU", "KZ", "TR", "US")[i % 4],
        )
        for i in range(n)
    ]
    db.session.add_all(users)
    db.session.flush()
    return users


def _staff(role: str):
    from fundapp.accounts.models import User, UserRole
    from fundapp.extensions import db

    user = User(
        email=f"{role}-{secrets.token_hex(3)}@example.org",
        password_hash="x",
        full_name=role.title(),
        email_confirmed_at=datetime.now(UTC),
    )
    if role != "member":
        user.roles.append(UserRole(role=role))
    db.session.add(user)
    db.session.flush()
    return user


class Statements:
    """Counts the statements sent to the database (deterministic, unlike time on a shared machine)."""

    def __init__(self):
        from sqlalchemy import event

        from fundapp.extensions import db

        self.n = 0
        event.listen(db.engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.n += 1

    def take(self) -> int:
        n, self.n = self.n, 0
        return n


STATEMENTS: list[Statements] = []


def _seal_all() -> float:
    from fundapp.extensions import db
    from fundapp.ledger import sealing

    t0 = time.perf_counter()
    while sealing.seal_and_checkpoint():
        db.session.commit()
    db.session.rollback()
    return time.perf_counter() - t0


def campaign_close(n: int) -> dict:
    """N saved pledges on a campaign that ended with its goal met: close it, charge them all."""
    from fundapp.extensions import db
    from fundapp.funding import pledges, settlement, totals
    from fundapp.funding.models import Pledge
    from tests.fakes.backing import make_project

    owner = _staff("member")
    project = make_project(owner, model="pledge", goal_minor=n * 1000, ends_in=timedelta(days=-1))
    backers = _users(n, f"p{project.id}-")
    db.session.add_all(
        Pledge(
            project_id=project.id,
            backer_id=u.id,
            amount_minor=1000,
            currency=project.currency,
            state="active",
            stripe_customer_id=f"cus_{u.id}",
            payment_method_id=f"pm_{u.id}",
            card_last4="4242",
        )
        for u in backers
    )
    totals.ensure_totals(project)
    totals.bump(project.id, pledged_minor=n * 1000, pledgers=n, backers=n)
    db.session.commit()
    # ``flask campaigns close`` starts with an empty session: the set-up's n users must not stay
    # in it, or every commit of the close would expire them all (a cost of the set-up, not the close)
    del backers
    db.session.expunge_all()
    STATEMENTS[0].take()
    # when each pledge was charged: a cost that grows within one run (a chain of dead row
    # versions, a list walked per pledge) shows as a last tenth slower than the first
    charged: list[float] = []
    real_charge = pledges.charge_pledge

    def timed_charge(pledge_id):
        try:
            return real_charge(pledge_id)
        finally:
            charged.append(time.perf_counter())

    pledges.charge_pledge = timed_charge
    t0 = time.perf_counter()
    try:
        out = settlement.close_due_campaigns()
    finally:
        pledges.charge_pledge = real_charge
    closed = time.perf_counter() - t0
    seal = _seal_all()
    tenth = max(1, len(charged) // 10)
    first = (charged[tenth - 1] - t0) / tenth if charged else 0.0
    last = (charged[-1] - charged[-tenth - 1]) / tenth if len(charged) > tenth else 0.0
    return {
        "items": n,
        "collected": out["charges"].get("received", 0),
        "first_tenth_ms_per_item": round(1000 * first, 2),
        "last_tenth_ms_per_item": round(1000 * last, 2),
        "statements_per_item": round(STATEMENTS[0].take() / n, 2),
        "close_s": round(closed, 2),
        "seal_s": round(seal, 2),
        "ms_per_item": round(1000 * (closed + seal) / n, 3),
    }


def repayment(n: int) -> dict:
    """One repayment of a loan held by N investors, distributed to all of them."""
    from fundapp.core.money import Money
    from fundapp.extensions import db
    from fundapp.funding import loans as funding
    from fundapp.funding.models import Investment
    from tests.fakes.backing import make_project

    owner = _staff("member")
    treasurer = _staff("treasurer")
    project = make_project(owner, model="loan", goal_minor=n * 10_000, state="implementing")
    investors = _users(n, f"i{project.id}-")
    now = datetime.now(UTC)
    db.session.add_all(
        Investment(
            project_id=project.id,
            investor_id=u.id,
            amount_minor=10_000,
            currency=project.currency,
            state="paid",
            method="bank",
            reference_code=f"B{project.id}-{u.id}"[:20],
            submission_token=secrets.token_hex(16),
            risk_acknowledged=True,
            paid_at=now,
        )
        for u in investors
    )
    db.session.flush()
    funding.generate_schedule(project, start=date.today() - timedelta(days=40))
    db.session.commit()
    STATEMENTS[0].take()
    t0 = time.perf_counter()
    rep = funding.record_repayment(
        project,
        amount=Money(n * 97 + 13, project.currency),  # not a multiple: remainders to hand out
        method="bank",
        reference=f"REP-{project.id}",
        received_on=date.today(),
        actor=treasurer,
    )
    shares = len(rep.shares)
    db.session.commit()
    recorded = time.perf_counter() - t0
    seal = _seal_all()
    return {
        "items": n,
        "shares": shares,
        "statements_per_item": round(STATEMENTS[0].take() / n, 2),
        "record_s": round(recorded, 2),
        "seal_s": round(seal, 2),
        "ms_per_item": round(1000 * (recorded + seal) / n, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--db-prefix", default="bench_ledger")
    ap.add_argument("--only", choices=["close", "repayment"])
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    os.environ.setdefault("FUNDAPP_ENV", "benchmark")
    from tests.fakes.stripe_server import FakeStripe

    workdir = tempfile.mkdtemp(prefix="flat_costs_")
    url = recreate_pg(args.db_prefix + "_flat")
    migrate(url, workdir)
    fake = FakeStripe().start()
    app = make_app(url, workdir, **fake.config())
    result: dict = {"sizes": sizes}
    from fundapp.extensions import db

    with app.app_context():
        STATEMENTS.append(Statements())
        for name, fn in (("campaign_close", campaign_close), ("repayment_distribution", repayment)):
            if args.only and args.only not in name:
                continue
            runs = [fn(n) for n in sizes]
            result[name] = runs
            result[name + "_ratio"] = round(runs[-1]["ms_per_item"] / runs[0]["ms_per_item"], 2)
            print(f"{name}: {runs}", file=sys.stderr, flush=True)
        from fundapp.ledger.verify import verify_ledger

        result["ledger_verifies"] = verify_ledger().ok
        db.session.rollback()
        db.engine.dispose()
    fake.stop()
    print(json.dumps(result))
    head = " | ".join(f"ms/item at {n:,}" for n in sizes) + " | ratio | "
    head += " | ".join(f"statements/item at {n:,}" for n in sizes)
    print(f"| cost | {head} |", file=sys.stderr)
    print("|---|" + "---|" * (2 * len(sizes) + 1), file=sys.stderr)
    for name in ("campaign_close", "repayment_distribution"):
        if name in result:
            cells = " | ".join(f"{r['ms_per_item']:.2f}" for r in result[name])
            stmts = " | ".join(f"{r['statements_per_item']}" for r in result[name])
            print(f"| {name} | {cells} | {result[name + '_ratio']} | {stmts} |", file=sys.stderr)
    for r in result.get("campaign_close", []):
        print(
            f"campaign close of {r['items']:,}: {r['first_tenth_ms_per_item']} ms per pledge in the first "
            f"tenth, {r['last_tenth_ms_per_item']} in the last (no growth within one run)",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
