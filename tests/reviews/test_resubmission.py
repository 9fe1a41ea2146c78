"""A changed proposal is reviewed again: when the author sends it back after a request for
changes, the reviews of the earlier version are kept but no longer count towards a decision."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fundapp.audit.models import AuditEvent
from fundapp.core.errors import InvalidTransition
from fundapp.extensions import db
from fundapp.mail.models import OutboxMessage
from fundapp.proposals import services as project_services
from fundapp.proposals.factories import complete_reviews, create_complete_draft
from fundapp.reviews import services
from fundapp.reviews.models import PastReview, ReviewAssignment
from tests.conftest import login_as


def _mail_count(user) -> int:
    return db.session.scalar(select(db.func.count(OutboxMessage.id)).where(OutboxMessage.user_id == user.id))


@pytest.fixture
def sent_back(app, cast):
    """Two completed reviews asking for changes, a third reviewer still scoring, a fourth recused;
    then the administrator asks for changes."""
    project = create_complete_draft(cast.author)
    project_services.submit_proposal(project, actor=cast.author)
    complete_reviews(project, [cast.reviewer1, cast.reviewer2], admin=cast.admin, recommendation="changes")
    project_services.start_review(project, actor=cast.admin)
    project_services.request_changes(project, actor=cast.admin, comment="Split the budget.")
    db.session.commit()
    return project


def test_resubmitting_keeps_the_earlier_reviews_and_opens_the_assignments_again(app, cast, sent_back):
    """After the author resends the changed proposal, are the completed reviews kept as past
    reviews, the assignments open again (declaration standing), and a decision refused until the
    changed proposal is reviewed?"""
    project = sent_back
    assert services.completed_review_count(project) == 2
    before = {r.id: _mail_count(r) for r in (cast.reviewer1, cast.reviewer2)}
    project_services.resubmit_proposal(project, actor=cast.author, comment="Split as asked.")
    db.session.commit()

    assert project.state == "in_review"
    assert services.completed_review_count(project) == 0
    past = services.past_reviews_for(project)
    assert sorted(p.reviewer_id for p in past) == sorted([cast.reviewer1.id, cast.reviewer2.id])
    first = next(p for p in past if p.reviewer_id == cast.reviewer1.id)
    assert first.recommendation == "changes" and first.summary == "Ба шарҳҳо нигаред."
    assert first.score("relevance") == 5 and first.comment("budget") == "Нархҳо ба бозори Кӯлоб мувофиқанд."
    assert first.total_score == 20 and first.submitted_at is not None
    for a in services.assignments_for(project):
        assert a.status == "accepted" and a.recommendation is None and a.submitted_at is None
        assert a.relevance_score is None and a.declared_at is not None
        assert _mail_count(a.reviewer) == before[a.reviewer_id] + 1
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "review.reopen")).all()
    assert len(events) == 2

    with pytest.raises(InvalidTransition):
        project_services.approve_proposal(project, actor=cast.admin)
    complete_reviews(project, [cast.reviewer1, cast.reviewer2], admin=cast.admin)
    assert services.completed_review_count(project) == 2
    project_services.approve_proposal(project, actor=cast.admin)
    db.session.commit()
    assert project.state == "approved"
    assert len(services.past_reviews_for(project)) == 2  # the history stays


def test_reviewers_still_scoring_or_recused_are_left_as_they_are(app, cast, sent_back, make_user):
    """Is a reviewer who had not finished told of the change but otherwise untouched, and a recused
    one left out?"""
    project = sent_back
    third, fourth = make_user("reviewer"), make_user("reviewer")
    # reviewers are assigned while the proposal is submitted or in review: add them after the resend
    project_services.resubmit_proposal(project, actor=cast.author)
    scoring = services.assign_reviewer(project, third, actor=cast.admin)
    services.declare_conflict(scoring, actor=third, has_conflict=False)
    recused = services.assign_reviewer(project, fourth, actor=cast.admin)
    services.declare_conflict(recused, actor=fourth, has_conflict=True, note="My cousin's school.")
    complete_reviews(project, [cast.reviewer1], admin=cast.admin, recommendation="changes")
    project_services.request_changes(project, actor=cast.admin, comment="Add the jamoat's letter.")
    db.session.commit()
    told = {u.id: _mail_count(u) for u in (third, fourth)}

    reopened = services.reopen_reviews(project, actor=cast.author)
    assert [a.reviewer_id for a in reopened] == [cast.reviewer1.id]
    assert scoring.status == "accepted" and recused.status == "recused"
    assert _mail_count(third) == told[third.id] + 1 and _mail_count(fourth) == told[fourth.id]
    # reviewer 1 has now reviewed two earlier versions; reviewer 2 one
    counts = {}
    for p in services.past_reviews_for(project):
        counts[p.reviewer_id] = counts.get(p.reviewer_id, 0) + 1
    assert counts == {cast.reviewer1.id: 2, cast.reviewer2.id: 1}


def test_the_reviewer_finds_the_form_filled_with_their_earlier_review(app, cast, sent_back):
    """Over HTTP: does the queue say the proposal changed, the form come back filled in with the
    earlier scores and a note, and the resubmitted review count again?"""
    project = sent_back
    project_services.resubmit_proposal(project, actor=cast.author)
    db.session.commit()
    assignment = db.session.scalar(
        select(ReviewAssignment).where(
            ReviewAssignment.project_id == project.id, ReviewAssignment.reviewer_id == cast.reviewer1.id
        )
    )
    c = app.test_client()
    login_as(c, cast.reviewer1)
    assert "Review the changed proposal" in c.get("/reviews").get_data(as_text=True)
    page = c.get(f"/reviews/{assignment.id}").get_data(as_text=True)
    assert "You reviewed an earlier version" in page
    assert 'name="relevance_score" value="5" checked' in page
    assert 'value="changes" checked' in page and "Нархҳо ба бозори Кӯлоб мувофиқанд." in page
    form = {f"{k}_score": "4" for k in ("relevance", "feasibility", "budget", "team", "sustainability")}
    form.update(recommendation="approve", summary="")
    assert c.post(f"/reviews/{assignment.id}", data=form).status_code == 303
    db.session.expire_all()
    assert services.completed_review_count(project) == 1
    page = c.get(f"/reviews/{assignment.id}").get_data(as_text=True)
    assert "You reviewed an earlier version" not in page and "Your review" in page


def test_administrators_see_the_earlier_reviews_apart(app, cast, sent_back):
    """Does the project page show administrators the earlier reviews, marked as not counting, and
    hide them from the author?"""
    project = sent_back
    project_services.resubmit_proposal(project, actor=cast.author)
    db.session.commit()
    admin = app.test_client()
    login_as(admin, cast.admin)
    page = admin.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "2 reviews of earlier versions" in page and "do not count towards a decision" in page
    author = app.test_client()
    login_as(author, cast.author)
    page = author.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "reviews of earlier versions" not in page


def test_past_reviews_refuse_an_unknown_recommendation(app, cast, sent_back):
    """Does the database itself refuse a past review with a recommendation outside the three?"""
    project = sent_back
    project_services.resubmit_proposal(project, actor=cast.author)
    db.session.commit()
    past = services.past_reviews_for(project)[0]
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError on both engines
        db.session.execute(
            db.update(PastReview).where(PastReview.id == past.id).values(recommendation="maybe")
        )
        db.session.flush()
    db.session.rollback()
