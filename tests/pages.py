"""Every GET page of the application, with the demo data, as each role that may see it.

``demo_pages(app)`` walks ``app.url_map``: a route's parameters are filled from the demo's rows
(one project in each state, the first row of everything else), and each URL is paired with the
demo people who may open it (the views' own markers say who). The language and layout tests
render these pages; pages that answer anything but a 200 HTML page to a person are not theirs to
judge (``tests/test_access.py`` owns who may reach what).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from fundapp.core.security import ROLES_ATTR, is_public_endpoint
from fundapp.extensions import db

ROLES = ("anonymous", "member", "reviewer", "administrator", "treasurer", "auditor")
# GET routes that are not pages: downloads, JSON, redirects, the language switch, files
SKIP_ENDPOINTS = {
    "static",
    "core.set_language",
    "core.healthz",
    "audit.export_csv",
    "auditor.journal_csv",
    "reconciliation.run_export",
    "transparency.download",
    "files.download",
    "funding.checkout_return",
    "accounts.confirm_email",
    "accounts.reset_password",
    "accounts.mfa_verify",
    "events.attendees_csv",
    "events.certificate_pdf",
    "events.event_ics",
    "events.feed_all",
    "events.feed_organisation",
    "events.feed_country",
    "community_api.library_csv",
    "community_api.library_json",
    "community_api.organisations_csv",
    "community_api.organisations_json",
    "competitions.tally_json",
    "plan.data_csv",
    "plan.data_json",
    "plan.ministry_report_file",
}
SKIP_PREFIXES = ("/api/",)


@dataclass(frozen=True)
class Page:
    url: str
    endpoint: str
    roles: tuple[str, ...]


def _ids(model, column="id", *, per_state: str | None = None, limit: int = 1) -> list:
    col = getattr(model, column)
    if per_state:
        state = getattr(model, per_state)
        rows = db.session.execute(select(func.min(col)).group_by(state)).scalars().all()
        return sorted(r for r in rows if r is not None)
    return list(db.session.scalars(select(col).order_by(col).limit(limit)))


def parameter_values(app) -> dict[str, list]:
    """Values to put in each URL parameter, from the demo data."""
    from fundapp.audit.models import AuditEvent
    from fundapp.council.models import CouncilDecision
    from fundapp.disbursements.models import DisbursementRequest
    from fundapp.funding.models import Donation, Investment, Pledge
    from fundapp.ledger.models import Account
    from fundapp.payments.models import OfflineReceipt
    from fundapp.proposals.models import Milestone, Project
    from fundapp.reconciliation.models import ReconciliationRun
    from fundapp.reviews.models import ReviewAssignment

    donation = db.session.scalar(select(Donation).order_by(Donation.id))
    return {
        "project_id": _ids(Project, per_state="state"),
        "event_id": _ids(AuditEvent),
        "decision_id": _ids(CouncilDecision),
        "assignment_id": _ids(ReviewAssignment, per_state="status"),
        "receipt_id": _ids(OfflineReceipt, per_state="state"),
        "pledge_id": _ids(Pledge, per_state="state"),
        "investment_id": _ids(Investment, per_state="state"),
        "request_id": _ids(DisbursementRequest, per_state="state"),
        "run_id": _ids(ReconciliationRun),
        "account_id": _ids(Account, limit=3),
        "milestone_id": _ids(Milestone),
        "currency": ["TJS", "RUB"],
        "token": [donation.access_token] if donation is not None else [],
    }


def _who(app, endpoint: str) -> tuple[str, ...]:
    if is_public_endpoint(app, endpoint):
        return ROLES
    roles = getattr(app.view_functions[endpoint], ROLES_ATTR, None)
    if roles is None:
        return ROLES[1:]
    return tuple(r for r in ROLES if r in roles)


def _in_checkout(app, endpoint: str) -> bool:
    """Whether the view is this checkout's own (a shared installation may add other domains)."""
    import sys
    from pathlib import Path

    import fundapp

    module = sys.modules.get(app.view_functions[endpoint].__module__)
    origin = getattr(module, "__file__", None) or ""
    return not origin.startswith("/") or Path(origin).is_relative_to(Path(fundapp.__file__).parent)


def demo_pages(app) -> list[Page]:
    """Every GET page with the demo's data filled in, and who may open it."""
    from fundapp.proposals.models import Milestone

    values = parameter_values(app)
    pages: list[Page] = []
    with app.test_request_context():
        from flask import url_for

        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in rule.methods or rule.endpoint in SKIP_ENDPOINTS:
                continue
            if rule.rule.startswith(SKIP_PREFIXES) or not _in_checkout(app, rule.endpoint):
                continue
            args = sorted(rule.arguments)
            combos: list[dict] = [{}]
            if args == ["milestone_id", "project_id"]:
                combos = [
                    {"project_id": m.project_id, "milestone_id": m.id}
                    for m in db.session.scalars(select(Milestone).order_by(Milestone.id).limit(1))
                ]
            else:
                for arg in args:
                    combos = [{**c, arg: v} for c in combos for v in values.get(arg, [])]
            for c in combos:
                pages.append(Page(url_for(rule.endpoint, **c), rule.endpoint, _who(app, rule.endpoint)))
    return pages


def demo_clients(app) -> dict:
    """A test client per role, signed in as the demo's person with that role."""
    from fundapp.accounts.demo import demo_email
    from fundapp.accounts.models import User
    from tests.conftest import login_as

    clients = {"anonymous": app.test_client()}
    for role in ROLES[1:]:
        user = db.session.scalar(select(User).where(User.email == demo_email(role)))
        c = app.test_client()
        login_as(c, user)
        clients[role] = c
    return clients


def load_demo(app) -> None:
    """The demo of the domains in this checkout (an installed copy elsewhere may hold others)."""
    from pathlib import Path
    from unittest import mock

    import fundapp
    from fundapp import DOMAINS
    from fundapp.core.demo import load_all

    here = Path(fundapp.__file__).parent
    present = [d for d in DOMAINS if (here / d / "__init__.py").exists()]
    with mock.patch("fundapp.DOMAINS", present):
        load_all()
    db.session.commit()
