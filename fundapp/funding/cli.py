"""``flask campaigns close``: settle the campaigns whose end has passed (cron, every minute)."""

import click
from flask.cli import AppGroup

campaigns_cli = AppGroup("campaigns", help="Campaign settlement.")


@campaigns_cli.command("close")
def close_command():
    """Settle ended campaigns, collect pledges of funded ones, lapse unpaid pledges. Idempotent and
    safe to run concurrently."""
    from fundapp.ledger import sealing

    from .services import close_due_campaigns

    result = close_due_campaigns()
    sealing.seal_committed()  # what it posted is sealed before cron's next run, and counted
    for pid, outcome in result["settled"]:
        click.echo(f"project {pid}: {outcome}")
    charges = ", ".join(f"{k} {v}" for k, v in sorted(result["charges"].items())) or "none"
    click.echo(f"pledge charges: {charges}; lapsed pledges: {result['lapsed']}")
