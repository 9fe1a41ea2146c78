import click
from flask.cli import AppGroup

from .services import deliver_pending

mail_cli = AppGroup("mail", help="The outbox of outgoing email.")


@mail_cli.command("send")
@click.option("--limit", default=500, show_default=True)
def send_command(limit):
    """Deliver queued messages (run from cron for retries)."""
    click.echo(f"delivered {deliver_pending(limit=limit)}")
