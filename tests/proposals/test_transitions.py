"""The project state machine: who may move a project, from which state, and what each move leaves
behind (audit, timeline, email) — table-driven over every transition, state and role."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fundapp.audit.models import AuditEvent
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.extensions import db
from fundapp.mail.models import OutboxMessage
from fundapp.proposals import services
from fundapp.proposals.factories import create_complete_draft
from fundapp.proposals.models import ProjectState
from tests.conftest import login_as

ALL_STATES = [s.value for s in ProjectState]

# Written out from the brief, independently of the code's table:
# transition → (source states, target, who may: "owner" / "administrator" / "system").
EXPECTED = {
    "submit_proposal": ({"draft"}, "submitted", {"owner"}),
    "start_review": ({"submitted"}, "in_review", {"administrator"}),
    "request_changes": ({"in_review"}, "changes_requested", {"administrator"}),
    "resubmit_proposal": ({"changes_requested"}, "in_review", {"owner"}),
    "approve_proposal": ({"in_review"}, "approved", {"administrator"}),
    "reject_proposal": ({"in_review"}, "rejected", {"administrator"}),
    "withdraw_proposal": ({"draft", "submitted", "in_review", "changes_requested"}, "withdrawn", {"owner"}),
    "open_campaign": ({"approved"}, "fundraising", {"administrator"}),
    "mark_funded": ({"fundraising"}, "funded", {"administrator", "system"}),
    "mark_unsuccessful": ({"fundraising"}, "unsuccessful", {"administrator", "system"}),
    "start_implementation": ({"funded"}, "implementing", {"administrator", "system"}),
    "complete_project": ({"implementing"}, "completed", {"administrator", "system"}),
    "cancel_project": (
        {"approved", "fundraising", "funded", "implementing"},
        "cancelled",
        {"administrator", "system"},
    ),
}
ROLES = ("owner", "administrator", "system", "member", "reviewer", "auditor", "treasurer", "admin_owner")


def test_every_contract_transition_exists_with_its_function():
    """Does the service module offer exactly the transitions CONTRACTS.md promises, each a function?"""
    assert set(services.TRANSITIONS) == set(EXPECTED)
    for name in EXPECTED:
        assert callable(getattr(services, name))
        assert services.TRANSITIONS[name].target.value == EXPECTED[name][1]


def test_who_may_do_what_from_which_state(app, make_user):
    """For every transition × state × role: allowed exactly when the brief says so; otherwise
    NotPermitted (wrong person) or InvalidTransition (wrong state), never anything else?"""
    owner = make_user("member")
    actors = {
        "owner": owner,
        "administrator": make_user("administrator"),
        "system": None,
        "member": make_user("member"),
        "reviewer": make_user("reviewer"),
        "auditor": make_user("auditor"),
        "treasurer": make_user("treasurer"),
    }
    project = create_complete_draft(owner)
    # An administrator who is a linked team member: never decides on the project.
    admin_owner = make_user("administrator")
    from fundapp.proposals import team

    member = services.add_team_member(
        project, actor=owner, name="Team admin", role="Engineer", email=admin_owner.email
    )
    team.accept_invitation(member.id, actor=admin_owner)
    actors["admin_owner"] = admin_owner
    db.session.commit()
    problems = []
    for name, (sources, _target, who) in EXPECTED.items():
        for state in ALL_STATES:
            project.state = state
            for role in ROLES:
                permitted_role = role in who
                try:
                    services.check_transition(project, name, actors[role])
                    outcome = "ok"
                except NotPermitted:
                    outcome = "not_permitted"
                except InvalidTransition:
                    outcome = "invalid"
                want = ("ok" if state in sources else "invalid") if permitted_role else "not_permitted"
                if outcome != want:
                    problems.append(f"{name} from {state} by {role}: {outcome}, expected {want}")
    db.session.rollback()
    assert not problems, "\n".join(problems)


def test_an_administrator_cannot_decide_on_a_project_they_own(app, make_user, cast):
    """Does four-eyes hold: an administrator who is the author cannot start the review or approve?"""
    admin = make_user("administrator")
    project = create_complete_draft(admin)
    services.submit_proposal(project, actor=admin)
    with pytest.raises(NotPermitted) as err:
        services.start_review(project, actor=admin)
    assert "own" in str(err.value.message)


STEPS = {  # state reached → (transition, actor role) that reaches it, starting from the state before
    "submitted": ("draft", "submit_proposal", "owner"),
    "in_review": ("submitted", "start_review", "administrator"),
    "changes_requested": ("in_review", "request_changes", "administrator"),
    "resubmitted": ("changes_requested", "resubmit_proposal", "owner"),
    "approved": ("in_review", "approve_proposal", "administrator"),
    "rejected": ("in_review", "reject_proposal", "administrator"),
    "withdrawn": ("submitted", "withdraw_proposal", "owner"),
    "fundraising": ("approved", "open_campaign", "administrator"),
    "funded": ("fundraising", "mark_funded", "system"),
    "unsuccessful": ("fundraising", "mark_unsuccessful", "system"),
    "implementing": ("funded", "start_implementation", "administrator"),
    "completed": ("implementing", "complete_project", "administrator"),
    "cancelled": ("fundraising", "cancel_project", "administrator"),
}


@pytest.mark.parametrize("reached", list(STEPS))
def test_each_transition_leaves_audit_timeline_and_mail(app, cast, project_in, reached):
    """Does each transition change the state and, in the same transaction, write an audit event,
    a timeline entry (actor, time, comment) and queue email for the people concerned?"""
    start, name, role = STEPS[reached]
    project = project_in(start)
    actor = {"owner": cast.author, "administrator": cast.admin, "system": None}[role]
    if name in services.NEEDS_REVIEWS:
        from fundapp.proposals.factories import complete_reviews

        complete_reviews(project, [cast.reviewer1, cast.reviewer2], admin=cast.admin)
    audits = db.session.scalar(select(db.func.count(AuditEvent.id)))
    mails = db.session.scalar(select(db.func.count(OutboxMessage.id)))
    getattr(services, name)(project, actor=actor, comment="Written reason for the record.")
    db.session.commit()
    assert project.state == services.TRANSITIONS[name].target.value
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == f"project.{name}").order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and event.object_id == str(project.id)
    assert event.actor_id == getattr(actor, "id", None)
    assert event.reason == "Written reason for the record."
    assert db.session.scalar(select(db.func.count(AuditEvent.id))) > audits
    last = project.timeline[-1]
    assert (
        last.kind == name and last.to_state == project.state and last.text == "Written reason for the record."
    )
    assert last.actor_id == getattr(actor, "id", None) and last.created_at is not None
    assert db.session.scalar(select(db.func.count(OutboxMessage.id))) > mails


def test_the_author_is_emailed_the_written_reason(app, cast, project_in):
    """When changes are requested, does the author's email carry the reason, in their language?"""
    cast.author.preferred_language = "ru"
    project = project_in("in_review")
    services.request_changes(project, actor=cast.admin, comment="Добавьте письмо джамоата.")
    db.session.commit()
    msg = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == cast.author.id).order_by(OutboxMessage.id.desc())
    ).first()
    assert "Добавьте письмо джамоата." in msg.body_text
    assert project.title in msg.subject


