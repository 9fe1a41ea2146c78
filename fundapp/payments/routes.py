"""The Stripe webhook endpoint, payment instructions, and the treasury's offline receipts."""

from __future__ import annotations

from datetime import date

import stripe
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fundapp.core.errors import DomainError, DuplicateRequest, ValidationFailed
from fundapp.core.forms import put_errors
from fundapp.core.security import public, roles_required, step_up_required
from fundapp.extensions import db
from fundapp.files.services import store_upload

from . import gateway, purposes, services
from .forms import ReceiptForm, RejectReceiptForm
from .models import OfflineReceipt, ReceiptState

bp = Blueprint("payments", __name__, url_prefix="/payments")

# A rule's refusal of the project is shown at the project list, of the file at the evidence.
_FIELD_ALIASES = {"project": "project_id", "file": "evidence"}


@bp.post("/stripe/webhook")
@public
def stripe_webhook():
    """Stripe's signed events. 400 for anything whose signature does not hold (nothing is applied);
    200 for a replay; 500 only for a failure Stripe should retry."""
    payload = request.get_data(cache=False, as_text=False)
    try:
        event = gateway.construct_event(payload, request.headers.get("Stripe-Signature"))
    except (ValueError, stripe.SignatureVerificationError):
        return jsonify(error="invalid signature"), 400
    try:
        outcome = services.handle_event(event)
        db.session.commit()
    except DuplicateRequest:
        db.session.rollback()
        return jsonify(received=True, duplicate=True), 200
    except IntegrityError:  # the same event, delivered concurrently, won the race
        db.session.rollback()
        return jsonify(received=True, duplicate=True), 200
    except DomainError as exc:
        db.session.rollback()
        current_app.logger.warning("webhook %s not applied: %s", gateway.get(event, "id"), exc)
        return jsonify(error="not applied"), 503
    return jsonify(received=True, outcome=outcome), 200


@bp.get("/instructions/<currency>")
@public
def instructions(currency):
    currency = currency.upper()[:3]
    if currency not in current_app.config["SUPPORTED_CURRENCIES"]:
        abort(404)
    return render_template(
        "payments/instructions.html", currency=currency, bank=services.bank_details(currency), reference=None
    )


def evidence_access_rule(user, stored_file) -> bool:
    """Evidence of receipts is for treasurers, administrators and auditors."""
    if not getattr(user, "is_authenticated", False) or not user.has_any_role(
        "treasurer", "administrator", "auditor"
    ):
        return False
    return (
        db.session.scalars(
            select(OfflineReceipt.id).where(OfflineReceipt.evidence_file_id == stored_file.id)
        ).first()
        is not None
    )


# -- receipts ----------------------------------------------------------------------------------------


@bp.get("/receipts")
@roles_required("treasurer", "administrator", "auditor")
def list_receipts():
    state = request.args.get("state")
    query = select(OfflineReceipt).order_by(OfflineReceipt.id.desc()).limit(200)
    if state in {s.value for s in ReceiptState}:
        query = query.where(OfflineReceipt.state == state)
    return render_template("payments/receipts.html", receipts=db.session.scalars(query).all(), state=state)


@bp.route("/receipts/new", methods=["GET", "POST"])
@roles_required("treasurer")
def new_receipt():
    """The receipt form: every error of its shape at once, each beside its field, what was typed
    kept; then the rules of ``services.record_offline_receipt`` (which names the field it refuses)."""
    form = ReceiptForm().offer(
        currencies=current_app.config["SUPPORTED_CURRENCIES"], projects=purposes.receipt_projects()
    )
    if request.method == "GET":
        form.received_on.data = date.today()
    failed = False
    if request.method == "POST":
        if form.validate():
            try:
                evidence = None
                upload = form.evidence.data
                if upload is not None and getattr(upload, "filename", None):
                    evidence = store_upload(
                        upload, uploaded_by=current_user, allowed=("pdf", "png", "jpeg", "webp")
                    )
                receipt = services.record_offline_receipt(
                    actor=current_user._get_current_object(),
                    method=form.method.data,
                    operator=form.operator.data,
                    transfer_reference=form.transfer_reference.data,
                    sender_name=form.sender_name.data,
                    amount=form.amount.data,
                    currency=form.currency.data,
                    received_on=form.received_on.data,
                    backing_reference=form.backing_reference.data,
                    project=form.project_id.data,
                    fx_rate_text=form.fx_rate.raw,
                    evidence=evidence,
                    note=form.note.data,
                )
                db.session.commit()
            except ValidationFailed as exc:
                db.session.rollback()
                put_errors(form, exc, aliases=_FIELD_ALIASES, default="amount")
            except DuplicateRequest as exc:
                db.session.rollback()
                put_errors(form, exc, default="transfer_reference")
            else:
                flash(
                    _("The receipt was recorded. A second person must confirm it before it counts."), "info"
                )
                return redirect(url_for("payments.receipt_detail", receipt_id=receipt.id), code=303)
        failed = True
    return render_template("payments/receipt_new.html", form=form, failed=failed), (400 if failed else 200)


def _receipt(receipt_id: int) -> OfflineReceipt:
    r = db.session.get(OfflineReceipt, receipt_id)
    if r is None:
        abort(404)
    return r


@bp.get("/receipts/<int:receipt_id>")
@roles_required("treasurer", "administrator", "auditor")
def receipt_detail(receipt_id):
    return render_template(
        "payments/receipt_detail.html", receipt=_receipt(receipt_id), reject_form=RejectReceiptForm()
    )


@bp.post("/receipts/<int:receipt_id>/confirm")
@roles_required("treasurer", "administrator")
@step_up_required
def confirm_receipt(receipt_id):
    services.confirm_offline_receipt(_receipt(receipt_id), actor=current_user._get_current_object())
    db.session.commit()
    flash(_("The receipt was confirmed and posted to the ledger."), "info")
    return redirect(url_for("payments.receipt_detail", receipt_id=receipt_id), code=303)


@bp.post("/receipts/<int:receipt_id>/reject")
@roles_required("treasurer", "administrator")
@step_up_required
def reject_receipt(receipt_id):
    receipt, form = _receipt(receipt_id), RejectReceiptForm()
    if not form.validate():
        return render_template("payments/receipt_detail.html", receipt=receipt, reject_form=form), 400
    services.reject_offline_receipt(
        receipt, actor=current_user._get_current_object(), reason=form.reason.data
    )
    db.session.commit()
    flash(_("The receipt was rejected; it stays on record."), "info")
    return redirect(url_for("payments.receipt_detail", receipt_id=receipt_id), code=303)
