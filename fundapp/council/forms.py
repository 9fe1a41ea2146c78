"""Forms of the Council domain: the shape of input only; the services check the rules."""

from __future__ import annotations

from fractions import Fraction

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from fundapp.core.forms import RateField
from fundapp.proposals.forms import DayField, WholeNumberField


class RateForm(FlaskForm):
    currency = SelectField(_l("Currency"), validators=[DataRequired()])
    rate = RateField(
        _l("Somoni for one unit of the currency"),
        max_digits=12,
        max_decimals=8,
        minimum=Fraction(1, 10**8),
        description=_l("For example 10.95 for one US dollar, 0.1215 for one rouble."),
    )
    valid_from = DateField(_l("Holds from"), validators=[InputRequired()])
    source = StringField(
        _l("Source"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("Where the rate comes from, e.g. the National Bank's official rate of that day."),
    )


DATE_INVALID = _l("Enter a date as YYYY-MM-DD.")
VOTES = _l("Enter a number from 0 to 1000.")


def _votes(label):
    return WholeNumberField(
        label,
        default=0,
        invalid=_l("Enter a whole number."),
        validators=[Optional(), NumberRange(min=0, max=1000, message=VOTES)],
        render_kw={"min": 0, "max": 1000, "inputmode": "numeric"},
    )


class DecisionForm(FlaskForm):
    """A Council decision as an administrator records it; ``record_decision`` checks the rules
    (a number not used before, no date in the future, projects that may be decided on)."""

    number = StringField(
        _l("Number"), validators=[DataRequired(_l("Enter the decision's number.")), Length(max=40)]
    )
    decided_on = DayField(
        _l("Date"),
        invalid=DATE_INVALID,
        validators=[InputRequired(_l("Enter the date of the decision."))],
    )
    agenda_item = StringField(
        _l("Agenda item"), validators=[DataRequired(_l("Enter the agenda item.")), Length(max=300)]
    )
    votes_for = _votes(_l("Votes for"))
    votes_against = _votes(_l("Votes against"))
    votes_abstained = _votes(_l("Abstained"))
    # The service says whether each project may be decided on: a choice not on the list gets its
    # clear refusal, not WTForms' "not a valid choice".
    projects = SelectMultipleField(
        _l("Projects the decision is about"),
        coerce=int,
        validate_choice=False,
        description=_l("Only these projects may cite the decision, for their approval or their payouts."),
        render_kw={"size": 6},
    )
    summary = TextAreaField(_l("What was decided"), validators=[Optional(), Length(max=10000)])
    minutes = FileField(_l("Minutes (PDF, public)"), render_kw={"accept": "application/pdf"})