@pytest.mark.parametrize("name", ["reject_proposal", "request_changes"])
def test_rejection_and_changes_need_a_written_reason(app, cast, project_in, name):
    """Are rejection and a request for changes refused without a reason (field ``comment``)?"""
    project = project_in("in_review")
    for blank in (None, "", "   "):
        with pytest.raises(ValidationFailed) as err:
            getattr(services, name)(project, actor=cast.admin, comment=blank)
        assert err.value.field == "comment"
    assert project.state == "in_review"


def test_cancellation_needs_a_reason(app, cast, project_in):
    """Is a cancellation without a reason refused?"""
    project = project_in("approved")
    with pytest.raises(ValidationFailed):
        services.cancel_project(project, actor=cast.admin)


def test_a_decision_needs_the_minimum_number_of_completed_reviews(app, cast, make_user):
    """With fewer than MIN_REVIEWS_FOR_DECISION completed reviews, are approval and rejection refused?"""
    from fundapp.proposals.factories import complete_reviews

    project = create_complete_draft(cast.author)
    services.submit_proposal(project, actor=cast.author)
    services.start_review(project, actor=cast.admin)
    complete_reviews(project, [cast.reviewer1], admin=cast.admin)
    with pytest.raises(InvalidTransition) as err:
        services.approve_proposal(project, actor=cast.admin)
    assert "2" in str(err.value.message) and "1" in str(err.value.message)
    with pytest.raises(InvalidTransition):
        services.reject_proposal(project, actor=cast.admin, comment="No.")
    app.config["MIN_REVIEWS_FOR_DECISION"] = 1
    services.approve_proposal(project, actor=cast.admin)
    assert project.state == "approved"


