"""`flask events …`: the reminder job run from cron."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from fundapp.extensions import db

events_cli = AppGroup("events", help="Events: reminders.")


@events_cli.command("remind")
def remind_command():
    """Mail a reminder to everyone with a seat at an event starting within 24 hours (once each)."""
    from . import registration

    count = registration.send_reminders()
    db.session.commit()
    click.echo(f"{count} reminders queued")
