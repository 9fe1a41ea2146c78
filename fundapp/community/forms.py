"""Community forms: the shape of input only; rules (allowed codes, who may) live in services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from fundapp.accounts.forms import country_choices

from . import vocab
from .models import OrganisationKind


class CheckboxesField(SelectMultipleField):
    """A list of checkboxes (usable without JavaScript, unlike a multiple select on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def kind_choices(include_agency: bool):
    return [
        (k.value, vocab.KIND_LABELS[k])
        for k in OrganisationKind
        if include_agency or k != OrganisationKind.government_agency
    ]


def language_choices():
    return [(c, vocab.language_label(c)) for c in vocab.LANGUAGE_CODES]


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), validators=[InputRequired()])
    country = SelectField(_l("Country"), validators=[InputRequired()])
    city = StringField(_l("City"), validators=[InputRequired(), Length(max=120)])
    languages = CheckboxesField(_l("Languages it works in"))
    fields = CheckboxesField(_l("Fields of activity"))
    year_founded = IntegerField(_l("Year founded"), validators=[Optional(), NumberRange(min=1900, max=2100)])
    website = URLField(_l("Website"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(
        _l("Short public description"), validators=[InputRequired(), Length(max=5000)]
    )
    registration_file = FileField(
        _l("Registration document (PDF or image; seen only by the fund's staff and your admins)")
    )

    def setup(self, *, include_agency: bool) -> OrganisationForm:
        self.kind.choices = kind_choices(include_agency)
        self.country.choices = [("", _l("— choose —")), *country_choices()]
        self.languages.choices = language_choices()
        self.fields.choices = list(vocab.FIELDS.items())
        return self

    def data_for_service(self) -> dict:
        return {
            "name": self.name.data,
            "kind": self.kind.data,
            "country": self.country.data,
            "city": self.city.data,
            "languages": self.languages.data,
            "fields": self.fields.data,
            "year_founded": self.year_founded.data,
            "website": self.website.data,
            "description": self.description.data,
        }


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (sent to the organisation)"), validators=[InputRequired(), Length(max=2000)]
    )


class InviteForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[InputRequired(), Length(max=254)])


