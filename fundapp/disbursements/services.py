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

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from fundapp.accounts.models import User, UserRole
from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import InsufficientFunds, InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.forms import typed_amount
from fundapp.core.money import Money
from fundapp.core.urls import public_url
from fundapp.extensions import db
from fundapp.mail.services import queue_email
from fundapp.proposals.models import Milestone, MilestoneStatus, Project, ProjectState, ProjectUpdate

from .models import (
    DisbursementEvidence,
    DisbursementRequest,
    DisbursementResend,
    DisbursementState,
    EvidenceKind,
    MilestoneReport,
    MilestoneReportFile,
)

S = DisbursementState
REQUESTABLE_PROJECT_STATES = frozenset({ProjectState.FUNDED, ProjectState.IMPLEMENTING})


def not_yet_funded_message(project: Project) -> str:
    """Why payouts cannot be asked for yet; while the campaign runs, with the rule saying when."""
    from flask_babel import gettext

    message = gettext(
        "Disbursements can be requested once the project is funded (it is “%(state)s”).",
        state=project.state_label,
    )
    if project.state == ProjectState.FUNDRAISING:
        from fundapp.funding.settlement import funding_rule

        message = f"{message} {funding_rule(project)}"
    return message


REPORTABLE_PROJECT_STATES = frozenset({ProjectState.IMPLEMENTING})
ACTIVE_STATES = frozenset({S.REQUESTED, S.APPROVED, S.EXECUTED})
REPORT_OVERDUE = timedelta(days=90)
MAX_EVIDENCE = 10
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Transition:
    name: str
    source: DisbursementState
    target: DisbursementState
    label: object


TRANSITIONS = {
    t.name: t
    for t in (
        Transition("approve", S.REQUESTED, S.APPROVED, _l("approve")),
        Transition("return", S.REQUESTED, S.RETURNED, _l("send back")),
        Transition("execute", S.APPROVED, S.EXECUTED, _l("execute")),
        Transition("void", S.APPROVED, S.VOIDED, _l("cancel")),
    )
}


@dataclass
class EvidenceUpload:
    """One file to attach: the upload, what it is, and a caption."""

    file_storage: object
    kind: str = EvidenceKind.OTHER.value
    caption: str = ""


# -- helpers ------------------------------------------------------------------------------------


def clean_text(value, limit: int, field: str, *, required: bool = False) -> str:
    """Trimmed text without control characters, or ``ValidationFailed`` naming ``field``."""
    text = _CONTROL.sub("", str(value or "")).strip()
    if required and not text:
        raise ValidationFailed(_l("This field is required."), field=field)
    if len(text) > limit:
        raise ValidationFailed(_l("At most %(n)s characters.", n=limit), field=field)
    return text


def parse_amount(text, currency: str, *, field: str = "amount") -> Money:
    """An amount typed on the page, read in its language (``fundapp.core.forms.typed_amount``)."""
    return typed_amount(text, currency, field=field)


def lock(request_id: int) -> DisbursementRequest:
    """The request, re-read under a row lock (PostgreSQL; SQLite writes are serialised already), so
    that two people acting at once see each other's result."""
    req = db.session.scalar(
        select(DisbursementRequest)
        .where(DisbursementRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if req is None:
        raise InvalidTransition(_l("This disbursement request does not exist."))
    return req


def _check_state(req: DisbursementRequest, name: str) -> Transition:
    t = TRANSITIONS[name]
    if req.state != t.source:
        raise InvalidTransition(
            _l(
                "You cannot %(action)s this request: it is “%(state)s”.",
                action=t.label,
                state=req.state_label,
            )
        )
    return t


def _move(req: DisbursementRequest, t: Transition, *, actor, reason=None, changes=None) -> None:
    before = req.state
    req.state = t.target.value
    req.updated_at = utcnow()
    record(
        f"disbursement.{t.target.value}",
        req,
        actor=actor,
        reason=reason,
        changes={"state": [before, t.target.value], **(changes or {})},
    )


def staff_with_role(role: str) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role, User.is_active_account.is_(True))
            .order_by(User.id)
        ).unique()
    )


def external_url(endpoint: str, **values) -> str:
    """An absolute link for email, always on ``PUBLIC_BASE_URL`` (inside a request or outside one)."""
    return public_url(endpoint, **values)


def _notify(users, subject, template: str, *, exclude=(), **ctx) -> None:
    req = ctx.get("req")
    if req is not None:
        ctx.setdefault("link", external_url("disbursements.detail", request_id=req.id))
    skip = {getattr(u, "id", None) for u in exclude}
    seen = set()
    for user in users:
        if user is None or user.id in skip or user.id in seen:
            continue
        seen.add(user.id)
        queue_email(user, subject, f"disbursements/email/{template}", **ctx)


