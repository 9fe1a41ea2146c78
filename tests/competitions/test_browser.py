"""In a real browser, in Russian, on a 375 px phone: a member nominates an organisation, its admin
agrees, a juror declares and scores, a member votes and keeps the receipt; the results page then
shows the ranking and the receipt checks out — and no page scrolls sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from fundapp.competitions import services
from fundapp.extensions import db
from tests.conftest import PASSWORD

from .conftest import STATEMENT, make_org, old_account

pytestmark = pytest.mark.browser


def _sign_in(page, base, email):
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    page.goto(f"{base}/login?lang=ru")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(re.compile(r"/me$"))


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url


def test_nomination_to_results_in_russian_on_a_phone(
    phone_page, live_server, edition_factory, people, make_user
):
    """Does the whole road — nominate, consent, declare, score, vote, results, receipt — work in
    Russian at 375 px without sideways scrolling?"""
    page = phone_page
    edition = edition_factory(public_vote=True, jury_weight=70)
    services.transition(edition, "open_nominations", actor=people.admin)
    make_org("Культурный центр «Навруз»", admin=people.org_admin)
    make_org("Культурный центр «Сомон»", admin=people.org_admin2)
    from fundapp.competitions import jury

    jury.appoint_juror(edition, people.juror1, actor=people.admin)
    voter = old_account(make_user("member"))
    for u in (people.nominator, people.org_admin, people.org_admin2, people.juror1, voter):
        u.preferred_language = "ru"
    eid = edition.id
    emails = (people.nominator.email, people.org_admin.email, people.juror1.email, voter.email)
    db.session.commit()
    db.session.close()

    _sign_in(page, live_server, emails[0])
    for name in ("Навруз", "Сомон"):
        page.goto(f"{live_server}/competitions/editions/{eid}/nominate")
        _fits(page)
        page.select_option("#organisation", label=f"Культурный центр «{name}» (Moscow)")
        page.fill("#statement", STATEMENT)
        with page.expect_navigation():
            page.click("button:has-text('Отправить номинацию')")
        expect(page.locator("body")).to_contain_text("Спасибо: номинация принята.")
    _sign_in(page, live_server, emails[1])
    page.goto(f"{live_server}/competitions/mine")
    page.click("a:has-text('Навруз')")
    page.check("input[value=accept]")
    with page.expect_navigation():
        page.click("button:has-text('Отправить ответ')")
    expect(page.locator("body")).to_contain_text("Спасибо: ваш ответ записан.")

    from fundapp.competitions.models import Edition, Nomination

    ed = db.session.get(Edition, eid)
    nom2 = db.session.query(Nomination).filter(Nomination.state == "awaiting_consent").one()
    services.respond_to_nomination(nom2, actor=db.session.merge(people.org_admin2), accept=True)
    services.transition(ed, "close_nominations", actor=db.session.merge(people.admin))
    for n in db.session.query(Nomination).all():
        services.check_eligibility(n, actor=db.session.merge(people.admin), eligible=True)
    services.transition(ed, "start_judging", actor=db.session.merge(people.admin))
    db.session.commit()
    db.session.close()

    _sign_in(page, live_server, emails[2])
    page.goto(f"{live_server}/competitions/editions/{eid}/jury")
    _fits(page)
    for score in ("9", "5"):
        page.check("input[name=conflict][value=no] >> nth=0")
        with page.expect_navigation():
            page.click("button:has-text('Заявить') >> nth=0")
        _fits(page)
        for field in page.query_selector_all("input[type=number]"):
            field.fill(score)
        for area in page.query_selector_all("textarea"):
            area.fill("Подтверждено отчётами и фотографиями.")
        with page.expect_navigation():
            page.click("button:has-text('Отправить мои оценки')")
        expect(page.locator("body")).to_contain_text("Ваши оценки отправлены.")

    ed = db.session.get(Edition, eid)
    services.transition(ed, "open_voting", actor=db.session.merge(people.admin))
    db.session.commit()
    db.session.close()

    _sign_in(page, live_server, emails[3])
    page.goto(f"{live_server}/competitions/editions/{eid}")
    page.check("input[name=nomination] >> nth=1")
    with page.expect_navigation():
        page.click("button:has-text('Голосовать')")
    expect(page.locator("body")).to_contain_text("Ваш голос учтён")
    _fits(page)
    receipt = page.inner_text(".secret-box").strip()

    ed = db.session.get(Edition, eid)
    services.transition(ed, "publish_results", actor=db.session.merge(people.admin))
    db.session.commit()
    db.session.close()

    page.goto(f"{live_server}/competitions/editions/{eid}")
    _fits(page)
    content = page.content()
    assert "Итоги" in content and "Балл жюри" in content and "Навруз" in content
    assert "Как подсчитаны итоги" in content
    page.goto(f"{live_server}/competitions/receipt")
    page.fill("#code", receipt)
    with page.expect_navigation():
        page.click("button:has-text('Проверить')")
    expect(page.locator("body")).to_contain_text("Учтён")
    _fits(page)
