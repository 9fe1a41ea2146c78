"""One journey in a real browser, in Tajik, on a phone (375 px): from registering an organisation
to a placement counted publicly. A member registers an organisation → staff verify it → its
admin posts a need for the organisation's project → another member, a specialist, finds it by
full-text search and says they are interested, agreeing to join the team → the admin accepts →
the specialist is on the project's team → the placement is completed and counted on the public
page. Every page must fit the screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fundapp.community import specialists
from fundapp.community.models import Organisation, Placement, SpecialistNeed
from fundapp.extensions import db
from tests.fakes.backing import make_project

from .phone import fits, sign_in

pytestmark = pytest.mark.browser


def _submit(page, selector):
    with page.expect_navigation():
        page.click(selector)
    fits(page)


def test_from_registering_an_organisation_to_a_placement_in_tajik(phone_page, live_server, people, tmp_path):
    page = phone_page
    project = make_project(people.founder, title="Мактаби тобистонаи Хуҷанд")
    specialists.save_profile(
        people.second,
        {
            "field": "education",
            "skills": ["teaching"],
            "tags": "грамматикаи тоҷикӣ",
            "years": 9,
            "languages": ["tg", "ru"],
            "country": "KZ",
            "availability": ["remote", "short"],
            "summary": "Омӯзгори забони тоҷикӣ дар Алмаато",
            "visibility": "members",
        },
    )
    for person in (people.founder, people.second, people.staff):
        person.preferred_language = "tg"
    project_id = project.id
    founder, second = people.founder.email, people.second.email
    staff = (people.staff.email, people.staff.totp_secret)
    second_name = people.second.full_name
    db.session.commit()
    db.session.close()  # SQLite: leave the write lock to the server's threads

    # 1. A member registers an organisation.
    sign_in(page, live_server, founder)
    page.goto(f"{live_server}/organisations/new")
    assert page.locator("html").get_attribute("lang") == "tg"
    page.fill("#name", "Маркази фарҳангии ҶАВОНОН дар Қазон")
    page.select_option("#kind", "cultural_centre")
    page.select_option("#country", "RU")
    page.fill("#city", "Қазон")
    page.check("input[name=languages][value=tg]")
    page.check("input[name=fields][value=education]")
    page.fill("#description", "Дарсҳои забони тоҷикӣ барои кӯдакон ва шабҳои Наврӯз.")
    _submit(page, "main form button[type=submit]")
    org = db.session.scalar(select(Organisation).where(Organisation.name.like("Маркази фарҳангии%")))
    assert org is not None and org.status == "pending"
    org_id = org.id
    db.session.close()

    # 2. Staff verify it; it is then found by the public directory's search, in any case.
    sign_in(page, live_server, *staff)
    page.goto(f"{live_server}/organisations/{org_id}")
    _submit(page, f"form[action$='/organisations/{org_id}/verify'] button")
    page.context.clear_cookies()
    page.goto(f"{live_server}/organisations?q=ҷавонон&lang=tg")
    fits(page)
    expect(page.locator("body")).to_contain_text("Маркази фарҳангии ҶАВОНОН дар Қазон")
    page.screenshot(path=str(tmp_path / "journey-directory-tg-375.png"), full_page=True)

    # 3. Its admin posts a need for the organisation's project.
    sign_in(page, live_server, founder)
    page.goto(f"{live_server}/organisations/{org_id}")
    expect(page.locator("body")).to_contain_text("Мактаби тобистонаи Хуҷанд")  # the organisation's project
    page.goto(f"{live_server}/needs/new")
    fits(page)
    page.select_option("#owner", f"project:{project_id}")
    page.fill("#role", "Омӯзгори забони тоҷикӣ барои мактаби тобистона")
    page.check("input[name=skills][value=teaching]")
    page.check("input[name=languages][value=tg]")
    page.fill("#months", "2")
    page.fill("#description", "Ду моҳ дар Хуҷанд, бо идрорпулӣ.")
    _submit(page, "main form button[type=submit]")
    need = db.session.scalar(select(SpecialistNeed))
    assert need is not None and need.project_id == project_id
    need_id = need.id
    db.session.close()

    # 4. The specialist finds it by search and is interested, agreeing to join the team.
    sign_in(page, live_server, second)
    page.goto(f"{live_server}/needs?q=ОМӮЗГОРИ")
    fits(page)
    page.click(f"a[href$='/needs/{need_id}']")
    page.wait_for_url(re.compile(rf"/needs/{need_id}$"))
    page.check("#join_team")
    _submit(page, f"form[action$='/needs/{need_id}/interest'] button")
    page.screenshot(path=str(tmp_path / "journey-interest-tg-375.png"), full_page=True)

    # 5. The owner sees the interest and accepts it; the specialist joins the project's team.
    sign_in(page, live_server, founder)
    page.goto(f"{live_server}/needs/{need_id}")
    fits(page)
    _submit(page, "form[action$='/accept'] button")
    placement = db.session.scalar(select(Placement))
    assert placement.status == "active" and placement.join_team
    db.session.close()
    page.goto(f"{live_server}/projects/{project_id}")
    fits(page)
    expect(page.locator("body")).to_contain_text(second_name)

    # 6. The placement is completed and counted on the public page.
    page.goto(f"{live_server}/needs/{need_id}")
    _submit(page, "form[action$='/completed'] button")
    assert db.session.scalar(select(Placement.status)) == "completed"
    db.session.close()
    page.context.clear_cookies()
    page.goto(f"{live_server}/specialists?lang=tg")
    fits(page)
    figures = page.locator("dl.funding-figures dd").all_inner_texts()
    assert figures == ["0", "1", "0"], figures  # in progress, completed, cut short
    page.screenshot(path=str(tmp_path / "journey-counted-tg-375.png"), full_page=True)
