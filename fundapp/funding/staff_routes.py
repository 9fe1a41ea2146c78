"""The staff pages of backing: the list of backings, refunds asked for and confirmed under four
eyes, investments owed back, a loan's schedule and its repayments. On the blueprint of
``routes``; thin: parse, call a service, commit once, redirect."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from fundapp.core.errors import DomainError, InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.security import roles_required, step_up_required
from fundapp.extensions import db
from fundapp.proposals.models import FundingModel, Project, ProjectState

from . import investments, loans, offline_pledges, refunds
from .forms import ConfirmForm, DeclineRefundForm, RefundRequestForm, RepaymentForm
from .models import Donation, Investment, InvestmentState, RefundRequest, Repayment, RepaymentSchedule
from .routes import _user, bp

# -- staff -------------------------------------------------------------------------------------------------


def _row(form, key: str):
    """Give a form's fields the ids of one row of the staff page (many rows carry the same form),
    so that its errors, beside the fields and in the summary, point at that row."""
    for f in form:
        if f.type != "CSRFTokenField":
            f.id = f.label.field_id = f"{f.name}-{key}"
    return form


def _put_error(form, exc: ValidationFailed) -> None:
    """A service's refusal beside the field it names, or at the top of the form."""
    if exc.field and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, str(exc.message)]
    else:
        form.form_errors.append(str(exc.message))


def _refund_form(source, *, formdata=None) -> RefundRequestForm:
    kind = "donation" if isinstance(source, Donation) else "investment"
    form = RefundRequestForm(formdata=formdata)
    form.asking(reason=kind == "donation", reference=not refunds.by_card(source))
    return _row(form, f"{kind}-{source.id}")


def _decline_form(req: RefundRequest, *, formdata=None) -> DeclineRefundForm:
    return _row(DeclineRefundForm(formdata=formdata), f"refund-{req.id}")


def _staff_page(*, failed=None, status: int = 200):
    """The staff page of backings; ``failed`` is ``(key, form)`` of a refused submit, shown on its
    row with its errors (and summed up at the top), every other row with an empty form."""
    donations = db.session.scalars(select(Donation).order_by(Donation.id.desc()).limit(200)).all()
    loans = db.session.scalars(
        select(Project)
        .where(
            Project.funding_model == FundingModel.LOAN,
            Project.state.in_(
                [
                    ProjectState.FUNDRAISING,
                    ProjectState.FUNDED,
                    ProjectState.IMPLEMENTING,
                    ProjectState.COMPLETED,
                ]
            ),
        )
        .order_by(Project.id)
    ).all()
    failed_key, failed_form = failed or (None, None)

    def form_for(key: str, make):
        return failed_form if key == failed_key else make()

    open_refunds = refunds.open_requests()
    return render_template(
        "funding/staff.html",
        donations=donations,
        loans=loans,
        to_return=investments.investments_to_return(),
        awaiting_transfers=offline_pledges.awaiting_transfers(),
        open_refunds=open_refunds,
        refund_of={(r.source_type, r.source_id): r for r in open_refunds},
        failed_form=failed_form,
        refund_form=lambda source: form_for(
            f"{'donation' if isinstance(source, Donation) else 'investment'}-{source.id}",
            lambda: _refund_form(source),
        ),
        decline_form=lambda req: form_for(f"refund-{req.id}", lambda: _decline_form(req)),
    ), status


@bp.get("/staff")
@roles_required("administrator", "treasurer", "auditor")
def staff_backings():
    return _staff_page()


def _refund_requested(source, anchor: str):
    """A treasurer asks for money to go back (``refunds.request_refund``); a second person confirms."""
    kind = "donation" if isinstance(source, Donation) else "investment"
    form = _refund_form(source, formdata=request.form)
    if form.validate():
        try:
            refunds.request_refund(
                source,
                actor=_user(),
                reason=form.reason.data,
                bank_reference=form.bank_reference.data,
            )
        except ValidationFailed as exc:
            db.session.rollback()
            _put_error(form, exc)
        except (InvalidTransition, NotPermitted) as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            return redirect(url_for("funding.staff_backings") + anchor, code=303)
        else:
            db.session.commit()
            flash(
                _("The refund is requested; a second person must confirm it before the money moves."), "info"
            )
            return redirect(url_for("funding.staff_backings") + "#refunds", code=303)
    return _staff_page(failed=(f"{kind}-{source.id}", form), status=400)