def _decision(number="12/2026", votes=(7, 1, 1), project=None):
    from datetime import date

    from fundapp.council.models import CouncilDecision

    d = CouncilDecision(
        number=number,
        decided_on=date(2026, 11, 20),
        agenda_item="Projects of compatriots",
        votes_for=votes[0],
        votes_against=votes[1],
        votes_abstained=votes[2],
    )
    db.session.add(d)
    db.session.flush()
    if project is not None:
        from fundapp.council.services import tie_to_project

        tie_to_project(d, project)
    return d


def test_approval_above_the_threshold_must_cite_a_carried_council_decision(app, cast, project_in):
    """Above COUNCIL_THRESHOLD_MINOR, is approval refused without a Council decision, or with one
    that was not carried, and accepted (and linked) with a carried one?"""
    project = project_in("in_review", goal="80000")  # 8,000,000 diram > 5,000,000
    assert services.needs_council(project)
    from fundapp.proposals.factories import complete_reviews

    complete_reviews(project, [cast.reviewer1, cast.reviewer2], admin=cast.admin)
    with pytest.raises(ValidationFailed) as err:
        services.approve_proposal(project, actor=cast.admin)
    assert err.value.field == "council_decision"
    with pytest.raises(ValidationFailed):
        services.approve_proposal(
            project, actor=cast.admin, council_decision=_decision("1/2026", (2, 5, 0), project)
        )
    decision = _decision(project=project)
    services.approve_proposal(project, actor=cast.admin, council_decision=decision)
    assert project.state == "approved" and project.council_decision_id == decision.id


def test_below_the_threshold_no_council_decision_is_needed(app, cast, project_in):
    """At or under the threshold, may an administrator approve on the reviews alone?"""
    project = project_in("approved", goal="50000")  # exactly the threshold
    assert project.state == "approved" and project.council_decision_id is None


def test_open_campaign_sets_dates_and_publishes(app, cast, project_in):
    """Does opening a campaign set start, end (campaign_days later) and publish the project?"""
    project = project_in("fundraising")
    assert project.is_public and project.published_at is not None
    assert (project.campaign_ends_at - project.campaign_starts_at).days == project.campaign_days


def test_open_campaign_refuses_an_end_before_the_start(app, cast, project_in):
    """Is a campaign that would end before it starts refused with a clear message?"""
    from datetime import timedelta

    from fundapp.core.db import utcnow

    project = project_in("approved")
    now = utcnow()
    with pytest.raises(ValidationFailed) as err:
        services.open_campaign(project, actor=cast.admin, starts_at=now, ends_at=now - timedelta(days=1))
    assert err.value.field == "ends_at"


def test_transition_listeners_run_in_the_transaction(app, cast, project_in):
    """Are registered transition listeners told of each transition (funding uses it)?"""
    seen = []

    def listener(project, name, from_state, actor):
        seen.append((name, from_state, project.state))

    services.register_transition_listener(listener)
    try:
        project = project_in("fundraising")
        services.cancel_project(project, actor=None, comment="Land allocation withdrawn.")
    finally:
        services._transition_listeners.remove(listener)
    assert ("cancel_project", "fundraising", "cancelled") in seen


# -- over HTTP: clear messages, right status, never a 500 ------------------------------------------


