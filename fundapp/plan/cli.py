"""`flask plan …`: reminders before and after deadlines, and the reports' worker."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from fundapp.extensions import db
from fundapp.mail.services import deliver_pending

from . import reporting, reports

plan_cli = AppGroup("plan", help="Monitoring of the Plan of Actions.")


@plan_cli.command("remind")
@click.option(
    "--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Pretend it is this day."
)
def remind(today):
    """Mail agencies whose reports are due within a week or overdue (once each)."""
    day = today.date() if today else date.today()
    n = reporting.send_reminders(day)
    db.session.commit()
    deliver_pending()
    click.echo(f"{n} reminder(s) queued")


@plan_cli.command("reports")
@click.option("--limit", default=10, show_default=True)
def run_reports(limit):
    """Build the reports to the Ministry waiting in the queue."""
    n = reports.run_queued(limit)
    click.echo(f"{n} report(s) built")
