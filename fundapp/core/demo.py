"""``flask demo load``: demo data for every domain, idempotent.

Each domain that has demo data provides ``fundapp/<domain>/demo.py`` with ``load(ctx)``; they run in
the order of ``fundapp.DOMAINS``, sharing ``ctx`` (a dict: users by role, projects, …).

The demo is a fund a year into its life. Money has to enter the books in the order it happened, so
the domains that write the past year (``HISTORY``) do not post money while they load: they
``schedule`` what happened, and when the last of them has loaded the timeline is played in time
order, each event on the clock of its moment (``core.db.clock_at``), through the real services."""

import heapq
import importlib
import importlib.util
import itertools
from collections.abc import Callable
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select, table

from fundapp.core.db import clock_at
from fundapp.extensions import db

# The domains whose demo writes the fund's past year; the timeline is played after the last of them.
HISTORY = ("proposals", "funding", "disbursements")

_order = itertools.count()


def schedule(ctx: dict, at: datetime, fn: Callable[[], object]) -> None:
    """``fn()`` is run when the timeline is played, on a clock set to ``at``. Events at the same
    moment run in the order they were scheduled; an event may schedule later ones."""
    heapq.heappush(ctx.setdefault("timeline", []), (at, next(_order), fn))


def play(ctx: dict) -> int:
    """Run every scheduled event in time order; returns how many ran."""
    timeline = ctx.setdefault("timeline", [])
    ran = 0
    while timeline:
        at, _n, fn = heapq.heappop(timeline)
        with clock_at(at):
            fn()
            db.session.flush()
        ran += 1
    return ran


demo_cli = AppGroup("demo", help="Demonstration data.")


def load_all() -> dict:
    from fundapp import DOMAINS

    ctx: dict = {"passwords": {}}
    for name in DOMAINS:
        modname = f"fundapp.{name}.demo"
        try:
            if importlib.util.find_spec(modname) is None:
                continue
        except ModuleNotFoundError:
            continue
        load = getattr(importlib.import_module(modname), "load", None)
        if load is None:  # e.g. this very module, fundapp.core.demo
            continue
        load(ctx)
        if name == HISTORY[-1]:
            ctx["history_events"] = play(ctx)
        db.session.commit()
    # Money the demo posted is sealed into the public log and covered by a signed checkpoint,
    # as a request's after-commit hook would have done.
    from fundapp.ledger.sealing import seal_and_checkpoint

    seal_and_checkpoint()
    db.session.commit()
    return ctx


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Only load when the database has no users yet.")
def load_command(if_empty):
    """Load demo data (a user per role, projects in every state, money through the ledger)."""
    # any account at all means the demo (or real data) is there; the table is read by name so that
    # the core stays below the accounts domain
    if if_empty and db.session.scalar(select(func.count()).select_from(table("users"))):
        click.echo("demo data already present")
        return
    ctx = load_all()
    if current_app.config.get("DEMO_MODE"):
        click.echo("Demo accounts (demo mode only):")
        for email, password in sorted(ctx["passwords"].items()):
            click.echo(f"  {email:40s} {password}")
        if ctx.get("totp_secrets"):
            click.echo("TOTP secrets of the demo staff (add to an authenticator app):")
            for email, secret in sorted(ctx["totp_secrets"].items()):
                click.echo(f"  {email:40s} {secret}")
    click.echo("demo data loaded")
