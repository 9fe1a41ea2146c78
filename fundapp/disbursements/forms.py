"""Forms of disbursements: the shape of input only; the services check the rules.

The owner's request and milestone report carry ``EVIDENCE_SLOTS`` evidence slots, each a file, a
caption and (on a request) what it is: fixed fields ``evidence_file_<n>``, ``evidence_caption_<n>``,
``evidence_kind_<n>``, so that a refused submit shows each one back beside its own errors."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from fundapp.core.forms import MoneyField

from .models import EVIDENCE_LABELS, EvidenceKind

EVIDENCE_SLOTS = 3
EVIDENCE_ACCEPT = ".pdf,.png,.jpg,.jpeg,.webp,application/pdf,image/png,image/jpeg,image/webp"


def evidence_choices():
    return [(k.value, label) for k, label in EVIDENCE_LABELS.items()]


def evidence_slots(form) -> list[dict]:
    """The evidence slots of ``form`` for its template: ``{"n", "file", "kind", "caption"}``."""
    return [
        {
            "n": n,
            "file": getattr(form, f"evidence_file_{n}"),
            "kind": getattr(form, f"evidence_kind_{n}", None),
            "caption": getattr(form, f"evidence_caption_{n}"),
        }
        for n in range(1, EVIDENCE_SLOTS + 1)
    ]


def file_field_names() -> list[str]:
    return [f"evidence_file_{n}" for n in range(1, EVIDENCE_SLOTS + 1)]


def _with_evidence(form_class, *, kinds: bool):
    for n in range(1, EVIDENCE_SLOTS + 1):
        setattr(
            form_class,
            f"evidence_file_{n}",
            FileField(_l("File %(n)s", n=n), render_kw={"accept": EVIDENCE_ACCEPT}),
        )
        if kinds:
            setattr(
                form_class,
                f"evidence_kind_{n}",
                SelectField(_l("What it is"), choices=evidence_choices, default=EvidenceKind.OTHER.value),
            )
        setattr(
            form_class,
            f"evidence_caption_{n}",
            StringField(_l("Caption"), validators=[Optional(), Length(max=200)]),
        )
    return form_class


class RequestForm(FlaskForm):
    milestone = SelectField(_l("Milestone"), coerce=int, validators=[DataRequired()])
    # The currency is the project's, set by the view before validation.
    amount = MoneyField(_l("Amount"))
    payee_name = StringField(_l("Payee (person or company)"), validators=[DataRequired(), Length(max=200)])
    payee_bank = StringField(_l("Payee's bank"), validators=[DataRequired(), Length(max=200)])
    payee_account = StringField(_l("Account number or IBAN"), validators=[DataRequired(), Length(max=64)])
    payee_bank_code = StringField(_l("Bank code (BIC)"), validators=[Optional(), Length(max=32)])
    work_done = TextAreaField(
        _l("What was done"),
        validators=[DataRequired(), Length(max=5000)],
        description=_l("What the money pays for and what has been delivered."),
    )
    # Evidence of the request sent back that is copied to its correction; the service checks
    # that each id is that request's.
    keep_evidence = SelectMultipleField(_l("Evidence to keep"), coerce=int, validate_choice=False)


_with_evidence(RequestForm, kinds=True)


class ApproveForm(FlaskForm):
    council_decision = SelectField(_l("Coordination Council decision"), coerce=int, validators=[Optional()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class ExecuteForm(FlaskForm):
    bank_reference = StringField(
        _l("Bank payment reference"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("The reference of the bank transfer, as on the bank's confirmation."),
    )


class ReportForm(FlaskForm):
    summary = TextAreaField(_l("What was completed"), validators=[DataRequired(), Length(max=5000)])


_with_evidence(ReportForm, kinds=False)


class EmptyForm(FlaskForm):
    pass
