"""Specialists: profiles and their visibility, needs, matching with reasons, placements from
interest or invitation to an end, the project team, mail and audit, and the pages by role."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fundapp.audit.models import AuditEvent
from fundapp.community import specialists
from fundapp.community.models import Placement, SpecialistNeed, SpecialistProfile
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.extensions import db
from fundapp.mail.models import OutboxMessage
from tests.conftest import login_as
from tests.fakes.backing import make_project


def profile_data(**over) -> dict:
    data = {
        "field": "education",
        "skills": ["teaching", "research"],
        "tags": "Tajik grammar, методика",
        "years": 12,
        "languages": ["tg", "ru"],
        "country": "RU",
        "availability": ["remote", "mentoring"],
        "summary": "Teacher of Tajik language",
        "visibility": "public",
    }
    data.update(over)
    return data


def need_data(owner: str, **over) -> dict:
    data = {
        "owner": owner,
        "role": "Teacher for a summer school",
        "skills": ["teaching"],
        "languages": ["tg"],
        "country": "",
        "description": "",
        "months": 3,
        "on_site": False,
        "stipend": True,
    }
    data.update(over)
    return data


@pytest.fixture
def world(app, people, make_user):
    specialist = make_user("member", full_name="Farrukh Saidov")
    project = make_project(people.founder, title="Summer school in Khujand")
    profile = specialists.save_profile(specialist, profile_data())
    need = specialists.post_need(people.founder, need_data(f"project:{project.id}"))
    db.session.commit()

    class World:
        pass

    w = World()
    w.specialist, w.project, w.profile, w.need = specialist, project, profile, need
    return w


def test_profile_bad_input_names_the_field_and_writes_nothing(app, people):
    """Each bad value is refused with a message on its own field; no profile is created."""
    for over, field in (
        ({"field": "astrology"}, "field"),
        ({"years": 90}, "years"),
        ({"skills": []}, "skills"),
        ({"skills": ["juggling"]}, "skills"),
        ({"country": "XX"}, "country"),
        ({"availability": []}, "availability"),
        ({"visibility": "everyone"}, "visibility"),
        ({"tags": "x" * 41}, "tags"),
    ):
        with pytest.raises(ValidationFailed) as exc:
            specialists.save_profile(people.stranger, profile_data(**over))
        assert exc.value.field == field
        db.session.rollback()
    assert db.session.scalar(select(func.count(SpecialistProfile.id))) == 0


def test_visibility_is_the_specialists_choice(app, people, world, make_user):
    """Public profiles are seen by all, members-only ones by members, hidden ones by the specialist,
    staff, and owners of needs the specialist answered."""
    visitor = None
    assert specialists.can_view_profile(visitor, world.profile)
    world.profile.visibility = "members"
    assert not specialists.can_view_profile(visitor, world.profile)
    assert specialists.can_view_profile(people.stranger, world.profile)
    world.profile.visibility = "hidden"
    assert not specialists.can_view_profile(people.stranger, world.profile)
    assert not specialists.can_view_profile(people.founder, world.profile)
    assert specialists.can_view_profile(world.specialist, world.profile)
    assert specialists.can_view_profile(people.staff, world.profile)
    specialists.express_interest(world.need, world.specialist)
    assert specialists.can_view_profile(people.founder, world.profile)
    assert world.profile not in db.session.scalars(specialists.profile_query(people.stranger)).all()


def test_only_owners_post_needs(app, people, world, make_org):
    """A member posts for their own projects and verified organisations only; a bad owner or
    duration is refused on its field."""
    with pytest.raises(ValidationFailed) as exc:
        specialists.post_need(people.stranger, need_data(f"project:{world.project.id}"))
    assert exc.value.field == "owner"
    with pytest.raises(ValidationFailed) as exc:
        specialists.post_need(people.founder, need_data(f"project:{world.project.id}", months=0))
    assert exc.value.field == "months"
    db.session.rollback()
    org = make_org()
    need = specialists.post_need(people.founder, need_data(f"org:{org.id}", role="Accountant"))
    assert need.organisation_id == org.id and need.project_id is None
    assert db.session.scalar(select(func.count(SpecialistNeed.id))) == 2


def test_matching_ranks_with_reasons(app, people, world, make_user):
    """The best match shares more skills and the need's language; reasons say why."""
    other = make_user("member")
    specialists.save_profile(
        other, profile_data(skills=["teaching"], languages=["en"], availability=["on_site"], country="DE")
    )
    need = specialists.post_need(
        people.founder,
        need_data(f"project:{world.project.id}", skills=["teaching", "research"], country="RU"),
    )
    ranked = specialists.specialists_for(need, people.founder)
    assert [p.id for p, _, _ in ranked][0] == world.profile.id
    reasons = ranked[0][2]
    assert any("Teaching" in r and "Research" in r for r in reasons)
    assert any("Tajik" in r for r in reasons)
    assert any("Remote" in r for r in reasons)
    assert "Lives in the need's country" in reasons
    for_specialist = specialists.needs_for(world.profile)
    assert for_specialist[0][0].id == need.id


