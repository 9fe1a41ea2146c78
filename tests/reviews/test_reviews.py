"""Reviews: assignment by administrators, conflict-of-interest declaration before reading,
rubric scoring, and the rule that nobody reviews their own proposal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.extensions import db
from fundapp.mail.models import OutboxMessage
from fundapp.proposals import services as project_services
from fundapp.proposals.factories import create_complete_draft
from fundapp.reviews import services
from fundapp.reviews.models import ReviewAssignment
from tests.conftest import login_as

SCORES = {"relevance": 5, "feasibility": 4, "budget": 3, "team": 4, "sustainability": 2}


def submitted(cast):
    project = create_complete_draft(cast.author)
    project_services.submit_proposal(project, actor=cast.author)
    db.session.commit()
    return project


def test_the_author_can_never_review_their_own_proposal(app, cast, make_user):
    """If the author also holds the reviewer role, is assigning them refused in the service?"""
    author_reviewer = make_user("reviewer")
    project = create_complete_draft(author_reviewer)
    project_services.submit_proposal(project, actor=author_reviewer)
    with pytest.raises(NotPermitted):
        services.assign_reviewer(project, author_reviewer, actor=cast.admin)


def test_a_team_member_can_never_review_the_proposal(app, cast):
    """Is a reviewer linked as a team member refused — at assignment, and at scoring if they joined
    the team afterwards?"""
    project = create_complete_draft(cast.author)
    from fundapp.proposals import team

    member = project_services.add_team_member(
        project, actor=cast.author, name="R1", role="Adviser", email=cast.reviewer1.email
    )
    team.accept_invitation(member.id, actor=cast.reviewer1)
    project_services.submit_proposal(project, actor=cast.author)
    with pytest.raises(NotPermitted):
        services.assign_reviewer(project, cast.reviewer1, actor=cast.admin)

    other = create_complete_draft(cast.author, title="Second")
    project_services.submit_proposal(other, actor=cast.author)
    assignment = services.assign_reviewer(other, cast.reviewer2, actor=cast.admin)
    services.declare_conflict(assignment, actor=cast.reviewer2, has_conflict=False)
    # Joining the team later (e.g. during changes) bars them from scoring.
    from fundapp.proposals.models import TeamMember

    other.team_members.append(TeamMember(name="R2", role="Joined", user_id=cast.reviewer2.id))
    db.session.flush()
    with pytest.raises(NotPermitted):
        services.submit_review(
            assignment, actor=cast.reviewer2, scores=SCORES, comments={}, recommendation="approve"
        )
    assert other.is_insider(cast.reviewer2)


def test_only_reviewers_can_be_assigned_and_only_by_administrators(app, cast):
    """Is a member without the reviewer role refused as reviewer, and a non-administrator as assigner?"""
    project = submitted(cast)
    with pytest.raises(ValidationFailed):
        services.assign_reviewer(project, cast.stranger, actor=cast.admin)
    with pytest.raises(NotPermitted):
        services.assign_reviewer(project, cast.reviewer1, actor=cast.auditor)
    services.assign_reviewer(project, cast.reviewer1, actor=cast.admin)
    with pytest.raises(ValidationFailed):
        services.assign_reviewer(project, cast.reviewer1, actor=cast.admin)


def test_a_reviewer_sees_nothing_before_declaring_no_conflict(app, cast):
    """Before the declaration: is the proposal 404 to the reviewer and scoring refused? After it: 200."""
    project = submitted(cast)
    assignment = services.assign_reviewer(project, cast.reviewer1, actor=cast.admin)
    db.session.commit()
    c = app.test_client()
    login_as(c, cast.reviewer1)
    assert c.get(f"/projects/{project.id}").status_code == 404
    r = c.get(f"/reviews/{assignment.id}")
    assert r.status_code == 302 and "/declare" in r.headers["Location"]
    with pytest.raises(InvalidTransition):
        services.submit_review(
            assignment, actor=cast.reviewer1, scores=SCORES, comments={}, recommendation="approve"
        )
    page = c.get(f"/reviews/{assignment.id}/declare").get_data(as_text=True)
    assert project.title in page and "Materials" not in page
    r = c.post(f"/reviews/{assignment.id}/declare", data={"conflict": "no"})
    assert r.status_code == 303
    assert c.get(f"/projects/{project.id}").status_code == 200
    assert c.get(f"/reviews/{assignment.id}").status_code == 200


def test_a_declared_conflict_recuses_and_tells_the_administrators(app, cast):
    """Does declaring a conflict (with a note) recuse the reviewer, keep the proposal hidden from
    them, and email the administrators?"""
    project = submitted(cast)
    assignment = services.assign_reviewer(project, cast.reviewer1, actor=cast.admin)
    with pytest.raises(ValidationFailed):
        services.declare_conflict(assignment, actor=cast.reviewer1, has_conflict=True, note="")
    services.declare_conflict(
        assignment, actor=cast.reviewer1, has_conflict=True, note="My cousin is the author."
    )
    db.session.commit()
    assert assignment.status == "recused"
    assert not project_services.can_view(cast.reviewer1, project)
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == cast.admin.id)).all()
    assert any("My cousin" in m.body_text for m in mail)
    with pytest.raises(InvalidTransition):
        services.declare_conflict(assignment, actor=cast.reviewer1, has_conflict=False)


def test_nobody_opens_another_reviewers_assignment(app, cast):
    """Is someone else's assignment 404 to another reviewer, and its service calls refused?"""
    project = submitted(cast)
    assignment = services.assign_reviewer(project, cast.reviewer1, actor=cast.admin)
    db.session.commit()
    c = app.test_client()
    login_as(c, cast.reviewer2)
    assert c.get(f"/reviews/{assignment.id}").status_code == 404
    assert c.post(f"/reviews/{assignment.id}/declare", data={"conflict": "no"}).status_code == 404
    with pytest.raises(NotPermitted):
        services.declare_conflict(assignment, actor=cast.reviewer2, has_conflict=False)


