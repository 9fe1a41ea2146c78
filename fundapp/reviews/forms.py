"""Forms of reviews: the shape of input only; the services check the rules of a review."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from .models import CRITERIA, RECOMMENDATION_LABELS, Recommendation

SCORE = _l("Give a score from 1 to 5.")


class ReviewForm(FlaskForm):
    """The rubric: a score and a comment per criterion, a recommendation and its explanation;
    ``{criterion}_score`` and ``{criterion}_comment`` fields are added for each of ``CRITERIA``."""

    recommendation = RadioField(
        _l("Recommendation"), validators=[InputRequired(_l("Choose a recommendation."))]
    )
    summary = TextAreaField(
        _l("Explanation (required unless you recommend approval)"), validators=[Optional(), Length(max=8000)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.recommendation.choices = [SelectChoice(k, v) for k, v in RECOMMENDATION_LABELS.items()]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        rec = self.recommendation.data
        if rec and rec != Recommendation.APPROVE and not (self.summary.data or "").strip():
            self.summary.errors.append(str(_l("Please explain your recommendation.")))
            ok = False
        return ok

    def scores(self) -> dict:
        return {k: self[f"{k}_score"].data for k in CRITERIA}

    def comments(self) -> dict:
        return {k: self[f"{k}_comment"].data or "" for k in CRITERIA}


for _key, _label in CRITERIA.items():
    setattr(
        ReviewForm,
        f"{_key}_score",
        RadioField(
            _label,
            choices=[SelectChoice(n, str(n)) for n in range(1, 6)],
            coerce=int,
            validators=[InputRequired(SCORE)],
        ),
    )
    setattr(
        ReviewForm, f"{_key}_comment", TextAreaField(_l("Comment"), validators=[Optional(), Length(max=4000)])
    )


class DeclareForm(FlaskForm):
    conflict = RadioField(
        choices=[SelectChoice("no", "no"), SelectChoice("yes", "yes")],
        validators=[InputRequired(_l("Please choose one answer."))],
    )
    note = TextAreaField(validators=[Optional(), Length(max=2000)])


class AssignForm(FlaskForm):
    reviewer = StringField(validators=[DataRequired()])
