"""Languages: which locale a request speaks, and locale-aware formatting of money, numbers, dates.

Every domain keeps its own catalog in ``fundapp/<domain>/translations`` (strings of its Python
code and of ``templates/<domain>/``); ``fundapp/core/translations`` holds the layout's. Flask-Babel
merges them, and ``flask i18n check`` fails when any catalog misses a string.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel.numbers import get_decimal_symbol, get_group_symbol, get_minus_sign_symbol
from flask import current_app, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from fundapp.core.money import Money, exponent

PACKAGE_DIR = Path(__file__).resolve().parent.parent
LANGUAGE_NAMES = {"tg": "Тоҷикӣ", "ru": "Русский", "en": "English"}


def translation_directories() -> list[str]:
    return sorted(str(p) for p in PACKAGE_DIR.glob("*/translations") if p.is_dir())


def select_locale() -> str:
    """The request's language: ``?lang=``, the session's choice, the signed-in person's profile,
    then ``visitor_locale`` (the ``lang`` cookie, the browser's languages, the default)."""
    langs = current_app.config["LANGUAGES"]
    if request:
        forced = request.args.get("lang")
        if forced in langs:
            return forced
        if session.get("lang") in langs:
            return session["lang"]
    if current_user and getattr(current_user, "is_authenticated", False):
        pref = getattr(current_user, "preferred_language", None)
        if pref in langs:
            return pref
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if request:
        return visitor_locale(
            tuple(langs), default, request.cookies.get("lang"), request.headers.get("Accept-Language", "")
        )
    return default


@lru_cache(maxsize=512)
def visitor_locale(langs: tuple[str, ...], default: str, cookie: str | None, accept_language: str) -> str:
    """The language of a visitor with no session: the ``lang`` cookie, else the best match of the
    ``Accept-Language`` header, else ``default``. The page cache (``fundapp.core.pagecache``)
    keys anonymous pages on this very function, so it can never hand one language's page to a
    reader of another."""
    if cookie in langs:
        return cookie
    best = parse_accept_header(accept_language, LanguageAccept).best_match(langs)
    return best or default


def format_money(value, currency: str | None = None, *, with_currency: bool = True) -> str:
    """Format ``Money`` (or minor units plus a currency) for the current locale."""
    if isinstance(value, Money):
        money = value
    elif value is None:
        return "—"
    else:
        money = Money(int(value), currency)
    exp = exponent(money.currency)
    group, decimal, minus = _number_symbols(str(get_locale()))
    whole, frac = divmod(abs(money.amount), 10**exp)
    # Babel's "#,##0.00" pattern, by hand: pages list hundreds of amounts
    text = f"{whole:,}".replace(",", group) + (f"{decimal}{frac:0{exp}d}" if exp else "")
    if money.amount < 0:
        text = minus + text
    return f"{text}\u00a0{money.currency}" if with_currency else text


@lru_cache(maxsize=16)
def _number_symbols(locale: str) -> tuple[str, str, str]:
    """(group, decimal, minus) of ``locale``'s Latin digits, as Babel formats them."""
    return get_group_symbol(locale), get_decimal_symbol(locale), get_minus_sign_symbol(locale)


def format_when(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return format_datetime(value, "medium")
    if isinstance(value, date):
        return format_date(value, "medium")
    return str(value)


def country_name(code: str | None) -> str:
    """The name of an ISO 3166-1 country in the current language (the code if unknown)."""
    if not code:
        return "—"
    return get_locale().territories.get(code.upper(), code)


def init_app(app):
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["number"] = lambda v: format_decimal(v) if v is not None else "—"
    app.jinja_env.filters["date"] = lambda v: format_date(v, "medium") if v else "—"
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["country_name"] = country_name
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
