"""Disbursement pages: thin handlers that validate a form, call a service, commit once, redirect."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from fundapp.core.errors import DomainError, InvalidTransition, ValidationFailed
from fundapp.core.forms import put_errors
from fundapp.core.params import parse_id
from fundapp.core.security import public, roles_required, step_up_required
from fundapp.council.models import CouncilDecision
from fundapp.council.services import decisions_about
from fundapp.extensions import db
from fundapp.files.held import HeldUploads
from fundapp.files.services import KINDS
from fundapp.proposals.models import Milestone, MilestoneStatus, Project, ProjectState

from . import services
from .forms import (
    ApproveForm,
    EmptyForm,
    ExecuteForm,
    ReasonForm,
    ReportForm,
    RequestForm,
    evidence_slots,
    file_field_names,
)
from .models import STATE_LABELS, DisbursementRequest, DisbursementState, EvidenceKind

bp = Blueprint("disbursements", __name__)

STAFF = ("administrator", "treasurer", "auditor")


def _me():
    return current_user._get_current_object()


# A service's refusal of "the evidence" is shown beside the first evidence slot.
_FIELD_ALIASES = {"evidence": "evidence_file_1"}


def _held(form) -> HeldUploads:
    return HeldUploads(form, dict.fromkeys(file_field_names(), tuple(KINDS)), user=_me())


def _evidence_uploads(form, held: HeldUploads) -> list[services.EvidenceUpload]:
    """The evidence of a submit: each slot with a file (chosen now, or held from a refused one)."""
    uploads = []
    for slot in evidence_slots(form):
        fs = held.upload(slot["file"].name)
        if fs is not None:
            kind = slot["kind"].data if slot["kind"] is not None else EvidenceKind.OTHER.value
            uploads.append(services.EvidenceUpload(fs, kind=kind, caption=slot["caption"].data or ""))
    return uploads


def _require_evidence(form, held: HeldUploads, message, *, kept=()) -> bool:
    """Every error at once: no file in any slot (nor kept evidence) is said with the others."""
    if kept or any(held.has(name) for name in file_field_names()):
        return True
    form.evidence_file_1.errors = [*list(form.evidence_file_1.errors), str(message)]
    return False


def _own_project(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None or not current_user.is_authenticated or project.owner_id != current_user.id:
        abort(404)
    return project


# -- the owner's side ------------------------------------------------------------------------------


@bp.route("/projects/<int:project_id>/disbursements/new", methods=["GET", "POST"])
def request_new(project_id: int):
    """The owner requests payment for a milestone, with evidence."""
    project = _own_project(project_id)
    form = RequestForm()
    form.milestone.choices = [SelectChoice(m.id, m.title) for m in project.milestones]
    form.amount.currency = project.currency
    status = 200
    if project.state not in services.REQUESTABLE_PROJECT_STATES:
        flash(services.not_yet_funded_message(project), "error")
        return redirect(url_for("proposals.project_detail", project_id=project.id))
    resends = _resendable(project)
    if isinstance(resends, Response):
        return resends
    if resends is not None and request.method == "GET":
        _fill_from(form, resends)
    held = _held(form)
    if request.method == "POST":
        status = 400
        keep = (form.keep_evidence.data or []) if resends is not None else []
        valid = form.validate_on_submit() & held.validate()
        valid &= _require_evidence(form, held, services.REQUEST_EVIDENCE_REQUIRED, kept=keep)
        if valid:
            milestone = db.session.get(Milestone, form.milestone.data)
            try:
                req = services.request_disbursement(
                    project,
                    milestone,
                    actor=_me(),
                    amount=form.amount.data,
                    payee_name=form.payee_name.data,
                    payee_bank=form.payee_bank.data,
                    payee_account=form.payee_account.data,
                    payee_bank_code=form.payee_bank_code.data,
                    work_done=form.work_done.data,
                    evidence=_evidence_uploads(form, held),
                    resends=resends,
                    keep_evidence=form.keep_evidence.data or [],
                )
            except ValidationFailed as exc:
                db.session.rollback()
                put_errors(form, exc, aliases=_FIELD_ALIASES)
            except InvalidTransition as exc:  # corrected and sent again meanwhile (a double submit)
                db.session.rollback()
                flash(str(exc.message), "error")
                return redirect(url_for("disbursements.detail", request_id=resends.id), 303)
            else:
                held.commit_attached()
                flash(_("Your request was sent to the fund's administrators."), "success")
                return redirect(url_for("disbursements.detail", request_id=req.id))
        held.commit_held()
    return (
        render_template(
            "disbursements/request.html",
            form=form,
            held=held,
            project=project,
            slots=evidence_slots(form),
            available=services.project_available(project),
            resends=resends,
            keep=set(form.keep_evidence.data or []),
        ),
        status,
    )


def _resendable(project: Project):
    """The request named by ``?resend=`` (this project's, sent back, not yet sent again), None
    without one, or a redirect explaining why it cannot be sent again."""
    raw = request.args.get("resend")
    if raw is None:
        return None
    original = db.session.get(DisbursementRequest, parse_id(raw)) if parse_id(raw) else None
    if original is None or original.project_id != project.id:
        abort(404)
    if original.state != DisbursementState.RETURNED or original.resent_as is not None:
        flash(_("This request cannot be sent again: only a request that was sent back, once."), "error")
        return redirect(url_for("disbursements.detail", request_id=original.id), 303)
    return original


def _fill_from(form: RequestForm, original: DisbursementRequest) -> None:
    form.milestone.data = original.milestone_id
    form.amount.data = original.amount
    form.payee_name.data = original.payee_name
    form.payee_bank.data = original.payee_bank
    form.payee_account.data = original.payee_account
    form.payee_bank_code.data = original.payee_bank_code or ""
    form.work_done.data = original.work_done
    form.keep_evidence.data = [e.id for e in original.evidence]


@bp.post("/projects/<int:project_id>/milestones/<int:milestone_id>/start")
def milestone_start(project_id: int, milestone_id: int):
    project = _own_project(project_id)
    milestone = _milestone(project, milestone_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.start_milestone(milestone, actor=_me())
    db.session.commit()
    flash(_("The milestone is marked as started."), "success")
    return redirect(url_for("disbursements.delivery", project_id=project.id))


def _milestone(project: Project, milestone_id: int) -> Milestone:
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or milestone.project_id != project.id:
        abort(404)
    return milestone


@bp.get("/projects/<int:project_id>/delivery")
def delivery(project_id: int):
    """The owner's page for milestones: start them, report them done, see their requests."""
    project = _own_project(project_id)
    reqs = db.session.scalars(
        select(DisbursementRequest)
        .where(DisbursementRequest.project_id == project.id)
        .order_by(DisbursementRequest.id.desc())
    ).all()
    return render_template(
        "disbursements/delivery.html",
        project=project,
        requests=reqs,
        form=EmptyForm(),
        can_report=project.state in services.REPORTABLE_PROJECT_STATES,
        can_request=project.state in services.REQUESTABLE_PROJECT_STATES,
        MilestoneStatus=MilestoneStatus,
        overdue=services.report_overdue(project),
    )


@bp.route("/projects/<int:project_id>/milestones/<int:milestone_id>/report", methods=["GET", "POST"])
def milestone_report(project_id: int, milestone_id: int):
    """The owner reports a milestone done, with photos or documents."""
    project = _own_project(project_id)
    milestone = _milestone(project, milestone_id)
    form = ReportForm()
    held = _held(form)
    status = 200
    if request.method == "POST":
        status = 400
        valid = form.validate_on_submit() & held.validate()
        if valid & _require_evidence(form, held, services.REPORT_EVIDENCE_REQUIRED):
            try:
                services.report_milestone_done(
                    milestone, actor=_me(), summary=form.summary.data, evidence=_evidence_uploads(form, held)
                )
            except ValidationFailed as exc:
                db.session.rollback()
                put_errors(form, exc, aliases=_FIELD_ALIASES)
            else:
                held.commit_attached()
                flash(_("Thank you: the milestone is reported done."), "success")
                return redirect(url_for("disbursements.delivery", project_id=project.id))
        held.commit_held()
    return (
        render_template(
            "disbursements/report.html",
            form=form,
            held=held,
            project=project,
            milestone=milestone,
            slots=evidence_slots(form),
        ),
        status,
    )


# -- the fund's side -------------------------------------------------------------------------------


@bp.get("/disbursements/")
@roles_required(*STAFF)
def queue():
    """Requests by state, for administrators, treasurers and auditors."""
    state = request.args.get("state", "")
    stmt = select(DisbursementRequest).order_by(DisbursementRequest.id.desc())
    if state in {s.value for s in DisbursementState}:
        stmt = stmt.where(DisbursementRequest.state == state)
    reqs = db.session.scalars(stmt.limit(500)).all()
    return render_template("disbursements/queue.html", requests=reqs, state=state, state_labels=STATE_LABELS)


def _load(request_id: int) -> DisbursementRequest:
    req = db.session.get(DisbursementRequest, request_id)
    if req is None or not services.can_view(current_user, req):
        abort(404)
    return req


def _council_choices(project: Project | None = None):
    """The decisions offered: those about ``project``; every decision when checking a post, so that
    citing another project's decision gets the service's clear refusal, not "not a valid choice"."""
    if project is not None:
        decisions = decisions_about(project)
    else:
        decisions = db.session.scalars(
            select(CouncilDecision).order_by(CouncilDecision.decided_on.desc())
        ).all()
    return [SelectChoice(0, _("— none —"))] + [
        SelectChoice(d.id, f"{d.number} — {d.agenda_item[:80]}") for d in decisions
    ]


def _render_detail(req: DisbursementRequest, status: int = 200, **forms):
    approve = forms.get("approve") or ApproveForm(formdata=None)
    approve.council_decision.choices = _council_choices(req.project)
    return (
        render_template(
            "disbursements/detail.html",
            req=req,
            actions=services.allowed_actions(req, current_user),
            needs_council=services.needs_council(req),
            approve_form=approve,
            return_form=forms.get("return") or ReasonForm(formdata=None, prefix="return"),
            execute_form=forms.get("execute") or ExecuteForm(formdata=None),
            void_form=forms.get("void") or ReasonForm(formdata=None, prefix="void"),
        ),
        status,
    )


@bp.get("/disbursements/<int:request_id>")
@public
def detail(request_id: int):
    """A payout: public once paid (without bank details); before that, the owner and staff only."""
    return _render_detail(_load(request_id))


def _act(req, form_name: str, form, fn, done_message: str):
    """Run a staff verb; a refusal rolls everything back and is shown on the request's page."""
    if not form.validate_on_submit():
        return _render_detail(req, 400, **{form_name: form})
    try:
        fn()
    except DomainError as exc:
        db.session.rollback()
        req = db.session.get(DisbursementRequest, req.id)
        put_errors(form, exc, aliases=_FIELD_ALIASES, flash_rest=True)
        return _render_detail(req, exc.status_code, **{form_name: form})
    db.session.commit()
    flash(done_message, "success")
    return redirect(url_for("disbursements.detail", request_id=req.id), code=303)


@bp.post("/disbursements/<int:request_id>/approve")
@roles_required("administrator")
@step_up_required
def approve(request_id: int):
    req = _load(request_id)
    form = ApproveForm()
    form.council_decision.choices = _council_choices()

    def run():
        decision = db.session.get(CouncilDecision, form.council_decision.data or 0)
        services.approve_disbursement(req, actor=_me(), council_decision=decision, comment=form.comment.data)

    return _act(req, "approve", form, run, _("Approved: the amount is reserved for payment."))


@bp.post("/disbursements/<int:request_id>/return")
@roles_required("administrator")
def send_back(request_id: int):
    req = _load(request_id)
    form = ReasonForm(prefix="return")
    return _act(
        req,
        "return",
        form,
        lambda: services.return_disbursement(req, actor=_me(), reason=form.reason.data),
        _("The request was sent back to the owner."),
    )


@bp.post("/disbursements/<int:request_id>/execute")
@roles_required("treasurer")
@step_up_required
def execute(request_id: int):
    req = _load(request_id)
    form = ExecuteForm()
    return _act(
        req,
        "execute",
        form,
        lambda: services.execute_disbursement(req, actor=_me(), bank_reference=form.bank_reference.data),
        _("The payment is recorded and posted to the ledger."),
    )


@bp.post("/disbursements/<int:request_id>/void")
@roles_required("treasurer", "administrator")
@step_up_required
def void(request_id: int):
    req = _load(request_id)
    form = ReasonForm(prefix="void")
    return _act(
        req,
        "void",
        form,
        lambda: services.void_disbursement(req, actor=_me(), reason=form.reason.data),
        _("The payment was cancelled and the reservation released."),
    )


# -- for other domains' templates ------------------------------------------------------------------


def project_section_context(project: Project) -> dict:
    """What the public project page shows of payouts and delivery."""
    return {
        "disbursements": services.public_disbursements(project),
        "reports": services.milestone_reports(project),
        "overdue": services.report_overdue(project),
        "last_report": services.last_report_at(project),
        "total": services.disbursed_total(project),
        "is_delivering": project.state
        in (ProjectState.FUNDED, ProjectState.IMPLEMENTING, ProjectState.COMPLETED),
    }


def dashboard_context(user) -> dict:
    """ "My page": the owner's requests and projects to deliver; staff: what awaits them."""
    if user is None or not user.is_authenticated:
        return {}
    mine = db.session.scalars(
        select(DisbursementRequest)
        .where(DisbursementRequest.requested_by_id == user.id)
        .order_by(DisbursementRequest.id.desc())
        .limit(10)
    ).all()
    projects = db.session.scalars(
        select(Project)
        .where(Project.owner_id == user.id, Project.state.in_(["funded", "implementing"]))
        .order_by(Project.id)
    ).all()
    waiting = {}
    if user.has_any_role(*STAFF):
        for state in (DisbursementState.REQUESTED, DisbursementState.APPROVED):
            waiting[state.value] = db.session.scalar(
                select(func.count(DisbursementRequest.id)).where(DisbursementRequest.state == state.value)
            )
    return {"mine": mine, "projects": projects, "waiting": waiting}
