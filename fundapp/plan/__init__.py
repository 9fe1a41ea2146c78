"""Monitoring of the Plan of Actions: its groups, action points and indicators (entered and
edited by administrators, with history), the agencies' quarterly reports reviewed by the
Ministry (MoLMEP), indicators the portal computes from its own data and ledger, the roll-up to
a status per point and group, the public scorecard and open data, and the reports to the Ministry
(PDF and XLSX) computed against a signed ledger checkpoint.

Invariants: an accepted report is locked (only an administrator unlocks it, with a reason); an
agency reports only on points that name it, and nobody reviews their own report; a status set
by hand carries its reason; history rows and report stamps are append-only in the database;
money figures count only the entries sealed into the checkpoint they state.
"""

from fundapp.community.models import Organisation
from fundapp.files.services import register_access_rule


def init_app(app):
    from decimal import Decimal

    from flask_babel import format_decimal
    from flask_babel import lazy_gettext as _l

    from fundapp.core.i18n import format_money
    from fundapp.core.money import Money
    from fundapp.core.views import register_nav
    from fundapp.extensions import db

    from . import cli, manage_routes, progress, reporting, routes, services  # noqa: F401 - manage_routes adds views
    from .models import JobState

    app.register_blueprint(routes.bp)
    app.cli.add_command(cli.plan_cli)
    register_access_rule(reporting.evidence_access_rule)
    register_nav(app, "plan.manage", _l("Plan"), ("administrator", "auditor"))

    stamps = {
        "submitted": _l("submitted"),
        "returned": _l("returned for changes"),
        "accepted": _l("accepted"),
        "unlocked": _l("unlocked"),
    }
    jobs = {
        JobState.QUEUED: _l("waiting"),
        JobState.RUNNING: _l("being prepared"),
        JobState.DONE: _l("ready"),
        JobState.FAILED: _l("failed"),
    }

    @app.context_processor
    def plan_helpers():
        def agency_name(org_id):
            if not org_id:
                return ""
            org = db.session.get(Organisation, org_id)
            return org.name if org else ""

        return {
            "agency_name": agency_name,
            "money_of": lambda minor, currency: format_money(Money(int(minor), currency or "TJS")),
            "hundredths": lambda v: format_decimal(Decimal(int(v)) / 100),
            "percent_of": progress.percent,
            "overall_percent": progress.percent,
            "stamp_label": lambda a: stamps.get(a, a),
            "job_label": lambda s: jobs.get(JobState(s), s),
        }
