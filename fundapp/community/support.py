"""Support requests: an organisation (or a member founding one) asks the fund for help with a
centre, a course, a school, a library or technical support. Staff take it on, ask for more,
resolve or decline with a reason — each step audited and mailed. When money is needed, the
requester links one of their project proposals, so money takes the usual review, funding and
disbursement road; the request shows that project's state.

States: ``submitted → in_progress ⇄ info_requested``; ``submitted | in_progress | info_requested →
resolved | declined``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import select

from fundapp.accounts.models import User
from fundapp.audit.services import record
from fundapp.core.db import lock_one
from fundapp.core.errors import InvalidTransition, NotFound, NotPermitted, ValidationFailed
from fundapp.core.text import clean_text
from fundapp.extensions import db
from fundapp.files.services import store_upload
from fundapp.proposals.models import Project

from . import services
from .models import Organisation, SupportKind, SupportRequest, SupportStatus

OPEN = (SupportStatus.submitted, SupportStatus.in_progress, SupportStatus.info_requested)

KIND_LABELS = {
    SupportKind.cultural_centre: _l("Creating a cultural centre"),
    SupportKind.educational_centre: _l("Creating an educational centre"),
    SupportKind.course: _l("A course"),
    SupportKind.school: _l("A school"),
    SupportKind.library: _l("A library"),
    SupportKind.equipment: _l("Technical support: equipment"),
    SupportKind.training: _l("Technical support: training"),
    SupportKind.teaching_materials: _l("Technical support: teaching materials"),
    SupportKind.legal_help: _l("Technical support: legal help"),
}
STATUS_LABELS = {
    SupportStatus.submitted: _l("Submitted"),
    SupportStatus.in_progress: _l("Being handled"),
    SupportStatus.info_requested: _l("More information asked"),
    SupportStatus.resolved: _l("Resolved"),
    SupportStatus.declined: lazy_pgettext("support request", "Declined"),
}


def can_view(user, req: SupportRequest) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.has_any_role("administrator", "auditor") or req.requester_id == user.id:
        return True
    return req.organisation is not None and services.is_organisation_admin(user, req.organisation)


def _requester(req):
    return db.session.get(User, req.requester_id)


def _mail_requester(req, subject, template, **ctx):
    services._mail(
        [_requester(req)],
        subject,
        template,
        req=req,
        link=services.public_link("community.support_detail", request_id=req.id),
        **ctx,
    )


def submit_request(actor, data: dict, *, budget=None, attachment=None) -> SupportRequest:
    """``data``: kind, title, description, needs, organisation_id ('' for an organisation being
    founded); ``budget`` a ``Money`` or None."""
    from fundapp.core.money import Money

    org_id = data.get("organisation_id") or ""
    org = None
    if org_id:
        org = db.session.get(Organisation, int(org_id)) if str(org_id).isdigit() else None
        if org is None or not org.verified or not services.is_organisation_admin(actor, org):
            raise ValidationFailed(_l("Choose one of your verified organisations."), field="organisation_id")
    if data.get("kind") not in {k.value for k in SupportKind}:
        raise ValidationFailed(_l("Choose from the list."), field="kind")
    if budget is not None and (not isinstance(budget, Money) or budget.amount <= 0):
        raise ValidationFailed(_l("Enter an amount above zero."), field="budget")
    req = SupportRequest(
        organisation_id=getattr(org, "id", None),
        requester_id=actor.id,
        kind=data["kind"],
        title=clean_text(data.get("title"), 200, "title", required=True),
        description=clean_text(data.get("description"), 10000, "description", required=True),
        needs=clean_text(data.get("needs"), 5000, "needs"),
        budget_minor=budget.amount if budget else None,
        budget_currency=budget.currency if budget else None,
    )
    if attachment is not None and getattr(attachment, "filename", None):
        req.attachment_id = store_upload(attachment, uploaded_by=actor, field="attachment").id
    db.session.add(req)
    db.session.flush()
    record("community.submit_support_request", req, actor=actor, changes={"kind": req.kind})
    services._mail(
        services._staff_users(),
        _l("A new support request"),
        "support_submitted",
        req=req,
        link=services.public_link("community.support_detail", request_id=req.id),
    )
    return req


def _staff_step(req, actor, allowed) -> SupportRequest:
    services._require_staff(actor)
    req = lock_one(SupportRequest, req.id, NotFound())
    if req.status not in allowed:
        raise InvalidTransition(_l("This request is no longer open for that."))
    return req


def take_on(req: SupportRequest, actor, assignee=None) -> SupportRequest:
    """Staff triage: the request is handled by ``assignee`` (an administrator; default the actor)."""
    req = _staff_step(req, actor, OPEN)
    assignee = assignee or actor
    if not assignee.has_role("administrator"):
        raise ValidationFailed(_l("Choose an administrator."), field="assignee_id")
    req.assignee_id = assignee.id
    if req.status == SupportStatus.submitted:
        req.status = SupportStatus.in_progress
    db.session.flush()
    record("community.assign_support_request", req, actor=actor, changes={"assignee": assignee.id})
    _mail_requester(req, _l("Your support request is being handled"), "support_taken")
    return req


def ask_for_more(req: SupportRequest, actor, question: str) -> SupportRequest:
    req = _staff_step(req, actor, (SupportStatus.submitted, SupportStatus.in_progress))
    req.staff_note = clean_text(question, 3000, "note", required=True)
    req.status = SupportStatus.info_requested
    req.assignee_id = req.assignee_id or actor.id
    db.session.flush()
    record("community.ask_support_request", req, actor=actor, reason=req.staff_note)
    _mail_requester(
        req, _l("The fund asks for more about your request"), "support_question", note=req.staff_note
    )
    return req


def answer(req: SupportRequest, actor, text: str) -> SupportRequest:
    if actor.id != req.requester_id:
        raise NotPermitted()
    req = lock_one(SupportRequest, req.id, NotFound())
    if req.status != SupportStatus.info_requested:
        raise InvalidTransition(_l("Nobody is waiting for an answer on this request."))
    req.requester_answer = clean_text(text, 5000, "answer", required=True)
    req.status = SupportStatus.in_progress
    db.session.flush()
    record("community.answer_support_request", req, actor=actor)
    assignee = db.session.get(User, req.assignee_id) if req.assignee_id else None
    services._mail(
        [assignee] if assignee else services._staff_users(),
        _l("An answer on a support request"),
        "support_answered",
        req=req,
        link=services.public_link("community.support_detail", request_id=req.id),
    )
    return req


def close(req: SupportRequest, actor, verb: str, note: str) -> SupportRequest:
    """``verb`` is ``resolve`` or ``decline``; both need a note for the requester."""
    req = _staff_step(req, actor, OPEN)
    message = _l("Say what was done.") if verb == "resolve" else _l("Say why the request is declined.")
    req.staff_note = clean_text(note, 3000, "note", required=True, message=message)
    req.status = SupportStatus.resolved if verb == "resolve" else SupportStatus.declined
    db.session.flush()
    record(f"community.{verb}_support_request", req, actor=actor, reason=req.staff_note)
    subject = (
        _l("Your support request is resolved")
        if verb == "resolve"
        else _l("Your support request is declined")
    )
    _mail_requester(req, subject, "support_closed", note=req.staff_note)
    return req


def link_project(req: SupportRequest, actor, project_id) -> SupportRequest:
    """The requester links one of their own proposals (money then takes the project's road)."""
    if actor.id != req.requester_id:
        raise NotPermitted()
    project = db.session.get(Project, int(project_id)) if str(project_id or "").isdigit() else None
    if project is None or project.owner_id != actor.id:
        raise ValidationFailed(_l("Choose one of your projects."), field="project_id")
    req.project_id = project.id
    db.session.flush()
    record("community.link_support_project", req, actor=actor, changes={"project": project.id})
    return req


def own_projects(user) -> list:
    return list(
        db.session.scalars(select(Project).where(Project.owner_id == user.id).order_by(Project.id.desc()))
    )


def attachment_rule(user, stored_file) -> bool:
    if user is None:
        return False
    req = db.session.scalar(select(SupportRequest).where(SupportRequest.attachment_id == stored_file.id))
    return req is not None and can_view(user, req)
