"""Forms of backing: the shape of input only (amounts through ``MoneyField``, in the page's
language); the services check the rules (limits, the loan's cap, the campaign being open) and
name the field they refuse, which the view puts back on the form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length, Optional

from fundapp.core.forms import MoneyField

from .models import PledgeMethod

PLEDGE_METHOD_CHOICES = {
    PledgeMethod.CARD: _l("By card: the saved card is charged only if the campaign reaches its goal"),
    PledgeMethod.TRANSFER: _l(
        "By bank or money transfer: if the campaign reaches its goal, you are asked to transfer the amount"
    ),
}


class PledgeForm(FlaskForm):
    amount = MoneyField(_l("Amount"))
    method = RadioField(
        _l("How will you pay?"),
        choices=[SelectChoice(m.value, label) for m, label in PLEDGE_METHOD_CHOICES.items()],
        validators=[DataRequired(message=_l("Choose how you will pay."))],
    )
    named = BooleanField(_l("Show my name publicly with this pledge"))
    public_name = StringField(_l("Public name"), validators=[Optional(), Length(max=120)])

    def offer(self, *, card: bool) -> PledgeForm:
        """Offer the card only when card payments are configured. Nothing chosen means the first
        way offered (the card when there is one, as before transfers were possible)."""
        if not card:
            self.method.choices = [
                SelectChoice(PledgeMethod.TRANSFER.value, PLEDGE_METHOD_CHOICES[PledgeMethod.TRANSFER])
            ]
        if not self.method.data:
            self.method.data = self.method.choices[0].value
        return self


class InvestForm(FlaskForm):
    amount = MoneyField(_l("Amount"))
    named = BooleanField(_l("Show my name publicly with this investment"))
    public_name = StringField(_l("Public name"), validators=[Optional(), Length(max=120)])


class ConfirmForm(FlaskForm):
    """A button that asks before acting (cancelling a backing): the CSRF token only."""
