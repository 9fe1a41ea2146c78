"""Forms of competitions: the shape of input only; the services check the rules."""

from __future__ import annotations

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
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from fundapp.core.forms import MoneyField

CURRENCIES = ("TJS", "RUB", "USD", "EUR")


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
    ``justification_<criterion>``, built from the edition's rubric by :func:`score_form_for`."""

    def scores(self, criteria) -> dict:
        return {
            c.id: {
                "score": self[f"score_{c.id}"].data or "",
                "justification": self[f"justification_{c.id}"].data or "",
            }
            for c in criteria
        }


def _whole_number(high: int):
    message = _l("Give a whole number from 1 to %(max)s.", max=high)

    def check(form, field):
        value = (field.data or "").strip()
        if not value.isdigit() or len(value) > 6 or not 1 <= int(value) <= high:
            raise StopValidation(str(message))

    return check


def score_form_for(edition) -> type[ScoreForm]:
    """The score form of ``edition``: a score and a justification per criterion, both required."""
    high = edition.scale_max

    class EditionScoreForm(ScoreForm):
        pass

    for c in edition.criteria:
        setattr(
            EditionScoreForm,
            f"score_{c.id}",
            StringField(
                _l("Score from 1 to %(max)s", max=high),
                validators=[InputRequired(), _whole_number(high)],
                render_kw={"inputmode": "numeric", "type": "number", "min": 1, "max": high},
            ),
        )
        setattr(
            EditionScoreForm,
            f"justification_{c.id}",
            TextAreaField(_l("Justification"), validators=[DataRequired(), Length(max=2000)]),
        )
    return EditionScoreForm


class VoteForm(FlaskForm):
    nomination = RadioField(_l("Your choice"), coerce=int, validators=[InputRequired()])


class PrizeForm(FlaskForm):
    category = SelectField(_l("Category"), coerce=int, validators=[InputRequired()])
    place = IntegerField(_l("Place"), validators=[InputRequired(), NumberRange(min=1, max=20)])
    amount = MoneyField(
        _l("Money prize"),
        currency_field="currency",
        optional=True,
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
