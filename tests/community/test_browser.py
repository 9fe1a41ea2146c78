"""In a real browser on a phone (375 px): a member registers an organisation, staff verify it,
another member asks to join and is accepted, and the organisation appears in the public
directory — with no horizontal scrolling on any page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fundapp.extensions import db

from .phone import fits, sign_in

pytestmark = pytest.mark.browser


def test_register_verify_join_on_a_phone(phone_page, live_server, people):
    """Register → verify → ask to join → accept, in Chromium at 375 px: is the organisation then
    public, with its new member, and did every page fit the screen?"""
    page = phone_page
    founder, second = people.founder.email, people.second.email
    staff = (people.staff.email, people.staff.totp_secret)
    for person in (people.founder, people.second, people.staff):
        person.preferred_language = "en"
    db.session.commit()
    db.session.close()  # SQLite: leave the write lock to the server's threads

    sign_in(page, live_server, founder)
    page.goto(f"{live_server}/organisations/new")
    fits(page)
    page.fill("#name", "Tajik Sunday School of Kazan")
    page.select_option("#kind", "school")
    page.select_option("#country", "RU")
    page.fill("#city", "Kazan")
    page.check("input[name=languages][value=tg]")
    page.check("input[name=fields][value=education]")
    page.fill("#year_founded", "2019")
    page.fill("#description", "Tajik lessons for children every Sunday.")
    with page.expect_navigation():
        page.click("button:has-text('Register')")
    expect(page.locator("body")).to_contain_text("Waiting for verification")
    org_path = page.url.removeprefix(live_server)
    fits(page)

    sign_in(page, live_server, *staff)
    page.goto(f"{live_server}/community/review")
    page.click("text=Tajik Sunday School of Kazan")
    with page.expect_navigation():
        page.click("button:has-text('Verify and list publicly')")
    expect(page.locator("body")).to_contain_text("verified and listed publicly")
    fits(page)

    sign_in(page, live_server, second)
    page.goto(f"{live_server}/organisations?q=sunday")
    fits(page)
    page.click("text=Tajik Sunday School of Kazan")
    with page.expect_navigation():
        page.click("button:has-text('Ask to join')")
    expect(page.locator("body")).to_contain_text("sent to the organisation's admins")

    sign_in(page, live_server, founder)
    page.goto(f"{live_server}{org_path}/members")
    fits(page)
    with page.expect_navigation():
        page.click("button:has-text('Accept')")
    expect(page.locator("body")).to_contain_text("The member is accepted.")

    page.context.clear_cookies()
    page.goto(f"{live_server}/organisations?country=RU&lang=en")
    expect(page.locator("body")).to_contain_text("Tajik Sunday School of Kazan")
    page.goto(f"{live_server}/organisations/countries")
    fits(page)


def test_specialist_placement_on_a_phone(phone_page, live_server, people):
    """Publish a specialist profile → the need's owner sees the match with its reason → invites →
    the specialist accepts → the placement is shown as in progress; every page fits 375 px."""
    from fundapp.community import specialists
    from tests.fakes.backing import make_project

    project = make_project(people.founder, title="Summer school in Khujand")
    specialists.post_need(
        people.founder,
        {
            "owner": f"project:{project.id}",
            "role": "Tajik teacher for the summer school",
            "skills": ["teaching"],
            "languages": ["tg"],
            "months": 2,
        },
    )
    for person in (people.founder, people.second):
        person.preferred_language = "en"
    founder, second = people.founder.email, people.second.email
    db.session.commit()
    db.session.close()
    page = phone_page

    sign_in(page, live_server, second)
    page.goto(f"{live_server}/specialists/profile")
    fits(page)
    page.select_option("#field", "education")
    page.check("input[name=skills][value=teaching]")
    page.fill("#years", "8")
    page.check("input[name=languages][value=tg]")
    page.select_option("#country", "KZ")
    page.check("input[name=availability][value=remote]")
    page.select_option("#visibility", "members")
    with page.expect_navigation():
        page.click("button:has-text('Save the profile')")
    expect(page.locator("body")).to_contain_text("My specialist page")
    expect(page.locator("body")).to_contain_text("Tajik teacher for the summer school")  # the need matches
    fits(page)

    sign_in(page, live_server, founder)
    page.goto(f"{live_server}/needs")
    with page.expect_navigation():
        page.click("text=Tajik teacher for the summer school")
    expect(page.locator("body")).to_contain_text("Skills in common: Teaching")
    fits(page)
    with page.expect_navigation():
        page.click("form.inline button:has-text('Invite')")
    expect(page.locator("body")).to_contain_text("The specialist is invited.")

    sign_in(page, live_server, second)
    page.goto(f"{live_server}/specialists/mine")
    page.check("input[name=join_team]")
    with page.expect_navigation():
        page.click("button:has-text('Accept')")
    fits(page)
    expect(page.locator("body")).to_contain_text("In progress")
