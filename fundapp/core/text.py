"""Text people type, cleaned one way everywhere: trimmed, control characters removed (line breaks
and tabs kept), checked for presence and length. A refusal is ``ValidationFailed`` naming the
field, so the form shows it beside that field."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from .errors import ValidationFailed

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(
    value, limit: int, field: str, *, required: bool = False, message=None, refuse_control: bool = False
) -> str:
    """``value`` trimmed and without control characters; ``""`` when empty and not required.

    With ``refuse_control`` a control character is refused instead of dropped: for references
    and names that must reach a bank or a ledger exactly as the person typed them."""
    text = str(value or "")
    if not refuse_control:
        text = _CONTROL.sub("", text)
    text = text.strip()
    if required and not text:
        raise ValidationFailed(message or _l("This field is required."), field=field)
    if len(text) > limit:
        raise ValidationFailed(_l("At most %(n)s characters.", n=limit), field=field)
    if refuse_control and _CONTROL.search(text):
        raise ValidationFailed(_l("This text contains characters that cannot be used."), field=field)
    return text
