"""Forms of the accounts pages: the shape of input only (rules live in services)."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional, Regexp, ValidationError

from fundapp.core import geo

from .services import GRANTABLE_ROLES, PASSWORD_MAX, PASSWORD_MIN

REGIONS = tuple(geo.REGIONS.items())
LANGUAGE_CHOICES = (("tg", "Тоҷикӣ"), ("ru", "Русский"), ("en", "English"))
NOT_CHOSEN = _l("— not chosen —")


def _choices(pairs, *, blank: bool = False, optgroup=None) -> list[SelectChoice]:
    items = [SelectChoice("", NOT_CHOSEN)] if blank else []
    return items + [SelectChoice(value, label, optgroup=optgroup) for value, label in pairs]


ROLE_LABELS = {
    "member": _l("Member"),
    "reviewer": _l("Reviewer"),
    "administrator": _l("Administrator"),
    "treasurer": _l("Treasurer"),
    "auditor": _l("Auditor"),
}
# Not countries: continents, unions and private-use codes in CLDR's territory list.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}


def country_choices():
    """ISO 3166-1 alpha-2 codes with names in the current language, sorted by name."""
    names = get_locale().territories
    items = [(code, name) for code, name in names.items() if len(code) == 2 and code.isalpha()]
    items = [(c, n) for c, n in items if c not in _NOT_COUNTRIES]
    return sorted(items, key=lambda item: item[1])


def _no_control_chars(form, field):
    if field.data and any(ord(ch) < 32 and ch not in "\n\r\t" for ch in field.data):
        raise ValidationError(_l("Please remove the invisible control characters."))


_email = [
    InputRequired(message=_l("Please enter your email address.")),
    Length(max=320, message=_l("This email address is too long.")),
    Email(message=_l("Please enter a valid email address."), check_deliverability=False),
]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


_password_length = Length(
    min=PASSWORD_MIN,
    max=PASSWORD_MAX,
    message=_l(
        "The password must be %(min)s to %(max)s characters long.", min=PASSWORD_MIN, max=PASSWORD_MAX
    ),
)


class RegisterForm(FlaskForm):
    full_name = StringField(
        _l("Full name"),
        validators=[
            InputRequired(message=_l("Please enter your name.")),
            Length(max=200, message=_l("Please use at most %(max)s characters.", max=200)),
            _no_control_chars,
        ],
    )
    email = EmailField(_l("Email"), validators=_email, filters=[_strip])
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(message=_l("Please choose a password.")), _password_length],
        description=_l(
            "At least %(n)s characters; a few unrelated words are easy to remember.", n=PASSWORD_MIN
        ),
    )
    password_again = PasswordField(
        _l("Password again"),
        validators=[
            InputRequired(message=_l("Please repeat the password.")),
            EqualTo("password", message=_l("The two passwords differ.")),
        ],
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=_email, filters=[_strip])
    password = PasswordField(
        _l("Password"),
        validators=[
            InputRequired(message=_l("Please enter your password.")),
            Length(max=PASSWORD_MAX, message=_l("The email or password is wrong.")),
        ],
    )


class TotpForm(FlaskForm):
    code = StringField(
        _l("Six-digit code"),
        validators=[
            InputRequired(message=_l("Please enter the code from your authenticator app.")),
            Regexp(r"^\s*[0-9]{3}\s?[0-9]{3}\s*$", message=_l("The code is six digits.")),
        ],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class ReplaceTotpForm(TotpForm):
    """Replacing a working authenticator: the password and a code from the current one prove
    that the person, not merely a session, asks for it."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[
            InputRequired(message=_l("Please enter your current password.")),
            Length(max=PASSWORD_MAX),
        ],
    )
    current_code = StringField(
        _l("Code from your current authenticator"),
        validators=[
            InputRequired(message=_l("Please enter the code from your authenticator app.")),
            Regexp(r"^\s*[0-9]{3}\s?[0-9]{3}\s*$", message=_l("The code is six digits.")),
        ],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=_email, filters=[_strip])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[InputRequired(message=_l("Please choose a password.")), _password_length],
    )
    password_again = PasswordField(
        _l("New password again"),
        validators=[
            InputRequired(message=_l("Please repeat the password.")),
            EqualTo("password", message=_l("The two passwords differ.")),
        ],
    )


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[
            InputRequired(message=_l("Please enter your current password.")),
            Length(max=PASSWORD_MAX),
        ],
    )


