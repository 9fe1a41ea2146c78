"""Forms of proposals: the shape of input only (what is required, how long, which choices, how an
amount or a rate is read); the services check the rules of a project. Every form reports all of
its errors at once and keeps what was typed."""

from __future__ import annotations

from fractions import Fraction

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
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

from fundapp.core import geo
from fundapp.core.forms import MoneyField, RateField, amount_message, page_locale

from .models import FUNDING_MODEL_LABELS, REPAYMENT_LABELS, FundingModel

REQUIRED = _l("This field is required.")


class _Typed:
    """A field whose unreadable input is reported once, in the fund's words (``invalid``)."""

    def __init__(self, label=None, validators=None, *, invalid=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid = invalid

    def process_formdata(self, valuelist):
        if valuelist and not str(valuelist[0]).strip():
            self.data = None  # empty: the validators say whether that is allowed
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(self.invalid)) from None

    def pre_validate(self, form):
        super().pre_validate(form)
        if self.process_errors:
            raise StopValidation()


class WholeNumberField(_Typed, IntegerField):
    pass


class DayField(_Typed, DateField):
    pass


LOAN_TERMS = _l("A loan needs an annual rate, a term and a repayment type.")
DATE_INVALID = _l("Enter a date as YYYY-MM-DD.")


class ProposalForm(FlaskForm):
    """The single-valued fields of a proposal (new draft and editing)."""

    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    summary = TextAreaField(
        _l("Summary"),
        validators=[DataRequired(REQUIRED), Length(max=500)],
        description=_l("One or two sentences: what, where, for whom."),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=20000)],
        description=_l(
            "The full story: the need, the plan, who benefits. Markdown is allowed (**bold**, lists, links)."
        ),
        render_kw={"class": "tall"},
    )
    category = SelectField(_l("Category"), validators=[DataRequired(_l("Choose a category."))])
    home_district = SelectField(
        _l("Home district or city"), validators=[DataRequired(_l("Choose the home district or city."))]
    )
    diaspora_organisation = StringField(
        _l("Diaspora organisation (optional)"), validators=[Optional(), Length(max=200)]
    )
    funding_model = SelectField(_l("Funding model"), validators=[DataRequired(_l("Choose a funding model."))])
    goal = MoneyField(_l("Goal"), currency_field="currency")
    currency = SelectField(_l("Currency"), validators=[DataRequired(_l("This currency is not supported."))])
    campaign_days = WholeNumberField(
        _l("Campaign length, days"),
        invalid=_l("Enter a whole number of days."),
        default=60,
        validators=[
            InputRequired(_l("Enter a whole number of days.")),
            NumberRange(1, 365, _l("A campaign lasts from 1 to 365 days.")),
        ],
        render_kw={"min": 1, "max": 365},
    )
    annual_rate = RateField(
        _l("Annual rate, percent a year"),
        max_digits=5,
        max_decimals=2,
        allow_zero=True,
        maximum=Fraction(100),
        optional=True,
    )
    term_months = WholeNumberField(
        _l("Term, months"),
        invalid=_l("Enter the term in whole months."),
        validators=[Optional(), NumberRange(1, 240, _l("The term is from 1 to 240 months."))],
        render_kw={"min": 1, "max": 240},
    )
    repayment_type = SelectField(_l("Repayment"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        none = SelectChoice("", "—")
        self.category.choices = [none, *(SelectChoice(k, v) for k, v in geo.CATEGORIES.items())]
        self.home_district.choices = [
            none,
            *(
                SelectChoice(key, name, optgroup=region)
                for region, districts in geo.district_choices()
                for key, name in districts
            ),
        ]
        self.funding_model.choices = [SelectChoice(k, v) for k, v in FUNDING_MODEL_LABELS.items()]
        self.currency.choices = [SelectChoice(c, c) for c in current_app.config["SUPPORTED_CURRENCIES"]]
        self.repayment_type.choices = [none, *(SelectChoice(k, v) for k, v in REPAYMENT_LABELS.items())]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.goal.data is None and not self.goal.errors:
            # the currency was not chosen: the goal is still reported, not left silent
            self.goal.errors.append(str(amount_message("empty", "TJS", page_locale())))
            ok = False
        if self.funding_model.data == FundingModel.LOAN:
            if self.annual_rate.data is None and not self.annual_rate.errors:
                self.annual_rate.errors.append(
                    str(_l("A loan needs an annual rate, a term and a repayment type."))
                )
                ok = False
            if self.term_months.data is None and not self.term_months.errors:
                self.term_months.errors.append(str(_l("Enter the term in whole months.")))
                ok = False
            if not self.repayment_type.data:
                self.repayment_type.errors.append(str(_l("Choose how the loan is repaid.")))
                ok = False
        return ok

    def data_for_service(self) -> dict:
        """The checked values, as ``services.create_proposal`` / ``update_proposal`` take them."""
        return {
            "title": self.title.data or "",
            "summary": self.summary.data or "",
            "description": self.description.data or "",
            "category": self.category.data,
            "home_district": self.home_district.data,
            "diaspora_organisation": self.diaspora_organisation.data or "",
            "funding_model": self.funding_model.data,
            "goal": self.goal.data,
            "currency": self.currency.data,
            "campaign_days": self.campaign_days.data,
            "annual_rate": self.annual_rate.data,
            "term_months": self.term_months.data,
            "repayment_type": self.repayment_type.data or "",
        }


class BudgetLineForm(FlaskForm):
    label = StringField(_l("Item"), validators=[DataRequired(REQUIRED), Length(max=200)])
    amount = MoneyField(_l("Amount"))  # the view sets the project's currency


class MilestoneForm(FlaskForm):
    title = StringField(_l("What will be done"), validators=[DataRequired(REQUIRED), Length(max=200)])
    due_date = DayField(_l("By when"), validators=[Optional()], invalid=DATE_INVALID)
    amount = MoneyField(_l("Share of the budget"))  # the view sets the project's currency
    description = TextAreaField(_l("Details (optional)"), validators=[Optional(), Length(max=2000)])


class TeamMemberForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    role = StringField(_l("Role in the project"), validators=[Optional(), Length(max=200)])
    email = StringField(
        _l("Their email, if they are a member of the portal (optional)"),
        validators=[Optional(), Length(max=320), Email(_l("Enter an email address like name@example.org."))],
    )


class AttachmentForm(FlaskForm):
    """A document or picture of the proposal; its own ids, as it shares the editor's page. The
    file is checked by its content when stored; one chosen on a refused submit is held."""

    title = StringField(_l("Title"), id="att-title", validators=[Optional(), Length(max=200)])
    file = FileField(
        _l("File (PDF, PNG, JPEG or WebP)"),
        id="att-file",
        render_kw={"accept": "application/pdf,image/png,image/jpeg,image/webp"},
    )


class RowForm(FlaskForm):
    """Removing one row (budget line, milestone, team member, attachment) of the proposal."""

    row = HiddenField()


class AnswerForm(FlaskForm):
    answer = HiddenField()


class FollowForm(FlaskForm):
    action = HiddenField()


class ConfirmForm(FlaskForm):
    confirm = HiddenField()


class TransitionForm(FlaskForm):
    transition = HiddenField()
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)])
    council_decision = StringField(validators=[Optional()])
    starts_on = DayField(validators=[Optional()], invalid=DATE_INVALID)
    ends_on = DayField(validators=[Optional()], invalid=DATE_INVALID)


class UpdateForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(REQUIRED), Length(max=10000)])
