"""The disbursement state machine: request → approve (reserve) → execute (post) | void, under four eyes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fundapp.audit.models import AuditEvent
from fundapp.core.errors import InsufficientFunds, InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.money import Money
from fundapp.disbursements import services
from fundapp.extensions import db
from fundapp.ledger import services as ledger
from fundapp.ledger.models import JournalEntry, PendingTransfer

from .conftest import council_decision, evidence


def tjs(text: str) -> Money:
    return Money.parse(text, "TJS")


def held(project) -> tuple[Money, Money]:
    account = ledger.project_account(project.id, project.currency)
    return ledger.balance(account), ledger.available(account)


def entries_for(req) -> int:
    return db.session.scalar(
        select(func.count(JournalEntry.id)).where(
            JournalEntry.source_type == "disbursement", JournalEntry.source_id == str(req.id)
        )
    )


def test_request_approve_execute_moves_the_money_once(cast, requested):
    """Does approval reserve the amount, execution post it once, and the first payout start implementation?"""
    req = requested("10000")
    project = req.project
    assert held(project) == (tjs("30000"), tjs("30000"))
    services.approve_disbursement(req, actor=cast.admin)
    db.session.commit()
    assert req.state == "approved" and req.pending_transfer_id
    assert held(project) == (tjs("30000"), tjs("20000"))  # reserved, not yet spent
    services.execute_disbursement(req, actor=cast.treasurer, bank_reference="PP-2026-0042")
    db.session.commit()
    assert req.state == "executed" and req.bank_reference == "PP-2026-0042"
    assert held(project) == (tjs("20000"), tjs("20000"))
    assert entries_for(req) == 1
    assert project.state == "implementing"
    assert all(ev.file.is_public for ev in req.evidence)
    actions = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_type == "disbursement", AuditEvent.object_id == str(req.id)
        )
    ).all()
    assert actions == ["disbursement.requested", "disbursement.approved", "disbursement.executed"]


def test_a_later_payout_leaves_an_implementing_project_as_it_is(cast, requested):
    """Does a second payout on an implementing project post without another state change?"""
    first = requested("5000")
    services.approve_disbursement(first, actor=cast.admin)
    services.execute_disbursement(first, actor=cast.treasurer, bank_reference="A1")
    db.session.commit()
    second = requested("5000", project=first.project, milestone_index=1)
    services.approve_disbursement(second, actor=cast.admin2)
    services.execute_disbursement(second, actor=cast.treasurer2, bank_reference="A2")
    db.session.commit()
    assert first.project.state == "implementing"
    assert services.disbursed_total(first.project) == tjs("10000")


# -- four eyes ------------------------------------------------------------------------------------


@pytest.fixture
def insider_project(cast, funded_project):
    """A project owned by someone who is also administrator and treasurer."""
    return funded_project(owner=cast.both)


def test_requester_cannot_approve(cast, requested, insider_project):
    """Can the person who requested a payout approve it? No."""
    req = requested(project=insider_project)
    with pytest.raises(NotPermitted):
        services.approve_disbursement(req, actor=cast.both)
    db.session.rollback()
    assert db.session.get(type(req), req.id).state == "requested"


def test_requester_cannot_send_back_their_own_request(cast, requested, insider_project):
    """Can the requester decide on their own request by sending it back? No."""
    req = requested(project=insider_project)
    with pytest.raises(NotPermitted):
        services.return_disbursement(req, actor=cast.both, reason="mine")


def test_requester_cannot_execute(cast, requested, insider_project):
    """Can the person who requested a payout pay it out, after someone else approved it? No."""
    req = requested(project=insider_project)
    services.approve_disbursement(req, actor=cast.admin)
    db.session.commit()
    with pytest.raises(NotPermitted):
        services.execute_disbursement(req, actor=cast.both, bank_reference="X")
    db.session.rollback()
    assert entries_for(req) == 0


def test_requester_cannot_void(cast, requested, insider_project):
    """Can the requester cancel an approved payout to their own project? No."""
    req = requested(project=insider_project)
    services.approve_disbursement(req, actor=cast.admin)
    db.session.commit()
    with pytest.raises(NotPermitted):
        services.void_disbursement(req, actor=cast.both, reason="x")


def test_approver_cannot_execute(cast, requested):
    """Can the administrator who approved a payout also execute it (holding both roles)? No."""
    req = requested()
    services.approve_disbursement(req, actor=cast.both)
    db.session.commit()
    with pytest.raises(NotPermitted):
        services.execute_disbursement(req, actor=cast.both, bank_reference="X")
    db.session.rollback()
    assert entries_for(req) == 0
    assert db.session.get(type(req), req.id).state == "approved"


def test_team_member_cannot_decide(cast, requested, funded_project, make_user):
    """Can an administrator who is on the project's team approve its payout? No."""
    from fundapp.proposals.models import TeamMember

    project = funded_project()
    db.session.add(TeamMember(project=project, name="Zarina", role="Adviser", user_id=cast.admin.id))
    db.session.commit()
    req = requested(project=project)
    with pytest.raises(NotPermitted):
        services.approve_disbursement(req, actor=cast.admin)


