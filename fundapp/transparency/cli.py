"""``flask transparency check|rebuild``: compare the public counters with the journal, or rebuild
them from it (after a migration on a database that already had entries)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import delete

from fundapp.extensions import db
from fundapp.ledger import sealing
from fundapp.ledger.models import JournalEntry

from . import counters
from . import services as svc
from .models import Backer, Counter

transparency_cli = AppGroup("transparency", help="Public counters and open data.")


def _all_entries():
    """Every sealed entry in sequence order (the counters count an entry when it is sealed)."""
    from sqlalchemy import select

    last = 0
    while True:
        rows = list(
            db.session.scalars(
                select(JournalEntry)
                .where(JournalEntry.sequence > last)
                .order_by(JournalEntry.sequence)
                .limit(1000)
            )
        )
        yield from rows
        if len(rows) < 1000:
            return
        last = rows[-1].sequence
        svc.release(rows)


def check_counters() -> list[str]:

    sealing.hold_sealer()  # no seal between reading the journal and reading the counters
    return counters.differences(counters.recompute(_all_entries()), counters.stored())


@transparency_cli.command("check")
def check_command():
    """Exit 0 when every public counter equals what the journal says."""
    problems = check_counters()
    for p in problems:
        click.echo(p, err=True)
    if problems:
        click.echo(f"{len(problems)} counter(s) differ from the journal", err=True)
        sys.exit(1)
    click.echo("counters agree with the journal")


@transparency_cli.command("rebuild")
def rebuild_command():
    """Recompute every counter from the sealed journal (one transaction, no seal meanwhile)."""

    sealing.hold_sealer()
    db.session.execute(delete(Counter))
    db.session.execute(delete(Backer))
    total = counters.recompute(_all_entries())
    counters.bump(total)
    rows = counters.backer_rows(_all_entries())
    for key, (country, seq) in rows.items():
        db.session.add(Backer(backer_key=key, country=country, first_sequence=seq))
    db.session.commit()
    fund_wide = sum(1 for key in rows if not key.startswith("p"))
    click.echo(f"{len(total)} counters rebuilt, {fund_wide} backers")