def test_an_invalid_transition_over_http_is_a_clear_409(app, cast, project_in):
    """When an administrator tries to open the campaign of a proposal still in review, is the answer
    a 409 page that says why, with the state unchanged?"""
    project = project_in("in_review")
    c = app.test_client()
    login_as(c, cast.admin)
    r = c.post(f"/projects/{project.id}/transition", data={"transition": "open_campaign"})
    assert r.status_code == 409
    assert "open the campaign" in r.get_data(as_text=True)
    db.session.refresh(project)
    assert project.state == "in_review"


def test_a_member_posting_an_approval_gets_403_or_404(app, cast, project_in, client_for):
    """Can a member approve a proposal by posting the form? No: its page is 404 to them."""
    project = project_in("in_review")
    c, _member = client_for("member")
    r = c.post(f"/projects/{project.id}/transition", data={"transition": "approve_proposal"})
    assert r.status_code == 404
    c2 = app.test_client()
    login_as(c2, cast.author)
    r = c2.post(f"/projects/{project.id}/transition", data={"transition": "approve_proposal"})
    assert r.status_code == 403
    db.session.refresh(project)
    assert project.state == "in_review"


def test_an_unknown_transition_name_is_400(app, cast, project_in):
    """Is a made-up transition name a 400, not a 500?"""
    project = project_in("draft")
    c = app.test_client()
    login_as(c, cast.author)
    assert c.post(f"/projects/{project.id}/transition", data={"transition": "__class__"}).status_code == 400


def test_a_missing_reason_over_http_comes_back_as_a_message(app, cast, project_in):
    """Rejecting without a reason: is the administrator sent back with the message, state unchanged?"""
    project = project_in("in_review")
    c = app.test_client()
    login_as(c, cast.admin)
    r = c.post(
        f"/projects/{project.id}/transition",
        data={"transition": "reject_proposal", "comment": ""},
        follow_redirects=True,
    )
    assert r.status_code == 200
    assert "reason" in r.get_data(as_text=True)
    db.session.refresh(project)
    assert project.state == "in_review"


def test_the_author_sees_the_reason_on_the_page(app, cast, project_in):
    """After a rejection, does the author see the written reason on their proposal's page?"""
    project = project_in("in_review")
    from fundapp.proposals.factories import complete_reviews

    complete_reviews(project, [cast.reviewer1, cast.reviewer2], admin=cast.admin)
    services.reject_proposal(project, actor=cast.admin, comment="Already funded by the district.")
    db.session.commit()
    c = app.test_client()
    login_as(c, cast.author)
    page = c.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Already funded by the district." in page


def test_closing_a_campaign_is_not_a_button(app, cast, project_in):
    """Is "close as funded" refused from the page (settlement belongs to the funding domain), while
    the administrator still sees "cancel"?"""
    project = project_in("fundraising")
    c = app.test_client()
    login_as(c, cast.admin)
    page = c.get(f"/projects/{project.id}").get_data(as_text=True)
    assert 'value="mark_funded"' not in page and 'value="cancel_project"' in page
    assert c.post(f"/projects/{project.id}/transition", data={"transition": "mark_funded"}).status_code == 400
    db.session.refresh(project)
    assert project.state == "fundraising"


def test_changes_requested_then_resubmitted_goes_back_to_review(app, cast, project_in):
    """After a request for changes, can the author edit the proposal and send it back into review,
    with the administrators told?"""
    project = project_in("changes_requested")
    assert services.can_edit(cast.author, project)
    line = project.budget_lines[0]
    amount = line.amount
    services.remove_budget_line(project, line.id, actor=cast.author)
    services.add_budget_line(project, actor=cast.author, label="Materials and labour", amount=amount)
    mails = db.session.scalar(
        select(db.func.count(OutboxMessage.id)).where(OutboxMessage.user_id == cast.admin.id)
    )
    services.resubmit_proposal(project, actor=cast.author, comment="Split as asked.")
    db.session.commit()
    assert project.state == "in_review" and not services.can_edit(cast.author, project)
    after = db.session.scalar(
        select(db.func.count(OutboxMessage.id)).where(OutboxMessage.user_id == cast.admin.id)
    )
    assert after == mails + 1
