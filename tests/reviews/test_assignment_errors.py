"""Assigning a reviewer: an empty choice is answered beside the field, and the timeline says who
assigned whom, in the reader's language."""

from __future__ import annotations

from sqlalchemy import func, select

from fundapp.extensions import db
from fundapp.reviews.models import ReviewAssignment
from tests.conftest import login_as


def test_assigning_nobody_says_so_beside_the_field(app, cast, project_in):
    """Does submitting the assignment form with nobody chosen answer 400 with the message next to
    the reviewer field (the page, not a lost flash), with nothing assigned?"""
    project = project_in("submitted")
    c = app.test_client()
    login_as(c, cast.admin)
    r = c.post(f"/projects/{project.id}/reviewers?lang=en", data={"reviewer": ""})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    field = page[page.index('id="reviewer"') : page.index("</form>", page.index('id="reviewer"'))]
    assert 'aria-invalid="true"' in field and 'id="reviewer-error"' in field
    assert "Choose a reviewer from the list." in field
    assert db.session.scalar(select(func.count(ReviewAssignment.id))) == 0
    r = c.post(f"/projects/{project.id}/reviewers?lang=en", data={"reviewer": str(cast.author.id)})
    assert r.status_code == 400 and "Choose a person with the reviewer role." in r.get_data(as_text=True)


def test_the_timeline_says_who_assigned_whom_in_the_readers_language(app, cast, project_in, make_user):
    """After an assignment over HTTP, does the timeline name both the administrator and the reviewer
    in one sentence, in English, Tajik and Russian; and once every reviewer is assigned, does the
    panel say so instead of offering an empty list?"""
    project = project_in("submitted")
    c = app.test_client()
    login_as(c, cast.admin)
    r = c.post(f"/projects/{project.id}/reviewers", data={"reviewer": str(cast.reviewer1.id)})
    assert r.status_code == 303
    admin, reviewer = cast.admin.display_name, cast.reviewer1.display_name
    page = c.get(f"/projects/{project.id}?lang=en").get_data(as_text=True)
    timeline = page[page.index('id="h-timeline"') :]
    assert f"{admin} assigned {reviewer} to review the proposal" in timeline
    tajik = c.get(f"/projects/{project.id}?lang=tg").get_data(as_text=True)
    assert f"{admin} {reviewer}-ро ҳамчун коршиноси пешниҳод таъин кард" in tajik
    russian = c.get(f"/projects/{project.id}?lang=ru").get_data(as_text=True)
    assert f"{admin} назначил(а) {reviewer} экспертом по предложению" in russian
    c.post(f"/projects/{project.id}/reviewers", data={"reviewer": str(cast.reviewer2.id)})
    page = c.get(f"/projects/{project.id}?lang=en").get_data(as_text=True)
    assert "is already assigned" in page and 'name="reviewer"' not in page
