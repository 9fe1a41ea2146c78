"""Writing a proposal: the editor works without JavaScript, checks amounts and sums, and nobody
reads or edits another member's draft or its attachments."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from fundapp.core.errors import NotPermitted, ValidationFailed
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.proposals import services
from fundapp.proposals.factories import create_complete_draft
from fundapp.proposals.models import Project
from tests.conftest import login_as

FORM = {
    "title": "Водопровод в Айни",
    "summary": "Питьевая вода для 300 семей кишлака.",
    "description": "Труба длиной 4 км от родника до кишлака.",
    "category": "water",
    "home_district": "ayni",
    "funding_model": "donation",
    "goal": "45,000.50",
    "currency": "TJS",
    "campaign_days": "45",
}


def test_a_member_writes_a_proposal_row_by_row_and_submits_it(app, client_for):
    """Can a member create a draft, add budget lines, milestones, a team member and a PDF with the
    plain HTML forms, and submit it once the sums match?"""
    c, user = client_for("member")
    r = c.post("/proposals/new", data=FORM)
    assert r.status_code == 303
    project = db.session.scalars(select(Project).where(Project.owner_id == user.id)).one()
    assert project.goal == Money(4500050, "TJS")
    assert project.home_region == "sughd" and project.home_district == "ayni"
    pid = project.id
    assert c.get(f"/proposals/{pid}/edit").status_code == 200
    assert c.post(f"/proposals/{pid}/budget", data={"label": "Трубы", "amount": "40000"}).status_code == 303
    assert (
        c.post(f"/proposals/{pid}/budget", data={"label": "Работа", "amount": "5000.50"}).status_code == 303
    )
    c.post(
        f"/proposals/{pid}/milestones",
        data={"title": "Трубы куплены", "amount": "40000", "due_date": "2027-05-01"},
    )
    c.post(f"/proposals/{pid}/milestones", data={"title": "Вода пошла", "amount": "5000.50"})
    c.post(f"/proposals/{pid}/team", data={"name": "Сухроб Алиев", "role": "Инженер"})
    pdf = b"%PDF-1.4\n%%EOF\n"
    r = c.post(
        f"/proposals/{pid}/attachments",
        data={"title": "Смета", "file": (io.BytesIO(pdf), "smeta.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    db.session.expire_all()
    project = db.session.get(Project, pid)
    assert [b.label for b in project.budget_lines] == ["Трубы", "Работа"]
    assert len(project.milestones) == 2 and len(project.team_members) == 2 and len(project.attachments) == 1
    r = c.post(f"/projects/{pid}/transition", data={"transition": "submit_proposal"})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Project, pid).state == "submitted"
    # Once submitted, the editor is closed.
    r = c.post(f"/proposals/{pid}/budget", data={"label": "Ещё", "amount": "1"})
    assert r.status_code == 409
    db.session.expire_all()
    assert len(db.session.get(Project, pid).budget_lines) == 2


def test_budget_lines_that_do_not_sum_to_the_goal_are_refused(app, make_user):
    """Is submission refused, naming the budget, when the lines do not add up to the goal?"""
    owner = make_user("member")
    project = create_complete_draft(owner, goal="30000", budget=[("Roof", "20000"), ("Labour", "9999.99")])
    with pytest.raises(ValidationFailed) as err:
        services.submit_proposal(project, actor=owner)
    assert err.value.field == "budget"
    assert "29" in str(err.value.message) and "30" in str(err.value.message)
    assert project.state == "draft"


def test_milestone_shares_must_equal_the_goal(app, make_user):
    """Is submission refused when the milestones do not share out the whole budget?"""
    from datetime import date

    owner = make_user("member")
    project = create_complete_draft(owner, goal="1000", milestones=[("Only half", "500", date(2027, 1, 1))])
    with pytest.raises(ValidationFailed) as err:
        services.submit_proposal(project, actor=owner)
    assert err.value.field == "milestones"


def test_submitting_an_unbalanced_budget_over_http_shows_the_reason(app, make_user):
    """Over HTTP, does the author land back on the editor with the message?"""
    owner = make_user("member")
    project = create_complete_draft(owner, goal="30000", budget=[("Roof", "1000")])
    db.session.commit()
    c = app.test_client()
    login_as(c, owner)
    r = c.post(
        f"/projects/{project.id}/transition", data={"transition": "submit_proposal"}, follow_redirects=True
    )
    assert r.status_code == 200
    assert "must be equal" in r.get_data(as_text=True)
    db.session.refresh(project)
    assert project.state == "draft"


@pytest.mark.parametrize(
    ("goal", "message"),
    [
        ("abc", "Write the amount"),
        ("", "Enter an amount"),
        ("12.345", "after the decimal separator"),
        ("-5", "Write the amount"),
        ("0", "greater than zero"),
        ("NaN", "Write the amount"),
        ("Infinity", "Write the amount"),
        ("1e30", "Write the amount"),
        ("9" * 60, "too large"),
        ("<script>1</script>", "Write the amount"),
    ],
)
def test_bad_amounts_get_a_clear_message_not_a_500(app, client_for, goal, message):
    """Is a bad goal (letters, too many decimals, negative, NaN, huge, HTML) answered with a 400
    and a message next to the field, never a 500?"""
    c, _user = client_for("member")
    r = c.post("/proposals/new", data={**FORM, "goal": goal})
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert message in body and 'id="goal-error"' in body
    assert db.session.scalar(select(db.func.count(Project.id))) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "x" * 201),
        ("title", ""),
        ("category", "weapons"),
        ("home_district", "atlantis"),
        ("currency", "BTC"),
        ("funding_model", "ponzi"),
        ("campaign_days", "0"),
        ("campaign_days", "many"),
    ],
)
def test_bad_fields_are_refused_with_the_field_named(app, client_for, field, value):
    """Are over-long, empty and unknown values refused (400, message on the field)?"""
    c, _user = client_for("member")
    r = c.post("/proposals/new", data={**FORM, field: value})
    assert r.status_code == 400
    assert f'id="{field}-error"' in r.get_data(as_text=True) or "field-error" in r.get_data(as_text=True)


def test_a_loan_needs_its_terms(app, client_for):
    """Does a loan proposal need a rate, a term and a repayment type, read exactly (basis points)?"""
    c, user = client_for("member")
    r = c.post("/proposals/new", data={**FORM, "funding_model": "loan"})
    assert r.status_code == 400
    r = c.post(
        "/proposals/new",
        data={
            **FORM,
            "funding_model": "loan",
            "annual_rate": "8.25",
            "term_months": "24",
            "repayment_type": "annuity",
        },
    )
    assert r.status_code == 303
    project = db.session.scalars(select(Project).where(Project.owner_id == user.id)).one()
    assert project.annual_rate_bp == 825 and project.term_months == 24 and project.repayment_type == "annuity"


def test_markdown_is_sanitised(app, client_for):
    """Is HTML or a javascript: link in the description neutralised on the page?"""
    c, user = client_for("member")
    data = {
        **FORM,
        "description": "**Вода** <script>alert(1)</script> [x](javascript:alert(2)) "
        "<img src=x onerror=alert(3)>",
    }
    c.post("/proposals/new", data=data)
    project = db.session.scalars(select(Project).where(Project.owner_id == user.id)).one()
    assert "<strong>Вода</strong>" in project.description_html
    assert (
        "<script" not in project.description_html
        and "javascript:" not in project.description_html.replace("[x](javascript:alert(2))", "")
    )
    assert "<img" not in project.description_html
    page = c.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page


# -- IDOR ---------------------------------------------------------------------------------------


def test_nobody_reads_or_edits_another_members_draft(app, make_user):
    """Does another member get 404 (not 403) on every page and form of someone's draft, and its
    attachment, with nothing changed?"""
    owner, other = make_user("member"), make_user("member")
    project = create_complete_draft(owner)
    from werkzeug.datastructures import FileStorage

    att = services.add_attachment(
        project, actor=owner, file_storage=FileStorage(io.BytesIO(b"%PDF-1.4\n%%EOF"), "plan.pdf")
    )
    db.session.commit()
    pid, fid = project.id, att.file_id
    c = app.test_client()
    login_as(c, other)
    assert c.get(f"/projects/{pid}").status_code == 404
    assert c.get(f"/proposals/{pid}/edit").status_code == 404
    assert c.post(f"/proposals/{pid}/edit", data=FORM).status_code == 404
    assert c.post(f"/proposals/{pid}/budget", data={"label": "Mine", "amount": "1"}).status_code == 404
    row = project.budget_lines[0].id
    assert c.post(f"/proposals/{pid}/budget/delete", data={"row": row}).status_code == 404
    assert c.post(f"/proposals/{pid}/team", data={"name": "Me"}).status_code == 404
    assert c.post(f"/proposals/{pid}/attachments/delete", data={"row": att.id}).status_code == 404
    assert c.post(f"/projects/{pid}/transition", data={"transition": "withdraw_proposal"}).status_code == 404
    assert c.get(f"/files/{fid}").status_code == 404
    assert app.test_client().get(f"/files/{fid}").status_code == 404
    db.session.expire_all()
    project = db.session.get(Project, pid)
    assert (
        project.state == "draft"
        and len(project.budget_lines) == 2
        and project.title == "Roof for school No. 12 in Kulob"
    )


def test_a_row_of_another_project_cannot_be_removed_through_mine(app, make_user):
    """Can an author delete a budget line of someone else's project by posting its id to their own
    project? No: the row must belong to the project in the URL."""
    mine_owner, other_owner = make_user("member"), make_user("member")
    mine = create_complete_draft(mine_owner)
    theirs = create_complete_draft(other_owner)
    db.session.commit()
    c = app.test_client()
    login_as(c, mine_owner)
    c.post(f"/proposals/{mine.id}/budget/delete", data={"row": theirs.budget_lines[0].id})
    db.session.expire_all()
    assert len(db.session.get(Project, theirs.id).budget_lines) == 2
    with pytest.raises(NotPermitted):
        services.remove_budget_line(theirs, theirs.budget_lines[0].id, actor=mine_owner)


@pytest.mark.parametrize(
    "state", ["draft", "submitted", "in_review", "changes_requested", "approved", "rejected", "withdrawn"]
)
def test_unpublished_proposals_are_404_to_the_public(app, project_in, client, client_for, state):
    """Are drafts, submitted, reviewed, approved-but-unpublished, rejected and withdrawn proposals
    404 to anonymous visitors and other members, and absent from the list and the API?"""
    project = project_in(state)
    assert client.get(f"/projects/{project.id}").status_code == 404
    c, _ = client_for("member")
    assert c.get(f"/projects/{project.id}").status_code == 404
    assert client.get(f"/api/v1/projects/{project.id}").status_code == 404
    assert project.title not in client.get("/projects").get_data(as_text=True)


@pytest.mark.parametrize("role", ["administrator", "auditor"])
def test_oversight_staff_see_unpublished_proposals(app, project_in, client_for, role):
    """May administrators and auditors open a submitted proposal?"""
    project = project_in("submitted")
    c, _ = client_for(role)
    assert c.get(f"/projects/{project.id}").status_code == 200


def test_a_linked_team_member_sees_the_draft_but_cannot_edit(app, make_user):
    """Does a team member linked by email (once they accept) see the draft, while only the author
    edits it?"""
    from fundapp.proposals import team

    owner, mate = make_user("member"), make_user("member")
    project = create_complete_draft(owner)
    member = services.add_team_member(project, actor=owner, name="Mate", role="Builder", email=mate.email)
    team.accept_invitation(member.id, actor=mate)
    db.session.commit()
    c = app.test_client()
    login_as(c, mate)
    assert c.get(f"/projects/{project.id}").status_code == 200
    assert c.get(f"/proposals/{project.id}/edit").status_code == 404


def test_forms_need_a_csrf_token(app_factory, make_user, app):
    """With CSRF protection on, is a form post without a token refused (400) and nothing created?"""
    member_id = make_user("member").id
    db.session.rollback()  # release the outer app's SQLite write lock
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        from fundapp.accounts.models import User

        user = db.session.get(User, member_id)
        c = app.test_client()
        login_as(c, user)
        r = c.post("/proposals/new", data=FORM)
        assert r.status_code == 400
        assert db.session.scalar(select(db.func.count(Project.id))) == 0
        page = c.get("/proposals/new").get_data(as_text=True)
        assert 'name="csrf_token"' in page


def test_my_proposals_lists_every_state(app, cast, project_in):
    """Does the author's page list their proposals in every state, including drafts and rejections?"""
    titles = []
    for state in ("draft", "rejected", "fundraising"):
        titles.append(project_in(state, title=f"Project in {state}").title)
    c = app.test_client()
    login_as(c, cast.author)
    page = c.get("/my/proposals").get_data(as_text=True)
    assert all(t in page for t in titles)
    c2 = app.test_client()
    login_as(c2, cast.stranger)
    assert "Project in draft" not in c2.get("/my/proposals").get_data(as_text=True)
