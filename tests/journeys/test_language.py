"""Every page speaks the reader's language: rendered in Tajik and in Russian, with the demo's
data, as each role that may see it, no English words remain in the visible text beyond codes
and proper names."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from fundapp.core.phrases import phrase
from fundapp.extensions import db
from tests.pages import demo_clients, demo_pages, load_demo

# Codes, units, standards and names that are the same in every language
ALLOWED = {
    "TJS",
    "USD",
    "RUB",
    "EUR",
    "KZT",
    "TRY",
    "GBP",
    "IBAN",
    "SWIFT",
    "BIC",
    "Stripe",
    "CSV",
    "JSON",
    "IATI",
    "API",
    "PDF",
    "PNG",
    "JPEG",
    "URL",
    "RFC",
    "SHA",
    "Merkle",
    "OpenAPI",
    "TOTP",
    "Hamvatan",
    "Fund",
    "Visa",
    "Mastercard",
    "Google",
    "Authenticator",
    "MoLMEP",
    "Giving",
    "Ed25519",
    "KiB",
    "MiB",
    "UTC",
    "WCAG",
    "Tajikistan",
    "GBAO",
    "DRS",
    "hamvatan",
    "demo",
    "org",
    "example",
    "English",
    "Aegis",
    "FreeOTP",
    "Markdown",
    "Python",
    "Creative",
    "Commons",
    "Attribution",
    "cryptography",
    "hex",
    "Dushanbe",
    "Khujand",
    "Calendar",  # Google Calendar, a product's name
    "Outlook",
    "WebP",
}
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]{2,}")


def visible_text(html: str) -> str:
    html = re.sub(r"(?is)<(script|style|svg|code|pre|kbd|samp)\b.*?</\1>", " ", html)
    html = re.sub(r'(?is)<([a-z]+)[^>]*\btranslate="no"[^>]*>.*?</\1>', " ", html)
    html = re.sub(r'(?is)<([a-z]+)[^>]*\bclass="[^"]*\bhash\b[^"]*"[^>]*>.*?</\1>', " ", html)  # keys
    html = re.sub(r"(?is)<!--.*?-->", " ", html)
    text = re.sub(r"(?s)<[^>]+>", " ", html)
    text = re.sub(r"\b[0-9a-f]{12,}\b", " ", text)  # hashes
    text = re.sub(r"\b[a-f]{3,}\b", " ", text)  # pieces of a hash wrapped on a narrow line
    text = re.sub(r"\b(?=[0-9a-f]*\d)[0-9a-f]*[a-f][0-9a-f]*\b", " ", text)  # and pieces with digits
    text = re.sub(r"\S*(/|\.)\S*[a-z]\S*", " ", text)  # addresses, paths, file names
    return re.sub(r"\s+", " ", text)


def _names() -> set[str]:
    """Words of the demo's proper names (people, cities) and of what people typed in a script
    of their choosing (e-mail addresses)."""
    from fundapp.accounts.models import User

    words: set[str] = set()
    for user in db.session.scalars(select(User)):
        for value in (
            user.full_name,
            getattr(user, "public_name", None),
            getattr(user, "city", None),
            user.email,
        ):
            words |= set(WORD.findall(value or ""))
    from fundapp.payments.services import DEMO_BANK_DETAILS

    for details in DEMO_BANK_DETAILS.values():  # banks and operators, as they spell themselves
        for value in details.values():
            words |= set(WORD.findall(str(value)))
    return words


def english_words(text: str, allowed: set[str]) -> list[str]:
    found = []
    for w in WORD.findall(text):
        bare = w.strip("'’-")
        if bare in allowed or bare.upper() == bare:
            continue
        found.append(bare)
    return found


@pytest.fixture
def demo_app(app):
    load_demo(app)
    return app


@pytest.mark.parametrize("lang", ["tg", "ru"])
def test_no_english_left_on_any_page(demo_app, lang):
    """Rendered in Tajik or Russian, does any page, for any role that may see it, show English
    words beyond the allowlist of codes and proper names?"""
    allowed = ALLOWED | _names()
    clients = demo_clients(demo_app)
    problems: dict[str, list[str]] = {}
    seen = 0
    for page in demo_pages(demo_app):
        for role in page.roles:
            sep = "&" if "?" in page.url else "?"
            r = clients[role].get(f"{page.url}{sep}lang={lang}")
            if r.status_code != 200 or r.mimetype != "text/html":
                continue
            seen += 1
            words = english_words(visible_text(r.get_data(as_text=True)), allowed)
            if words:
                problems[f"{role} {page.url}"] = sorted(set(words))[:15]
    assert seen > 100
    assert not problems, "\n".join(f"{k}: {v}" for k, v in sorted(problems.items()))


def test_generated_text_is_shown_in_the_readers_language(demo_app):
    """Are the ledger's memos, the timeline's notes and the audit log's codes written by the fund
    recognised and rebuilt in the reader's language?"""
    from flask_babel import force_locale

    from fundapp.audit.labels import ACTION_LABELS, action_label
    from fundapp.audit.models import AuditEvent
    from fundapp.core.phrases import known
    from fundapp.ledger.models import JournalEntry
    from fundapp.proposals.models import TimelineEvent

    memos = set(db.session.scalars(select(JournalEntry.memo)))
    assert memos and all(known(m) for m in memos), [m for m in memos if not known(m)]
    with force_locale("ru"):
        assert phrase("Donation DB5A64624 to project 20") == "Пожертвование DB5A64624 проекту 20"
        assert phrase("campaign closed: goal met") == "кампания закрыта: цель достигнута"
        assert phrase("A comment someone typed") == "A comment someone typed"
    with force_locale("tg"):
        assert phrase("Disbursement #4: Мактаб — Бом").startswith("Пардохти №4")
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert actions <= set(ACTION_LABELS), actions - set(ACTION_LABELS)
    with force_locale("tg"):
        assert action_label("donation.received") == "Хайрия қабул шуд"
    notes = {t for t in db.session.scalars(select(TimelineEvent.text)) if t}
    assert "campaign closed: goal met" in notes
