import click
from flask.cli import AppGroup

from fundapp.extensions import db

from .held import purge_expired

files_cli = AppGroup("files", help="Uploaded files.")


@files_cli.command("purge-held")
@click.option("--limit", default=1000, show_default=True)
def purge_held_command(limit):
    """Discard held uploads past their time (run from cron; refused forms also purge a few)."""
    n = purge_expired(limit=limit)
    db.session.commit()
    click.echo(f"discarded {n}")