def test_search_is_case_folded(app, people, world):
    """Search finds profiles and needs whatever the case, in Cyrillic too."""
    assert db.session.scalars(specialists.profile_query(None, q="МЕТОДИКА")).all() == [world.profile]
    assert db.session.scalars(specialists.need_query(q="SUMMER school")).all() == [world.need]
    assert db.session.scalars(specialists.profile_query(None, q="100%")).all() == []


def test_invitation_accepted_joins_the_team_with_consent(app, people, world):
    """The owner invites; the specialist accepts and agrees to be named: the placement starts,
    the specialist joins the project's team, the owner is mailed, each step audited."""
    from fundapp.proposals.models import TeamMember

    placement = specialists.invite(world.need, people.founder, world.profile)
    assert placement.status == "invited"
    again = specialists.invite(world.need, people.founder, world.profile)
    assert again.id == placement.id
    with pytest.raises(NotPermitted):
        specialists.accept(placement, people.founder)
    specialists.accept(placement, world.specialist, join_team=True)
    db.session.commit()
    assert placement.status == "active" and placement.started_at is not None
    team = db.session.scalars(select(TeamMember).where(TeamMember.project_id == world.project.id)).all()
    assert world.specialist.id in {t.user_id for t in team}
    assert db.session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.to_address == world.specialist.email)
    )
    assert db.session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.to_address == people.founder.email)
    )
    actions = set(db.session.scalars(select(AuditEvent.action)).all())
    assert {"community.invite_specialist", "community.start_placement"} <= actions
    assert specialists.placement_counts()["active"] == 1


def test_interest_accepted_without_consent_stays_off_the_team(app, people, world):
    """A specialist who did not agree to be named never appears on the project's team."""
    from fundapp.proposals.models import TeamMember

    placement = specialists.express_interest(world.need, world.specialist, join_team=False)
    specialists.express_interest(world.need, world.specialist)
    assert db.session.scalar(select(func.count(Placement.id))) == 1
    with pytest.raises(NotPermitted):
        specialists.accept(placement, world.specialist)
    specialists.accept(placement, people.founder)
    team = db.session.scalars(
        select(TeamMember.user_id).where(TeamMember.project_id == world.project.id)
    ).all()
    assert world.specialist.id not in team


def test_placement_ends_once(app, people, world):
    """An active placement ends completed or cut short, once; counts follow."""
    placement = specialists.express_interest(world.need, world.specialist)
    with pytest.raises(InvalidTransition):
        specialists.end(placement, people.founder, "completed")
    specialists.accept(placement, people.founder)
    with pytest.raises(NotPermitted):
        specialists.end(placement, people.stranger, "completed")
    with pytest.raises(ValidationFailed):
        specialists.end(placement, people.founder, "vanished")
    specialists.end(placement, world.specialist, "completed")
    with pytest.raises(InvalidTransition):
        specialists.end(placement, people.founder, "cut_short")
    db.session.commit()
    assert specialists.placement_counts() == {"active": 0, "completed": 1, "cut_short": 0}


def test_closed_need_takes_no_answers(app, people, world):
    """Nobody answers a closed need, and only its owner closes it."""
    with pytest.raises(NotPermitted):
        specialists.close_need(world.need, people.stranger)
    specialists.close_need(world.need, people.founder)
    with pytest.raises(InvalidTransition):
        specialists.express_interest(world.need, world.specialist)


# -- pages, by role -------------------------------------------------------------------------------

