"""What the disbursement verbs share: the states and their table, text and amount checks, the
row lock, staff look-ups and notices, money still available, and storing evidence files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from fundapp.accounts.models import User, UserRole
from fundapp.audit.services import record
from fundapp.core.db import lock_one, utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.money import Money
from fundapp.core.text import clean_text
from fundapp.core.urls import public_url
from fundapp.extensions import db
from fundapp.files.services import read_bytes, store_bytes, store_upload
from fundapp.funding.settlement import funding_rule
from fundapp.ledger import services as ledger
from fundapp.mail.services import queue_email
from fundapp.proposals.models import Milestone, Project, ProjectState

from .models import (
    DisbursementEvidence,
    DisbursementRequest,
    DisbursementResend,
    DisbursementState,
    EvidenceKind,
)

S = DisbursementState
REQUESTABLE_PROJECT_STATES = frozenset({ProjectState.FUNDED, ProjectState.IMPLEMENTING})


def not_yet_funded_message(project: Project) -> str:
    """Why payouts cannot be asked for yet; while the campaign runs, with the rule saying when."""

    message = gettext(
        "Disbursements can be requested once the project is funded (it is “%(state)s”).",
        state=project.state_label,
    )
    if project.state == ProjectState.FUNDRAISING:
        message = f"{message} {funding_rule(project)}"
    return message


REPORTABLE_PROJECT_STATES = frozenset({ProjectState.IMPLEMENTING})
ACTIVE_STATES = frozenset({S.REQUESTED, S.APPROVED, S.EXECUTED})
REPORT_OVERDUE = timedelta(days=90)
MAX_EVIDENCE = 10
# Said by the services, and by the pages beside the first evidence slot when no file is chosen.
REQUEST_EVIDENCE_REQUIRED = _l(
    "Attach at least one piece of evidence (an invoice, a photo, an act of completion)."
)
REPORT_EVIDENCE_REQUIRED = _l("Attach at least one photo or document.")


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


def lock(request_id: int) -> DisbursementRequest:
    """The request, re-read under a row lock (``core.db.lock_one``)."""
    return lock_one(
        DisbursementRequest, request_id, InvalidTransition(_l("This disbursement request does not exist."))
    )


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

    return ledger.available(ledger.project_account(project.id, project.currency))


def _store_evidence(target_list, model, uploads: list[EvidenceUpload], *, actor, field: str, **extra):

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

    for old in kept:
        stored = store_bytes(
            read_bytes(old.file), old.file.original_filename, uploaded_by=actor, field="evidence"
        )
        req.evidence.append(DisbursementEvidence(file=stored, kind=old.kind, caption=old.caption))
