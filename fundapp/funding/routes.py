"""Backing pages: donate, pledge, invest (with a confirmation step), the payer's return from
Checkout, "my backing" (the staff pages are in ``staff_routes``). Thin: parse, call a
service, commit once, redirect."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms.validators import StopValidation

from fundapp.core.errors import DomainError, InvalidTransition, ValidationFailed
from fundapp.core.forms import put_errors
from fundapp.core.security import public
from fundapp.extensions import db, limiter
from fundapp.payments import gateway
from fundapp.payments import services as payments
from fundapp.proposals.models import FundingModel, Project, ProjectState

from . import (
    backers,
    cancellation,
    common,
    donations,
    investments,
    loans,
    offline_pledges,
    pledges,
    settlement,
    totals,
)
from .forms import ConfirmForm, DonateForm, InvestConfirmForm, InvestForm, PledgeForm
from .models import (
    Donation,
    DonationState,
    Investment,
    PayMethod,
    Pledge,
    PledgeState,
)

bp = Blueprint("funding", __name__, url_prefix="/back")


def _public_project(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None or not project.is_public:
        abort(404)
    return project


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _methods() -> list[str]:
    methods = [PayMethod.BANK.value, PayMethod.MTO.value]
    if gateway.enabled():
        methods.insert(0, PayMethod.CARD.value)
    return methods


# The page of each kind of backing; a project takes only the kind its funding model names.
BACKING_PAGES = {
    FundingModel.DONATION.value: "funding.donate",
    FundingModel.PLEDGE.value: "funding.pledge",
    FundingModel.LOAN.value: "funding.invest",
}


ONLY_THIS_KIND = {
    FundingModel.DONATION.value: _l("This project takes donations only."),
    FundingModel.PLEDGE.value: _l("This project takes all-or-nothing pledges only."),
    FundingModel.LOAN.value: _l("This project takes investments (a loan) only."),
}


def _other_kind(project: Project, endpoint: str):
    """``None`` when the project takes the backing of ``endpoint``; otherwise the answer: a GET is
    sent to the page of the kind the project takes, a POST is refused (409) with nothing written."""
    accepted = BACKING_PAGES.get(project.funding_model)
    if accepted == endpoint:
        return None
    if request.method != "GET" or accepted is None:
        raise InvalidTransition(_("This project is not funded this way."))
    flash(str(ONLY_THIS_KIND[project.funding_model]), "info")
    return redirect(url_for(accepted, project_id=project.id), code=303)


def _return_url() -> str:
    return url_for("funding.checkout_return", _external=True) + "?session_id={CHECKOUT_SESSION_ID}"


# -- donations ---------------------------------------------------------------------------------


@bp.route("/projects/<int:project_id>/donate", methods=["GET", "POST"])
@public
@limiter.limit("30 per hour", methods=["POST"])
def donate(project_id):
    """Step 1: the donation, every field checked at once; step 2 shows it for confirmation (the
    amount in the page's language) before anything is written; "edit" goes back with all kept."""
    project = _public_project(project_id)
    if (elsewhere := _other_kind(project, "funding.donate")) is not None:
        return elsewhere
    form = DonateForm().offer(project, card=gateway.enabled(), guest=not current_user.is_authenticated)
    if request.method == "GET":
        form.public_name.data = current_user.display_name if current_user.is_authenticated else ""
    failed = False
    if request.method == "POST" and request.form.get("edit"):
        _typed_again(form)
    elif request.method == "POST":
        if form.validate():
            try:
                done = _donate(project, form)
            except ValidationFailed as exc:
                db.session.rollback()
                put_errors(form, exc, default="amount")
            else:
                return done
        failed = True
    return render_template(
        "funding/donate.html",
        project=project,
        form=form,
        failed=failed,
        minimum=common.minimum_backing(project),
        maximum=common.maximum_backing(project),
    ), (400 if failed else 200)


def _donate(project: Project, form: DonateForm):
    """The confirmation page, or, once confirmed, the donation made and the payer sent on."""
    email = form.email.data if "email" in form else None
    if request.form.get("confirm") != "1":
        donations.check_donation(
            project,
            amount=form.amount.data,
            method=form.method.data,
            email=email,
            backer=_user(),
            message=form.message.data,
        )
        form.token.data = form.token.data or secrets.token_urlsafe(24)
        return _confirm_page(project, form, "donation", "funding.donate")
    donation = donations.start_donation(
        project,
        amount=form.amount.data,
        method=form.method.data,
        email=email,
        backer=_user(),
        public_name=form.public_name.data if form.named.data else None,
        message=form.message.data,
        access_token=form.token.data or None,
    )
    db.session.commit()
    if donation.method == PayMethod.CARD and donation.state == DonationState.PENDING:
        cancel = url_for("funding.donation_status", token=donation.access_token, _external=True)
        url = donations.open_donation_checkout(donation, success_url=_return_url(), cancel_url=cancel)
        db.session.commit()
        return redirect(url, code=303)
    flash(_("Thank you. Please send the transfer with your reference code."), "info")
    return redirect(url_for("funding.donation_status", token=donation.access_token), code=303)


def _confirm_page(project: Project, form, kind: str, endpoint: str, **extra) -> str:
    """Step 2 of a donation or pledge: what was typed, shown for confirmation (the amount in the
    page's language) before anything is written; it posts back to ``endpoint`` with "confirm",
    or with "edit" to go back to the form with everything kept (``_typed_again``)."""
    return render_template(
        "funding/confirm.html",
        project=project,
        amount=form.amount.data,
        kind=kind,
        form=form,
        action=url_for(endpoint, project_id=project.id),
        **extra,
    )


def _typed_again(form) -> None:
    """Back from the confirmation page: the amount shown as the page's language writes it."""
    try:
        form.amount.pre_validate(form)
    except StopValidation:
        return
    form.amount.raw = None


@bp.get("/donations/<token>")
@public
def donation_status(token):
    donation = donations.get_donation_by_token(token)
    return render_template(
        "funding/donation_status.html",
        donation=donation,
        project=donation.project,
        bank=payments.bank_details(donation.currency),
    )


@bp.get("/checkout/return")
@public
def checkout_return():
    """The payer is back from Stripe Checkout: re-read the session and apply it now (the webhook
    would do the same; whichever comes first posts, the other finds it done)."""
    session_id = request.args.get("session_id", "")
    if not session_id.startswith("cs_") or len(session_id) > 255:
        abort(404)
    donation = db.session.scalars(select(Donation).where(Donation.checkout_session_id == session_id)).first()
    pledge = None
    inv = None
    if donation is None:
        pledge = db.session.scalars(
            select(Pledge).where(
                (Pledge.setup_session_id == session_id) | (Pledge.pay_session_id == session_id)
            )
        ).first()
    if donation is None and pledge is None:
        inv = db.session.scalars(
            select(Investment).where(Investment.checkout_session_id == session_id)
        ).first()
    if donation is None and pledge is None and inv is None:
        abort(404)
    try:
        payments.apply_checkout_session(gateway.retrieve_checkout(session_id))
        db.session.commit()
    except DomainError:
        db.session.rollback()
        flash(
            _("We could not confirm the payment yet; it will appear once the card network confirms it."),
            "warning",
        )
    if donation is not None:
        return redirect(url_for("funding.donation_status", token=donation.access_token), code=303)
    if pledge is not None:
        flash(_("Your card is saved. It will be charged only if the campaign reaches its goal."), "info")
        return redirect(url_for("funding.pledge", project_id=pledge.project_id), code=303)
    return redirect(url_for("funding.investment_detail", investment_id=inv.id), code=303)


# -- pledges -------------------------------------------------------------------------------------


@bp.route("/projects/<int:project_id>/pledge", methods=["GET", "POST"])
def pledge(project_id):
    project = _public_project(project_id)
    if (elsewhere := _other_kind(project, "funding.pledge")) is not None:
        return elsewhere
    mine = db.session.scalars(
        select(Pledge).where(Pledge.project_id == project.id, Pledge.backer_id == current_user.id)
    ).one_or_none()
    form = PledgeForm()
    form.amount.currency = project.currency
    if request.method == "GET":
        form.public_name.data = current_user.display_name
        if mine is not None and mine.is_open:
            form.amount.data, form.method.data = mine.amount, mine.method
    form.offer(card=gateway.enabled())
    failed = False
    if request.method == "POST" and request.form.get("edit"):
        _typed_again(form)
    elif request.method == "POST":
        if form.validate():
            try:
                common.check_backing_amount(form.amount.data, project)
                if request.form.get("confirm") != "1":
                    return _confirm_page(
                        project,
                        form,
                        "pledge",
                        "funding.pledge",
                        grace_days=offline_pledges.transfer_grace().days,
                    )
                mine = pledges.make_pledge(
                    project,
                    backer=_user(),
                    amount=form.amount.data,
                    public_name=form.public_name.data if form.named.data else None,
                    method=form.method.data,
                )
                db.session.commit()
            except ValidationFailed as exc:
                db.session.rollback()
                put_errors(form, exc, default="amount")
            else:
                if mine.state == PledgeState.AWAITING_CARD and gateway.enabled():
                    url = pledges.open_pledge_card_setup(
                        mine,
                        success_url=_return_url(),
                        cancel_url=url_for("funding.pledge", project_id=project.id, _external=True),
                    )
                    db.session.commit()
                    return redirect(url, code=303)
                flash(_("Your pledge was saved."), "info")
                return redirect(url_for("funding.pledge", project_id=project.id), code=303)
        failed = True
    return render_template(
        "funding/pledge.html",
        project=project,
        pledge=mine,
        form=form,
        failed=failed,
        card_enabled=gateway.enabled(),
        grace_days=offline_pledges.transfer_grace().days,
        minimum=common.minimum_backing(project),
        maximum=common.maximum_backing(project),
    ), (400 if failed else 200)


def _own_pledge(pledge_id: int) -> Pledge:
    p = db.session.get(Pledge, pledge_id)
    if p is None or p.backer_id != current_user.id:
        abort(404)
    return p


@bp.post("/pledges/<int:pledge_id>/card")
def pledge_card(pledge_id):
    p = _own_pledge(pledge_id)
    if not gateway.enabled():
        abort(404)
    url = pledges.open_pledge_card_setup(
        p,
        success_url=_return_url(),
        cancel_url=url_for("funding.pledge", project_id=p.project_id, _external=True),
    )
    db.session.commit()
    return redirect(url, code=303)


def _cancel_page(kind: str, backing, cancel, cancellable: bool, done: str):
    """Ask, then cancel a backing not yet paid: one confirmation page for donations and pledges."""
    form = ConfirmForm()
    if form.validate_on_submit():
        cancel(backing, actor=_user())
        db.session.commit()
        flash(done, "info")
        return redirect(url_for("funding.my_backing"), code=303)
    return render_template(
        "funding/cancel.html",
        form=form,
        kind=kind,
        backing=backing,
        project=backing.project,
        cancellable=cancellable,
    ), (400 if request.method == "POST" else 200)


@bp.route("/pledges/<int:pledge_id>/cancel", methods=["GET", "POST"])
def cancel_pledge(pledge_id):
    """Ask, then cancel a pledge not yet paid (the backer's own only: anyone else gets 404)."""
    p = _own_pledge(pledge_id)
    return _cancel_page(
        "pledge",
        p,
        pledges.cancel_pledge,
        cancellation.pledge_cancellable(p),
        _("Your pledge was cancelled."),
    )


@bp.route("/donations/<int:donation_id>/cancel", methods=["GET", "POST"])
def cancel_donation(donation_id):
    """Ask, then cancel a donation not yet paid (the backer's own only: anyone else gets 404)."""
    d = db.session.get(Donation, donation_id)
    if d is None or d.backer_id is None or d.backer_id != current_user.id:
        abort(404)
    return _cancel_page(
        "donation",
        d,
        cancellation.cancel_donation,
        cancellation.donation_cancellable(d),
        _("Your donation was cancelled."),
    )


@bp.get("/pledges/<int:pledge_id>")
def pledge_receipt(pledge_id):
    """The backer's receipt of their pledge; once collected, with the ledger evidence."""
    p = _own_pledge(pledge_id)
    return render_template("funding/pledge_receipt.html", pledge=p, project=p.project)


@bp.route("/pledges/<int:pledge_id>/pay", methods=["GET", "POST"])
def pay_pledge(pledge_id):
    p = _own_pledge(pledge_id)
    if request.method == "POST":
        url = pledges.open_pledge_payment(
            p,
            actor=_user(),
            success_url=_return_url(),
            cancel_url=url_for("funding.pay_pledge", pledge_id=p.id, _external=True),
        )
        db.session.commit()
        return redirect(url, code=303)
    return render_template(
        "funding/pay_pledge.html",
        pledge=p,
        project=p.project,
        card_enabled=gateway.enabled(),
        bank=payments.bank_details(p.currency),
    )


# -- investments -------------------------------------------------------------------------------------


def _invest_context(project, **extra):
    room = investments.investment_room(project)
    return {
        "project": project,
        "totals": totals.project_totals(project),
        "minimum": common.minimum_backing(project),
        "maximum": min(common.maximum_backing(project), room) if room.amount else room,
        "room": room,
        "cancel_until": investments.investment_cancel_deadline(project),
        **extra,
    }


def _invest_page(project, form, *, failed: bool):
    return render_template("funding/invest.html", **_invest_context(project, form=form, failed=failed)), (
        400 if failed else 200
    )


def _terms_page(project, form: InvestConfirmForm, *, failed: bool = False):
    return render_template(
        "funding/invest_confirm.html",
        **_invest_context(
            project,
            amount=form.amount.data,
            plan=loans.projected_repayments(project, form.amount.data) or None,
            form=form,
        ),
    ), (400 if failed else 200)


def _terms_form(project, amount, public_name: str) -> InvestConfirmForm:
    form = InvestConfirmForm(formdata=None)
    form.amount.currency = project.currency
    form.amount.data = amount
    form.currency.data = project.currency
    form.token.data = secrets.token_urlsafe(24)
    form.public_name.data = public_name
    return form


@bp.route("/projects/<int:project_id>/invest", methods=["GET", "POST"])
def invest(project_id):
    """Step 1: the amount, checked against what is left under the cap. Step 2 (the terms and the
    risk notice) is shown only for an amount that can be committed."""
    project = _public_project(project_id)
    if project.funding_model != FundingModel.LOAN:
        abort(404)
    form = InvestForm()
    form.amount.currency = project.currency
    if request.method == "GET":
        form.public_name.data = current_user.display_name
        return _invest_page(project, form, failed=False)
    if form.validate():
        try:
            investments.check_investment(project, form.amount.data)
        except ValidationFailed as exc:
            put_errors(form, exc, default="amount")
        else:
            name = form.public_name.data if form.named.data else ""
            return _terms_page(project, _terms_form(project, form.amount.data, name or ""))
    return _invest_page(project, form, failed=True)


@bp.post("/projects/<int:project_id>/invest/confirm")
def invest_confirm(project_id):
    """Step 2: the terms accepted. Without the risk acknowledged the terms page is shown again;
    a refused amount goes back to the amount page with what was asked still in the field."""
    project = _public_project(project_id)
    form = InvestConfirmForm()
    form.amount.currency = project.currency
    wrong_currency = (form.currency.data or project.currency).strip().upper() != project.currency
    if form.validate() and not wrong_currency:
        try:
            inv = investments.commit_investment(
                project,
                investor=_user(),
                amount=form.amount.data,
                submission_token=form.token.data,
                risk_acknowledged=form.risk.data,
                public_name=form.public_name.data or None,
            )
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            if exc.field == "risk":
                form.risk.errors = [str(exc.message)]
                return _terms_page(project, form, failed=True)
            return _back_to_amount(project, form, str(exc.message))
        flash(_("Thank you. Your investment is committed; please pay it before the campaign ends."), "info")
        return redirect(url_for("funding.investment_detail", investment_id=inv.id), code=303)
    if form.amount.errors or form.token.errors or form.public_name.errors or wrong_currency:
        message = (form.amount.errors or form.token.errors or form.public_name.errors or [None])[0]
        if wrong_currency:
            message = _("This project is funded in %(currency)s.", currency=project.currency)
        return _back_to_amount(project, form, message)
    return _terms_page(project, form, failed=True)  # only the risk notice is missing


def _back_to_amount(project, confirm: InvestConfirmForm, message: str):
    """The amount page again, with what was asked still in the field and the reason beside it."""
    again = InvestForm(formdata=None)
    again.amount.currency = project.currency
    if confirm.amount.data is not None:
        again.amount.data = confirm.amount.data
    else:
        again.amount.raw = confirm.amount.raw or ""
    again.public_name.data = confirm.public_name.data or current_user.display_name
    again.named.data = bool(confirm.public_name.data)
    again.amount.errors = [message]
    return _invest_page(project, again, failed=True)


def _own_investment(investment_id: int) -> Investment:
    inv = db.session.get(Investment, investment_id)
    if inv is None or inv.investor_id != current_user.id:
        abort(404)
    return inv


@bp.get("/investments/<int:investment_id>")
def investment_detail(investment_id):
    inv = _own_investment(investment_id)
    plan = loans.schedule_for(inv.project)
    return render_template(
        "funding/investment.html",
        inv=inv,
        project=inv.project,
        plan=plan,
        bank=payments.bank_details(inv.currency),
        card_enabled=gateway.enabled(),
        cancel_until=investments.investment_cancel_deadline(inv.project),
        paid_back=investments.return_of(inv),
    )


@bp.post("/investments/<int:investment_id>/pay")
def pay_investment(investment_id):
    inv = _own_investment(investment_id)
    if not gateway.enabled():
        abort(404)
    url = investments.open_investment_checkout(
        inv,
        actor=_user(),
        success_url=_return_url(),
        cancel_url=url_for("funding.investment_detail", investment_id=inv.id, _external=True),
    )
    db.session.commit()
    return redirect(url, code=303)


@bp.post("/investments/<int:investment_id>/cancel")
def cancel_investment(investment_id):
    inv = _own_investment(investment_id)
    investments.cancel_investment(inv, actor=_user())
    db.session.commit()
    flash(_("Your investment was cancelled."), "info")
    return redirect(url_for("funding.investment_detail", investment_id=inv.id), code=303)


# -- the backer's page -----------------------------------------------------------------------------------


@bp.get("/mine")
def my_backing():
    return render_template("funding/mine.html", backings=backers.backings_of(current_user))


def _closed_at_goal(project: Project) -> bool:
    """Did this donation campaign close early because it received its goal?"""
    if project.funding_model != FundingModel.DONATION or project.state == ProjectState.FUNDRAISING:
        return False
    return any(e.text == settlement.CLOSED_AT_GOAL for e in project.timeline)


def project_panel_context(project: Project) -> dict:
    """What the public project page's "back this project" panel shows."""
    figures = totals.project_totals(project)
    now_open = project.state == ProjectState.FUNDRAISING and (
        project.campaign_ends_at is None or project.campaign_ends_at > common.now()
    )
    mine = None
    if current_user.is_authenticated and project.funding_model == FundingModel.PLEDGE:
        mine = db.session.scalars(
            select(Pledge).where(Pledge.project_id == project.id, Pledge.backer_id == current_user.id)
        ).one_or_none()
    room = investments.investment_room(project) if project.funding_model == FundingModel.LOAN else None
    return {
        "totals": figures,
        "open": now_open,
        "card_enabled": gateway.enabled(),
        "bank": payments.bank_details(project.currency),
        "my_pledge": mine,
        "room": room,
        "rule": settlement.funding_rule(project),
        "closed_at_goal": _closed_at_goal(project),
        "minimum": common.minimum_backing(project),
    }
