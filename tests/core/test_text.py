"""``core.text.clean_text``: the one way text people type is cleaned."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from fundapp.core.errors import ValidationFailed
from fundapp.core.text import clean_text


def test_control_characters_are_dropped_and_the_text_trimmed(app):
    """Are control characters removed (line breaks and tabs kept) and the ends trimmed?"""
    assert clean_text(" \x00Kulob\x07 road\r\n\tnear the bridge \x1f", 100, "note") == (
        "Kulob road\r\n\tnear the bridge"
    )
    assert clean_text(None, 10, "note") == ""


def test_refuse_control_refuses_instead_of_dropping(app):
    """With ``refuse_control``, does a control character inside the text become an error on its
    field, while line breaks (a textarea sends CR LF) and tabs still pass?"""
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(ValidationFailed) as refused:
            clean_text("REF\x00123", 100, "transfer_reference", refuse_control=True)
        assert refused.value.field == "transfer_reference"
        assert str(refused.value.message) == "This text contains characters that cannot be used."
        with force_locale("tg"):
            assert str(refused.value.message) == "Дар матн аломатҳои иҷозатнадода ҳастанд."
        with force_locale("ru"):
            assert str(refused.value.message) == "В тексте есть недопустимые символы."
    assert clean_text(" line one\r\nline\ttwo ", 100, "note", refuse_control=True) == "line one\r\nline\ttwo"


def test_required_and_length_are_refused_on_the_field(app):
    """Is an empty required text, or one over the limit, refused on the field it came from, with
    the caller's own wording for the empty case?"""
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(ValidationFailed) as empty:
            clean_text("  \x00 ", 10, "title", required=True, message="Give it a title.")
        assert (empty.value.field, str(empty.value.message)) == ("title", "Give it a title.")
        with pytest.raises(ValidationFailed) as long:
            clean_text("x" * 11, 10, "title")
        assert str(long.value.message) == "At most 10 characters."