def committed_amount(milestone: Milestone, *, exclude_id: int | None = None) -> Money:
    """What is already requested, approved or paid for ``milestone``."""
    stmt = select(func.coalesce(func.sum(DisbursementRequest.amount_minor), 0)).where(
        DisbursementRequest.milestone_id == milestone.id,
        DisbursementRequest.state.in_([s.value for s in ACTIVE_STATES]),
    )
    if exclude_id is not None:
        stmt = stmt.where(DisbursementRequest.id != exclude_id)
    return Money(int(db.session.scalar(stmt) or 0), milestone.project.currency)


def project_available(project: Project) -> Money:
    """What the project's account holds and has not yet promised (the ledger's available balance)."""
    from fundapp.ledger import services as ledger

    return ledger.available(ledger.project_account(project.id, project.currency))


def _store_evidence(target_list, model, uploads: list[EvidenceUpload], *, actor, field: str, **extra):
    from fundapp.files.services import store_upload

    if len(uploads) > MAX_EVIDENCE:
        raise ValidationFailed(_l("At most %(n)s files at once.", n=MAX_EVIDENCE), field=field)
    for up in uploads:
        stored = store_upload(up.file_storage, uploaded_by=actor, field=field)
        caption = clean_text(up.caption, 200, field)
        row = model(file=stored, caption=caption, **extra)
        if model is DisbursementEvidence:
            kind = up.kind if up.kind in {k.value for k in EvidenceKind} else EvidenceKind.OTHER.value
            row.kind = kind
        target_list.append(row)


def _resendable_evidence(resends: DisbursementRequest, project: Project, keep: Iterable[int]) -> list:
    """Check that ``resends`` is this project's request sent back and not yet sent again (its row
    locked: two corrections at once queue here, and the second is refused); return the evidence
    to copy."""
    original = lock(resends.id)
    if original.project_id != project.id:
        raise NotPermitted(_l("That request belongs to another project."))
    if original.state != S.RETURNED:
        raise InvalidTransition(_l("Only a request that was sent back can be corrected and sent again."))
    again = db.session.scalar(
        select(DisbursementResend.resent_id).where(DisbursementResend.returned_id == original.id)
    )
    if again is not None:
        raise InvalidTransition(
            _l(
                "Request #%(id)s was already corrected and sent again as #%(again)s.",
                id=original.id,
                again=again,
            )
        )
    wanted = set()
    for value in keep:
        try:
            wanted.add(int(value))
        except (TypeError, ValueError):
            raise ValidationFailed(
                _l("Choose evidence of the request that was sent back."), field="evidence"
            ) from None
    by_id = {e.id: e for e in original.evidence}
    if not wanted <= set(by_id):
        raise ValidationFailed(_l("Choose evidence of the request that was sent back."), field="evidence")
    return [by_id[i] for i in sorted(wanted)]


