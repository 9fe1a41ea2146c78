"""Forms of the Plan's pages: the shape of input only; the rules live in ``services``."""

from __future__ import annotations

import re

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    Field,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import TextInput

from .models import STATUS_LABELS, UNIT_LABELS, Source

QUANTITY_MAX_CHARS = 24


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


_GROUPED = {
    # the page's language → (group separators, decimal separator)
    "ru": ((" ", "\u00a0", "\u202f"), ","),
    "tg": ((" ", "\u00a0", "\u202f"), ","),
    "en": ((",",), "."),
}
_SHAPE = re.compile(r"^(\d{1,3}(?:G\d{3})+|\d+)(?:D(\d{1,2}))?$")


def parse_quantity(text: str, lang: str) -> int:
    """Hundredths from a number written the way the page's language writes it (``1 500,5`` in
    Tajik and Russian, ``1,500.5`` in English, plain ``1500.5`` everywhere). Raises ValueError."""
    text = (text or "").strip()
    if not text or len(text) > QUANTITY_MAX_CHARS:
        raise ValueError
    groups, decimal = _GROUPED.get(lang, _GROUPED["en"])
    marked = []
    for ch in text:
        if ch in "0123456789":
            marked.append(ch)
        elif ch in groups:
            marked.append("G")
        elif ch == decimal or (ch == "." and decimal == ","):
            marked.append("D")
        else:
            raise ValueError
    m = _SHAPE.match("".join(marked))
    if not m:
        raise ValueError
    whole = int(m.group(1).replace("G", ""))
    frac = (m.group(2) or "").ljust(2, "0")
    return whole * 100 + int(frac or 0)


def quantity_example(lang: str) -> str:
    return "1 500,5" if lang in ("ru", "tg") else "1,500.5"


class QuantityField(Field):
    """A number with at most two decimals, kept as hundredths (``int``)."""

    widget = TextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        whole, frac = divmod(self.data, 100)
        lang = str(get_locale() or "en")
        sep = "," if lang in ("ru", "tg") else "."
        return f"{whole}{sep}{frac:02d}" if frac else str(whole)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not (valuelist[0] or "").strip():
            return
        lang = str(get_locale() or "en")
        try:
            self.data = parse_quantity(valuelist[0], lang)
        except ValueError:
            self.data = None
            raise ValueError(
                _l("Write a number with at most two decimals, for example %(ex)s.", ex=quantity_example(lang))
            ) from None


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    return int(value)


def _int_or_zero(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class PointForm(FlaskForm):
    group_id = SelectField(_l("Group"), coerce=_int_or_zero, validators=[InputRequired()])
    number = StringField(
        _l("Number"), validators=[InputRequired(), Length(max=16)], description=_l("For example 1.3")
    )
    text_tg = TextAreaField(_l("Text in Tajik"), validators=[InputRequired(), Length(max=5000)])
    text_ru = TextAreaField(_l("Text in Russian"), validators=[InputRequired(), Length(max=5000)])
    text_en = TextAreaField(_l("Text in English"), validators=[InputRequired(), Length(max=5000)])
    lead_agency_id = SelectField(_l("Lead agency"), coerce=_int_or_none, validators=[Optional()])
    supporting_ids = SelectMultipleField(_l("Supporting agencies"), coerce=int, validators=[Optional()])
    starts_on = DateField(_l("Period starts"), validators=[InputRequired()])
    ends_on = DateField(_l("Period ends"), validators=[InputRequired()])
    weight = IntegerField(
        _l("Weight"),
        default=1,
        validators=[InputRequired(), NumberRange(1, 100)],
        description=_l("How much this point counts in its group, from 1 to 100."),
    )
    is_example = BooleanField(_l("An example point (not from the adopted Plan)"))
    reason = TextAreaField(
        _l("Why this change"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Kept in the point's public history."),
    )
    save = SubmitField(_l("Save"))


class IndicatorForm(FlaskForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=24)])
    name_tg = StringField(_l("Name in Tajik"), validators=[InputRequired(), Length(max=300)])
    name_ru = StringField(_l("Name in Russian"), validators=[InputRequired(), Length(max=300)])
    name_en = StringField(_l("Name in English"), validators=[InputRequired(), Length(max=300)])
    unit = SelectField(
        _l("Unit"),
        choices=choices((k.value, v) for k, v in UNIT_LABELS.items()),
        validators=[InputRequired()],
    )
    currency = StringField(_l("Currency (for money)"), validators=[Optional(), Length(max=3)])
    ascending = BooleanField(_l("Higher is better"), default=True)
    baseline = QuantityField(_l("Baseline"), validators=[Optional()])
    source = SelectField(
        _l("Values come from"),
        choices=choices(
            [(Source.AGENCY.value, _l("the agencies' reports")), (Source.COMPUTED.value, _l("the portal"))]
        ),
        validators=[InputRequired()],
    )
    computed_key = SelectField(_l("What the portal computes"), validators=[Optional()])
    weight = IntegerField(_l("Weight"), default=1, validators=[InputRequired(), NumberRange(1, 100)])
    save = SubmitField(_l("Save"))


