"""The administrator's reviewer assignment: who is offered, and what the timeline says."""

from __future__ import annotations

from tests.conftest import login_as


def test_assigned_reviewers_are_not_offered_again_and_the_timeline_names_them(app, cast, project_in):
    """After assigning a reviewer, is that person gone from the list of reviewers to assign, the
    other still offered, and does the timeline say who was assigned?"""
    from fundapp.reviews.services import assign_reviewer

    project = project_in("submitted")
    assign_reviewer(project, cast.reviewer1, actor=cast.admin)
    from fundapp.extensions import db

    db.session.commit()
    c = app.test_client()
    login_as(c, cast.admin)
    page = c.get(f"/projects/{project.id}").get_data(as_text=True)
    form = page[page.index('name="reviewer"') : page.index("</select>", page.index('name="reviewer"'))]
    assert f'value="{cast.reviewer1.id}"' not in form
    assert f'value="{cast.reviewer2.id}"' in form
    timeline = page[page.index('id="h-timeline"') :]
    assert "Reviewer assigned" in timeline and cast.reviewer1.display_name in timeline


def test_the_rubric_says_what_each_score_means(app, cast, project_in):
    """Does the review form say what each score from 1 to 5 means, beside the choices?"""
    from fundapp.extensions import db
    from fundapp.reviews.services import assign_reviewer, declare_conflict

    project = project_in("submitted")
    assignment = assign_reviewer(project, cast.reviewer1, actor=cast.admin)
    declare_conflict(assignment, actor=cast.reviewer1, has_conflict=False)
    db.session.commit()
    c = app.test_client()
    login_as(c, cast.reviewer1)
    page = c.get(f"/reviews/{assignment.id}").get_data(as_text=True)
    assert "What the scores mean" in page
    assert "does not meet the criterion" in page and "meets it fully, nothing to fix" in page
