"""Forms of disbursements: the shape of input only; the services check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .models import EVIDENCE_LABELS

EVIDENCE_SLOTS = 3


def evidence_choices():
    return [(k.value, label) for k, label in EVIDENCE_LABELS.items()]


class RequestForm(FlaskForm):
    milestone = SelectField(_l("Milestone"), coerce=int, validators=[DataRequired()])
    amount = StringField(_l("Amount"), validators=[DataRequired(), Length(max=40)])
    payee_name = StringField(_l("Payee (person or company)"), validators=[DataRequired(), Length(max=200)])
    payee_bank = StringField(_l("Payee's bank"), validators=[DataRequired(), Length(max=200)])
    payee_account = StringField(_l("Account number or IBAN"), validators=[DataRequired(), Length(max=64)])
    payee_bank_code = StringField(_l("Bank code (BIC)"), validators=[Optional(), Length(max=32)])
    work_done = TextAreaField(
        _l("What was done"),
        validators=[DataRequired(), Length(max=5000)],
        description=_l("What the money pays for and what has been delivered."),
    )


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


class EmptyForm(FlaskForm):
    pass
