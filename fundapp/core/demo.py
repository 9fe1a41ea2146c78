"""``flask demo load``: demo data for every domain, idempotent.

Each domain that has demo data provides ``fundapp/<domain>/demo.py`` with ``load(ctx)``; they run in
the order of ``fundapp.DOMAINS``, sharing ``ctx`` (a dict: users by role, projects, …)."""

import importlib
import importlib.util

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from fundapp.extensions import db

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
    from fundapp.accounts.models import User

    if if_empty and db.session.scalar(select(func.count(User.id))):
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