@bp.post("/staff/investments/<int:investment_id>/pay-back")
@roles_required("treasurer")
@step_up_required
def pay_back_investment(investment_id):
    inv = db.session.get(Investment, investment_id)
    if inv is None:
        abort(404)
    return _refund_requested(inv, "#to-return")


@bp.post("/staff/donations/<int:donation_id>/refund")
@roles_required("treasurer")
@step_up_required
def refund_donation(donation_id):
    donation = db.session.get(Donation, donation_id)
    if donation is None:
        abort(404)
    return _refund_requested(donation, "#donations")


def _refund_request(refund_id: int) -> RefundRequest:
    req = db.session.get(RefundRequest, refund_id)
    if req is None:
        abort(404)
    return req


def _refund_decided(req: RefundRequest, form, decide, done: str):
    """The second person's answer to a refund request, confirmed or declined: the form checked,
    the service called, one commit; a refusal naming a field is shown beside it (400), any other
    refusal is told at the top of the staff page."""
    if form.validate():
        try:
            decide(req, form)
        except ValidationFailed as exc:
            db.session.rollback()
            _put_error(form, exc)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            return redirect(url_for("funding.staff_backings") + "#refunds", code=303)
        else:
            db.session.commit()
            flash(done, "info")
            return redirect(url_for("funding.staff_backings") + "#refunds", code=303)
    return _staff_page(failed=(f"refund-{req.id}", form), status=400)


@bp.post("/staff/refunds/<int:refund_id>/confirm")
@roles_required(*refunds.CONFIRMERS)
@step_up_required
def confirm_refund(refund_id):
    return _refund_decided(
        _refund_request(refund_id),
        ConfirmForm(),
        lambda req, _form: refunds.confirm_refund(req, actor=_user()),
        _("The refund was confirmed: the money is going back and the books show it."),
    )


@bp.post("/staff/refunds/<int:refund_id>/decline")
@roles_required(*refunds.CONFIRMERS)
def decline_refund(refund_id):
    req = _refund_request(refund_id)
    return _refund_decided(
        req,
        _decline_form(req, formdata=request.form),
        lambda req, form: refunds.decline_refund(req, actor=_user(), reason=form.decline_reason.data),
        _("The refund was declined; nothing moved."),
    )


def _loan_project(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None or project.funding_model != FundingModel.LOAN:
        abort(404)
    return project


def _loan_page(project: Project, form: RepaymentForm, status: int = 200):
    plan = db.session.scalars(
        select(RepaymentSchedule).where(RepaymentSchedule.project_id == project.id)
    ).first()
    investments = db.session.scalars(
        select(Investment).where(Investment.project_id == project.id).order_by(Investment.id)
    ).all()
    repayments = db.session.scalars(
        select(Repayment).where(Repayment.project_id == project.id).order_by(Repayment.id)
    ).all()
    return render_template(
        "funding/staff_loan.html",
        project=project,
        plan=plan,
        investments=investments,
        repayments=repayments,
        form=form,
        paid_state=InvestmentState.PAID,
    ), status


def _repayment_form(project: Project, **kwargs) -> RepaymentForm:
    form = RepaymentForm(**kwargs)
    form.amount.currency = project.currency
    return form


@bp.get("/staff/projects/<int:project_id>/loan")
@roles_required("administrator", "treasurer", "auditor")
def staff_loan(project_id):
    project = _loan_project(project_id)
    return _loan_page(project, _repayment_form(project, formdata=None))


@bp.post("/staff/projects/<int:project_id>/repayments")
@roles_required("treasurer")
@step_up_required
def record_repayment(project_id):
    project = db.session.get(Project, project_id)
    if project is None:
        abort(404)
    form = _repayment_form(project)
    if form.validate():
        try:
            loans.record_repayment(
                project,
                amount=form.amount.data,
                method=form.method.data,
                reference=form.reference.data,
                received_on=form.received_on.data,
                actor=_user(),
            )
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            _put_error(form, exc)
        else:
            flash(_("The repayment was recorded and distributed to the investors."), "info")
            return redirect(url_for("funding.staff_loan", project_id=project.id), code=303)
    return _loan_page(project, form, 400)
