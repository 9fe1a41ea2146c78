"""Reading people's text: trimmed, without control characters, within a length."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from fundapp.core.errors import ValidationFailed

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value, limit: int, field: str, *, required: bool = False) -> str:
    text = _CONTROL.sub("", str(value or "")).strip()
    if required and not text:
        raise ValidationFailed(_l("This field is required."), field=field)
    if len(text) > limit:
        raise ValidationFailed(_l("At most %(n)s characters.", n=limit), field=field)
    return text
