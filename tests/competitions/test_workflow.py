"""An edition's life: the state machine, nominations and consent, eligibility, the jury's
declarations and automatic recusal, scoring."""

from __future__ import annotations

import pytest

from fundapp.audit.models import AuditEvent
from fundapp.competitions import jury, services
from fundapp.competitions.models import DeclarationKind, Nomination, NominationState
from fundapp.core.errors import DuplicateRequest, InvalidTransition, NotPermitted, ValidationFailed
from fundapp.extensions import db

from .conftest import STATEMENT, make_org
from .helpers import nominate_orgs, score_all, through_eligibility


def test_the_plan_competitions_exist_once_in_three_languages(app):
    """Are the Plan's five competitions created once, however often they are ensured, with
    Tajik, Russian and English names?"""
    first = services.ensure_plan_competitions()
    again = services.ensure_plan_competitions()
    assert [c.id for c in first] == [c.id for c in again]
    assert len(first) == 5
    names = {c.name_en for c in first}
    assert "The Union of the Best Diaspora Organizations" in names
    assert all(c.name_tg and c.name_ru for c in first)


def test_state_machine_in_order_each_step_audited(edition_factory, people):
    """Does an edition go draft → nominations open → eligibility → judging → voting → results only
    in that order, only by an administrator, each step in the audit trail?"""
    edition = edition_factory(public_vote=True, jury_weight=70)
    with pytest.raises(InvalidTransition):
        services.transition(edition, "start_judging", actor=people.admin)
    with pytest.raises(NotPermitted):
        services.transition(edition, "open_nominations", actor=people.nominator)
    services.transition(edition, "open_nominations", actor=people.admin)
    assert edition.state == "nominations_open"
    with pytest.raises(InvalidTransition):
        services.transition(edition, "open_nominations", actor=people.admin)
    noms = nominate_orgs(edition, people, names=("Navruz Centre", "Somon Centre"))
    through_eligibility(edition, people, noms, [people.juror1])
    assert edition.state == "judging"
    with pytest.raises(InvalidTransition):  # this edition has a public vote: it comes first
        services.transition(edition, "publish_results", actor=people.admin)
    score_all(edition, [people.juror1], [[(8, 7), (5, 5)]])
    services.transition(edition, "open_voting", actor=people.admin)
    services.transition(edition, "publish_results", actor=people.admin)
    db.session.commit()
    assert edition.state == "results_published"
    actions = [
        a
        for (a,) in db.session.query(AuditEvent.action).filter(
            AuditEvent.object_type == "competition_editions"
        )
    ]
    assert actions[-5:] == [
        "competition.open_nominations",
        "competition.close_nominations",
        "competition.start_judging",
        "competition.open_voting",
        "competition.publish_results",
    ]


def test_without_a_public_vote_results_follow_judging(edition_factory, people):
    """Can an edition without a public vote not open one, and publish straight after judging?"""
    edition = edition_factory()
    services.transition(edition, "open_nominations", actor=people.admin)
    noms = nominate_orgs(edition, people, names=("Navruz Centre",))
    through_eligibility(edition, people, noms, [people.juror1])
    with pytest.raises(InvalidTransition):
        services.transition(edition, "open_voting", actor=people.admin)
    with pytest.raises(InvalidTransition):  # no scores yet
        services.transition(edition, "publish_results", actor=people.admin)
    db.session.rollback()
    score_all(edition, [people.juror1], [[(6, 6)]])
    services.transition(edition, "publish_results", actor=people.admin)
    assert edition.state == "results_published"


def test_judging_needs_every_consented_nomination_checked_and_a_jury(edition_factory, people):
    """Is judging refused while a consented nomination waits for its eligibility check, or with no jury?"""
    edition = edition_factory()
    services.transition(edition, "open_nominations", actor=people.admin)
    (nom,) = nominate_orgs(edition, people, names=("Navruz Centre",))
    services.transition(edition, "close_nominations", actor=people.admin)
    with pytest.raises(InvalidTransition):
        services.transition(edition, "start_judging", actor=people.admin)
    services.check_eligibility(nom, actor=people.admin, eligible=True)
    with pytest.raises(InvalidTransition):
        services.transition(edition, "start_judging", actor=people.admin)


