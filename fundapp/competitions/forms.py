"""Forms of competitions: the shape of input only; the services check the rules."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from fundapp.core.errors import ValidationFailed
from fundapp.core.money import exponent

CURRENCIES = ("TJS", "RUB", "USD", "EUR")


def parse_prize_amount(text, currency: str, *, field: str = "amount") -> int:
    """A typed amount → integer minor units of ``currency``, strictly: digits with at most one
    decimal separator (dot or comma) and no more decimals than the currency has, greater than
    zero; spaces between thousands are allowed. Anything else is ``ValidationFailed`` on ``field``."""
    if currency not in CURRENCIES:
        raise ValidationFailed(_l("Choose a currency."), field="currency")
    cleaned = str(text or "").strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    if not cleaned or len(cleaned) > 20 or not all(c in "0123456789." for c in cleaned):
        raise ValidationFailed(_l("Enter an amount such as 1500 or 1500.50."), field=field)
    if cleaned.count(".") > 1 or cleaned.startswith(".") or cleaned.endswith("."):
        raise ValidationFailed(_l("Enter an amount such as 1500 or 1500.50."), field=field)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationFailed(_l("Enter an amount such as 1500 or 1500.50."), field=field) from None
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValidationFailed(
            _l("Too many decimal places for %(currency)s.", currency=currency), field=field
        )
    minor = int(scaled)
    if minor <= 0:
        raise ValidationFailed(_l("The amount must be greater than zero."), field=field)
    if minor > 10**13:
        raise ValidationFailed(_l("The amount is too large."), field=field)
    return minor


class NominateForm(FlaskForm):
    category = SelectField(_l("Category"), coerce=int, validators=[InputRequired()])
    organisation = SelectField(_l("Organisation nominated"), coerce=int, validators=[Optional()])
    person_email = StringField(
        _l("Email address of the person nominated"),
        validators=[Optional(), Email(), Length(max=254)],
        description=_l("They must have a confirmed account; they will be asked to agree."),
    )
    on_behalf_of = SelectField(_l("Nominating as"), coerce=int, validators=[Optional()])
    statement = TextAreaField(
        _l("Why they deserve it"),
        validators=[DataRequired(), Length(min=50, max=8000)],
        description=_l("What they did, for whom, since when (at least 50 characters)."),
    )
    evidence = MultipleFileField(
        _l("Evidence (PDF, PNG, JPEG or WebP, up to 5 files)"), validators=[Optional()]
    )


class AnswerForm(FlaskForm):
    answer = RadioField(
        _l("Your answer"),
        choices=[
            SelectChoice("accept", _l("I agree to be nominated")),
            SelectChoice("decline", _l("I decline")),
        ],
        validators=[InputRequired()],
    )


class TransitionForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class EligibilityForm(FlaskForm):
    eligible = RadioField(
        _l("Decision"),
        choices=[SelectChoice("yes", _l("Eligible")), SelectChoice("no", _l("Not eligible"))],
        validators=[InputRequired()],
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Required when not eligible: the nominator and the nominee will read it."),
    )


class JurorForm(FlaskForm):
    email = StringField(
        _l("Email address of the juror"), validators=[DataRequired(), Email(), Length(max=254)]
    )


class DeclareForm(FlaskForm):
    conflict = RadioField(
        _l("Do you have a conflict of interest with this nominee?"),
        choices=[SelectChoice("no", _l("No conflict")), SelectChoice("yes", _l("Yes, I have a conflict"))],
        validators=[InputRequired()],
    )
    note = TextAreaField(
        _l("What is the conflict?"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Required if you have one: family, work, money, a shared organisation."),
    )


class ScoreForm(FlaskForm):
    """Scores and justifications are fields named ``score_<criterion>`` and
    ``justification_<criterion>``, built from the edition's rubric."""


class VoteForm(FlaskForm):
    nomination = RadioField(_l("Your choice"), coerce=int, validators=[InputRequired()])


class PrizeForm(FlaskForm):
    category = SelectField(_l("Category"), coerce=int, validators=[InputRequired()])
    place = IntegerField(_l("Place"), validators=[InputRequired(), NumberRange(min=1, max=20)])
    amount = StringField(
        _l("Money prize"),
        validators=[Optional(), Length(max=40)],
        description=_l("Leave empty for an honour without money."),
    )
    currency = SelectField(_l("Currency"), choices=[SelectChoice(c, c) for c in CURRENCIES], default="TJS")
    description = StringField(
        _l("Description"),
        validators=[Optional(), Length(max=300)],
        description=_l("e.g. a diploma and a trophy; required for an honour."),
    )


class PrizeRequestForm(FlaskForm):
    payee = StringField(
        _l("Payee and bank details"),
        validators=[DataRequired(), Length(max=300)],
        description=_l("The winner's name and where the money goes, as they gave it."),
    )


class PrizePayForm(FlaskForm):
    bank_reference = StringField(_l("Bank payment reference"), validators=[DataRequired(), Length(max=100)])


class CompetitionForm(FlaskForm):
    name_tg = StringField(_l("Name in Tajik"), validators=[DataRequired(), Length(max=200)])
    name_ru = StringField(_l("Name in Russian"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=200)])
    description_tg = TextAreaField(_l("Description in Tajik"), validators=[Optional(), Length(max=4000)])
    description_ru = TextAreaField(_l("Description in Russian"), validators=[Optional(), Length(max=4000)])
    description_en = TextAreaField(_l("Description in English"), validators=[Optional(), Length(max=4000)])


class EditionForm(FlaskForm):
    competition = SelectField(_l("Competition"), coerce=int, validators=[InputRequired()])
    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=200)], description=_l("e.g. 2027")
    )
    nominations_open_on = DateField(_l("Nominations open on"), validators=[InputRequired()])
    nominations_close_on = DateField(_l("Nominations close on"), validators=[InputRequired()])
    results_on = DateField(_l("Results on"), validators=[InputRequired()])
    eligibility_rules = TextAreaField(
        _l("Who may be nominated"), validators=[DataRequired(), Length(max=8000)]
    )
    categories = TextAreaField(
        _l("Categories"), validators=[DataRequired(), Length(max=4000)], description=_l("One per line.")
    )
    criteria = TextAreaField(
        _l("Rubric"),
        validators=[DataRequired(), Length(max=8000)],
        description=_l(
            "One criterion per line: name | weight | what the levels mean, e.g. "
            "“Impact | 3 | 1: none; 4: some; 8: outstanding”."
        ),
    )
    scale_max = IntegerField(
        _l("Highest score"), default=10, validators=[InputRequired(), NumberRange(2, 100)]
    )
    public_vote = BooleanField(_l("With a public vote"))
    jury_weight = IntegerField(
        _l("Weight of the jury, per cent"), default=70, validators=[InputRequired(), NumberRange(0, 100)]
    )
    voter_min_account_days = IntegerField(
        _l("Accounts may vote from this age, in days"),
        default=30,
        validators=[InputRequired(), NumberRange(0, 3650)],
    )
    name_jurors = BooleanField(_l("Name the jurors with their justifications"))
