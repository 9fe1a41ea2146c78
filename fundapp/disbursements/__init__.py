"""Disbursements: money leaves the fund only for a milestone of a funded project, requested by its
owner with evidence, approved by an administrator (citing a Coordination Council decision above
``COUNCIL_THRESHOLD_MINOR``) and paid by a treasurer who is neither of them. Also the delivery side:
milestone status and completion reports, and the overdue-report flag on the public page.

Invariants: no one acts twice on one request (services and CHECK constraints); approval reserves
the amount in the ledger (``create_pending``) so a project is never promised more than it holds;
execution posts that reservation exactly once (``post_pending``), a void releases it. Every step is
audited. Callers: the routes here; other domains read ``services.public_disbursements`` and
``services.authorised_by``.
"""


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from fundapp.core.views import register_nav
    from fundapp.files.services import register_access_rule

    from . import routes, services

    app.register_blueprint(routes.bp)
    register_access_rule(services.evidence_access_rule)
    register_nav(app, "disbursements.queue", _l("Disbursements"), ("administrator", "treasurer", "auditor"))
    app.jinja_env.globals["disbursement_section"] = routes.project_section_context
    app.jinja_env.globals["council_authorised"] = services.authorised_by
    app.jinja_env.globals["disbursement_dashboard"] = routes.dashboard_context
