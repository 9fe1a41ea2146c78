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

    from flask_babel import lazy_gettext as _l

    from fundapp.core.security import set_step_up_holder
    from fundapp.core.views import register_nav

    from . import cli, routes, stepup

    app.register_blueprint(routes.bp)
    # a post stopped by the step-up is kept, and finished after the code
    set_step_up_holder(stepup.hold)
    app.before_request(stepup.replay_before_request)
    app.cli.add_command(cli.users_cli)
    register_nav(app, "accounts.admin_users", _l("People and roles"), ("administrator",))
