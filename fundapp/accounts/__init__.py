"""People: registration, email confirmation, login with TOTP for staff, password reset, profiles
and roles.

Invariants: passwords are argon2id hashes; an email is stored lower-case and is unique; staff
(reviewer, administrator, treasurer, auditor) cannot reach staff pages without a TOTP-verified
session; granting and revoking roles is done by an administrator and audited.
"""

from fundapp.extensions import login_manager


def init_app(app):
    from . import services

    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.user_loader(services.load_user)

    try:
        from . import routes
    except ImportError:  # routes arrive with the accounts work
        routes = None
    if routes is not None:
        app.register_blueprint(routes.bp)
        from . import cli

        app.cli.add_command(cli.users_cli)