def _text(label, max_len, *, required=False, description=None):
    first = InputRequired(message=_l("This field is required.")) if required else Optional()
    return StringField(
        label,
        validators=[
            first,
            Length(max=max_len, message=_l("Please use at most %(max)s characters.", max=max_len)),
            _no_control_chars,
        ],
        description=description,
    )


class ProfileForm(FlaskForm):
    full_name = _text(_l("Full name"), 200, required=True)
    public_name = _text(
        _l("Public name"),
        200,
        description=_l("Shown instead of your full name where you choose to be named."),
    )
    show_name_publicly = BooleanField(_l("Show my name when I back a project"))
    phone = StringField(
        _l("Phone"),
        validators=[
            Optional(),
            Length(max=40, message=_l("Please use at most %(max)s characters.", max=40)),
            Regexp(r"^\+?[0-9 ()\-]{5,40}$", message=_l("Please enter a phone number with digits only.")),
        ],
    )
    country_of_residence = SelectField(
        _l("Country of residence"), validators=[Optional()], validate_choice=True
    )
    city_of_residence = _text(_l("City of residence"), 120)
    home_region = SelectField(
        _l("Home region in Tajikistan"),
        choices=_choices(REGIONS, blank=True),
        validators=[Optional()],
    )
    if geo is not None:
        home_district = SelectField(
            _l("Home district or city"), validators=[Optional()], validate_choice=False
        )
    else:  # pragma: no cover
        home_district = _text(_l("Home district or city"), 80)
    languages = _text(_l("Languages you speak"), 200)
    skills = TextAreaField(
        _l("Skills and profession"),
        validators=[
            Optional(),
            Length(max=2000, message=_l("Please use at most %(max)s characters.", max=2000)),
            _no_control_chars,
        ],
    )
    preferred_language = SelectField(_l("Language of the site and email"), choices=_choices(LANGUAGE_CHOICES))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country_of_residence.choices = _choices(country_choices(), blank=True)
        if geo is not None:
            districts = [SelectChoice("", NOT_CHOSEN)]
            for region_name, items in geo.district_choices():
                districts += _choices(items, optgroup=str(region_name))
            self.home_district.choices = districts

    def validate_home_district(self, field):
        if geo is None or not field.data:
            return
        if not geo.is_valid_place(self.home_region.data, field.data):
            raise ValidationError(_l("This district is not in the chosen region."))


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search by email or name"), validators=[Optional(), Length(max=100)])


class _ActionForm(FlaskForm):
    """A button that acts on a row: every post is already checked by the app-wide CSRF guard, and a
    step-up replays the held fields in place of the body."""

    class Meta:
        csrf = False

    q = StringField(validators=[Optional(), Length(max=100)])


class RoleChangeForm(_ActionForm):
    role = SelectField(_l("Role"), choices=[], validators=[InputRequired()])
    action = SelectField(
        _l("Change"),
        choices=[SelectChoice("grant", _l("Ask for")), SelectChoice("revoke", _l("Remove"))],
        validators=[InputRequired()],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice(r, ROLE_LABELS.get(r, r)) for r in GRANTABLE_ROLES]


class RoleDecisionForm(_ActionForm):
    decision = SelectField(
        _l("Decision"),
        choices=[SelectChoice("approve", _l("Approve")), SelectChoice("refuse", _l("Turn down"))],
        validators=[InputRequired()],
    )


class ResetTotpForm(_ActionForm):
    pass
