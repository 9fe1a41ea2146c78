"""Text the fund writes itself, shown in the reader's language.

Some generated text must stay exactly as it was written: a journal entry's memo is sealed into
the Merkle log, and an audit row or a timeline note is append-only history. Such text is stored
in one canonical English form with its parameters inside it (``"Donation DB5A64624 to project
20"``); every form is registered here once, with its translation (``"Donation %(ref)s to project
%(project)s"``), and pages show ``phrase(text)``: the kind is recognised, its parameters read
back, and the sentence rebuilt in the reader's language. Text that matches no registered form
(what a person typed) is shown as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext
from markupsafe import Markup

_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Phrase:
    canonical: str  # "Donation {ref} to project {project}"
    message: object  # lazy gettext of "Donation %(ref)s to project %(project)s"
    pattern: re.Pattern

    def render(self, match: re.Match) -> str:
        params = {k: _inner(v) for k, v in match.groupdict().items()}
        return gettext(self.message._args[0], **params)  # type: ignore[attr-defined]


_PHRASES: list[Phrase] = []


def register(canonical: str, message) -> None:
    """Register a canonical form and its translatable message (a ``lazy_gettext``). Fields of
    the canonical form, ``{name}``, become ``%(name)s`` in the message."""
    parts, pos = [], 0
    for m in _FIELD.finditer(canonical):
        parts.append(re.escape(canonical[pos : m.start()]))
        parts.append(f"(?P<{m.group(1)}>.+?)")
        pos = m.end()
    parts.append(re.escape(canonical[pos:]))
    pattern = re.compile("^" + "".join(parts) + "$", re.DOTALL)
    if any(p.canonical == canonical for p in _PHRASES):
        return
    _PHRASES.append(Phrase(canonical, message, pattern))
    # longer literal text first, so "Refund of late card payment {x}" wins over "Refund of {x}"
    _PHRASES.sort(key=lambda p: -len(_FIELD.sub("", p.canonical)))


def canonical(form: str, **params) -> str:
    """The stored text of a registered form (what services write)."""
    return form.format(**params)


def _inner(value: str) -> str:
    """A parameter that is itself a registered phrase is translated too."""
    return phrase(value)


def phrase(text: str | None) -> str:
    """``text`` in the reader's language when it is a registered form, else unchanged."""
    if not text:
        return text or ""
    if isinstance(text, Markup):
        return text
    for p in _PHRASES:
        m = p.pattern.match(text)
        if m:
            return p.render(m)
    parts = text.split(LIST_SEPARATOR)
    if len(parts) > 1 and all(_match(part) for part in parts):
        return LIST_SEPARATOR.join(phrase(part) for part in parts)
    return text


# A list of registered forms written as one text ("nominator; nominee"): each item is translated.
LIST_SEPARATOR = "; "


def _match(text: str) -> bool:
    return any(p.pattern.match(text) for p in _PHRASES)


def known(text: str) -> bool:
    """Whether ``text`` is one of the registered forms, or a list of them (tests use it)."""
    if _match(text):
        return True
    parts = text.split(LIST_SEPARATOR)
    return len(parts) > 1 and all(_match(part) for part in parts)


def init_app(app) -> None:
    app.jinja_env.filters["phrase"] = phrase