LOGIN = "login"
ROLES = ("visitor", "member", "specialist", "owner", "staff")


@pytest.fixture
def clients(app, people, world):
    out = {"visitor": app.test_client()}
    for role, person in (
        ("member", people.stranger),
        ("specialist", world.specialist),
        ("owner", people.founder),
        ("staff", people.staff),
    ):
        out[role] = app.test_client()
        login_as(out[role], person)
    return out


GET_TABLE = [
    ("/specialists", (200, 200, 200, 200, 200)),
    ("/specialists/{public}", (200, 200, 200, 200, 200)),
    ("/specialists/{members}", (404, 200, 200, 200, 200)),
    ("/specialists/{hidden}", (404, 404, 404, 404, 200)),
    ("/specialists/profile", (LOGIN, 200, 200, 200, 200)),
    ("/specialists/mine", (LOGIN, 200, 200, 200, 200)),
    ("/needs", (200, 200, 200, 200, 200)),
    ("/needs/new", (LOGIN, 200, 200, 200, 200)),
    ("/needs/{need}", (200, 200, 200, 200, 200)),
    ("/needs/{closed}", (404, 404, 404, 200, 200)),
]


def test_get_routes_by_role(app, people, world, clients, make_user):
    """Each page answers each role as the permission table in ARCHITECTURE.md says."""
    members = specialists.save_profile(make_user("member"), profile_data(visibility="members"))
    hidden = specialists.save_profile(make_user("member"), profile_data(visibility="hidden"))
    closed = specialists.post_need(people.founder, need_data(f"project:{world.project.id}"))
    specialists.close_need(closed, people.founder)
    db.session.commit()
    ids = {"public": world.profile.id, "members": members.id, "hidden": hidden.id}
    ids |= {"need": world.need.id, "closed": closed.id}
    for path, expected in GET_TABLE:
        for role, want in zip(ROLES, expected, strict=True):
            resp = clients[role].get(path.format(**ids))
            if want == LOGIN:
                assert resp.status_code == 302 and "/login" in resp.headers["Location"], (path, role)
            else:
                assert resp.status_code == want, (path, role, resp.status_code)


def test_post_routes_by_role(app, people, world, clients):
    """Only the need's owner invites and closes; only a specialist expresses interest; only the
    parties answer and end a placement."""
    invite = f"/specialists/{world.profile.id}/invite"
    for role in ("member", "specialist", "staff"):
        resp = clients[role].post(invite, data={"need_id": world.need.id})
        assert resp.status_code == 303
    assert db.session.scalar(select(func.count(Placement.id))) == 0
    assert clients["visitor"].post(invite, data={"need_id": world.need.id}).status_code == 302
    assert clients["member"].post(f"/needs/{world.need.id}/interest").status_code == 303
    assert db.session.scalar(select(func.count(Placement.id))) == 0
    assert clients["owner"].post(invite, data={"need_id": world.need.id}).status_code == 303
    placement = db.session.scalar(select(Placement))
    for role in ("member", "staff"):
        resp = clients[role].post(f"/placements/{placement.id}/accept")
        assert resp.status_code in (303, 404)
    db.session.expire_all()
    assert db.session.get(Placement, placement.id).status == "invited"
    resp = clients["specialist"].post(f"/placements/{placement.id}/accept", data={"join_team": "y"})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(Placement, placement.id).status == "active"
    assert clients["member"].post(f"/needs/{world.need.id}/close").status_code == 303
    db.session.expire_all()
    assert db.session.get(SpecialistNeed, world.need.id).status == "open"
    assert clients["owner"].post(f"/needs/{world.need.id}/close").status_code == 303
    db.session.expire_all()
    assert db.session.get(SpecialistNeed, world.need.id).status == "closed"


def test_profile_form_shows_errors_by_the_field(app, people, clients):
    """A bad submit answers 400 with the message next to its field and writes nothing."""
    resp = clients["member"].post(
        "/specialists/profile",
        data={"field": "education", "years": "5", "country": "RU", "visibility": "public", "languages": "tg"},
    )
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert 'id="skills-error"' in html
    assert specialists.own_profile(people.stranger) is None


