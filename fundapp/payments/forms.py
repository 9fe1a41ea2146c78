"""The treasury's receipt form: the shape of input only (the amount through ``MoneyField`` in the
currency chosen beside it, the rate through ``RateField``); the services check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from fundapp.core.forms import MoneyField, RateField

from .models import RECEIPT_METHOD_LABELS


class RejectReceiptForm(FlaskForm):
    reason = StringField(_l("Reason for rejecting"), validators=[DataRequired(), Length(max=2000)])


def _project_id(value):
    return int(value) if value not in (None, "", "None") and str(value).isdigit() else None


class ReceiptForm(FlaskForm):
    method = RadioField(
        _l("Received by"),
        choices=[SelectChoice(m.value, label) for m, label in RECEIPT_METHOD_LABELS.items()],
        default="bank",
        validators=[DataRequired(message=_l("Choose bank transfer or money-transfer operator."))],
    )
    operator = StringField(_l("Bank or operator"), validators=[DataRequired(), Length(max=120)])
    transfer_reference = StringField(_l("Transfer reference"), validators=[DataRequired(), Length(max=120)])
    sender_name = StringField(_l("Sender"), validators=[DataRequired(), Length(max=200)])
    amount = MoneyField(_l("Amount received"), currency_field="currency")
    currency = SelectField(_l("Currency received"), default="TJS", validators=[DataRequired()])
    received_on = DateField(
        _l("Date received"), validators=[DataRequired(message=_l("Enter the date the money arrived."))]
    )
    backing_reference = StringField(
        _l("Backing reference code (from the payment's purpose)"),
        validators=[Optional(), Length(max=20)],
        description=_l("Leave empty if the sender gave none; then choose the project below."),
    )
    project_id = SelectField(
        _l("Project (when there is no reference code)"), coerce=_project_id, validate_choice=False
    )
    fx_rate = RateField(
        _l("Exchange rate (one unit received in the project's currency)"),
        optional=True,
        max_digits=12,
        max_decimals=8,
        description=_l(
            "Only when the money came in another currency than the project's, e.g. 0.1215 for RUB to TJS."
        ),
    )
    evidence = FileField(_l("Evidence (bank statement or operator's slip: PDF or picture)"))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])

    def offer(self, *, currencies, projects) -> ReceiptForm:
        self.currency.choices = [SelectChoice(c, c) for c in currencies]
        self.project_id.choices = [SelectChoice("", "—")] + [
            SelectChoice(str(pid), label) for pid, label in projects
        ]
        return self