def test_a_nominee_consents_before_it_is_considered(edition_factory, people):
    """Does a person's nomination wait for that person's consent, can nobody else give it, and is a
    declined nomination never checked or judged?"""
    edition = edition_factory("best-scientist")
    services.transition(edition, "open_nominations", actor=people.admin)
    nom = services.nominate(
        edition,
        actor=people.nominator,
        category=edition.categories[0],
        nominee_kind="person",
        person=people.juror3,
        statement=STATEMENT,
    )
    assert nom.state == NominationState.AWAITING_CONSENT
    with pytest.raises(NotPermitted):
        services.respond_to_nomination(nom, actor=people.stranger, accept=True)
    with pytest.raises(InvalidTransition):
        services.check_eligibility(nom, actor=people.admin, eligible=True)
    services.respond_to_nomination(nom, actor=people.juror3, accept=False)
    assert nom.state == NominationState.DECLINED
    with pytest.raises(InvalidTransition):
        services.respond_to_nomination(nom, actor=people.juror3, accept=True)
    assert services.considered(edition) == []


def test_an_organisations_admin_nominating_it_consents_at_once(edition_factory, people):
    """When an admin of a verified organisation nominates it on its behalf, is consent given with it?"""
    edition = edition_factory()
    services.transition(edition, "open_nominations", actor=people.admin)
    org = make_org("Navruz Centre", admin=people.org_admin)
    nom = services.nominate(
        edition,
        actor=people.org_admin,
        category=edition.categories[0],
        nominee_kind="organisation",
        organisation=org,
        on_behalf_of=org,
        statement=STATEMENT,
    )
    assert nom.state == NominationState.CONSENTED


@pytest.mark.parametrize(
    "change, field",
    [
        ({"statement": "Too short"}, "statement"),
        ({"statement": ""}, "statement"),
        ({"category": None}, "category"),
        ({"nominee_kind": "person"}, "nominee"),
        ({"organisation": "pending"}, "nominee"),
        ({"on_behalf_of": "foreign"}, "on_behalf_of"),
    ],
)
def test_bad_nominations_say_why_and_change_nothing(edition_factory, people, change, field):
    """Is each bad nomination refused with a message on its field, leaving no nomination behind?"""
    edition = edition_factory()
    services.transition(edition, "open_nominations", actor=people.admin)
    db.session.commit()
    org = make_org("Navruz Centre", admin=people.org_admin)
    kwargs = dict(
        actor=people.nominator,
        category=edition.categories[0],
        nominee_kind="organisation",
        organisation=org,
        statement=STATEMENT,
    )
    kwargs.update(change)
    if kwargs["organisation"] == "pending":
        kwargs["organisation"] = make_org("Unverified Club", status="pending")
    if kwargs.get("on_behalf_of") == "foreign":
        kwargs["on_behalf_of"] = make_org("Someone Else's Club", admin=people.stranger)
    with pytest.raises(ValidationFailed) as exc:
        services.nominate(edition, **kwargs)
    assert exc.value.field == field
    db.session.rollback()
    assert db.session.query(Nomination).count() == 0