def _copy_evidence(req: DisbursementRequest, kept: list, *, actor) -> None:
    """Each kept file is stored again for the new request: a file belongs to one request, and the
    request sent back keeps its own."""
    from fundapp.files.services import read_bytes, store_bytes

    for old in kept:
        stored = store_bytes(
            read_bytes(old.file), old.file.original_filename, uploaded_by=actor, field="evidence"
        )
        req.evidence.append(DisbursementEvidence(file=stored, kind=old.kind, caption=old.caption))


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
        raise ValidationFailed(
            _l("Attach at least one piece of evidence (an invoice, a photo, an act of completion)."),
            field="evidence",
        )
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
    from fundapp.council.services import may_need_council

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
    from fundapp.ledger import services as ledger

    req = lock(req.id)
    t = _check_state(req, "approve")
    _require_decider(req, actor)
    from fundapp.council.services import above_threshold, council_threshold

    # counted in somoni at the rate of the day of the decision; no rate recorded refuses
    if council_decision is None and above_threshold(req.amount):
        raise ValidationFailed(
            _l("Above %(threshold)s the approval must cite a Coordination Council decision.",
               threshold=str(council_threshold())),
            field="council_decision",
        )  # fmt: skip
    if council_decision is not None:
        from fundapp.council.services import check_citation

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
    from fundapp.files.services import make_public
    from fundapp.ledger import services as ledger
    from fundapp.ledger.models import PendingTransfer
    from fundapp.proposals import services as proposals

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
        proposals.start_implementation(
            project, actor=None, comment=f"First disbursement #{req.id} paid ({req.amount})"
        )
    proposals.add_timeline_event(
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
    from fundapp.ledger import services as ledger
    from fundapp.ledger.models import PendingTransfer

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


# -- delivery: milestones and reports ---------------------------------------------------------------


def start_milestone(milestone: Milestone, *, actor) -> Milestone:
    """The owner says work on a milestone has begun."""
    project = milestone.project
    if actor is None or actor.id != project.owner_id:
        raise NotPermitted(_l("Only the project's owner can report on its milestones."))
    if project.state not in REPORTABLE_PROJECT_STATES:
        raise InvalidTransition(_l("Milestones are reported while the project is being implemented."))
    if milestone.status != MilestoneStatus.PLANNED:
        raise InvalidTransition(_l("This milestone has already started."))
    milestone.status = MilestoneStatus.IN_PROGRESS.value
    db.session.flush()
    record(
        "milestone.started",
        milestone,
        actor=actor,
        object_type="milestone",
        changes={"status": ["planned", "in_progress"], "project": project.id},
    )
    return milestone


def report_milestone_done(
    milestone: Milestone, *, actor, summary: str, evidence: list[EvidenceUpload]
) -> MilestoneReport:
    """The owner reports a milestone done, with evidence; when every milestone is done the project
    is completed."""
    from fundapp.files.services import make_public
    from fundapp.proposals import services as proposals

    project = milestone.project
    if actor is None or actor.id != project.owner_id:
        raise NotPermitted(_l("Only the project's owner can report on its milestones."))
    if project.state not in REPORTABLE_PROJECT_STATES:
        raise InvalidTransition(_l("Milestones are reported while the project is being implemented."))
    if milestone.status == MilestoneStatus.DONE:
        raise InvalidTransition(_l("This milestone is already reported done."))
    summary = clean_text(summary, 5000, "summary", required=True)
    if not evidence:
        raise ValidationFailed(_l("Attach at least one photo or document."), field="evidence")
    report = MilestoneReport(project_id=project.id, milestone=milestone, author_id=actor.id, summary=summary)
    db.session.add(report)
    _store_evidence(report.files, MilestoneReportFile, evidence, actor=actor, field="evidence")
    db.session.flush()
    for f in report.files:
        make_public(f.file)  # a published project's reports are public
    before = milestone.status
    milestone.status = MilestoneStatus.DONE.value
    record(
        "milestone.reported_done",
        milestone,
        actor=actor,
        object_type="milestone",
        changes={"status": [before, "done"], "report": report.id, "project": project.id},
    )
    proposals.add_timeline_event(project, "milestone_done", public=True, actor=actor, text=milestone.title)
    proposals.notify_followers(
        project,
        _l("“%(title)s”: a milestone is done", title=project.title),
        "disbursements/email/milestone_done",
        exclude=[actor],
        milestone=milestone,
        report=report,
        link=external_url("proposals.project_detail", project_id=project.id),
    )
    if all(m.status == MilestoneStatus.DONE for m in project.milestones):
        proposals.complete_project(project, actor=None, comment="All milestones are reported done.")
    return report


def last_report_at(project: Project) -> datetime | None:
    """The latest sign of life from an implementing project: a milestone report or an update, or
    else the first payment (the start of implementation)."""
    candidates = [
        db.session.scalar(
            select(func.max(MilestoneReport.created_at)).where(MilestoneReport.project_id == project.id)
        ),
        db.session.scalar(
            select(func.max(ProjectUpdate.created_at)).where(ProjectUpdate.project_id == project.id)
        ),
        db.session.scalar(
            select(func.min(DisbursementRequest.executed_at)).where(
                DisbursementRequest.project_id == project.id, DisbursementRequest.state == S.EXECUTED
            )
        ),
    ]
    values = []
    for v in candidates:
        if v is None:
            continue
        values.append(v if v.tzinfo else v.replace(tzinfo=UTC))
    return max(values) if values else None


def report_overdue(project: Project, *, now: datetime | None = None) -> bool:
    """Is an implementing project silent for more than 90 days?"""
    if project.state != ProjectState.IMPLEMENTING:
        return False
    last = last_report_at(project)
    if last is None:
        return False
    now = now or utcnow()
    return now - last > current_app.config.get("REPORT_OVERDUE_AFTER", REPORT_OVERDUE)


def public_disbursements(project: Project) -> list[DisbursementRequest]:
    return list(
        db.session.scalars(
            select(DisbursementRequest)
            .where(DisbursementRequest.project_id == project.id, DisbursementRequest.state == S.EXECUTED)
            .order_by(DisbursementRequest.executed_at)
        )
    )


def milestone_reports(project: Project) -> list[MilestoneReport]:
    return list(
        db.session.scalars(
            select(MilestoneReport)
            .where(MilestoneReport.project_id == project.id)
            .order_by(MilestoneReport.created_at)
        )
    )


def disbursed_total(project: Project) -> Money:
    total = db.session.scalar(
        select(func.coalesce(func.sum(DisbursementRequest.amount_minor), 0)).where(
            DisbursementRequest.project_id == project.id, DisbursementRequest.state == S.EXECUTED
        )
    )
    return Money(int(total or 0), project.currency)


def authorised_by(decision) -> list[DisbursementRequest]:
    """The disbursements a Council decision authorised."""
    return list(
        db.session.scalars(
            select(DisbursementRequest)
            .where(
                DisbursementRequest.council_decision_id == decision.id,
                DisbursementRequest.state.in_([S.APPROVED.value, S.EXECUTED.value]),
            )
            .order_by(DisbursementRequest.id)
        )
    )
