"""Languages: every catalog is complete in Tajik, Russian and English, the compiled catalogs load,
and the language choice is remembered."""

from __future__ import annotations

from fundapp.core.i18n_cli import compile_catalogs, conflicting_translations, missing_translations
from tests.conftest import PASSWORD, login_as


def test_every_catalog_is_complete():
    """Does any domain's catalog miss a Tajik, Russian or English translation? (Guards all domains.)"""
    problems = missing_translations(("tg", "ru", "en"))
    assert problems == [], f"{len(problems)} untranslated:\n" + "\n".join(problems[:50])


def test_no_two_domains_word_one_message_differently():
    """The catalogs are merged at run time, so a message two domains translate differently would
    show one domain's word on the other's pages. (Guards all domains; ``i18n check`` fails too.)"""
    clashes = conflicting_translations(("tg", "ru"))
    assert clashes == [], "\n".join(clashes)


def test_compiled_catalogs_load(app, client):
    """After compiling, does a Russian and a Tajik request show translated text?"""
    assert compile_catalogs(app.config["LANGUAGES"]) > 0
    ru = client.get("/login?lang=ru").get_data(as_text=True)
    assert 'lang="ru"' in ru and "Войти" in ru and "Забыли пароль?" in ru
    tg = client.get("/login?lang=tg").get_data(as_text=True)
    assert 'lang="tg"' in tg and "Ворид шудан" in tg
    en = client.get("/login?lang=en").get_data(as_text=True)
    assert "Forgot your password?" in en


def test_default_language_is_tajik(client):
    """Does a visitor with no preference get Tajik?"""
    page = client.get("/", headers={"Accept-Language": ""}).get_data(as_text=True)
    assert 'lang="tg"' in page


def test_browser_language_is_used_when_nothing_was_chosen(client):
    """Does a Russian browser get Russian until the visitor chooses otherwise?"""
    page = client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)
    assert 'lang="ru"' in page


