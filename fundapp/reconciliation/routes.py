"""Reconciliation pages: thin handlers that validate a form, call a service, commit once, redirect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from fundapp.audit.services import record
from fundapp.core.csvfile import csv_chunks, csv_response
from fundapp.core.errors import DomainError
from fundapp.core.money import Money
from fundapp.core.security import roles_required, step_up_required
from fundapp.extensions import db
from fundapp.ledger.labels import chart_name

from . import services
from .models import KIND_LABELS, ReconciliationAdjustment, ReconciliationItem, ReconciliationRun

bp = Blueprint("reconciliation", __name__, url_prefix="/reconciliation")

REVIEWERS = services.REVIEWERS
ADJUSTERS = services.ADJUSTERS
MAX_STATEMENT_BYTES = 5 * 1024 * 1024


def _currencies():
    from flask import current_app

    return [SelectChoice(c, c) for c in current_app.config["SUPPORTED_CURRENCIES"]]


class StatementForm(FlaskForm):
    statement = FileField(_l("Bank statement (CSV)"))
    account_code = SelectField(
        _l("Ledger account"),
        choices=[
            SelectChoice(c, LazyString(chart_name, c))
            for c in services.RECONCILED_ACCOUNTS
            if c != "stripe_clearing"
        ],
    )
    currency = SelectField(_l("Currency"))
    window_days = IntegerField(_l("Date window (days)"), default=5, validators=[NumberRange(min=0, max=31)])


class StripeForm(FlaskForm):
    start = DateField(_l("From"), validators=[DataRequired()])
    end = DateField(_l("To"), validators=[DataRequired()])
    currency = SelectField(_l("Currency"))


class NoteForm(FlaskForm):
    note = TextAreaField(_l("How it is explained"), validators=[DataRequired(), Length(max=2000)])


class AdjustForm(FlaskForm):
    counter_account_code = SelectField(
        _l("Other side of the entry"),
        choices=[SelectChoice(c, LazyString(chart_name, c)) for c in services.COUNTER_ACCOUNTS],
    )
    memo = StringField(_l("What the adjustment is for"), validators=[DataRequired(), Length(max=400)])


def _me():
    return current_user._get_current_object()


def _forms():
    sf = StatementForm(prefix="bank")
    sf.currency.choices = _currencies()
    st = StripeForm(prefix="stripe")
    st.currency.choices = _currencies()
    return sf, st


@bp.get("/")
@roles_required(*REVIEWERS)
def index():
    sf, st = _forms()
    today = datetime.now(UTC).date()
    if not st.start.data:
        st.start.data = today - timedelta(days=30)
        st.end.data = today
    return render_template("reconciliation/index.html", runs=services.runs(), bank_form=sf, stripe_form=st)


@bp.post("/import")
@roles_required(*REVIEWERS)
def import_statement():
    sf, st = _forms()
    errors: list = []
    if sf.validate_on_submit():
        upload = sf.statement.data
        data = upload.stream.read(MAX_STATEMENT_BYTES + 1) if upload else b""
        if len(data) > MAX_STATEMENT_BYTES:
            sf.statement.errors = [_("The file is too large (at most 5 MB).")]
        else:
            try:
                run = services.import_bank_statement(
                    data,
                    actor=_me(),
                    filename=getattr(upload, "filename", None),
                    account_code=sf.account_code.data,
                    currency=sf.currency.data,
                    window_days=sf.window_days.data,
                )
            except services.StatementRejected as exc:
                db.session.rollback()
                sf.statement.errors = [str(exc.message)]
                errors = exc.errors
            except DomainError as exc:
                db.session.rollback()
                flash(str(exc.message), "error")
            else:
                db.session.commit()
                flash(_("The statement was imported and reconciled."), "success")
                return redirect(url_for("reconciliation.run_detail", run_id=run.id), code=303)
    return (
        render_template(
            "reconciliation/index.html",
            runs=services.runs(),
            bank_form=sf,
            stripe_form=st,
            line_errors=errors,
        ),
        400,
    )


@bp.post("/stripe")
@roles_required(*REVIEWERS)
def import_stripe():
    sf, st = _forms()
    if st.validate_on_submit():
        try:
            run = services.import_stripe_balance(
                actor=_me(), start=st.start.data, end=st.end.data, currency=st.currency.data
            )
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            status = exc.status_code
        else:
            db.session.commit()
            flash(_("Stripe's balance was reconciled."), "success")
            return redirect(url_for("reconciliation.run_detail", run_id=run.id), code=303)
    else:
        status = 400
    return (
        render_template("reconciliation/index.html", runs=services.runs(), bank_form=sf, stripe_form=st),
        status,
    )


def _run(run_id: int) -> ReconciliationRun:
    run = db.session.get(ReconciliationRun, run_id)
    if run is None:
        abort(404)
    return run


@bp.get("/runs/<int:run_id>")
@roles_required(*REVIEWERS)
def run_detail(run_id: int):
    run = _run(run_id)
    groups = {}
    for item in run.items:
        groups.setdefault(item.kind, []).append(item)
    return render_template(
        "reconciliation/run.html",
        run=run,
        groups=groups,
        kind_labels={str(k): label for k, label in KIND_LABELS.items()},
        note_form=NoteForm(formdata=None),
        adjust_form=AdjustForm(formdata=None),
        can_adjust=current_user.has_any_role(*ADJUSTERS),
    )


@bp.get("/runs/<int:run_id>/export.csv")
@roles_required(*REVIEWERS)
def run_export(run_id: int):
    run = _run(run_id)
    record("reconciliation.exported", run)
    db.session.commit()
    header = [
        "item", "kind", "how", "status", "currency", "statement_date", "statement_amount",
        "statement_reference", "counterparty", "ledger_leg_id", "ledger_date", "ledger_amount",
        "difference", "reviewed_by", "reviewed_at", "resolution",
    ]  # fmt: skip

    def dec(v):
        return "" if v is None else str(Money(int(v), run.currency).to_decimal())

    rows = [
        [
            i.id, i.kind, i.how, i.status, i.currency,
            i.line_on.isoformat() if i.line_on else "", dec(i.line_amount_minor),
            i.line_reference, i.line_counterparty, i.leg_id or "",
            i.leg_on.isoformat() if i.leg_on else "", dec(i.leg_amount_minor),
            dec(i.difference.amount), i.reviewed_by.email if i.reviewed_by else "",
            i.reviewed_at.isoformat() if i.reviewed_at else "", i.resolution_note,
        ]
        for i in run.items
    ]  # fmt: skip
    return csv_response(csv_chunks(header, rows), f"reconciliation-{run.id}.csv")


def _item(item_id: int) -> ReconciliationItem:
    item = db.session.get(ReconciliationItem, item_id)
    if item is None:
        abort(404)
    return item


def _done(run_id: int, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("reconciliation.run_detail", run_id=run_id) + "#items", code=303)


def _refused(run_id: int, exc: DomainError):
    db.session.rollback()
    flash(str(exc.message), "error")
    return redirect(url_for("reconciliation.run_detail", run_id=run_id) + "#items", code=303)


@bp.post("/items/<int:item_id>/resolve")
@roles_required(*REVIEWERS)
def resolve(item_id: int):
    item = _item(item_id)
    run_id = item.run_id
    form = NoteForm()
    if not form.validate_on_submit():
        flash(_("Say how the difference is explained."), "error")
        return redirect(url_for("reconciliation.run_detail", run_id=run_id), code=303)
    try:
        services.resolve_item(item, actor=_me(), note=form.note.data)
    except DomainError as exc:
        return _refused(run_id, exc)
    return _done(run_id, _("The mismatch is marked as reviewed."))


@bp.post("/items/<int:item_id>/adjust")
@roles_required(*ADJUSTERS)
def propose(item_id: int):
    item = _item(item_id)
    run_id = item.run_id
    form = AdjustForm()
    if not form.validate_on_submit():
        flash(_("Choose the other account and say what the adjustment is for."), "error")
        return redirect(url_for("reconciliation.run_detail", run_id=run_id), code=303)
    try:
        services.propose_adjustment(
            item, actor=_me(), counter_account_code=form.counter_account_code.data, memo=form.memo.data
        )
    except DomainError as exc:
        return _refused(run_id, exc)
    return _done(run_id, _("The adjusting entry is proposed; a second person must approve it."))


def _adjustment(adj_id: int) -> ReconciliationAdjustment:
    adj = db.session.get(ReconciliationAdjustment, adj_id)
    if adj is None:
        abort(404)
    return adj


@bp.post("/adjustments/<int:adj_id>/approve")
@roles_required(*ADJUSTERS)
@step_up_required
def approve(adj_id: int):
    adj = _adjustment(adj_id)
    run_id = adj.item.run_id
    try:
        services.approve_adjustment(adj, actor=_me())
    except DomainError as exc:
        return _refused(run_id, exc)
    return _done(run_id, _("The adjusting entry is posted to the ledger."))


@bp.post("/adjustments/<int:adj_id>/reject")
@roles_required(*ADJUSTERS)
def reject(adj_id: int):
    adj = _adjustment(adj_id)
    run_id = adj.item.run_id
    form = NoteForm()
    if not form.validate_on_submit():
        flash(_("Say why the adjustment is refused."), "error")
        return redirect(url_for("reconciliation.run_detail", run_id=run_id), code=303)
    try:
        services.reject_adjustment(adj, actor=_me(), note=form.note.data)
    except DomainError as exc:
        return _refused(run_id, exc)
    return _done(run_id, _("The adjustment was refused; the mismatch is open again."))
