"""The whole journey in a real browser, in Russian: a member proposes, an administrator assigns two
reviewers, they review, the administrator approves with a Council decision and opens the
campaign, and the public sees it."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fundapp.extensions import db
from fundapp.proposals.models import Project
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MINUTES = b"%PDF-1.4\n% minutes of the Council\n%%EOF\n"


def _russian(page, base):
    page.goto(base + "/")
    page.click("form.lang-switch button[value=ru]")
    assert page.locator("html").get_attribute("lang") == "ru"


def _sign_in(page, base, email, secret=None):
    _russian(page, base)
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    if secret:
        page.wait_for_url(re.compile(r".*/login/code.*"))
        page.fill("#code", pyotp.TOTP(secret).now())
        page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url


def _transition(page, name):
    page.click(f'form:has(input[name=transition][value="{name}"]) button[type=submit]')
    page.wait_for_load_state()


def test_from_idea_to_published_campaign(app, live_server, page, make_user):
    """Can the whole review workflow be done in the browser, in Russian, without JavaScript tricks,
    ending with a public campaign page?"""
    member = make_user("member", full_name="Сухроб Алиев")
    admin = make_user("administrator", full_name="Манижа Юсуфова")
    reviewers = [
        make_user("reviewer", full_name="Дилноза Саидова"),
        make_user("reviewer", full_name="Рустам Алиев"),
    ]
    people = {
        "member": member.email,
        "admin": (admin.email, admin.totp_secret),
        "reviewers": [(r.id, r.email, r.totp_secret) for r in reviewers],
    }
    db.session.remove()  # the browser's requests must not wait for this thread's SQLite lock
    base = live_server
    browser = page.context.browser

    # 1. A member writes the proposal, row by row, and submits it.
    _sign_in(page, base, people["member"])
    page.goto(base + "/proposals/new")
    assert page.locator("h1").inner_text() == "Предложить проект"
    page.fill("#title", "Водопровод в Айни")
    page.fill("#summary", "Чистая вода для 300 семей кишлака Зосун.")
    page.fill("#description", "Четыре километра трубы от родника до кишлака.\n\n**Жители помогут хашаром.**")
    page.select_option("#category", "water")
    page.select_option("#home_district", "ayni")
    page.fill("#goal", "80 000")
    page.click("main form.stack button[type=submit]")
    page.wait_for_url(re.compile(r".*/proposals/\d+/edit"))
    project_id = int(re.search(r"/proposals/(\d+)/edit", page.url).group(1))
    for label, amount in (("Трубы", "60000"), ("Работа", "20000")):
        page.fill("#budget-label", label)
        page.fill("#budget-amount", amount)
        page.click("#budget form.row-form button[type=submit]")
    for title, amount in (("Трубы куплены", "50000"), ("Вода пошла", "30000")):
        page.fill("#ms-title", title)
        page.fill("#ms-amount", amount)
        page.fill("#ms-due", (date.today() + timedelta(days=120)).isoformat())
        page.click("#milestones form.row-form button[type=submit]")
    page.click("#submit form.stack button[type=submit]")
    page.wait_for_url(re.compile(rf".*/projects/{project_id}$"))
    expect(page.locator("body")).to_contain_text("Подана")

    # 2. The administrator records the Council decision, starts the review, assigns two reviewers.
    admin_page = browser.new_context().new_page()
    _sign_in(admin_page, base, *people["admin"])
    admin_page.goto(base + "/council/new")
    admin_page.fill("#number", "5/2026")
    admin_page.fill("#decided_on", (date.today() - timedelta(days=1)).isoformat())
    admin_page.fill("#agenda_item", "Водопровод в Айни")
    admin_page.fill("#votes_for", "9")
    admin_page.fill("#votes_against", "0")
    admin_page.fill("#votes_abstained", "1")
    admin_page.select_option("#projects", str(project_id))  # the decision is about this project
    admin_page.set_input_files(
        "#minutes", {"name": "minutes.pdf", "mimeType": "application/pdf", "buffer": MINUTES}
    )
    admin_page.click("main form button[type=submit]")
    expect(admin_page.locator("body")).to_contain_text("Решение Совета № 5/2026")
    admin_page.goto(f"{base}/projects/{project_id}")
    _transition(admin_page, "start_review")
    expect(admin_page.locator("body")).to_contain_text("На рассмотрении")
    for reviewer_id, _email, _secret in people["reviewers"]:
        admin_page.select_option("#reviewer", str(reviewer_id))
        admin_page.click("#reviews form.stack button[type=submit]")
        expect(admin_page.locator("body")).to_contain_text("Эксперт назначен")

    # 3. Each reviewer declares no conflict of interest, then scores the rubric.
    for _reviewer_id, email, secret in people["reviewers"]:
        rp = browser.new_context().new_page()
        _sign_in(rp, base, email, secret)
        rp.goto(base + "/reviews")
        rp.click('a[href$="/declare"]')
        expect(rp.locator("body")).to_contain_text("Конфликт интересов")
        rp.check("input[name=conflict][value=no]")
        with rp.expect_navigation():
            rp.click("main form button[type=submit]")
        expect(rp.locator("body")).to_contain_text("Экспертиза «Водопровод в Айни»")
        for criterion in ("relevance", "feasibility", "budget", "team", "sustainability"):
            rp.check(f"input[name={criterion}_score][value='4']")
        rp.fill("#relevance_comment", "Кишлак давно ждёт воду.")
        rp.check("input[name=recommendation][value=approve]")
        with rp.expect_navigation():  # the answer is a redirect to the queue: read it once loaded
            rp.click("main form button[type=submit]")
        expect(rp.locator("body")).to_contain_text("Спасибо: ваша экспертиза отправлена.")
        rp.context.close()

    # 4. The administrator approves, citing the Council decision, and opens the campaign.
    admin_page.goto(f"{base}/projects/{project_id}")
    expect(admin_page.locator("body")).to_contain_text("Завершено экспертиз: 2 из 2")
    admin_page.select_option("select[name=council_decision]", index=1)
    _transition(admin_page, "approve_proposal")
    expect(admin_page.locator("body")).to_contain_text("Одобрен")
    _transition(admin_page, "open_campaign")
    expect(admin_page.locator("body")).to_contain_text("Идёт сбор средств")
    admin_page.context.close()

    # 5. The public finds it in the list and opens its page.
    public = browser.new_context().new_page()
    _russian(public, base)
    public.goto(base + "/projects?q=айни")
    public.click("text=Водопровод в Айни")
    public.wait_for_url(re.compile(rf".*/projects/{project_id}$"))
    body = public.content()
    assert "<progress" in body and "Жители помогут хашаром." in body
    assert "№ 5/2026" in body and "Трубы куплены" in body
    public.context.close()

    project = db.session.scalar(select(Project).where(Project.id == project_id))
    assert project.state == "fundraising" and project.council_decision is not None
    assert project.council_decision.minutes_file.is_public
