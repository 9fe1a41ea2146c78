"""The public side: the project list (filters, search, sorting, pages), the project page, the API,
following a project and updates that reach followers and backers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from fundapp.core.db import utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.mail.models import OutboxMessage
from fundapp.proposals import services
from tests.conftest import login_as


@pytest.fixture
def published(project_in):
    """Three published projects in different places, categories and models."""
    school = project_in(
        "fundraising", title="Крыша школы №12 в Кулобе", category="education", home_district="kulob"
    )
    water = project_in(
        "fundraising",
        title="Водопровод в Айни",
        summary="Чистая ВОДА для кишлака",
        category="water",
        home_district="ayni",
        funding_model="pledge",
    )
    clinic = project_in("completed", title="Clinic roof in Khorog", category="health", home_district="khorog")
    water.campaign_ends_at = utcnow() + timedelta(days=3)
    school.campaign_ends_at = utcnow() + timedelta(days=30)
    db.session.commit()
    return {"school": school, "water": water, "clinic": clinic}


def titles(client, query: str) -> str:
    r = client.get("/projects" + query)
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_the_list_filters_by_region_district_category_model_and_status(app, client, published):
    """Do the filters narrow the published projects as a visitor expects?"""
    assert "Водопровод в Айни" in titles(client, "?region=sughd")
    assert "Крыша школы" not in titles(client, "?region=sughd")
    assert "Clinic roof" in titles(client, "?district=khorog")
    assert "Крыша школы" in titles(client, "?category=education")
    page = titles(client, "?funding_model=pledge")
    assert "Водопровод" in page and "Крыша школы" not in page
    page = titles(client, "?status=completed")
    assert "Clinic roof" in page and "Водопровод" not in page
    # Unknown filter values are ignored, not errors.
    assert "Водопровод" in titles(client, "?region=mars&category=%00&status=draft&sort=';--&page=abc")


@pytest.mark.parametrize("q", ["вода", "ВОДОПРОВОД", "водопровод в айни", "Айни"])
def test_search_is_case_insensitive_for_cyrillic(app, client, published, q):
    """Does the search find titles and summaries whatever the case, Cyrillic included, on both engines?"""
    page = titles(client, f"?q={q}")
    assert "Водопровод в Айни" in page and "Крыша школы" not in page


def test_search_treats_wildcards_literally(app, client, published):
    """Is a % or _ typed in the search box a literal character, not a wildcard?"""
    assert "Водопровод" not in titles(client, "?q=%25")
    assert "Водопровод" not in titles(client, "?q=_")


def test_sorting_ending_soon_puts_the_nearest_deadline_first(app, client, published):
    """Does "ending soon" list the campaign that ends first before the others?"""
    page = titles(client, "?sort=ending")
    assert page.index("Водопровод в Айни") < page.index("Крыша школы")


def _statements(client, url: str) -> int:
    from sqlalchemy import event

    seen = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT") and "outbox_messages" not in statement:
            seen.append(statement)  # (the mail queued by the set-up is sent after the request)

    db.session.expire_all()  # nothing read before the request is reused by it
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        r = client.get(url)
        assert r.status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_list_pages_send_as_many_statements_for_three_projects_as_for_twelve(app, client, project_in):
    """Do the project list, its "most funded" ranking and the projects API read the money of all
    their projects at once, so that their statements do not grow with the number of projects?"""
    for i in range(3):
        project_in("fundraising", title=f"Проект {i:02d}")
    db.session.commit()
    urls = ("/projects", "/projects?sort=funded", "/api/v1/projects")
    for url in urls:
        client.get(url)  # warm: the first request loads what every request shares
    few = {url: _statements(client, url) for url in urls}
    for i in range(3, 12):
        project_in("fundraising", title=f"Проект {i:02d}")
    db.session.commit()
    for url in urls:
        client.get(url)
    many = {url: _statements(client, url) for url in urls}
    assert many == few


def test_the_list_is_paginated(app, client, project_in):
    """With more projects than fit on a page, are there pages with next/previous links?"""
    for i in range(13):
        project_in("fundraising", title=f"Проект номер {i:02d}")
    first = titles(client, "")
    assert "Проект номер 12" in first and "Проект номер 00" not in first
    assert 'rel="next"' in first
    second = titles(client, "?page=2")
    assert "Проект номер 00" in second and 'rel="prev"' in second
    assert titles(client, "?page=999").count("Проект номер") == 0


def test_the_project_page_shows_story_budget_milestones_team_and_progress(app, client, published):
    """Does the public page show the story, budget, milestones, team, region and a progress bar?"""
    p = published["school"]
    page = client.get(f"/projects/{p.id}").get_data(as_text=True)
    for text in (
        "Крыша школы №12",
        "Materials",
        "Labour",
        "Work finished and accepted",
        "Nodira Rahimova",
        "<progress",
    ):
        assert text in page
    assert "Kulob" in page or "Кӯлоб" in page


def test_progress_is_zero_without_funding_and_never_fails(app, published):
    """Does progress() give Money zeros and 0 percent for a project nobody has backed yet?"""
    p = services.progress(published["school"])
    assert p["goal"] == published["school"].goal
    assert isinstance(p["raised"], Money) and p["percent"] >= 0 and p["backers"] >= 0


def test_the_public_timeline_hides_internal_review_events(app, client, published, cast):
    """Are the review's internal events (assignments, requests) hidden, while the opening is shown?"""
    p = published["school"]
    assert any(not e.public for e in p.timeline)
    anon = client.get(f"/projects/{p.id}").get_data(as_text=True)
    assert "Reviewer assigned" not in anon and "not public" not in anon
    assert "Fundraising" in anon


