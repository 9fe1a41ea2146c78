"""Coordination Council decisions: the public record of what the Council decided (number, date,
agenda item, votes, minutes), and the exchange rates its threshold is counted at. Approving a
proposal or a payout above ``COUNCIL_THRESHOLD_MINOR`` diram (counted in somoni at the latest rate
recorded on or before the decision) must cite one — a decision about that project: each
decision names the projects it is about (``council_decision_projects``), and only they may cite it.

Invariants: decisions are public (minutes are made public files); votes are non-negative; the
number is unique; a project or a payout cites only a decision naming its project (checked by
``services.check_citation`` and by database triggers). Only administrators record decisions
(``services.record_decision``) and rates (``services.record_rate``; rates are append-only).
"""


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from fundapp.core.views import register_nav
    from fundapp.extensions import db
    from fundapp.proposals import interfaces

    from . import routes, services
    from .models import CouncilDecision

    app.register_blueprint(routes.bp)
    interfaces.provide_council(
        interfaces.CouncilInterface(
            may_need_council=services.may_need_council,
            above_threshold=services.above_threshold,
            council_threshold=services.council_threshold,
            check_citation=services.check_citation,
            decisions_about=services.decisions_about,
            decision=lambda decision_id: db.session.get(CouncilDecision, decision_id),
            tie_to_project=services.tie_to_project,
        )
    )
    register_nav(app, "council.list_decisions", _l("Council"), ("administrator", "auditor"))