def test_one_category_per_nominee_per_edition(edition_factory, people):
    """Is the same organisation refused a second nomination in the edition (another category too),
    and does the database itself refuse a row that slips past the check?"""
    from sqlalchemy.exc import IntegrityError

    edition = edition_factory()
    services.transition(edition, "open_nominations", actor=people.admin)
    org = make_org("Navruz Centre", admin=people.org_admin)
    first = services.nominate(
        edition,
        actor=people.nominator,
        category=edition.categories[0],
        nominee_kind="organisation",
        organisation=org,
        statement=STATEMENT,
    )
    db.session.commit()
    with pytest.raises(ValidationFailed) as exc:
        services.nominate(
            edition,
            actor=people.stranger,
            category=edition.categories[1],
            nominee_kind="organisation",
            organisation=org,
            statement=STATEMENT,
        )
    assert exc.value.field == "nominee"
    db.session.rollback()
    db.session.add(
        Nomination(
            edition_id=edition.id,
            category_id=edition.categories[1].id,
            nominee_kind="organisation",
            nominee_organisation_id=org.id,
            nominee_key=first.nominee_key,
            nominated_by_id=people.stranger.id,
            statement=STATEMENT,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_not_eligible_needs_a_reason(edition_factory, people):
    """Must staff give a reason when a nomination is not eligible, and is it kept?"""
    edition = edition_factory()
    services.transition(edition, "open_nominations", actor=people.admin)
    (nom,) = nominate_orgs(edition, people, names=("Navruz Centre",))
    with pytest.raises(ValidationFailed) as exc:
        services.check_eligibility(nom, actor=people.admin, eligible=False, reason="  ")
    assert exc.value.field == "reason"
    services.check_eligibility(nom, actor=people.admin, eligible=False, reason="Registered only last year.")
    assert nom.state == "not_eligible"
    assert nom.eligibility_reason == "Registered only last year."
    with pytest.raises(NotPermitted):
        services.check_eligibility(nom, actor=people.nominator, eligible=True)


def test_automatic_recusal(edition_factory, people, make_user):
    """Is a juror recused automatically from the nomination they made, from one of an organisation
    they belong to, and from a person with whom they share a project team — and free to declare
    on the others?"""
    from fundapp.proposals.factories import create_complete_draft
    from fundapp.proposals.models import TeamMember

    edition = edition_factory("best-scientist")
    services.transition(edition, "open_nominations", actor=people.admin)
    scientists = [make_user("member", full_name=f"Scientist {i}") for i in range(4)]
    make_org("Tajik Scholars Abroad", admin=scientists[1], members=[people.juror2])
    project = create_complete_draft(people.juror2)
    db.session.add(TeamMember(project_id=project.id, name="Scientist 2", user_id=scientists[2].id))
    db.session.commit()
    noms = []
    for i, person in enumerate(scientists):
        nominator = people.juror2 if i == 0 else people.nominator
        nom = services.nominate(
            edition,
            actor=nominator,
            category=edition.categories[0],
            nominee_kind="person",
            person=person,
            statement=STATEMENT,
        )
        services.respond_to_nomination(nom, actor=person, accept=True)
        noms.append(nom)
    db.session.commit()
    through_eligibility(edition, people, noms, [people.juror2])
    juror = jury.juror_for(edition, people.juror2)
    kinds = {
        n.id: (jury.declaration_for(juror, n).kind if jury.declaration_for(juror, n) else None) for n in noms
    }
    assert kinds[noms[0].id] == DeclarationKind.AUTO_RECUSED  # the nominator
    assert kinds[noms[1].id] == DeclarationKind.AUTO_RECUSED  # same organisation
    assert kinds[noms[2].id] == DeclarationKind.AUTO_RECUSED  # same project team
    assert kinds[noms[3].id] is None
    assert "nominator" in jury.declaration_for(juror, noms[0]).reason
    assert not jury.may_read_in_full(juror, noms[0])
    with pytest.raises(NotPermitted):
        jury.submit_scorecard(juror, noms[0], actor=people.juror2, scores={})
    with pytest.raises(DuplicateRequest):
        jury.declare(juror, noms[0], actor=people.juror2, conflict=False)
    assert not jury.may_read_in_full(juror, noms[3])
    jury.declare(juror, noms[3], actor=people.juror2, conflict=False)
    assert jury.may_read_in_full(juror, noms[3])


def test_a_declared_conflict_needs_a_note_and_recuses(edition_factory, people):
    """Does a juror declaring a conflict have to say what it is, and then cannot score?"""
    edition = edition_factory()
    services.transition(edition, "open_nominations", actor=people.admin)
    noms = nominate_orgs(edition, people, names=("Navruz Centre",))
    through_eligibility(edition, people, noms, [people.juror1])
    juror = jury.juror_for(edition, people.juror1)
    with pytest.raises(ValidationFailed):
        jury.declare(juror, noms[0], actor=people.juror1, conflict=True, note="")
    jury.declare(juror, noms[0], actor=people.juror1, conflict=True, note="My cousin runs it.")
    assert not jury.may_read_in_full(juror, noms[0])


def test_scores_need_a_justification_each_and_are_final(edition_factory, people):
    """Is a score without a justification, or off the scale, refused with its field, and a second
    scorecard for the same nomination refused?"""
    edition = edition_factory()
    services.transition(edition, "open_nominations", actor=people.admin)
    noms = nominate_orgs(edition, people, names=("Navruz Centre",))
    through_eligibility(edition, people, noms, [people.juror1])
    juror = jury.juror_for(edition, people.juror1)
    jury.declare(juror, noms[0], actor=people.juror1, conflict=False)
    c1, c2 = edition.criteria
    good = {"score": "7", "justification": "Solid."}
    with pytest.raises(ValidationFailed) as exc:
        jury.submit_scorecard(
            juror,
            noms[0],
            actor=people.juror1,
            scores={c1.id: good, c2.id: {"score": "7", "justification": ""}},
        )
    assert exc.value.field == f"justification_{c2.id}"
    with pytest.raises(ValidationFailed) as exc:
        jury.submit_scorecard(
            juror,
            noms[0],
            actor=people.juror1,
            scores={c1.id: {"score": "11", "justification": "x"}, c2.id: good},
        )
    assert exc.value.field == f"score_{c1.id}"
    with pytest.raises(NotPermitted):
        jury.submit_scorecard(juror, noms[0], actor=people.juror2, scores={c1.id: good, c2.id: good})
    jury.submit_scorecard(juror, noms[0], actor=people.juror1, scores={c1.id: good, c2.id: good})
    with pytest.raises(DuplicateRequest):
        jury.submit_scorecard(juror, noms[0], actor=people.juror1, scores={c1.id: good, c2.id: good})