class OverrideForm(FlaskForm):
    status = SelectField(
        _l("Status"),
        choices=choices([("", _l("As computed"))] + [(k.value, v) for k, v in STATUS_LABELS.items()]),
        validators=[Optional()],
    )
    reason = TextAreaField(_l("Why"), validators=[InputRequired(), Length(max=5000)])
    save = SubmitField(_l("Set the status"))


class ReviewForm(FlaskForm):
    comment = TextAreaField(
        _l("Comment"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Required when the report is returned."),
    )
    accept = SubmitField(_l("Accept"))
    send_back = SubmitField(_l("Return for changes"))


class UnlockForm(FlaskForm):
    reason = TextAreaField(_l("Why the report is unlocked"), validators=[InputRequired(), Length(max=5000)])
    unlock = SubmitField(_l("Unlock"))


class SettingsForm(FlaskForm):
    ministry_id = SelectField(
        _l("Agency that reviews the reports"), coerce=_int_or_none, validators=[Optional()]
    )
    deadline_days = IntegerField(
        _l("Days after a quarter to report"), validators=[InputRequired(), NumberRange(1, 90)]
    )
    save = SubmitField(_l("Save"))


class MinistryReportForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(2020, 2100)])
    period = SelectField(
        _l("Period"),
        choices=choices(
            [
                ("q1", _l("1st quarter")),
                ("q2", _l("2nd quarter")),
                ("q3", _l("3rd quarter")),
                ("q4", _l("4th quarter")),
                ("h1", _l("1st half-year")),
                ("h2", _l("2nd half-year")),
            ]
        ),
        validators=[InputRequired()],
    )
    language = SelectField(
        _l("Language"), choices=choices([("tg", "Тоҷикӣ"), ("ru", "Русский")]), validators=[InputRequired()]
    )
    make = SubmitField(_l("Prepare the report"))


def report_form_class(indicators):
    """A form for one agency report: a value (or a description) and a note per indicator."""

    class ReportForm(FlaskForm):
        language = SelectField(
            _l("Language of the report"),
            choices=choices([("tg", "Тоҷикӣ"), ("ru", "Русский")]),
            validators=[InputRequired()],
        )
        narrative = TextAreaField(
            _l("What was done in the quarter"), validators=[Optional(), Length(max=20000)]
        )
        evidence = MultipleFileField(_l("Evidence (PDF or pictures)"))
        evidence_public = BooleanField(_l("The evidence may be published"))
        caption = StringField(_l("Caption of the evidence"), validators=[Optional(), Length(max=300)])
        save = SubmitField(_l("Save the draft"))
        submit = SubmitField(_l("Submit to the Ministry"))

    for ind in indicators:
        if ind.quantitative:
            setattr(
                ReportForm,
                f"value_{ind.id}",
                QuantityField(_l("Value at the end of the quarter"), validators=[Optional()]),
            )
        setattr(
            ReportForm,
            f"note_{ind.id}",
            TextAreaField(
                _l("Comment") if ind.quantitative else _l("Result"), validators=[Optional(), Length(max=5000)]
            ),
        )
    return ReportForm


def targets_form_class(quarters):
    class TargetsForm(FlaskForm):
        save = SubmitField(_l("Save the targets"))

    for y, q in quarters:
        setattr(TargetsForm, f"t_{y}_{q}", QuantityField(f"{y}-Q{q}", validators=[Optional()]))
    return TargetsForm
