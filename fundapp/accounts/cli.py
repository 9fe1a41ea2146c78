"""``flask users …``: people from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from fundapp.core.errors import DomainError
from fundapp.extensions import db

from . import services
from .models import Role

users_cli = AppGroup("users", help="People and roles.")


@users_cli.command("create-admin")
@click.option("--email", required=True, help="The administrator's email address.")
@click.option("--name", default="", help="Full name.")
@click.password_option(help="Asked twice when not given.")
def create_admin(email, name, password):
    """Create a confirmed administrator with a TOTP secret (printed once, as an otpauth URI)."""
    with force_locale("en"):  # the command line speaks English
        problem = services.password_problem(password, email)
        if problem:
            raise click.ClickException(str(problem))
        try:
            user = services.create_user(email, password, full_name=name, roles=[Role.ADMINISTRATOR])
        except DomainError as exc:
            raise click.ClickException(str(exc.message)) from exc
    secret = services.new_totp_secret()
    user.totp_secret = secret
    user.totp_enabled_at = services.utcnow()
    db.session.commit()
    click.echo(f"administrator {user.email} created (id {user.id})")
    click.echo("Add this to an authenticator app (it is shown only now):")
    click.echo(f"  secret: {secret}")
    click.echo(f"  {services.totp_uri(user)}")


@users_cli.command("grant")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(services.GRANTABLE_ROLES))
def grant(email, role):
    """Grant a role from the command line, without a second administrator (recorded in the audit
    trail as the system). Roles the four-eyes rules keep apart are refused."""
    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException("no such user")
    if user.has_role(role):
        click.echo(f"{user.email} already has {role}")
        return
    with force_locale("en"):
        try:
            services.grant_role_directly(user, role, via="cli")
        except DomainError as exc:
            raise click.ClickException(str(exc.message)) from exc
    db.session.commit()
    click.echo(f"{user.email} is now {role}")


@users_cli.command("list")
def list_users():
    """Everyone, with their roles."""
    from sqlalchemy import select

    from .models import User

    for user in db.session.scalars(select(User).order_by(User.id)):
        roles = ",".join(sorted(user.role_names))
        click.echo(f"{user.id:6d}  {user.email:40s}  {roles}")