def test_public_pages_keep_private_things_private(app, people, world, clients, make_user):
    """Visitors never see members-only or hidden profiles, nor anyone's name or address."""
    specialists.save_profile(
        make_user("member"), profile_data(visibility="members", summary="Members only text")
    )
    db.session.commit()
    html = clients["visitor"].get("/specialists").get_data(as_text=True)
    assert "1 specialist found" in html
    page = clients["visitor"].get(f"/specialists/{world.profile.id}").get_data(as_text=True)
    assert world.specialist.email not in page and "Farrukh" not in page
    assert "Members only text" not in clients["visitor"].get("/specialists?q=members").get_data(as_text=True)


def test_owner_sees_the_match_with_its_reason(app, people, world, clients):
    """The need's page shows its owner the ranked specialists and why they match."""
    html = clients["owner"].get(f"/needs/{world.need.id}").get_data(as_text=True)
    assert "Skills in common: Teaching" in html
    assert f"/specialists/{world.profile.id}/invite" in html
    assert "Skills in common" not in clients["member"].get(f"/needs/{world.need.id}").get_data(as_text=True)


def test_cv_is_read_only_by_staff_and_owners_of_answered_needs(app, people, world, clients):
    """A CV is private: the specialist, staff, and the owner of a need the specialist answered
    read it; visitors, members and other owners never do, even for a public profile."""
    import io

    from werkzeug.datastructures import FileStorage

    from .conftest import PDF

    cv = FileStorage(io.BytesIO(PDF), filename="cv.pdf", content_type="application/pdf")
    specialists.save_profile(world.specialist, profile_data(), cv=cv)
    db.session.commit()
    url = f"/files/{world.profile.cv_file_id}"
    assert clients["visitor"].get(url).status_code == 404
    assert clients["member"].get(url).status_code == 404
    assert clients["owner"].get(url).status_code == 404
    assert clients["specialist"].get(url).status_code == 200
    assert clients["staff"].get(url).status_code == 200
    assert "Download (private)" not in clients["visitor"].get(f"/specialists/{world.profile.id}").get_data(
        as_text=True
    )
    specialists.express_interest(world.need, world.specialist)
    db.session.commit()
    assert clients["owner"].get(url).status_code == 200
    assert f"/files/{world.profile.cv_file_id}" in clients["owner"].get(f"/needs/{world.need.id}").get_data(
        as_text=True
    )


def test_cv_that_is_not_a_pdf_is_refused_on_its_field(app, people):
    """A CV that is not a PDF is refused next to its field and no profile is written."""
    import io

    from werkzeug.datastructures import FileStorage

    cv = FileStorage(io.BytesIO(b"MZ\x90\x00 not a pdf"), filename="cv.pdf")
    with pytest.raises(ValidationFailed) as exc:
        specialists.save_profile(people.stranger, profile_data(), cv=cv)
    assert exc.value.field == "cv"
    db.session.rollback()
    assert specialists.own_profile(people.stranger) is None


def test_directory_filters_by_country_and_skill(app, people, world, clients, make_user):
    """The directory's country and skill filters narrow the list; the country list names only
    countries of profiles the reader may see."""
    specialists.save_profile(make_user("member"), profile_data(country="DE", skills=["law"]))
    specialists.save_profile(make_user("member"), profile_data(country="FR", visibility="hidden"))
    db.session.commit()
    assert specialists.profile_countries(None) == ["DE", "RU"]
    assert [p.country for p in db.session.scalars(specialists.profile_query(None, country="de"))] == ["DE"]
    assert [p.country for p in db.session.scalars(specialists.profile_query(None, skill="teaching"))] == [
        "RU"
    ]
    html = clients["visitor"].get("/specialists?skill=law").get_data(as_text=True)
    assert "1 specialist found" in html


def test_asking_twice_mails_and_audits_once(app, people, world):
    """A double submit of interest makes one placement, one audit entry and one mail."""
    specialists.express_interest(world.need, world.specialist)
    specialists.express_interest(world.need, world.specialist)
    db.session.commit()
    audits = select(func.count(AuditEvent.id)).where(AuditEvent.action == "community.express_interest")
    assert db.session.scalar(audits) == 1
    mails = select(func.count(OutboxMessage.id)).where(OutboxMessage.to_address == people.founder.email)
    assert db.session.scalar(mails) == 1
