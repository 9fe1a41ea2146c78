"""Forms of the events pages: the shape of input only. The rules of an event's details live in
``services.clean_event_data``, which reports every problem at once; the view puts each beside its
field (``fundapp.core.forms.put_errors``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from .models import AUDIENCE_LABELS, KIND_LABELS, LANGS

LANG_NAMES = {"tg": _l("Tajik"), "ru": _l("Russian"), "en": _l("English")}
TIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")


class _Marked:
    """Marks a field as required on the page; the service says what is missing, all at once."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        return None


def _local(label, *, required: bool = False, description=None):
    return StringField(
        label,
        validators=[_Marked()] if required else [],
        description=description,
        render_kw={"type": "datetime-local"},
    )


class EventForm(FlaskForm):
    kind = SelectField(_l("Kind"), validators=[_Marked()], validate_choice=False)
    audience = SelectField(_l("For whom"), default="everyone", validate_choice=False)
    organisation_id = SelectField(_l("Organisation"), validate_choice=False)
    co_organiser_ids = SelectMultipleField(
        _l("Co-organising organisations"), validate_choice=False, render_kw={"size": 4}
    )
    timezone = StringField(
        _l("Time zone of the event"),
        validators=[_Marked()],
        description=_l("The times below are in this zone, e.g. Europe/Moscow."),
        render_kw={"list": "zones", "autocomplete": "off"},
    )
    starts_at = _local(_l("Starts"), required=True)
    ends_at = _local(_l("Ends"), required=True)
    registration_opens_at = _local(_l("Registration opens (optional)"))
    registration_closes_at = _local(
        _l("Registration closes (optional)"),
        description=_l("Without a date, registration closes when the event starts."),
    )
    country = StringField(
        _l("Country (two-letter code, e.g. RU)"),
        render_kw={"maxlength": 2, "autocapitalize": "characters"},
    )
    city = StringField(_l("City"), render_kw={"maxlength": 120})
    venue = StringField(_l("Venue"), render_kw={"maxlength": 200})
    address = StringField(_l("Address"), render_kw={"maxlength": 300})
    online_url = StringField(
        _l("Online link (shown only to registered people)"),
        render_kw={"maxlength": 500, "type": "url", "placeholder": "https://"},
    )
    capacity = StringField(
        _l("Seats"),
        validators=[_Marked()],
        render_kw={"type": "number", "min": 1, "max": 100000, "inputmode": "numeric"},
    )
    max_guests = StringField(
        _l("Guests a person may bring"),
        render_kw={"type": "number", "min": 0, "max": 20, "inputmode": "numeric"},
    )
    questions = TextAreaField(
        _l("Questions to people registering (optional, one a line)"), render_kw={"rows": 3}
    )
    project_ids = StringField(
        _l("Linked projects (numbers, separated by commas)"), render_kw={"inputmode": "numeric"}
    )

    def setup(self, *, holders, staff: bool, verified) -> EventForm:
        self.kind.choices = [SelectChoice("", "—")] + [
            SelectChoice(k.value, label) for k, label in KIND_LABELS.items()
        ]
        self.audience.choices = [SelectChoice(a.value, label) for a, label in AUDIENCE_LABELS.items()]
        self.organisation_id.choices = ([SelectChoice("", _l("Hamvatan Fund"))] if staff else []) + [
            SelectChoice(str(o.id), o.name) for o in holders
        ]
        self.co_organiser_ids.choices = [SelectChoice(str(o.id), o.name) for o in verified]
        return self

    def values(self) -> dict:
        """What was typed, as the service reads it."""
        out = {name: (self[name].data or "") for name in self._names()}
        out["co_organiser_ids"] = list(self.co_organiser_ids.data or [])
        return out

    @classmethod
    def _names(cls):
        names = [
            "kind", "audience", "organisation_id", "timezone", *TIME_FIELDS, "country", "city",
            "venue", "address", "online_url", "capacity", "max_guests", "questions", "project_ids",
        ]  # fmt: skip
        for lang in LANGS:
            names += [f"title_{lang}", f"description_{lang}"]
        return names


