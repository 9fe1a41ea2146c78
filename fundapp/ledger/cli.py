"""``flask ledger verify|trial-balance|checkpoint|seal|export``."""

from __future__ import annotations

import itertools
import json
import signal
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import click
from flask.cli import AppGroup

from fundapp.core import heap
from fundapp.core.db import utcnow
from fundapp.extensions import db

from . import balances, sealing
from . import public as records
from .encoding import format_time
from .verify import verify_ledger

ledger_cli = AppGroup("ledger", help="The fund's double-entry ledger.")


@ledger_cli.command("seal")
@click.option(
    "--follow",
    is_flag=True,
    help="Keep sealing, one round every --interval seconds, until stopped (Ctrl-C or SIGTERM).",
)
@click.option("--interval", type=click.FloatRange(0.01, 60), default=0.5, show_default=True)
@click.option(
    "--rounds", type=click.IntRange(1), default=None, help="With --follow: stop after this many rounds."
)
def seal_command(follow, interval, rounds):
    """Give committed entries their sequence numbers and Merkle leaves."""
    if not follow:
        n = sealing.seal_pending()
        db.session.commit()
        click.echo(f"sealed {n} entries; tree size {sealing.tree_size()}")
        return
    stopping = threading.Event()
    done = itertools.count()

    def stop() -> bool:
        return stopping.is_set() or (rounds is not None and next(done) >= rounds)

    previous = signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    heap.settle()  # a long-running follower: start-up's objects live as long as it does
    try:
        n = sealing.follow(stop, interval)
    except KeyboardInterrupt:
        db.session.rollback()
        n = None
    finally:
        signal.signal(signal.SIGTERM, previous)
    if n is not None:
        click.echo(f"sealed {n} entries while following; tree size {sealing.tree_size()}")


@ledger_cli.command("checkpoint")
def checkpoint_command():
    """Seal what is left and sign a new checkpoint (tree size, root hash, time)."""
    cp = sealing.make_checkpoint()
    db.session.commit()
    click.echo(f"checkpoint {cp.id}: size {cp.tree_size} root {cp.root_hash.hex()} key {cp.key_id}")


@ledger_cli.command("verify")
@click.option("--no-seal", is_flag=True, help="Check only; do not seal or sign first.")
@click.option("--full-nodes", is_flag=True, help="Compare every stored Merkle node, not a sample.")
@click.option("--all-checkpoints", is_flag=True, help="Check every checkpoint, not the latest and a sample.")
def verify_command(no_seal, full_nodes, all_checkpoints):
    """Check every invariant of the books. Exit 0 only when all hold."""
    started = time.perf_counter()
    if not no_seal:
        sealing.make_checkpoint()
        db.session.commit()
    report = verify_ledger(full_nodes=full_nodes, all_checkpoints=all_checkpoints)
    db.session.rollback()
    for fact in report.facts:
        click.echo(f"  {fact}")
    elapsed = time.perf_counter() - started
    if report.ok:
        click.echo(f"ledger OK ({elapsed:.2f} s)")
        return
    for problem in report.problems:
        click.echo(f"FAIL: {problem}", err=True)
    click.echo(f"ledger NOT OK: {len(report.problems)} problem(s) ({elapsed:.2f} s)", err=True)
    sys.exit(1)


@ledger_cli.command("trial-balance")
@click.option("--at", "at", default=None, help="Balances at the end of this day (YYYY-MM-DD, UTC).")
def trial_balance_command(at):
    """Every account's debits, credits and balance, with totals per currency."""
    if at is None:
        rows = balances.all_current()
    else:
        try:
            day = datetime.strptime(at, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise click.BadParameter("use YYYY-MM-DD", param_hint="--at") from None
        from sqlalchemy import case, func, select

        from .models import Account, JournalEntry, Leg

        end = day + timedelta(days=1)
        rows = db.session.execute(
            select(
                Account.code,
                Account.currency,
                Account.type,
                func.coalesce(func.sum(case((Leg.direction == "debit", Leg.amount_minor), else_=0)), 0),
                func.coalesce(func.sum(case((Leg.direction == "credit", Leg.amount_minor), else_=0)), 0),
            )
            .select_from(Account)
            .join(Leg, Leg.account_id == Account.id)
            .join(JournalEntry, JournalEntry.id == Leg.entry_id)
            .where(JournalEntry.posted_at < end)
            .group_by(Account.id, Account.code, Account.currency, Account.type)
            .order_by(Account.currency, Account.type, Account.code)
        ).all()
    click.echo(f"{'account':40} {'cur':3} {'type':9} {'debits':>16} {'credits':>16} {'balance':>16}")
    totals: dict[str, list[int]] = {}
    for code, currency, type_, d, c in rows:
        bal = d - c if type_ in ("asset", "expense") else c - d
        t = totals.setdefault(currency, [0, 0])
        t[0] += d
        t[1] += c
        click.echo(f"{code:40} {currency:3} {type_:9} {d:16d} {c:16d} {bal:16d}")
    for currency, (d, c) in sorted(totals.items()):
        mark = "balanced" if d == c else "NOT BALANCED"
        click.echo(f"{'total':40} {currency:3} {'':9} {d:16d} {c:16d} {mark:>16}")
    if any(d != c for d, c in totals.values()):
        sys.exit(1)


@ledger_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def export_command(path):
    """Write the public ledger (entries, checkpoints, public key, balances) to a JSON file that
    ``tools/verify_ledger.py`` checks offline."""
    cp = sealing.make_checkpoint()
    db.session.commit()
    from sqlalchemy import select

    from .models import Checkpoint

    checkpoints = [
        records.checkpoint_record(c) for c in db.session.scalars(select(Checkpoint).order_by(Checkpoint.id))
    ]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{"format":"hamvatan-fund-ledger-export/v1",')
        fh.write(f'"exported_at":{json.dumps(format_time(utcnow()))},')
        fh.write(f'"public_key":{json.dumps(cp.public_key.hex())},')
        fh.write(f'"checkpoint":{json.dumps(records.checkpoint_record(cp))},')
        fh.write(f'"checkpoints":{json.dumps(checkpoints)},')
        fh.write(f'"balances":{json.dumps(records.balances())},')
        fh.write('"entries":[')
        for i, record in enumerate(records.iter_entries()):
            if record["seq"] > cp.tree_size:
                break
            fh.write(("," if i else "") + json.dumps(record, sort_keys=True))
        fh.write("]}\n")
    click.echo(f"exported {cp.tree_size} entries to {path}")
