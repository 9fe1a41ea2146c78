"""Transparency: the public dashboard, the public journal, each project's money page, the verify
page and the open-data downloads (CSV, JSON, 360Giving-style grants, IATI-style activities).

Invariants: every public figure comes from maintained counters (``transparency_counters``, kept by
a ledger posting listener in the posting transaction) or maintained balances — no page scans the
journal; journal pages use keyset pagination on ``sequence``; downloads stream in keyset batches.
No personal data leaves this package: backers appear only under the public label they chose
(``backer_label``), otherwise as "anonymous backer"; no email, phone or private name is ever read.
Everything here is public and read-only (``@public`` views, GET only).
"""


def init_app(app):
    from fundapp.ledger import services as ledger_services

    from . import cli, counters, routes, sources

    sources.install_resolvers()
    ledger_services.register_posting_listener(counters.on_entry_posted)
    app.register_blueprint(routes.bp)
    app.cli.add_command(cli.transparency_cli)