@pytest.mark.parametrize("who", ["owner", "treasurer", "auditor", "stranger"])
def test_only_administrators_approve(cast, requested, who):
    """Can anyone but an administrator approve? No."""
    req = requested()
    with pytest.raises(NotPermitted):
        services.approve_disbursement(req, actor=getattr(cast, who))


@pytest.mark.parametrize("who", ["owner", "admin2", "auditor", "stranger"])
def test_only_treasurers_execute(cast, requested, who):
    """Can anyone but a treasurer execute? No."""
    req = requested()
    services.approve_disbursement(req, actor=cast.admin)
    db.session.commit()
    with pytest.raises(NotPermitted):
        services.execute_disbursement(req, actor=getattr(cast, who), bank_reference="X")


def test_only_the_owner_requests(cast, funded_project):
    """Can someone other than the project's owner request its money? No."""
    project = funded_project()
    with pytest.raises(NotPermitted):
        services.request_disbursement(
            project, project.milestones[0], actor=cast.admin, amount=tjs("100"), payee_name="x",
            payee_bank="x", payee_account="x", work_done="x", evidence=[evidence()],
        )  # fmt: skip


def test_the_database_refuses_an_approver_who_requested(cast, requested, insider_project):
    """If a bug bypassed the services, would the database still refuse the requester as approver? Yes."""
    from sqlalchemy.exc import IntegrityError

    req = requested(project=insider_project)
    req.decided_by_id = req.requested_by_id
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# -- money can move only once, and never beyond what is held --------------------------------------


def test_double_execution_is_refused(cast, requested):
    """Is a second execution refused with nothing posted twice?"""
    req = requested()
    services.approve_disbursement(req, actor=cast.admin)
    services.execute_disbursement(req, actor=cast.treasurer, bank_reference="R1")
    db.session.commit()
    with pytest.raises(InvalidTransition):
        services.execute_disbursement(req, actor=cast.treasurer2, bank_reference="R2")
    db.session.rollback()
    assert entries_for(req) == 1
    assert db.session.get(type(req), req.id).bank_reference == "R1"


def test_execution_after_void_is_refused(cast, requested):
    """After a void, is execution refused, the reservation released and nothing posted?"""
    req = requested("12000")
    services.approve_disbursement(req, actor=cast.admin)
    db.session.commit()
    assert held(req.project)[1] == tjs("18000")
    services.void_disbursement(req, actor=cast.treasurer, reason="The supplier cancelled the order.")
    db.session.commit()
    assert held(req.project) == (tjs("30000"), tjs("30000"))
    with pytest.raises(InvalidTransition):
        services.execute_disbursement(req, actor=cast.treasurer2, bank_reference="R")
    db.session.rollback()
    assert entries_for(req) == 0
    assert db.session.get(PendingTransfer, req.pending_transfer_id).state == "voided"


def test_request_above_what_the_project_holds_is_refused(cast, funded_project):
    """Can an owner ask for more than the project holds? No, with a message on the amount."""
    project = funded_project(held="1000")
    with pytest.raises(ValidationFailed) as info:
        services.request_disbursement(
            project, project.milestones[0], actor=cast.owner, amount=tjs("1000.01"), payee_name="x",
            payee_bank="x", payee_account="x", work_done="x", evidence=[evidence()],
        )  # fmt: skip
    assert info.value.field == "amount"


