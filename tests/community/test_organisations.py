"""Organisations: registration, verification, the public directory and what it never shows."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from fundapp.audit.models import AuditEvent
from fundapp.community import services
from fundapp.community.models import Organisation
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.extensions import db
from fundapp.mail.models import OutboxMessage
from tests.conftest import login_as

from .conftest import PDF


def _form(**over):
    data = {
        "name": "Tajik Students of Almaty",
        "kind": "student_union",
        "country": "KZ",
        "city": "Almaty",
        "languages": ["tg", "kk"],
        "fields": ["youth"],
        "year_founded": "2015",
        "website": "https://students.example.org",
        "description": "Students from Tajikistan help each other.",
    }
    data.update(over)
    return data


def test_registering_makes_a_pending_organisation_with_its_founder_as_admin(app, people):
    """Does the form create a pending organisation (not public), with the founder its admin, the
    registration document stored privately, staff mailed and an audit row?"""
    c = app.test_client()
    login_as(c, people.founder)
    data = _form()
    data["registration_file"] = (io.BytesIO(PDF), "charter.pdf")
    r = c.post("/organisations/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 303
    org = db.session.scalar(select(Organisation))
    assert org.status == "pending" and org.languages == "tg,kk" and org.year_founded == 2015
    assert services.is_organisation_admin(people.founder, org)
    assert org.registration_file_id is not None
    assert (
        db.session.scalar(select(func.count()).where(AuditEvent.action == "community.register_organisation"))
        == 1
    )
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == people.staff.email))
    anon = app.test_client()
    assert anon.get(f"/organisations/{org.id}").status_code == 404
    assert b"Tajik Students" not in anon.get("/organisations").data
    assert anon.get(f"/files/{org.registration_file_id}").status_code == 404
    stranger = app.test_client()
    login_as(stranger, people.stranger)
    assert stranger.get(f"/files/{org.registration_file_id}").status_code == 404


@pytest.mark.parametrize(
    "field,value",
    [
        ("name", ""),
        ("country", "XX"),
        ("languages", "xx"),
        ("fields", "nonsense"),
        ("year_founded", "1700"),
        ("website", "javascript:alert(1)"),
        ("kind", "government_agency"),
        ("description", ""),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_changes_nothing(app, people, field, value):
    """Is each kind of bad input answered 400 with a message, creating no organisation?"""
    c = app.test_client()
    login_as(c, people.founder)
    r = c.post("/organisations/new", data=_form(**{field: value}))
    assert r.status_code == 400
    assert b"field-error" in r.data
    assert db.session.scalar(select(func.count(Organisation.id))) == 0


def test_a_bad_registration_file_is_refused(app, people):
    """Is a file that is not a PDF or image refused (whatever its name) with nothing stored?"""
    c = app.test_client()
    login_as(c, people.founder)
    data = _form()
    data["registration_file"] = (io.BytesIO(b"MZ\x90\x00 not a pdf"), "charter.pdf")
    r = c.post("/organisations/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 400
    assert db.session.scalar(select(func.count(Organisation.id))) == 0


def test_only_staff_register_a_government_agency(people):
    """Can a member not pose as a ministry, while staff may register one?"""
    from .conftest import org_data

    with pytest.raises(ValidationFailed):
        services.register_organisation(people.founder, org_data(kind="government_agency"))
    db.session.rollback()
    org = services.register_organisation(people.staff, org_data(kind="government_agency", name="MoLMEP"))
    assert org.kind == "government_agency"


def test_staff_verify_and_decline_with_a_reason_audited_and_mailed(app, people, make_org):
    """Does verifying list the organisation publicly, and declining need a reason that the admins
    receive by mail and see on the page, each audited?"""
    org = make_org(verified=False)
    staff = app.test_client()
    login_as(staff, people.staff)
    r = staff.post(f"/organisations/{org.id}/decline", data={"reason": ""})
    assert r.status_code == 303 and db.session.get(Organisation, org.id).status == "pending"
    r = staff.post(f"/organisations/{org.id}/decline", data={"reason": "The charter is unreadable."})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).status == "declined"
    mail = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == people.founder.email)
    ).all()
    assert any("The charter is unreadable." in m.body_text for m in mail)
    founder = app.test_client()
    login_as(founder, people.founder)
    assert b"The charter is unreadable." in founder.get(f"/organisations/{org.id}").data
    staff.post(f"/organisations/{org.id}/verify")
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).status == "verified"
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"community.decline_organisation", "community.verify_organisation"} <= actions
    page = app.test_client().get(f"/organisations/{org.id}").data
    assert b"The charter is unreadable." not in page


def test_members_cannot_verify(app, people, make_org):
    """Is a member refused (403) when posting to verify, and the service refuses too?"""
    org = make_org(verified=False)
    c = app.test_client()
    login_as(c, people.founder)
    assert c.post(f"/organisations/{org.id}/verify").status_code == 403
    with pytest.raises(NotPermitted):
        services.verify_organisation(org, people.founder)
    with pytest.raises(InvalidTransition):
        services.verify_organisation(make_org(name="Other"), people.staff)


def test_directory_filters_and_search(app, people, make_org):
    """Do search (any case, Cyrillic too) and the country, city, kind, field and language filters
    narrow the directory, and are unknown filter values harmless?"""
    make_org(name="Тоҷикон дар Маскав", country="RU", city="Moscow", kind="association", fields=["culture"])
    make_org(
        name="Navruz Club Istanbul",
        country="TR",
        city="Istanbul",
        kind="sports_club",
        fields=["sport"],
        languages=["tr"],
    )
    c = app.test_client()

    def names(**args):
        r = c.get("/organisations", query_string=args)
        assert r.status_code == 200
        return r.get_data(as_text=True)

    assert "Navruz Club" in names(q="NAVRUZ CLUB") and "Маскав" not in names(q="navruz club")
    assert "Маскав" in names(q="тоҷикон")
    assert "Navruz Club" not in names(country="RU")
    assert "Navruz Club" in names(city="istanbul")
    assert "Navruz Club" in names(kind="sports_club") and "Маскав" not in names(kind="sports_club")
    assert "Маскав" in names(field="culture") and "Navruz Club" not in names(field="culture")
    assert "Navruz Club" in names(language="tr") and "Маскав" not in names(language="tr")
    assert "Navruz Club" in names(kind="<script>", field="%", language="zz", country="%", page="x")


def test_country_counts_and_chart(app, make_org):
    """Does the countries page count verified organisations only, with an accessible SVG chart?"""
    make_org(country="RU")
    make_org(country="RU", name="Second")
    make_org(country="KZ", name="Third")
    make_org(country="TR", name="Not yet", verified=False)
    assert services.counts_by_country() == [("RU", 2), ("KZ", 1)]
    r = app.test_client().get("/organisations/countries")
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert 'role="img"' in body and "Russia" in body and "Türkiye" not in body


def test_open_data_and_api_hold_only_public_fields(app, people, make_org):
    """Do the CSV, JSON and API list verified organisations only, with no document, members or
    reasons, and is a formula in a name neutralised in the CSV?"""
    org = make_org(name='=HYPERLINK("http://x")')
    make_org(name="Hidden pending", verified=False)
    c = app.test_client()
    csv_text = c.get("/organisations/data.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in csv_text and "Hidden pending" not in csv_text
    assert people.founder.email not in csv_text
    data = c.get("/organisations/data.json").get_json()
    assert [o["id"] for o in data["organisations"]] == [org.id]
    assert "registration_file_id" not in data["organisations"][0]
    api = c.get("/api/v1/organisations").get_json()
    assert api["total"] == 1 and api["organisations"][0]["country"] == "RU"
    assert c.get(f"/api/v1/organisations/{org.id}").status_code == 200
    pending = db.session.scalar(select(Organisation).where(Organisation.name == "Hidden pending"))
    assert c.get(f"/api/v1/organisations/{pending.id}").status_code == 404
    assert c.get("/api/v1/organisations?per_page=0").status_code == 400
    assert c.get("/api/v1/organisations/countries").get_json() == {
        "countries": [{"country": "RU", "organisations": 1}]
    }


def test_admins_edit_the_details_but_not_the_kind(app, people, make_org):
    """May an admin correct the details (a stranger gets 403), the kind staying as registered?"""
    org = make_org()
    c = app.test_client()
    login_as(c, people.stranger)
    assert c.get(f"/organisations/{org.id}/edit").status_code == 403
    login_as(c, people.founder)
    assert c.get(f"/organisations/{org.id}/edit").status_code == 200
    r = c.post(f"/organisations/{org.id}/edit", data=_form(name="Renamed centre", kind="government_agency"))
    assert r.status_code == 303
    db.session.expire_all()
    org = db.session.get(Organisation, org.id)
    assert org.name == "Renamed centre" and org.kind == "cultural_centre"


def test_words_shared_with_other_domains_show_the_community_meaning(app, people, make_org):
    """ "Register" (an organisation) is not the events' "Register" (oneself), "Field" (of
    activity) not the audit's field of a record, "Declined" (organisations, a request, a
    placement) each in its own grammar: every page shows its own word in Russian and Tajik."""
    from flask_babel import force_locale, gettext, pgettext

    with app.test_request_context():
        with force_locale("ru"):
            assert pgettext("organisation", "Register") == "Зарегистрировать"
            assert gettext("Register") == "Зарегистрироваться"  # events keep theirs
            assert pgettext("field of activity", "Field") == "Область" and gettext("Field") == "Поле"
            assert pgettext("organisations", "Declined") == "Отклонённые"
            assert pgettext("support request", "Declined") == "Отклонён"
            assert pgettext("placement", "Declined") == "Отклонена"
        with force_locale("tg"):
            assert pgettext("organisation", "Register") == "Ба қайд гирифтан"
            assert gettext("Register") == "Сабти ном"
    c = app.test_client()
    login_as(c, people.founder)
    page = c.get("/organisations/new?lang=ru").get_data(as_text=True)
    assert ">Зарегистрировать</button>" in page and "Зарегистрироваться" not in page
    org = make_org()
    page = c.get(f"/organisations/{org.id}?lang=ru").get_data(as_text=True)
    assert "<dt>Где</dt>" in page
