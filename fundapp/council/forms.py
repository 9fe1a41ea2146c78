"""Forms of the Council domain: the shape of input only; the services check the rules."""

from __future__ import annotations

from fractions import Fraction

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from fundapp.core.forms import RateField


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
