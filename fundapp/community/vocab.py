"""The community's controlled lists: fields of activity, languages, library categories and
audiences. Codes are stored; labels are translated where shown."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from .models import OrganisationKind

KIND_LABELS = {
    OrganisationKind.association: _l("Association"),
    OrganisationKind.cultural_centre: _l("Cultural centre"),
    OrganisationKind.school: _l("School or course"),
    OrganisationKind.library: _l("Library"),
    OrganisationKind.media: _l("Media"),
    OrganisationKind.business_club: _l("Business club"),
    OrganisationKind.student_union: _l("Student union"),
    OrganisationKind.religious_club: _l("Religious club"),
    OrganisationKind.sports_club: _l("Sports club"),
    OrganisationKind.government_agency: _l("Government agency"),
}

FIELDS = {
    "culture": _l("Culture and arts"),
    "education": _l("Education"),
    "language": _l("Tajik language"),
    "youth": _l("Youth"),
    "migrants_rights": _l("Migrants' rights and legal help"),
    "business": _l("Business and investment"),
    "health": _l("Health"),
    "sport": _l("Sport"),
    "charity": _l("Charity and mutual aid"),
    "media": _l("Media and information"),
    "science": _l("Science and technology"),
    "women": _l("Women and families"),
}

# Languages compatriots' organisations work in (ISO 639-1); names come from Babel's locale data.
LANGUAGE_CODES = ("tg", "ru", "en", "uz", "fa", "kk", "ky", "tr", "de", "fr", "ar", "ko", "pl", "cs")

RESOURCE_CATEGORIES = {
    "teaching": _l("Teaching materials"),
    "legal": _l("Legal guides"),
    "howto": _l("How-to guides"),
    "culture": _l("Culture and history"),
    "organisation": _l("Running an organisation"),
}

RESOURCE_AUDIENCES = {
    "organisations": _l("Diaspora organisations"),
    "teachers": _l("Teachers"),
    "children": _l("Children"),
    "migrants": _l("Migrants"),
}


def kind_label(code: str) -> str:
    return str(KIND_LABELS.get(code, code))


def field_label(code: str) -> str:
    return str(FIELDS.get(code, code))


def language_label(code: str) -> str:
    """A language's name in the reader's language (Babel's CLDR data)."""
    try:
        name = get_locale().languages.get(code)
    except Exception:  # outside a request there is no locale
        name = None
    return name or code


def category_label(code: str) -> str:
    return str(RESOURCE_CATEGORIES.get(code, code))


def audience_label(code: str) -> str:
    return str(RESOURCE_AUDIENCES.get(code, code))


def country_codes() -> list[str]:
    """ISO 3166-1 alpha-2 codes Babel knows (two letters, not the 'ZZ'/'EU' groupings)."""
    from babel import Locale

    return sorted(
        c
        for c in Locale("en").territories
        if len(c) == 2 and c.isalpha() and c not in {"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"}
    )
