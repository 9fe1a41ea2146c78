"""``flask campaigns close``: settle the campaigns whose end has passed (cron, every minute);
``remind`` and ``lapse``: the reminders and the deadline of pledges paid by transfer (cron, daily)."""

import click
from flask.cli import AppGroup

from fundapp.ledger import sealing

from .settlement import close_due_campaigns

campaigns_cli = AppGroup("campaigns", help="Campaign settlement.")


@campaigns_cli.command("close")
def close_command():
    """Settle ended campaigns, collect pledges of funded ones, lapse unpaid pledges. Idempotent and
    safe to run concurrently."""
    result = close_due_campaigns()
    sealing.seal_committed()  # what it posted is sealed before cron's next run, and counted
    for pid, outcome in result["settled"]:
        click.echo(f"project {pid}: {outcome}")
    charges = ", ".join(f"{k} {v}" for k, v in sorted(result["charges"].items())) or "none"
    click.echo(f"pledge charges: {charges}; lapsed pledges: {result['lapsed']}")


@campaigns_cli.command("remind")
def remind_command():
    """Mail the reminders due to backers whose pledge waits for their transfer (cron, daily).
    Each reminder is sent once, however often this runs."""
    from .offline_pledges import send_reminders

    click.echo(f"pledge reminders sent: {send_reminders()}")


@campaigns_cli.command("lapse")
def lapse_command():
    """Lapse pledges still unpaid after their deadline, each once: audited, and the backer is told
    (cron, daily; `campaigns close` does it too)."""
    from .offline_pledges import lapse_overdue

    click.echo(f"lapsed pledges: {lapse_overdue()}")
