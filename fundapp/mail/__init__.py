"""Outgoing email through an outbox.

Services call ``queue_email`` inside their transaction: the message is a row in ``outbox_messages``
and is committed with the change that caused it. After the response's commit (and from
``flask mail send`` for retries) the sender delivers queued rows: by SMTP when ``MAIL_SERVER`` is set,
otherwise to the log and ``instance/mail/``. A mail server that is down never fails a request.
"""


def init_app(app):
    from . import cli, services

    app.cli.add_command(cli.mail_cli)
    services.init_app(app)