class ContactForm(FlaskForm):
    subject = StringField(_l("Subject"), validators=[InputRequired(), Length(max=150)])
    message = TextAreaField(_l("Message"), validators=[InputRequired(), Length(max=5000)])
    share_address = BooleanField(_l("Show my email address to the organisation so they can answer"))


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token."""


class ResourceForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    language = SelectField(_l("Language"), validators=[InputRequired()])
    category = SelectField(_l("Category"), validators=[InputRequired()])
    audience = SelectField(_l("Audience"), validators=[InputRequired()])
    file = FileField(_l("File (PDF or image)"))
    url = URLField(_l("or a link"), validators=[Optional(), Length(max=500)])
    organisation_id = SelectField(_l("Published on behalf of"), validators=[Optional()])

    def setup(self, organisations, *, staff: bool) -> ResourceForm:
        self.language.choices = language_choices()
        self.category.choices = list(vocab.RESOURCE_CATEGORIES.items())
        self.audience.choices = list(vocab.RESOURCE_AUDIENCES.items())
        choices = [("", _l("The fund"))] if staff else []
        self.organisation_id.choices = choices + [(str(o.id), o.name) for o in organisations]
        return self

    def data_for_service(self) -> dict:
        return {
            k: getattr(self, k).data
            for k in ("title", "description", "language", "category", "audience", "url", "organisation_id")
        }


def parse_budget(text: str | None, currency: str | None):
    """A support request's optional budget as ``Money`` (None when left empty), strictly: digits
    with at most the currency's decimals, above zero. Kept to this one function so a shared money
    field can replace it."""
    import re

    from fundapp.core.money import Money, MoneyError

    text = (text or "").strip()
    if not text:
        return None
    if not re.fullmatch(r"\d[\d \u00a0\u202f]*(?:[.,]\d+)?", text):  # no signs, exponents or words
        raise ValueError(str(_l("Enter an amount such as 1500 or 1500.50.")))
    try:
        money = Money.parse(text, currency or "")
    except (MoneyError, ValueError, KeyError):
        raise ValueError(str(_l("Enter an amount such as 1500 or 1500.50."))) from None
    if money.amount <= 0:
        raise ValueError(str(_l("Enter an amount above zero.")))
    return money


class SupportForm(FlaskForm):
    organisation_id = SelectField(_l("For"), validators=[Optional()])
    kind = SelectField(_l("What help is needed"), validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[InputRequired(), Length(max=10000)])
    needs = TextAreaField(_l("What exactly is needed"), validators=[Optional(), Length(max=5000)])
    budget = StringField(_l("Budget, if money is needed (optional)"), validators=[Optional(), Length(max=30)])
    currency = SelectField(_l("Currency"), validators=[Optional()])
    attachment = FileField(_l("Attachment (PDF or image, optional)"))

    def setup(self, organisations, kinds, currencies) -> SupportForm:
        self.organisation_id.choices = [("", _l("An organisation being founded"))] + [
            (str(o.id), o.name) for o in organisations
        ]
        self.kind.choices = list(kinds.items())
        self.currency.choices = [(c, c) for c in currencies]
        return self


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Note for the requester"), validators=[InputRequired(), Length(max=3000)])


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Your answer"), validators=[InputRequired(), Length(max=5000)])


class LinkProjectForm(FlaskForm):
    project_id = SelectField(_l("Your project"), validators=[InputRequired()])


class SpecialistForm(FlaskForm):
    field = SelectField(lazy_pgettext("field of activity", "Field"), validators=[InputRequired()])
    skills = CheckboxesField(_l("Skills"))
    tags = StringField(_l("Other skills, separated by commas"), validators=[Optional(), Length(max=300)])
    years = IntegerField(_l("Years of experience"), validators=[InputRequired(), NumberRange(min=0, max=70)])
    languages = CheckboxesField(_l("Languages you work in"))
    country = SelectField(_l("Country where you live"), validators=[InputRequired()])
    availability = CheckboxesField(_l("Availability"))
    summary = TextAreaField(_l("About your work"), validators=[Optional(), Length(max=3000)])
    visibility = SelectField(_l("Who may see the profile"), validators=[InputRequired()])
    cv = FileField(_l("CV (PDF; seen only by the fund's staff and the owners of needs you answer)"))

    def setup(self) -> SpecialistForm:
        from . import specialists

        self.field.choices = [("", _l("— choose —")), *vocab.FIELDS.items()]
        self.skills.choices = list(specialists.SKILLS.items())
        self.languages.choices = language_choices()
        self.country.choices = [("", _l("— choose —")), *country_choices()]
        self.availability.choices = list(specialists.AVAILABILITY.items())
        self.visibility.choices = [(str(k), v) for k, v in specialists.VISIBILITY_LABELS.items()]
        return self

    def data_for_service(self) -> dict:
        return {
            k: getattr(self, k).data
            for k in (
                "field",
                "skills",
                "tags",
                "years",
                "languages",
                "country",
                "availability",
                "summary",
                "visibility",
            )
        }


class NeedForm(FlaskForm):
    owner = SelectField(_l("For"), validators=[InputRequired()])
    role = StringField(_l("Role"), validators=[InputRequired(), Length(max=200)])
    skills = CheckboxesField(_l("Skills"))
    languages = CheckboxesField(_l("Languages"))
    country = SelectField(_l("Where the specialists should live (optional)"), validators=[Optional()])
    months = IntegerField(_l("Duration in months"), validators=[InputRequired(), NumberRange(min=1, max=60)])
    on_site = BooleanField(_l("On site in Tajikistan (otherwise remote)"))
    stipend = BooleanField(_l("With a stipend (otherwise volunteer)"))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])

    def setup(self, owners) -> NeedForm:
        from . import specialists

        self.owner.choices = owners
        self.skills.choices = list(specialists.SKILLS.items())
        self.languages.choices = language_choices()
        self.country.choices = [("", _l("Anywhere")), *country_choices()]
        return self

    def data_for_service(self) -> dict:
        return {
            k: getattr(self, k).data
            for k in (
                "owner",
                "role",
                "skills",
                "languages",
                "country",
                "months",
                "on_site",
                "stipend",
                "description",
            )
        }


class InterestForm(FlaskForm):
    join_team = BooleanField(_l("If accepted, join the project's team and be named on its page"))
    back = HiddenField()  # "mine": the step was taken from the specialist's own page


class InviteTargetForm(FlaskForm):
    """The invite button beside a matching specialist: the need is named by a hidden field."""

    need_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])


class InviteSpecialistForm(FlaskForm):
    need_id = SelectField(_l("Your need"), validators=[InputRequired()])
