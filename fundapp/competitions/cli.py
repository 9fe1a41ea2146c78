"""``flask competitions …``: the Plan's competitions, and checking a published tally."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

group = AppGroup("competitions", help="Competitions and awards.")


@group.command("seed")
def seed():
    """Create the Plan's five competitions (once; their texts stay editable)."""
    from fundapp.extensions import db

    from .services import ensure_plan_competitions

    comps = ensure_plan_competitions()
    db.session.commit()
    click.echo(f"{len(comps)} competitions")


@group.command("verify-tally")
@click.argument("source")
def verify_tally(source):
    """Check a downloaded tally (a JSON file): leaves, root, signature and the recount.

    Exit 0 only when all of it holds."""
    from .tally import verify_document

    try:
        with open(source, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError) as exc:
        click.echo(f"cannot read {source}: {exc}", err=True)
        sys.exit(2)
    problems = verify_document(doc)
    for p in problems:
        click.echo(p, err=True)
    if problems:
        sys.exit(1)
    click.echo(
        f"tally of edition {doc['edition']['id']}: {len(doc['entries'])} entries, "
        "results recounted, signature valid"
    )