def test_anonymous_choice_is_remembered_by_cookie(app, client):
    """Is an anonymous visitor's choice kept for the session and, by cookie, for later visits?"""
    r = client.post("/language", data={"lang": "ru", "next": "/login"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    assert "lang=ru" in r.headers["Set-Cookie"] and "HttpOnly" in r.headers["Set-Cookie"]
    assert 'lang="ru"' in client.get("/login").get_data(as_text=True)
    later = app.test_client()
    later.set_cookie("lang", "ru")
    assert 'lang="ru"' in later.get("/").get_data(as_text=True)


def test_signed_in_choice_is_stored_in_the_profile(app, client_for):
    """Is a signed-in person's choice saved to their profile and used on their next sign-in?"""
    c, user = client_for("member")
    c.post("/language", data={"lang": "en", "next": "/me"})
    from fundapp.extensions import db

    db.session.expire_all()
    assert user.preferred_language == "en"
    fresh = app.test_client()
    r = fresh.post("/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 302
    assert 'lang="en"' in fresh.get("/me").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    """Is a made-up language code ignored rather than breaking the page?"""
    r = client.post("/language", data={"lang": "xx", "next": "/"})
    assert r.status_code == 302
    assert client.get("/?lang=zz", headers={"Accept-Language": ""}).status_code == 200


def test_money_and_dates_follow_the_language(app):
    """Are money and numbers formatted for the reader's language?"""
    from flask_babel import force_locale

    from fundapp.core.i18n import format_money
    from fundapp.core.money import Money

    with app.test_request_context():
        with force_locale("en"):
            assert format_money(Money(123456789, "TJS")) == "1,234,567.89\u00a0TJS"
        with force_locale("ru"):
            assert format_money(Money(123456789, "TJS")).startswith("1\u00a0234\u00a0567,89")


def test_money_is_formatted_exactly_as_babel_would(app):
    """Does the hand-made money format agree with Babel's pattern in every language, for amounts
    of every size and sign, and for currencies with 0 and 2 decimals?"""
    from babel.numbers import format_decimal
    from flask_babel import force_locale

    from fundapp.core.i18n import format_money
    from fundapp.core.money import Money, exponent

    amounts = [0, 1, 9, 10, 99, 100, 101, 999, 1000, 1001, 99999, 123456, 1000000, 123456789, 10**15]
    with app.test_request_context():
        for lang in app.config["LANGUAGES"]:
            with force_locale(lang):
                for currency in ("TJS", "USD", "JPY"):
                    exp = exponent(currency)
                    pattern = "#,##0" + ("." + "0" * exp if exp else "")
                    for amount in amounts + [-a for a in amounts if a]:
                        money = Money(amount, currency)
                        want = format_decimal(money.to_decimal(), format=pattern, locale=lang)
                        assert format_money(money, with_currency=False) == want, (lang, currency, amount)


def test_login_as_helper_still_signs_in(client, make_user):
    """Sanity check of the shared fixture used by the language tests."""
    user = make_user()
    login_as(client, user)
    assert client.get("/me").status_code == 200


def test_conflicting_translations_are_found(tmp_path, monkeypatch):
    """Does the check notice one message worded differently by two domains (only one can show)?"""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    from fundapp.core import i18n_cli

    for domain, text in (("one", "Раз"), ("two", "Два")):
        po = tmp_path / domain / "ru.po"
        po.parent.mkdir()
        catalog = Catalog(locale="ru")
        catalog.add("Next", text)
        catalog.add("Back", "Назад")
        with open(po, "wb") as fh:
            write_po(fh, catalog)
    monkeypatch.setattr(i18n_cli, "domains", lambda: ["one", "two"])
    monkeypatch.setattr(i18n_cli, "_po_path", lambda domain, lang: tmp_path / domain / f"{lang}.po")
    problems = i18n_cli.conflicting_translations(("ru", "tg"))
    assert len(problems) == 1 and "'Next'" in problems[0] and "Раз" in problems[0] and "Два" in problems[0]


def test_a_clash_fails_the_check_and_a_context_settles_it(app, tmp_path, monkeypatch):
    """``flask i18n check`` exits non-zero on a clash; the same message under a context
    (``pgettext``) in one domain is a different entry and clashes with nothing."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    from fundapp.core import i18n_cli

    def write(context):
        for domain, text, ctx in (("one", "Зарегистрироваться", None), ("two", "Зарегистрировать", context)):
            po = tmp_path / domain / "ru.po"
            po.parent.mkdir(exist_ok=True)
            catalog = Catalog(locale="ru")
            catalog.add("Register", text, context=ctx)
            with open(po, "wb") as fh:
                write_po(fh, catalog)

    monkeypatch.setattr(i18n_cli, "domains", lambda: ["one", "two"])
    monkeypatch.setattr(i18n_cli, "_po_path", lambda domain, lang: tmp_path / domain / f"{lang}.po")
    monkeypatch.setattr(i18n_cli, "missing_translations", lambda langs: [])
    runner = app.test_cli_runner()
    write(None)
    result = runner.invoke(args=["i18n", "check"])
    assert result.exit_code == 1 and "Зарегистрировать" in result.output
    write("organisation")
    result = runner.invoke(args=["i18n", "check"])
    assert result.exit_code == 0, result.output


def test_dates_follow_the_language_and_dushanbe_time(app):
    """Are dates written in the reader's language, in Dushanbe time (UTC+5)?"""
    from datetime import UTC, datetime

    from flask_babel import force_locale

    from fundapp.core.i18n import format_when

    moment = datetime(2026, 3, 21, 20, 30, tzinfo=UTC)  # 01:30 on 22 March in Dushanbe
    with app.test_request_context():
        with force_locale("ru"):
            text = format_when(moment)
            assert "22" in text and "мар" in text and "01:30" in text
        with force_locale("en"):
            assert "Mar 22, 2026" in format_when(moment)


def test_mail_is_written_in_the_recipients_language(client, make_user):
    """Is a confirmation email written in the language the person registered in?"""
    from sqlalchemy import select

    from fundapp.extensions import db
    from fundapp.mail.models import OutboxMessage

    client.post("/language", data={"lang": "ru", "next": "/"})
    client.post(
        "/register",
        data={
            "full_name": "Фарход",
            "email": "farhod@example.org",
            "password": "a long enough passphrase",
            "password_again": "a long enough passphrase",
        },
    )
    mail = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == "farhod@example.org")
    ).one()
    assert mail.subject == "Подтвердите адрес электронной почты"
    assert "Здравствуйте, Фарход!" in mail.body_text
