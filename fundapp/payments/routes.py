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
from fundapp.core.security import public, roles_required, step_up_required
from fundapp.extensions import db

from . import gateway, services
from .models import RECEIPT_METHOD_LABELS, OfflineReceipt, ReceiptState

bp = Blueprint("payments", __name__, url_prefix="/payments")


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


def _projects():
    from fundapp.proposals.models import Project, ProjectState

    return db.session.scalars(
        select(Project)
        .where(Project.state.in_([ProjectState.FUNDRAISING, ProjectState.FUNDED, ProjectState.IMPLEMENTING]))
        .order_by(Project.title)
    ).all()


@bp.route("/receipts/new", methods=["GET", "POST"])
@roles_required("treasurer")
def new_receipt():
    form = request.form if request.method == "POST" else {}
    errors: dict = {}
    if request.method == "POST":
        from fundapp.proposals.models import Project

        try:
            try:
                received_on = date.fromisoformat(form.get("received_on", ""))
            except ValueError:
                raise ValidationFailed(_("Enter the date the money arrived."), field="received_on") from None
            project = None
            if (form.get("project_id") or "").isdigit():
                project = db.session.get(Project, int(form["project_id"]))
            evidence = None
            upload = request.files.get("evidence")
            if upload is not None and upload.filename:
                from fundapp.files.services import store_upload

                evidence = store_upload(
                    upload, uploaded_by=current_user, allowed=("pdf", "png", "jpeg", "webp")
                )
            receipt = services.record_offline_receipt(
                actor=current_user._get_current_object(),
                method=form.get("method", ""),
                operator=form.get("operator", ""),
                transfer_reference=form.get("transfer_reference", ""),
                sender_name=form.get("sender_name", ""),
                amount_text=form.get("amount", ""),
                currency=form.get("currency", ""),
                received_on=received_on,
                backing_reference=form.get("backing_reference"),
                project=project,
                fx_rate_text=form.get("fx_rate"),
                evidence=evidence,
                note=form.get("note"),
            )
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            errors[exc.field or "amount"] = str(exc.message)
        except DuplicateRequest as exc:
            db.session.rollback()
            errors["transfer_reference"] = str(exc.message)
        else:
            flash(_("The receipt was recorded. A second person must confirm it before it counts."), "info")
            return redirect(url_for("payments.receipt_detail", receipt_id=receipt.id), code=303)
    return render_template(
        "payments/receipt_new.html",
        form=form,
        errors=errors,
        projects=_projects(),
        methods=RECEIPT_METHOD_LABELS,
        currencies=current_app.config["SUPPORTED_CURRENCIES"],
        today=date.today().isoformat(),
    ), (400 if errors else 200)


def _receipt(receipt_id: int) -> OfflineReceipt:
    r = db.session.get(OfflineReceipt, receipt_id)
    if r is None:
        abort(404)
    return r


@bp.get("/receipts/<int:receipt_id>")
@roles_required("treasurer", "administrator", "auditor")
def receipt_detail(receipt_id):
    return render_template("payments/receipt_detail.html", receipt=_receipt(receipt_id))


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
    services.reject_offline_receipt(
        _receipt(receipt_id), actor=current_user._get_current_object(), reason=request.form.get("reason", "")
    )
    db.session.commit()
    flash(_("The receipt was rejected; it stays on record."), "info")
    return redirect(url_for("payments.receipt_detail", receipt_id=receipt_id), code=303)