def test_api_lists_published_projects_only(app, client, published, project_in):
    """Does /api/v1/projects list only published projects, paginated, with money as minor units?"""
    draft = project_in("draft", title="Secret draft")
    data = client.get("/api/v1/projects?per_page=2").get_json()
    assert data["total"] == 3 and data["pages"] == 2 and len(data["items"]) == 2
    all_titles = [i["title"] for i in client.get("/api/v1/projects?per_page=100").get_json()["items"]]
    assert "Secret draft" not in all_titles
    item = client.get(f"/api/v1/projects/{published['school'].id}").get_json()
    assert item["goal"] == {"amount_minor": 3000000, "currency": "TJS", "amount": "30000.00"}
    assert [b["label"] for b in item["budget"]] == ["Materials", "Labour"]
    assert client.get(f"/api/v1/projects/{draft.id}").status_code == 404
    assert client.get("/api/v1/projects?page=x").status_code == 400
    assert client.get("/api/v1/projects/999999").get_json()["error"]["status"] == 404


def test_members_follow_and_updates_reach_followers_and_registered_sources(app, published, cast, make_user):
    """When the owner posts an update, are followers and users from registered follower sources
    (e.g. backers) emailed once each — and not the owner?"""
    p = published["school"]
    fan, backer = make_user("member"), make_user("member")
    c = app.test_client()
    login_as(c, fan)
    assert c.post(f"/projects/{p.id}/follow").status_code == 303
    assert services.is_following(p, fan)

    def backers(project):
        return [backer, fan] if project.id == p.id else []

    services.register_follower_source(backers)
    try:
        owner = app.test_client()
        login_as(owner, cast.author)
        r = owner.post(
            f"/projects/{p.id}/updates", data={"title": "Кровля готова", "body": "Фото в приложении."}
        )
        assert r.status_code == 303
    finally:
        services._follower_sources.remove(backers)
    sent = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.body_text.contains("Кровля готова"))
    ).all()
    assert sorted(m.user_id for m in sent) == sorted([fan.id, backer.id])
    page = app.test_client().get(f"/projects/{p.id}").get_data(as_text=True)
    assert "Кровля готова" in page
    c.post(f"/projects/{p.id}/follow", data={"action": "unfollow"})
    assert not services.is_following(p, fan)


def test_only_the_owner_posts_updates_and_only_when_published(app, published, cast, project_in):
    """Is an update by someone else refused, and one on an unpublished proposal too?"""
    with pytest.raises(NotPermitted):
        services.post_update(published["school"], actor=cast.stranger, title="x", body="y")
    draft = project_in("approved")
    with pytest.raises(InvalidTransition):
        services.post_update(draft, actor=cast.author, title="x", body="y")


def test_staff_pages(app, published, client_for, cast):
    """Does the pipeline list proposals for administrators and auditors (and not for members)?"""
    c, _ = client_for("auditor")
    page = c.get("/pipeline").get_data(as_text=True)
    assert "Водопровод" in page
    assert c.get("/pipeline?state=completed").status_code == 200
    m, _ = client_for("member")
    assert m.get("/pipeline").status_code == 403


def test_my_page_shows_my_proposals_and_my_review_queue(app, cast, project_in):
    """Does "My page" show the author's proposals in every state, and a reviewer's queue?"""
    from flask import url_for

    from fundapp.reviews.services import assign_reviewer

    draft = project_in("draft", title="Черновик автора")
    submitted = project_in("submitted", title="Поданная заявка")
    assign_reviewer(submitted, cast.reviewer1, actor=cast.admin)
    db.session.commit()
    with app.test_request_context():
        url = url_for("accounts.dashboard")
    author = app.test_client()
    login_as(author, cast.author)
    page = author.get(url).get_data(as_text=True)
    assert draft.title in page and submitted.title in page
    reviewer = app.test_client()
    login_as(reviewer, cast.reviewer1)
    page = reviewer.get(url).get_data(as_text=True)
    assert submitted.title in page and "Declare conflicts of interest" in page


def test_timeline_labels_other_domains_events(app, published):
    """Are events added by other domains (a payout, a finished milestone) labelled on the page?"""
    p = published["school"]
    services.add_timeline_event(p, "disbursement", public=True, text="5 000,00 TJS — Materials")
    services.add_timeline_event(p, "something_new", public=True)
    db.session.commit()
    page = app.test_client().get(f"/projects/{p.id}").get_data(as_text=True)
    assert "Money paid out for a milestone" in page and "5 000,00 TJS — Materials" in page
    assert "something_new" not in page
