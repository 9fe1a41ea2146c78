"""Transparency: the public dashboard, the public journal, each project's money page, the verify
page and the open-data downloads (CSV, JSON, 360Giving-style grants, IATI-style activities).

Invariants: every public figure comes from maintained counters (``transparency_counters``, kept by
the ledger's sealer as entries are sealed, so they cover exactly a tree size: see
``counters.coverage()``) or maintained balances — no page scans the journal; journal pages use
keyset pagination on ``sequence``; downloads stream in keyset batches.
No personal data leaves this package: backers appear only under the public label they chose
(``backer_label``), otherwise as "anonymous backer"; no email, phone or private name is ever read.
Everything here is public and read-only (``@public`` views, GET only).
"""

from fundapp.ledger import sealing
from fundapp.proposals import interfaces, progress

from . import cli, counters, money, routes, services, sources


def init_app(app):
    sources.install_resolvers()
    progress.register_money_reader(money.project_money_many, money.share_of_goal_sql)
    interfaces.provide_page_cache(services.anonymous_page)
    sealing.register_seal_listener(counters.on_entries_sealed)
    app.register_blueprint(routes.bp)
    app.cli.add_command(cli.transparency_cli)
