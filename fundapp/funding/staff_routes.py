"""The staff pages of backing: the list of backings, refunds asked for and confirmed under four
eyes, investments owed back, a loan's schedule and its repayments. On the blueprint of
``routes``; thin: parse, call a service, commit once, redirect."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from fundapp.core.errors import DomainError, InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.forms import typed_amount
from fundapp.core.security import roles_required, step_up_required
from fundapp.extensions import db
from fundapp.proposals.models import FundingModel, Project, ProjectState

from . import investments, loans, offline_pledges, refunds
from .models import Donation, Investment, InvestmentState, RefundRequest, Repayment, RepaymentSchedule
from .routes import _user, bp

# -- staff -------------------------------------------------------------------------------------------------


@bp.get("/staff")
@roles_required("administrator", "treasurer", "auditor")
def staff_backings():
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
    return render_template(
        "funding/staff.html",
        donations=donations,
        loans=loans,
        to_return=investments.investments_to_return(),
        awaiting_transfers=offline_pledges.awaiting_transfers(),
        open_refunds=refunds.open_requests(),
        refund_of={(r.source_type, r.source_id): r for r in refunds.open_requests()},
    )


def _refund_requested(source, anchor: str):
    """A treasurer asks for money to go back (``refunds.request_refund``); a second person confirms."""
    try:
        refunds.request_refund(
            source,
            actor=_user(),
            reason=request.form.get("reason"),
            bank_reference=request.form.get("bank_reference"),
        )
    except (ValidationFailed, InvalidTransition, NotPermitted) as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("funding.staff_backings") + anchor, code=303)
    db.session.commit()
    flash(_("The refund is requested; a second person must confirm it before the money moves."), "info")
    return redirect(url_for("funding.staff_backings") + "#refunds", code=303)


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


@bp.post("/staff/refunds/<int:refund_id>/confirm")
@roles_required(*refunds.CONFIRMERS)
@step_up_required
def confirm_refund(refund_id):
    req = _refund_request(refund_id)
    try:
        refunds.confirm_refund(req, actor=_user())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("funding.staff_backings") + "#refunds", code=303)
    db.session.commit()
    flash(_("The refund was confirmed: the money is going back and the books show it."), "info")
    return redirect(url_for("funding.staff_backings") + "#refunds", code=303)


@bp.post("/staff/refunds/<int:refund_id>/decline")
@roles_required(*refunds.CONFIRMERS)
def decline_refund(refund_id):
    req = _refund_request(refund_id)
    try:
        refunds.decline_refund(req, actor=_user(), reason=request.form.get("decline_reason"))
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("funding.staff_backings") + "#refunds", code=303)
    db.session.commit()
    flash(_("The refund was declined; nothing moved."), "info")
    return redirect(url_for("funding.staff_backings") + "#refunds", code=303)


@bp.get("/staff/projects/<int:project_id>/loan")
@roles_required("administrator", "treasurer", "auditor")
def staff_loan(project_id):
    project = db.session.get(Project, project_id)
    if project is None or project.funding_model != FundingModel.LOAN:
        abort(404)
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
        errors=request.args.get("error"),
        paid_state=InvestmentState.PAID,
    )


@bp.post("/staff/projects/<int:project_id>/repayments")
@roles_required("treasurer")
@step_up_required
def record_repayment(project_id):
    project = db.session.get(Project, project_id)
    if project is None:
        abort(404)
    form = request.form
    try:
        amount = typed_amount(form.get("amount", ""), project.currency, field="amount")
        try:
            received_on = date.fromisoformat(form.get("received_on", ""))
        except ValueError:
            raise ValidationFailed(_("Enter the date the money arrived."), field="received_on") from None
        loans.record_repayment(
            project,
            amount=amount,
            method=form.get("method", ""),
            reference=form.get("reference", ""),
            received_on=received_on,
            actor=_user(),
        )
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("funding.staff_loan", project_id=project.id), code=303)
    flash(_("The repayment was recorded and distributed to the investors."), "info")
    return redirect(url_for("funding.staff_loan", project_id=project.id), code=303)
