"""Backing projects: donations, all-or-nothing pledges and investments (loans), the settlement of
campaigns at their end, repayment schedules, repayments and their pro-rata distribution.

One lifecycle (``lifecycle``) locks, receives, fails and posts every backing; ``donations``,
``pledges`` and ``investments`` are its kinds. Card payments and transfer receipts arrive through
``payments``, which announces them (``card_payments`` and ``receipts`` receive them); campaigns
are settled in ``settlement``, loans repaid in ``loans``, counters kept in ``totals``.

Invariants: every movement of money is one ledger entry whose idempotency key is derived from the
backing's id (it lands exactly once, whichever of webhook, return page or retry comes first); an
investment never takes a loan beyond its cap (the project's counters row is locked); a pledge is
charged only when its campaign met its goal, once (idempotency key stored before the charge); the
per-project counters change in the transaction of the backing; a pledge to be paid by transfer is
asked for when its campaign succeeds and is collected only through a confirmed receipt, or lapses
after its deadline (``offline_pledges``). Backers act on their own backings only (and may cancel
those not paid, ``cancellation``); treasurers record repayments; refunds take four eyes.
"""

from flask_babel import lazy_gettext as _l

from fundapp.core.views import register_nav
from fundapp.proposals import services as proposals


def init_app(app):
    # importing these registers the kinds of backing with the lifecycle, connects the receivers of
    # what payments announces (card payments, confirmed receipts), answers what a receipt is for
    # and adds the staff pages to the blueprint
    from . import (  # noqa: F401 (imported for what importing them registers)
        backers,
        card_payments,
        cli,
        donations,
        investments,
        pledges,
        receipts,
        routes,
        settlement,
        staff_routes,
    )

    app.register_blueprint(routes.bp)
    app.cli.add_command(cli.campaigns_cli)
    proposals.register_transition_listener(settlement.on_project_transition)
    proposals.register_follower_source(backers.backers_of_project)
    app.jinja_env.globals["funding_backings"] = backers.backings_of
    app.jinja_env.globals["funding_panel"] = routes.project_panel_context
    register_nav(app, "funding.my_backing", _l("My backing"), ("member",))
    register_nav(app, "funding.staff_backings", _l("Backings"), ("administrator", "treasurer", "auditor"))