for _lang in LANGS:
    setattr(
        EventForm,
        f"title_{_lang}",
        StringField(
            _l("Title (%(language)s)", language=LANG_NAMES[_lang]),
            render_kw={"lang": _lang, "maxlength": 200},
        ),
    )
    setattr(
        EventForm,
        f"description_{_lang}",
        TextAreaField(
            _l("Description (%(language)s)", language=LANG_NAMES[_lang]),
            render_kw={"lang": _lang, "maxlength": 20000, "rows": 4},
        ),
    )


def _whole(low: int, high: int):
    def check(form, field):
        raw = (field.data or "").strip()
        if not raw:
            return
        if not raw.isdigit() or len(raw) > 9:
            raise ValidationError(_l("Enter a whole number."))
        if not low <= int(raw) <= high:
            raise ValidationError(_l("Enter a number from %(low)s to %(high)s.", low=low, high=high))

    return check


class ReportForm(FlaskForm):
    summary = TextAreaField(
        _l("What happened"),
        validators=[DataRequired(message=_l("Write a short summary.")), Length(max=20000)],
        render_kw={"rows": 6},
    )
    attendance = StringField(
        _l("People attending"),
        validators=[InputRequired(message=_l("Enter a whole number.")), _whole(0, 1_000_000)],
        render_kw={"type": "number", "min": 0, "inputmode": "numeric"},
    )
    partners = TextAreaField(
        _l("Organisations taking part"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2}
    )
    project_ids = StringField(
        _l("Linked projects (numbers, separated by commas)"), validators=[Optional(), Length(max=500)]
    )

    def values(self) -> dict:
        return {name: self[name].data or "" for name in ("summary", "attendance", "partners", "project_ids")}


class DoorForm(FlaskForm):
    code = StringField(_l("Code on the person's ticket"), validators=[Optional(), Length(max=40)])
    guests = StringField(_l("Guests who came"), validators=[Optional(), _whole(0, 1_000)])


class _ButtonForm(FlaskForm):
    """A button on the event's page: posts are already checked by the app-wide CSRF guard."""

    class Meta:
        csrf = False


class StateForm(_ButtonForm):
    action = SelectField(
        choices=[SelectChoice(v, v) for v in ("publish", "postpone", "cancel")],
        validators=[InputRequired()],
    )
    reason = TextAreaField(
        _l("Why (sent to registered people)"),
        validators=[
            Optional(),
            Length(max=2000, message=_l("Say why, in a few words (at most 2000 characters).")),
        ],
        render_kw={"rows": 2, "maxlength": 2000},
    )

    def for_action(self, action: str) -> StateForm:
        """The reason field of the form of one transition (postpone, cancel): its own id."""
        self.reason.id = self.reason.label.field_id = f"reason-{action}"
        return self


class PhotoForm(_ButtonForm):
    photo = FileField(
        _l("Photo (JPEG, PNG or WebP; it will be public)"),
        validators=[FileRequired(message=_l("Choose a photo to add."))],
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )
    caption = StringField(_l("Caption"), validators=[Optional(), Length(max=300)])


class RegistrationForm(_ButtonForm):
    """Guests and the answers to the event's questions (fields ``q<id>``, see ``registration_form_for``)."""

    guests = StringField(
        _l("Guests coming with you"),
        default="0",
        validators=[Optional(), _whole(0, 1_000)],
        render_kw={"type": "number", "min": 0, "inputmode": "numeric"},
    )

    def answers(self, event) -> dict:
        return {str(q.id): self[f"q{q.id}"].data or "" for q in event.questions}


def registration_form_for(event) -> type[RegistrationForm]:
    class EventRegistrationForm(RegistrationForm):
        pass

    for q in event.questions:
        setattr(
            EventRegistrationForm,
            f"q{q.id}",
            TextAreaField(
                q.text,
                validators=[Optional(), Length(max=1000, message=_l("At most %(n)s characters.", n=1000))],
                render_kw={"rows": 2, "maxlength": 1000},
            ),
        )
    return EventRegistrationForm
