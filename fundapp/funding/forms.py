"""Forms of backing: the shape of input only (amounts through ``MoneyField``, in the page's
language); the services check the rules (limits, the loan's cap, the campaign being open) and
name the field they refuse, which the view puts back on the form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import DateField
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    StopValidation,
)

from fundapp.core.forms import MoneyField

from .models import PayMethod, PledgeMethod


def at_most(n: int) -> Length:
    return Length(max=n, message=_l("At most %(n)s characters.", n=n))


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
    public_name = StringField(_l("Public name"), validators=[Optional(), at_most(120)])

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


class WayToPay(RadioField):
    """A choice of how to pay; anything not offered is refused with the same plain sentence."""

    def pre_validate(self, form):
        if self.data not in {c.value for c in self.choices}:
            raise StopValidation(str(_l("Choose how you will pay.")))


DONATION_METHOD_CHOICES = {
    PayMethod.CARD: _l("Card (secure payment page of Stripe)"),
    PayMethod.BANK: _l("Bank transfer"),
    PayMethod.MTO: _l("Money-transfer operator"),
}

# A submission token: chosen when the confirmation page is shown, so that sending it twice
# (a double click, a reload) makes one backing.
TOKEN = Regexp(r"^[A-Za-z0-9_-]{24,64}$", message=_l("The form expired; please start again."))


class DonateForm(FlaskForm):
    """A donation, in the project's currency (the hidden ``currency`` names it; an amount given in
    another is refused). The email is asked only of a guest: a member's receipt goes to their
    account's address."""

    amount = MoneyField(_l("Amount"))
    currency = HiddenField()
    method = WayToPay(
        _l("How will you pay?"),
        choices=[SelectChoice(m.value, label) for m, label in DONATION_METHOD_CHOICES.items()],
        validators=[DataRequired(message=_l("Choose how you will pay."))],
    )
    email = StringField(
        _l("Your email (for the receipt)"),
        validators=[
            DataRequired(message=_l("Enter your email address, so that we can send you a receipt.")),
            at_most(320),
            Email(
                message=_l("Enter your email address, so that we can send you a receipt."),
                check_deliverability=False,
            ),
        ],
        render_kw={"autocomplete": "email", "type": "email"},
    )
    named = BooleanField(_l("Show my name publicly with this gift"))
    public_name = StringField(
        _l("Public name"),
        validators=[Optional(), at_most(120)],
        description=_l(
            "Used only if you tick the box; otherwise the gift is shown as from an anonymous backer."
        ),
    )
    message = TextAreaField(_l("Message to the project (optional)"), validators=[Optional(), at_most(500)])
    token = HiddenField(validators=[Optional(), TOKEN])

    def offer(self, project, *, card: bool, guest: bool) -> DonateForm:
        """Fit the form to the project and the person: the currency, the ways to pay offered (the
        card only when card payments are configured), the email only for a guest."""
        self.amount.currency = project.currency
        self.project_currency = project.currency
        if not card:
            self.method.choices = [c for c in self.method.choices if c.value != PayMethod.CARD.value]
        if not self.method.data and not self.is_submitted():
            self.method.data = self.method.choices[0].value
        if not guest:
            del self.email
        return self

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        currency = (self.currency.data or self.project_currency).strip().upper()
        if currency != self.project_currency:
            message = _l(
                "This project is funded in %(currency)s; please give the amount in %(currency)s.",
                currency=self.project_currency,
            )
            self.amount.errors = [*self.amount.errors, str(message)]
            ok = False
        return ok


class InvestForm(FlaskForm):
    amount = MoneyField(_l("Amount"))
    named = BooleanField(_l("Show my name publicly with this investment"))
    public_name = StringField(_l("Public name"), validators=[Optional(), at_most(120)])


class InvestConfirmForm(FlaskForm):
    """The terms page: the amount chosen on the amount page (hidden, read back through the money
    field), its submission token, and the risk notice acknowledged."""

    amount = MoneyField(_l("Amount"), widget=HiddenField.widget)
    currency = HiddenField()
    token = HiddenField(validators=[DataRequired(message=_l("The form expired; please start again.")), TOKEN])
    public_name = HiddenField(validators=[Optional(), at_most(120)])
    risk = BooleanField(
        _l("I have read the terms and the risk notice"),
        validators=[DataRequired(message=_l("Please confirm that you have read the terms and the risks."))],
    )


class RefundRequestForm(FlaskForm):
    """A treasurer asks for a backing's money to go back. What is required depends on the
    backing (:meth:`asking`): a reason for a donation, the transfer's reference unless the money
    goes back to the card."""

    reason = StringField(_l("Reason"), validators=[Optional(), at_most(2000)])
    bank_reference = StringField(_l("Bank transfer reference"), validators=[Optional(), at_most(100)])

    def asking(self, *, reason: bool, reference: bool) -> RefundRequestForm:
        if reason:
            _require(self.reason, _l("Give the reason for the refund."), 2000)
        if reference:
            _require(self.bank_reference, _l("Enter the reference of the bank transfer."), 100)
        return self


def _require(field, message, limit: int) -> None:
    field.validators = [DataRequired(message=message), at_most(limit)]
    field.flags.required = True


class DeclineRefundForm(FlaskForm):
    decline_reason = StringField(
        _l("Why it is declined"),
        validators=[DataRequired(message=_l("Give the reason.")), at_most(2000)],
    )


REPAYMENT_METHOD_CHOICES = [
    SelectChoice(PayMethod.BANK.value, _l("Bank transfer")),
    SelectChoice(PayMethod.MTO.value, _l("Money-transfer operator")),
]


class RepaymentForm(FlaskForm):
    """Money a loan project paid back, to be distributed to its investors (the view sets the
    amount's currency to the loan's)."""

    amount = MoneyField(_l("Amount"))
    method = SelectField(_l("Received by"), choices=REPAYMENT_METHOD_CHOICES)
    reference = StringField(
        _l("Transfer reference"),
        validators=[DataRequired(message=_l("Enter the transfer reference.")), at_most(120)],
    )
    received_on = DateField(
        _l("Date received"), validators=[InputRequired(message=_l("Enter the date the money arrived."))]
    )


class ConfirmForm(FlaskForm):
    """A button that asks before acting (cancelling a backing): the CSRF token only."""