def test_scoring_the_rubric_over_http(app, cast):
    """Does a reviewer score five criteria 1–5 with comments and a recommendation, and is the
    completed review counted and shown to the administrator?"""
    project = submitted(cast)
    assignment = services.assign_reviewer(project, cast.reviewer1, actor=cast.admin)
    services.declare_conflict(assignment, actor=cast.reviewer1, has_conflict=False)
    db.session.commit()
    c = app.test_client()
    login_as(c, cast.reviewer1)
    form = {f"{k}_score": str(v) for k, v in SCORES.items()}
    form.update(relevance_comment="Вся махалля ждёт.", recommendation="changes")
    r = c.post(f"/reviews/{assignment.id}", data=form)
    assert r.status_code == 400 and "explain" in r.get_data(as_text=True)  # changes need an explanation
    form["summary"] = "Нужна смета от подрядчика."
    assert c.post(f"/reviews/{assignment.id}", data=form).status_code == 303
    db.session.expire_all()
    a = db.session.get(ReviewAssignment, assignment.id)
    assert a.status == "completed" and a.total_score == 18 and a.relevance_comment == "Вся махалля ждёт."
    assert services.completed_review_count(project) == 1
    admin = app.test_client()
    login_as(admin, cast.admin)
    page = admin.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Нужна смета от подрядчика." in page
    # A completed review cannot be changed.
    assert c.post(f"/reviews/{assignment.id}", data=form).status_code == 409


@pytest.mark.parametrize("bad", ["0", "6", "", "x", "3.5"])
def test_scores_outside_one_to_five_are_refused(app, cast, bad):
    """Is every score outside 1–5 (or not a number) refused, naming the criterion?"""
    project = submitted(cast)
    assignment = services.assign_reviewer(project, cast.reviewer1, actor=cast.admin)
    services.declare_conflict(assignment, actor=cast.reviewer1, has_conflict=False)
    with pytest.raises(ValidationFailed) as err:
        services.submit_review(
            assignment,
            actor=cast.reviewer1,
            scores={**SCORES, "budget": bad},
            comments={},
            recommendation="approve",
        )
    assert err.value.field == "budget_score"
    with pytest.raises(ValidationFailed):
        services.submit_review(
            assignment, actor=cast.reviewer1, scores=SCORES, comments={}, recommendation="maybe"
        )


def test_administrators_assign_over_http_and_reviewers_are_emailed(app, cast):
    """Does the assignment form work for an administrator (reviewer emailed) and not for a member?"""
    project = submitted(cast)
    admin = app.test_client()
    login_as(admin, cast.admin)
    r = admin.post(f"/projects/{project.id}/reviewers", data={"reviewer": str(cast.reviewer1.id)})
    assert r.status_code == 303
    assert (
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == cast.reviewer1.id)).first()
        is not None
    )
    member = app.test_client()
    login_as(member, cast.stranger)
    assert member.post(f"/projects/{project.id}/reviewers", data={"reviewer": "1"}).status_code == 403
    r = admin.post(f"/projects/{project.id}/reviewers", data={"reviewer": "nope"})
    assert r.status_code == 400 and "Choose a reviewer from the list." in r.get_data(as_text=True)


def test_the_queue_shows_a_reviewers_assignments_only(app, cast):
    """Does each reviewer's queue list their own assignments and nobody else's?"""
    project = submitted(cast)
    services.assign_reviewer(project, cast.reviewer1, actor=cast.admin)
    db.session.commit()
    c1, c2 = app.test_client(), app.test_client()
    login_as(c1, cast.reviewer1)
    login_as(c2, cast.reviewer2)
    assert project.title in c1.get("/reviews").get_data(as_text=True)
    assert project.title not in c2.get("/reviews").get_data(as_text=True)


def test_a_withdrawn_assignment_can_be_given_again(app, cast):
    """Can an administrator withdraw an unfinished assignment and assign the person again later?"""
    project = submitted(cast)
    a = services.assign_reviewer(project, cast.reviewer1, actor=cast.admin)
    services.withdraw_assignment(a, actor=cast.admin)
    assert a.status == "withdrawn"
    again = services.assign_reviewer(project, cast.reviewer1, actor=cast.admin)
    assert again.id == a.id and again.status == "assigned"


def test_other_reviewers_do_not_see_the_internal_timeline_of_a_public_project(
    app, cast, project_in, make_user
):
    """On a published project, does a reviewer who did not review it see only the public timeline?"""
    project = project_in("fundraising")
    outsider = make_user("reviewer")
    c = app.test_client()
    login_as(c, outsider)
    page = c.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Reviewer assigned" not in page and "not public" not in page
    inside = app.test_client()
    login_as(inside, cast.reviewer1)
    assert "Reviewer assigned" in inside.get(f"/projects/{project.id}").get_data(as_text=True)
