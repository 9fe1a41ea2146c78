"""Every state-changing staff route of disbursements, reconciliation and the audit desk leaves an
audit row. The table below says how to call each one with valid data; a staff POST route in these
domains that is missing from the table fails the test, so new routes cannot slip through."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from fundapp.audit.models import AuditEvent
from fundapp.core.security import ROLES_ATTR
from fundapp.extensions import db
from tests.conftest import login_as
from tests.disbursements.conftest import cast, funded_project, requested  # noqa: F401
from tests.fakes.fixtures import fake_stripe, stripe_app  # noqa: F401
from tests.reconciliation.conftest import STATEMENT, books, post_bank  # noqa: F401

DOMAINS = ("disbursements", "reconciliation", "auditor", "audit")


@pytest.fixture
def app(stripe_app):  # noqa: F811
    """Stripe keys point at the fake, so the Stripe reconciliation can succeed too."""
    return stripe_app


# -- how to call each route: (setup) -> (user, url, data, expected audit action) ------------------


def _approved(people, make_request):
    from fundapp.disbursements import services

    req = make_request()
    services.approve_disbursement(req, actor=people.admin)
    db.session.commit()
    return req


def _run(make_user):
    from fundapp.reconciliation import services

    run = services.import_bank_statement(STATEMENT.encode(), actor=make_user("auditor"))
    db.session.commit()
    return run


def _open_item(make_user, kind="missing_in_ledger"):
    return next(i for i in _run(make_user).items if i.kind == kind)


def _proposed(make_user):
    from fundapp.reconciliation import services

    adj = services.propose_adjustment(
        _open_item(make_user), actor=make_user("treasurer"), counter_account_code="suspense", memo="Unknown"
    )
    db.session.commit()
    return adj


def call_approve(ctx):
    req = ctx.requested()
    return (
        ctx.cast.admin,
        f"/disbursements/{req.id}/approve",
        {"council_decision": "0"},
        "disbursement.approved",
    )


def call_send_back(ctx):
    req = ctx.requested()
    return (
        ctx.cast.admin,
        f"/disbursements/{req.id}/return",
        {"return-reason": "No act"},
        "disbursement.returned",
    )


def call_execute(ctx):
    req = _approved(ctx.cast, ctx.requested)
    return (
        ctx.cast.treasurer,
        f"/disbursements/{req.id}/execute",
        {"bank_reference": "P1"},
        "disbursement.executed",
    )


def call_void(ctx):
    req = _approved(ctx.cast, ctx.requested)
    return (
        ctx.cast.treasurer,
        f"/disbursements/{req.id}/void",
        {"void-reason": "Supplier gone"},
        "disbursement.voided",
    )


def call_import_statement(ctx):
    data = {
        "bank-statement": (io.BytesIO(STATEMENT.encode()), "march.csv"),
        "bank-account_code": "bank",
        "bank-currency": "TJS",
        "bank-window_days": "5",
    }
    return ctx.make_user("auditor"), "/reconciliation/import", data, "reconciliation.imported"


def call_import_stripe(ctx):
    data = {"stripe-start": "2026-03-01", "stripe-end": "2026-03-31", "stripe-currency": "USD"}
    return ctx.make_user("treasurer"), "/reconciliation/stripe", data, "reconciliation.imported"


def call_resolve(ctx):
    item = _open_item(ctx.make_user)
    return (
        ctx.make_user("auditor"),
        f"/reconciliation/items/{item.id}/resolve",
        {"note": "Timing"},
        ("reconciliation.item_resolved"),
    )


def call_propose(ctx):
    item = _open_item(ctx.make_user)
    data = {"counter_account_code": "suspense", "memo": "Unidentified"}
    return (
        ctx.make_user("treasurer"),
        f"/reconciliation/items/{item.id}/adjust",
        data,
        ("reconciliation.adjustment_proposed"),
    )


def call_approve_adjustment(ctx):
    adj = _proposed(ctx.make_user)
    return (
        ctx.make_user("administrator"),
        f"/reconciliation/adjustments/{adj.id}/approve",
        {},
        ("reconciliation.adjustment_posted"),
    )


def call_reject_adjustment(ctx):
    adj = _proposed(ctx.make_user)
    return (
        ctx.make_user("treasurer"),
        f"/reconciliation/adjustments/{adj.id}/reject",
        {"note": "No"},
        ("reconciliation.adjustment_rejected"),
    )


CALLS = {
    "disbursements.approve": call_approve,
    "disbursements.send_back": call_send_back,
    "disbursements.execute": call_execute,
    "disbursements.void": call_void,
    "reconciliation.import_statement": call_import_statement,
    "reconciliation.import_stripe": call_import_stripe,
    "reconciliation.resolve": call_resolve,
    "reconciliation.propose": call_propose,
    "reconciliation.approve": call_approve_adjustment,
    "reconciliation.reject": call_reject_adjustment,
}


def staff_post_endpoints(app) -> set[str]:
    found = set()
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.endpoint.split(".")[0] not in DOMAINS:
            continue
        if getattr(app.view_functions[rule.endpoint], ROLES_ATTR, None):
            found.add(rule.endpoint)
    return found


def test_every_staff_post_route_is_in_the_table(app):
    """Is every staff-guarded POST route of these domains listed in the table (and nothing stale)?"""
    assert staff_post_endpoints(app) == set(CALLS)


@pytest.mark.parametrize("endpoint", sorted(CALLS))
def test_staff_post_route_leaves_an_audit_row(app, endpoint, cast, requested, make_user, books):  # noqa: F811
    """Does a successful call of this staff route write its audit row, naming the actor?"""

    class Ctx:
        pass

    ctx = Ctx()
    ctx.cast, ctx.requested, ctx.make_user = cast, requested, make_user
    user, url, data, action = CALLS[endpoint](ctx)
    before = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))
    c = app.test_client()
    login_as(c, user)
    r = c.post(url, data=data, content_type="multipart/form-data")
    assert r.status_code in (302, 303), r.get_data(as_text=True)[:2000]
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    ).all()
    assert len(rows) == before + 1
    assert rows[0].actor_id == user.id and rows[0].ip_address
