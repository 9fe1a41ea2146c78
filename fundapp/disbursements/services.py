"""The verbs of disbursements: request, approve, send back, execute, void; milestone reports.

The state machine (``TRANSITIONS``)::

    requested → approved → executed
    requested → returned            (sent back with a reason; the owner may correct it and send it
                                     again, once, as a new request linked in ``disbursement_resends``)
    approved  → voided              (the reservation is released)

Who may act: the project's owner requests; an administrator who is neither the requester nor an
insider of the project approves or returns; a treasurer who is neither the requester nor the
approver executes; a treasurer or administrator other than the requester voids. Approval reserves
the amount in the ledger (``create_pending``: debit the project's account, credit the bank), so a
project can never be promised more than it holds; execution posts that reservation, once.

Every function flushes, never commits, writes an audit record and queues the notifications.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import InsufficientFunds, InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.money import Money
from fundapp.core.text import clean_text
from fundapp.council.services import above_threshold, check_citation, council_threshold, may_need_council
from fundapp.extensions import db
from fundapp.files.services import make_public
from fundapp.ledger import services as ledger
from fundapp.ledger.models import PendingTransfer
from fundapp.proposals import timeline, workflow
from fundapp.proposals.models import Milestone, Project, ProjectState

from .common import (  # noqa: F401
    ACTIVE_STATES,
    MAX_EVIDENCE,
    REPORT_EVIDENCE_REQUIRED,
    REPORT_OVERDUE,
    REPORTABLE_PROJECT_STATES,
    REQUEST_EVIDENCE_REQUIRED,
    REQUESTABLE_PROJECT_STATES,
    TRANSITIONS,
    EvidenceUpload,
    S,
    Transition,
    _check_state,
    _copy_evidence,
    _move,
    _notify,
    _resendable_evidence,
    _store_evidence,
    committed_amount,
    external_url,
    lock,
    not_yet_funded_message,
    project_available,
    staff_with_role,
)
from .delivery import (  # noqa: F401
    authorised_by,
    disbursed_total,
    last_report_at,
    milestone_reports,
    public_disbursements,
    report_milestone_done,
    report_overdue,
    start_milestone,
)
from .models import (
    DisbursementEvidence,
    DisbursementRequest,
    DisbursementResend,
    MilestoneReportFile,
)

# -- the disbursement workflow --------------------------------------------------------------------


def request_disbursement(
    project: Project,
    milestone: Milestone,
    *,
    actor,
    amount: Money,
    payee_name: str,
    payee_bank: str,
    payee_account: str,
    payee_bank_code: str | None = None,
    work_done: str,
    evidence: list[EvidenceUpload],
    resends: DisbursementRequest | None = None,
    keep_evidence: Iterable[int] = (),
) -> DisbursementRequest:
    """The project's owner asks for money for a milestone, with evidence of what was done.

    With ``resends``, the request corrects one that was sent back (once: a second correction of
    the same request is refused); the evidence named in ``keep_evidence`` (ids of its evidence) is
    copied over, so that only what changed needs uploading again."""
    if not isinstance(amount, Money):
        raise TypeError("amount must be Money")
    if actor is None or actor.id != project.owner_id:
        raise NotPermitted(_l("Only the project's owner can request a disbursement."))
    kept = _resendable_evidence(resends, project, keep_evidence) if resends is not None else []
    if project.state not in REQUESTABLE_PROJECT_STATES:
        raise InvalidTransition(not_yet_funded_message(project))
    if milestone is None or milestone.project_id != project.id:
        raise ValidationFailed(_l("Choose one of this project's milestones."), field="milestone")
    if amount.currency != project.currency:
        raise ValidationFailed(
            _l("The amount must be in the project's currency (%(currency)s).", currency=project.currency),
            field="amount",
        )
    if amount.amount <= 0:
        raise ValidationFailed(_l("The amount must be greater than zero."), field="amount")
    if milestone.amount_minor and committed_amount(milestone) + amount > milestone.amount:
        left = milestone.amount - committed_amount(milestone)
        raise ValidationFailed(
            _l("This milestone's budget allows at most %(left)s more.", left=str(left)), field="amount"
        )
    available = project_available(project)
    if amount > available:
        raise ValidationFailed(
            _l("The project holds %(available)s that is not yet promised; ask for no more.",
               available=str(available)),
            field="amount",
        )  # fmt: skip
    if not evidence and not kept:
        raise ValidationFailed(REQUEST_EVIDENCE_REQUIRED, field="evidence")
    req = DisbursementRequest(
        project_id=project.id,
        milestone_id=milestone.id,
        requested_by_id=actor.id,
        amount_minor=amount.amount,
        amount_currency=amount.currency,
        payee_name=clean_text(payee_name, 200, "payee_name", required=True),
        payee_bank=clean_text(payee_bank, 200, "payee_bank", required=True),
        payee_account=clean_text(payee_account, 64, "payee_account", required=True),
        payee_bank_code=clean_text(payee_bank_code, 32, "payee_bank_code") or None,
        work_done=clean_text(work_done, 5000, "work_done", required=True),
        state=S.REQUESTED.value,
    )
    db.session.add(req)
    _copy_evidence(req, kept, actor=actor)
    _store_evidence(req.evidence, DisbursementEvidence, evidence, actor=actor, field="evidence")
    db.session.flush()
    changes = {"project": project.id, "milestone": milestone.id, "amount": str(amount)}
    if resends is not None:
        db.session.add(DisbursementResend(returned_id=resends.id, resent_id=req.id))
        db.session.flush()
        changes["resends"] = resends.id
    record("disbursement.requested", req, actor=actor, changes=changes)
    _notify(
        staff_with_role("administrator"),
        _l("Disbursement request for “%(title)s”", title=project.title),
        "requested",
        exclude=[actor],
        req=req,
        project=project,
    )
    return req


def needs_council_amount(amount: Money) -> bool:
    """For pages and the demo: above the Council threshold in somoni, or not known to be below
    it (no rate of its currency recorded)."""

    return may_need_council(amount)


def needs_council(req: DisbursementRequest) -> bool:
    return needs_council_amount(req.amount)


def _require_active_project(project: Project) -> None:
    if project.state not in REQUESTABLE_PROJECT_STATES:
        raise InvalidTransition(
            _l("The project is “%(state)s”: no payout can be made; cancel the approved ones instead.",
               state=project.state_label)
        )  # fmt: skip


def _require_decider(req: DisbursementRequest, actor) -> None:
    if actor is None or not actor.has_role("administrator"):
        raise NotPermitted(_l("Only an administrator can decide on a disbursement request."))
    if actor.id == req.requested_by_id or req.project.is_insider(actor):
        raise NotPermitted(_l("You cannot decide on a request of your own project."))


def approve_disbursement(req: DisbursementRequest, *, actor, council_decision=None, comment=None):
    """An administrator approves; the amount is reserved in the ledger until it is paid or voided."""

    req = lock(req.id)
    t = _check_state(req, "approve")
    _require_decider(req, actor)

    # counted in somoni at the rate of the day of the decision; no rate recorded refuses
    if council_decision is None and above_threshold(req.amount):
        raise ValidationFailed(
            _l("Above %(threshold)s the approval must cite a Coordination Council decision.",
               threshold=str(council_threshold())),
            field="council_decision",
        )  # fmt: skip
    if council_decision is not None:
        check_citation(council_decision, req.project)
    project = req.project
    amount = req.amount
    _require_active_project(project)
    available = project_available(project)
    if amount > available:
        raise InsufficientFunds(
            _l("The project holds only %(available)s that is not yet promised to other payouts.",
               available=str(available))
        )  # fmt: skip
    pending = ledger.create_pending(
        ledger.EntryKind.DISBURSEMENT,
        [
            ledger.Leg.debit(ledger.project_account(project.id, amount.currency), amount),
            ledger.Leg.credit(ledger.get_account("bank", amount.currency), amount),
        ],
        memo=f"Disbursement #{req.id}: {project.title[:120]} — {req.milestone.title[:120]}",
        idempotency_key=f"disbursement:{req.id}:reserve",
        actor=actor,
        source_type="disbursement",
        source_id=req.id,
        project_id=project.id,
    )
    req.pending_transfer_id = pending.id
    req.decided_by_id = actor.id
    req.decided_at = utcnow()
    req.council_decision_id = council_decision.id if council_decision is not None else None
    comment = clean_text(comment, 2000, "comment") or None
    _move(
        req,
        t,
        actor=actor,
        reason=comment,
        changes={
            "pending_transfer": pending.id,
            "council_decision": council_decision.number if council_decision is not None else None,
        },
    )
    _notify(
        [req.requested_by, *staff_with_role("treasurer")],
        _l("Disbursement #%(id)s approved", id=req.id),
        "approved",
        exclude=[actor],
        req=req,
        project=project,
    )
    return req


def return_disbursement(req: DisbursementRequest, *, actor, reason: str):
    """An administrator sends the request back to the owner with a reason."""
    req = lock(req.id)
    t = _check_state(req, "return")
    _require_decider(req, actor)
    reason = clean_text(reason, 2000, "reason", required=True)
    req.decided_by_id = actor.id
    req.decided_at = utcnow()
    req.return_reason = reason
    _move(req, t, actor=actor, reason=reason)
    _notify(
        [req.requested_by],
        _l("Disbursement #%(id)s sent back", id=req.id),
        "returned",
        req=req,
        project=req.project,
    )
    return req


def execute_disbursement(req: DisbursementRequest, *, actor, bank_reference: str):
    """A treasurer who neither requested nor approved it records the bank payment; the reserved
    transfer is posted. The first payment of a funded project starts its implementation."""

    req = lock(req.id)
    t = _check_state(req, "execute")
    if actor is None or not actor.has_role("treasurer"):
        raise NotPermitted(_l("Only a treasurer can execute a disbursement."))
    if actor.id in (req.requested_by_id, req.decided_by_id) or req.project.is_insider(actor):
        raise NotPermitted(_l("The payment must be made by someone who neither requested nor approved it."))
    bank_reference = clean_text(bank_reference, 100, "bank_reference", required=True)
    _require_active_project(req.project)
    pending = db.session.get(PendingTransfer, req.pending_transfer_id)
    entry = ledger.post_pending(pending, actor=actor, idempotency_key=f"disbursement:{req.id}:execute")
    req.journal_entry_id = entry.id
    req.executed_by_id = actor.id
    req.executed_at = utcnow()
    req.bank_reference = bank_reference
    _move(req, t, actor=actor, changes={"bank_reference": bank_reference, "journal_entry": entry.id})
    for ev in req.evidence:  # what the fund paid for is public
        make_public(ev.file)
    project = req.project
    if req.council_decision is not None and req.council_decision.minutes_file is not None:
        make_public(req.council_decision.minutes_file)
    if project.state == ProjectState.FUNDED:
        workflow.start_implementation(
            project, actor=None, comment=f"First disbursement #{req.id} paid ({req.amount})"
        )
    timeline.add_timeline_event(
        project, "disbursement", public=True, actor=actor, text=f"{req.amount} — {req.milestone.title}"
    )
    _notify(
        [req.requested_by, req.decided_by],
        _l("Disbursement #%(id)s paid", id=req.id),
        "executed",
        exclude=[actor],
        req=req,
        project=project,
    )
    return req


def void_disbursement(req: DisbursementRequest, *, actor, reason: str):
    """An approved payment is cancelled before it is made; the reservation is released."""

    req = lock(req.id)
    t = _check_state(req, "void")
    if actor is None or not actor.has_any_role("treasurer", "administrator"):
        raise NotPermitted(_l("Only a treasurer or an administrator can cancel an approved payment."))
    if actor.id == req.requested_by_id or req.project.is_insider(actor):
        raise NotPermitted(_l("You cannot cancel a payment to your own project."))
    reason = clean_text(reason, 2000, "reason", required=True)
    pending = db.session.get(PendingTransfer, req.pending_transfer_id)
    ledger.void_pending(pending, actor=actor)
    req.voided_by_id = actor.id
    req.voided_at = utcnow()
    req.void_reason = reason
    _move(req, t, actor=actor, reason=reason)
    _notify(
        [req.requested_by, req.decided_by],
        _l("Disbursement #%(id)s cancelled", id=req.id),
        "voided",
        exclude=[actor],
        req=req,
        project=req.project,
    )
    return req


def allowed_actions(req: DisbursementRequest, user) -> set[str]:
    """The actions ``user`` may attempt on ``req`` now (for buttons; the verbs check again)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    actions = set()
    insider = user.id == req.requested_by_id or req.project.is_insider(user)
    if req.state == S.REQUESTED and user.has_role("administrator") and not insider:
        actions |= {"approve", "return"}
    if req.state == S.APPROVED:
        if user.has_role("treasurer") and not insider and user.id != req.decided_by_id:
            actions.add("execute")
        if user.has_any_role("treasurer", "administrator") and not insider:
            actions.add("void")
    return actions


def can_view(user, req: DisbursementRequest) -> bool:
    """Executed requests are public with their project; the rest: the owner and the fund's staff."""
    if req.state == S.EXECUTED and req.project.is_public:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return req.project.is_insider(user) or user.has_any_role("administrator", "treasurer", "auditor")


def evidence_access_rule(user, stored_file) -> bool:
    """Evidence files: the project's people and the fund's staff (public files need no rule)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    ev = db.session.scalar(select(DisbursementEvidence).where(DisbursementEvidence.file_id == stored_file.id))
    if ev is not None:
        return can_view(user, ev.request)
    rf = db.session.scalar(select(MilestoneReportFile).where(MilestoneReportFile.file_id == stored_file.id))
    if rf is not None:
        project = db.session.get(Project, rf.report.project_id)
        return project.is_insider(user) or user.has_any_role("administrator", "treasurer", "auditor")
    return False
