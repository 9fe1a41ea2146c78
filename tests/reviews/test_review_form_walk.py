"""The review form submitted empty and with one bad field by the assigned reviewer: every error in
one answer (beside each field and in the summary at the top), nothing written."""

from __future__ import annotations

from fundapp.extensions import db
from fundapp.reviews import services
from fundapp.reviews.models import CRITERIA, ReviewAssignment
from tests.conftest import login_as


def _accepted(cast, project_in):
    project = project_in("submitted")
    assignment = services.assign_reviewer(project, cast.reviewer1, actor=cast.admin)
    services.declare_conflict(assignment, actor=cast.reviewer1, has_conflict=False)
    db.session.commit()
    return assignment


def test_an_empty_review_names_every_missing_answer_at_once(app, cast, project_in):
    assignment = _accepted(cast, project_in)
    c = app.test_client()
    login_as(c, cast.reviewer1)
    r = c.post(f"/reviews/{assignment.id}", data={})
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    for key in CRITERIA:
        assert f'id="{key}_score-error"' in body and f'href="#{key}_score"' in body, key
    assert 'id="recommendation-error"' in body and "error-summary" in body
    db.session.expire_all()
    assert db.session.get(ReviewAssignment, assignment.id).status == "accepted"


def test_one_bad_score_is_named_and_the_rest_is_kept(app, cast, project_in):
    assignment = _accepted(cast, project_in)
    c = app.test_client()
    login_as(c, cast.reviewer1)
    form = {f"{k}_score": "4" for k in CRITERIA}
    form.update(relevance_score="9", recommendation="approve", budget_comment="Цены верные.")
    r = c.post(f"/reviews/{assignment.id}", data=form)
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert 'id="relevance_score-error"' in body and 'id="feasibility_score-error"' not in body
    assert "Цены верные." in body
    db.session.expire_all()
    assert db.session.get(ReviewAssignment, assignment.id).status == "accepted"