def test_request_above_the_milestone_budget_is_refused(cast, requested):
    """Can the requests for one milestone add up to more than its budget? No."""
    req = requested("10000")  # the first milestone is 15000
    with pytest.raises(ValidationFailed) as info:
        requested("5000.01", project=req.project)
    assert info.value.field == "amount"


def test_approvals_cannot_promise_more_than_is_held(cast, funded_project, requested):
    """When two requests together exceed what is held, is the second approval refused, nothing reserved?"""
    project = funded_project(held="20000")
    first = requested("15000", project=project, milestone_index=0)
    second = requested("15000", project=project, milestone_index=1)
    services.approve_disbursement(first, actor=cast.admin)
    db.session.commit()
    with pytest.raises(InsufficientFunds):
        services.approve_disbursement(second, actor=cast.admin)
    db.session.rollback()
    assert db.session.get(type(second), second.id).state == "requested"
    assert held(project) == (tjs("20000"), tjs("5000"))


def test_request_needs_evidence_and_a_funded_project(cast, funded_project):
    """Is a request without evidence, or on a project still raising money, refused clearly?"""
    project = funded_project()
    with pytest.raises(ValidationFailed) as info:
        services.request_disbursement(
            project, project.milestones[0], actor=cast.owner, amount=tjs("10"), payee_name="x",
            payee_bank="x", payee_account="x", work_done="x", evidence=[],
        )  # fmt: skip
    assert info.value.field == "evidence"
    raising = funded_project(state="fundraising", held="0")
    with pytest.raises(InvalidTransition):
        services.request_disbursement(
            raising, raising.milestones[0], actor=cast.owner, amount=tjs("10"), payee_name="x",
            payee_bank="x", payee_account="x", work_done="x", evidence=[evidence()],
        )  # fmt: skip


# -- the Council ----------------------------------------------------------------------------------


def test_large_payout_needs_a_carried_council_decision(app, cast, requested):
    """Above the threshold, is approval refused without a carried Council decision, and linked with one?"""
    app.config["COUNCIL_THRESHOLD_MINOR"] = 500_000  # 5,000.00
    req = requested("6000")
    with pytest.raises(ValidationFailed) as info:
        services.approve_disbursement(req, actor=cast.admin)
    assert info.value.field == "council_decision"
    db.session.rollback()
    with pytest.raises(ValidationFailed):
        services.approve_disbursement(
            req,
            actor=cast.admin,
            council_decision=council_decision(cast.admin, carried=False, project=req.project),
        )
    db.session.rollback()
    decision = council_decision(cast.admin, project=req.project)
    services.approve_disbursement(req, actor=cast.admin, council_decision=decision)
    db.session.commit()
    assert req.council_decision_id == decision.id
    assert services.authorised_by(decision) == [req]


def test_small_payout_needs_no_council(cast, requested):
    """Below the threshold, does approval go through without a Council decision?"""
    req = requested("100")
    services.approve_disbursement(req, actor=cast.admin)
    assert req.state == "approved"


# -- sending back ---------------------------------------------------------------------------------


def test_send_back_needs_a_reason_and_ends_the_request(cast, requested):
    """Must a request be sent back with a reason, after which it can no longer be approved?"""
    req = requested()
    with pytest.raises(ValidationFailed):
        services.return_disbursement(req, actor=cast.admin, reason="  ")
    db.session.rollback()
    services.return_disbursement(req, actor=cast.admin, reason="The invoice is unsigned.")
    db.session.commit()
    assert req.state == "returned" and req.return_reason == "The invoice is unsigned."
    with pytest.raises(InvalidTransition):
        services.approve_disbursement(req, actor=cast.admin2)


def test_no_payout_to_a_cancelled_project(cast, requested):
    """When a project is cancelled after a payout was approved, is execution refused and the void allowed?"""
    from fundapp.proposals.services import cancel_project

    req = requested()
    services.approve_disbursement(req, actor=cast.admin)
    cancel_project(req.project, actor=cast.admin2, comment="The land allocation was withdrawn.")
    db.session.commit()
    with pytest.raises(InvalidTransition):
        services.execute_disbursement(req, actor=cast.treasurer, bank_reference="X")
    db.session.rollback()
    services.void_disbursement(req, actor=cast.treasurer, reason="Project cancelled")
    db.session.commit()
    assert held(req.project) == (tjs("30000"), tjs("30000"))
