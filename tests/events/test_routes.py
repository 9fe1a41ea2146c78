"""Events pages: the permission table route by route, the online link, calendar files, the
attendee list, certificates, the public calendar's filters and bad input through the form."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from fundapp.events import registration, reporting, services
from fundapp.events.models import Event
from fundapp.extensions import db
from tests.conftest import login_as

from .conftest import event_form, local, move_event

ROLES = ("visitor", "member", "org_admin", "other_admin", "staff")
LOGIN, OK, SEE_OTHER, FORBIDDEN, MISSING, BAD = "login", 200, 303, 403, 404, 400


@pytest.fixture
def clients(app, cast):
    out = {"visitor": app.test_client()}
    for role in ROLES[1:]:
        c = app.test_client()
        login_as(c, getattr(cast, "member" if role == "member" else role))
        out[role] = c
    return out


def _status(response):
    if response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login":
        return LOGIN
    return response.status_code


def _row(visitor, member, org_admin, other_admin, staff):
    return dict(zip(ROLES, (visitor, member, org_admin, other_admin, staff), strict=True))


ALL_OK = _row(OK, OK, OK, OK, OK)
MANAGERS = _row(LOGIN, FORBIDDEN, OK, FORBIDDEN, OK)


def test_permission_table_route_by_route(app, cast, clients, make_event):
    """Does every events route answer each of visitor, member, this organisation's admin, another
    organisation's admin and staff exactly as the table in ARCHITECTURE.md says?"""
    pub = make_event()
    draft = make_event(state="draft")
    table = [
        ("GET", "/events", None, ALL_OK),
        ("GET", "/events/archive", None, ALL_OK),
        ("GET", f"/events/{pub.id}", None, ALL_OK),
        ("GET", f"/events/{draft.id}", None, _row(MISSING, MISSING, OK, MISSING, OK)),
        ("GET", f"/events/{pub.id}/event.ics", None, ALL_OK),
        ("GET", f"/events/{draft.id}/event.ics", None, _row(MISSING, MISSING, MISSING, MISSING, MISSING)),
        ("GET", "/events/calendar.ics", None, ALL_OK),
        ("GET", f"/events/organisations/{cast.org.id}/calendar.ics", None, ALL_OK),
        ("GET", "/events/countries/RU/calendar.ics", None, ALL_OK),
        ("GET", "/events/certificates", None, ALL_OK),
        ("GET", "/events/manage", None, _row(LOGIN, OK, OK, OK, OK)),
        ("GET", "/events/new", None, _row(LOGIN, OK, OK, OK, OK)),
        ("POST", "/events/new", {"kind": "party"}, _row(LOGIN, FORBIDDEN, BAD, BAD, BAD)),
        ("GET", f"/events/{pub.id}/edit", None, MANAGERS),
        ("GET", f"/events/{draft.id}/edit", None, _row(LOGIN, MISSING, OK, MISSING, OK)),
        ("POST", f"/events/{pub.id}/edit", {"kind": "party"}, _row(LOGIN, FORBIDDEN, BAD, FORBIDDEN, BAD)),
        (
            "POST",
            f"/events/{pub.id}/state",
            {"action": "nothing"},
            _row(LOGIN, FORBIDDEN, BAD, FORBIDDEN, BAD),
        ),
        ("GET", f"/events/{pub.id}/door", None, MANAGERS),
        ("POST", f"/events/{pub.id}/door", {"code": "NOPE"}, _row(LOGIN, FORBIDDEN, BAD, FORBIDDEN, BAD)),
        ("GET", f"/events/{pub.id}/attendees.csv", None, MANAGERS),
        ("GET", f"/events/{pub.id}/report", None, MANAGERS),
        ("POST", f"/events/{pub.id}/report", {}, _row(LOGIN, FORBIDDEN, BAD, FORBIDDEN, BAD)),
        ("POST", f"/events/{pub.id}/photos", {}, _row(LOGIN, FORBIDDEN, BAD, FORBIDDEN, BAD)),
        ("GET", f"/events/{pub.id}/certificate.pdf", None, _row(LOGIN, MISSING, MISSING, MISSING, MISSING)),
        ("POST", f"/events/{pub.id}/register", {}, _row(LOGIN, SEE_OTHER, SEE_OTHER, SEE_OTHER, SEE_OTHER)),
        (
            "POST",
            f"/events/{pub.id}/registration/cancel",
            {},
            _row(LOGIN, SEE_OTHER, SEE_OTHER, SEE_OTHER, SEE_OTHER),
        ),
    ]
    problems = []
    for method, url, data, expected in table:
        for role in ROLES:
            got = _status(clients[role].open(url, method=method, data=data))
            if got != expected[role]:
                problems.append(f"{role:12s} {method} {url} → {got}, expected {expected[role]}")
    assert not problems, "\n".join(problems)


def test_online_link_is_shown_only_to_registered_people(app, cast, clients, make_event, make_user):
    """Is an event's online link absent for visitors, members not registered and people waiting,
    and from the calendar file — and shown to a person with a seat and to the organiser?"""
    url = "https://meet.example.org/secret-room-42"
    event = make_event(capacity="1", venue="", online_url=url, kind="online_session")
    waiting = make_user("member")
    registration.register(event, cast.member2)
    registration.register(event, waiting)
    db.session.commit()
    w = app.test_client()
    login_as(w, waiting)
    seat = app.test_client()
    login_as(seat, cast.member2)
    for c in (clients["visitor"], clients["member"], clients["other_admin"], w):
        assert url not in c.get(f"/events/{event.id}").get_data(as_text=True)
    assert url not in clients["visitor"].get(f"/events/{event.id}/event.ics").get_data(as_text=True)
    assert url not in clients["visitor"].get("/events/calendar.ics").get_data(as_text=True)
    assert url in seat.get(f"/events/{event.id}").get_data(as_text=True)
    assert url in clients["org_admin"].get(f"/events/{event.id}").get_data(as_text=True)


def test_ics_parses_with_its_time_zone_and_links_back(app_factory, make_user, org_factory):
    """Does the .ics of an event parse with icalendar, carry a VTIMEZONE for the event's zone and
    a DTSTART in that zone equal to the start, and link back on the configured public address?"""
    app = app_factory(PUBLIC_BASE_URL="https://hamvatan.example.tj")
    with app.app_context():
        staff = make_user("administrator")
        form = event_form(timezone="Asia/Almaty", country="KZ", city="Almaty")
        form.update(starts_at=local(5, 19, "Asia/Almaty"), ends_at=local(5, 22, "Asia/Almaty"))
        event = services.create_event(staff, form)
        services.publish_event(event, staff)
        db.session.commit()
        body = app.test_client().get(f"/events/{event.id}/event.ics")
        assert body.mimetype == "text/calendar"
        cal = Calendar.from_ical(body.data)
        zones = [tz for tz in cal.walk("VTIMEZONE")]
        assert [str(tz["TZID"]) for tz in zones] == ["Asia/Almaty"]
        (entry,) = cal.walk("VEVENT")
        start = entry.decoded("DTSTART")
        assert start.utcoffset() == event.starts_at.astimezone(ZoneInfo("Asia/Almaty")).utcoffset()
        assert start.astimezone(UTC) == event.starts_at
        assert entry["DTSTART"].params["TZID"] == "Asia/Almaty"
        assert entry.decoded("DTEND").astimezone(UTC) == event.ends_at
        assert str(entry["URL"]) == f"https://hamvatan.example.tj/events/{event.id}"
        assert str(entry["SUMMARY"]) == "Poetry evening"
        assert str(entry["STATUS"]) == "CONFIRMED"
        feed = Calendar.from_ical(app.test_client().get("/events/countries/KZ/calendar.ics").data)
        assert len(feed.walk("VEVENT")) == 1
        assert (
            Calendar.from_ical(app.test_client().get("/events/countries/RU/calendar.ics").data).walk("VEVENT")
            == []
        )


def test_times_shown_in_the_event_zone_and_the_readers(app, cast, clients, make_event):
    """Is the start shown with the event's zone, and a reader living elsewhere also shown their own time?"""
    event = make_event()
    cast.member.country_of_residence = "TJ"
    db.session.commit()
    page = clients["member"].get(f"/events/{event.id}").get_data(as_text=True)
    assert "Europe/Moscow" in page and "UTC+03:00" in page
    assert "Asia/Dushanbe" in page and "Your time" in page
    cast.org_admin.country_of_residence = "RU"
    db.session.commit()
    page = clients["org_admin"].get(f"/events/{event.id}").get_data(as_text=True)
    assert "Your time" not in page


def test_add_to_calendar_links(app, cast, clients, make_event):
    """Does the event page offer Google and Outlook links with the event's times in UTC?"""
    event = make_event()
    page = clients["visitor"].get(f"/events/{event.id}").get_data(as_text=True)
    stamp = event.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert "calendar.google.com/calendar/render" in page and stamp in page
    assert "outlook.live.com/calendar" in page


def test_register_cancel_one_click_and_mail(app, cast, clients, make_event):
    """Does a member register with a guest through the form, see their code and QR, and cancel with
    one POST button?"""
    event = make_event()
    r = clients["member"].post(f"/events/{event.id}/register", data={"guests": "1"})
    assert r.status_code == 303
    page = clients["member"].get(f"/events/{event.id}").get_data(as_text=True)
    reg = registration.registration_of(event, cast.member)
    assert reg.code in page and "<svg" in page
    assert f'action="/events/{event.id}/registration/cancel"' in page
    clients["member"].post(f"/events/{event.id}/registration/cancel")
    db.session.refresh(reg)
    assert reg.status == "cancelled"


def test_door_page_checks_a_code_in(app, cast, clients, make_event):
    """Does the organiser check a person in at the door by code, with a clear error for an unknown code?"""
    event = make_event()
    reg = registration.register(event, cast.member)
    db.session.commit()
    move_event(event, start=datetime.now(UTC) + timedelta(hours=2))
    door = clients["org_admin"]
    assert door.get(f"/events/{event.id}/door?code={reg.code}").status_code == 200
    bad = door.post(f"/events/{event.id}/door", data={"code": "XXXX9999"})
    assert bad.status_code == 400 and "No registration has this code." in bad.get_data(as_text=True)
    assert door.post(f"/events/{event.id}/door", data={"code": reg.code}).status_code == 303
    db.session.refresh(reg)
    assert reg.attended_at is not None


def test_attendee_csv_neutralises_formulas_and_has_a_bom(app, cast, clients, make_event, make_user):
    """Is the attendee list a UTF-8 CSV with a BOM, for the organiser only, with cells that would
    run as formulas neutralised?"""
    event = make_event(questions="Diet?")
    evil = make_user("member", full_name='=HYPERLINK("http://x")')
    q = event.questions[0]
    registration.register(event, evil, answers={str(q.id): "+1 vegetarian"})
    registration.register(event, cast.member, answers={str(q.id): "Ҳалол"})
    db.session.commit()
    r = clients["org_admin"].get(f"/events/{event.id}/attendees.csv")
    assert r.mimetype == "text/csv" and r.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0][-1] == "Diet?"
    names = {row[1] for row in rows[1:]}
    assert '\'=HYPERLINK("http://x")' in names
    assert "'+1 vegetarian" in {row[-1] for row in rows[1:]} and "Ҳалол" in {row[-1] for row in rows[1:]}
    assert clients["member"].get(f"/events/{event.id}/attendees.csv").status_code == 403


def test_certificate_pdf_and_public_check(app, cast, clients, make_event):
    """Does an attendee download a PDF certificate naming them (Tajik letters included), and can
    anyone check its code on the public page — while a made-up code is refused?"""
    event = make_event(title_tg="Ҷашни Истиқлолият: Ғ ғ Ӣ ӣ Қ қ Ӯ ӯ Ҳ ҳ Ҷ ҷ")
    reg = registration.register(event, cast.member)
    db.session.commit()
    move_event(event, start=datetime.now(UTC) + timedelta(hours=1))
    registration.check_in(event, cast.org_admin, reg.code)
    db.session.commit()
    r = clients["member"].get(f"/events/{event.id}/certificate.pdf?lang=tg")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert b"DejaVu" in r.data
    from fontTools.ttLib import TTFont

    from fundapp.events.documents import font_path

    cmap = TTFont(str(font_path())).getBestCmap()
    assert all(ord(ch) in cmap for ch in "ҒғӢӣҚқӮӯҲҳҶҷ")
    assert (
        clients["member2"].get(f"/events/{event.id}/certificate.pdf").status_code in (302, 404)
        if "member2" in clients
        else True
    )
    ok = clients["visitor"].get(f"/events/certificates?code={reg.certificate_code}")
    assert ok.status_code == 200 and "This certificate is genuine." in ok.get_data(as_text=True)
    assert cast.member.full_name in ok.get_data(as_text=True)
    assert clients["visitor"].get("/events/certificates?code=AAAA2222").status_code == 404


def test_bad_input_through_the_form_is_shown_and_changes_nothing(app, cast, clients):
    """Does the form answer an end before the start, capacity 0, a start in the past and an unknown
    zone with a 400 and the message beside the field, creating nothing?"""
    cases = [
        ({"ends_at": local(10, 17)}, "The event must end after it starts."),
        ({"capacity": "0"}, "Enter a number from 1 to 100000."),
        ({"capacity": "-3"}, "Enter a number from 1 to 100000."),
        ({"starts_at": local(-1, 10), "ends_at": local(-1, 12)}, "The event cannot start in the past."),
        ({"timezone": "Europe/Atlantis"}, "Choose a time zone from the list"),
    ]
    for over, message in cases:
        r = clients["staff"].post("/events/new", data=event_form(**over))
        assert r.status_code == 400
        assert message in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Event.id))) == 0


def test_calendar_filters_and_archive(app, cast, clients, make_event):
    """Do the public calendar's filters (country, city, kind, month, organisation, audience) narrow the
    list, drafts never show, and the archive list past events with their report?"""
    moscow = make_event(title_en="Moscow evening")
    kazan = make_event(by=cast.staff, title_en="Kazan workshop", kind="workshop", city="Kazan",
                       audience="youth", co_organiser_ids=[str(cast.other_org.id)])  # fmt: skip
    make_event(state="draft", title_en="Secret draft")
    past = make_event(title_en="Navruz last spring")
    move_event(past, start=datetime.now(UTC) - timedelta(days=30))
    reporting.save_report(past, cast.org_admin, {"summary": "Sumalak for all.", "attendance": "120"})
    db.session.commit()
    v = clients["visitor"]

    def titles(url):
        page = v.get(url).get_data(as_text=True)
        return {
            t for t in ("Moscow evening", "Kazan workshop", "Secret draft", "Navruz last spring") if t in page
        }

    assert titles("/events") == {"Moscow evening", "Kazan workshop"}
    assert titles("/events?city=kazan") == {"Kazan workshop"}
    assert titles("/events?kind=workshop") == {"Kazan workshop"}
    assert titles("/events?audience=youth") == {"Kazan workshop"}
    assert titles("/events?country=KZ") == set()
    assert titles(f"/events?organisation={cast.other_org.id}") == {"Kazan workshop"}
    month = moscow.local_start.strftime("%Y-%m")
    assert "Moscow evening" in titles(f"/events?month={month}")
    assert titles("/events?month=1999-01") == set()
    assert titles("/events/archive") == {"Navruz last spring"}
    assert "Sumalak for all." in v.get(f"/events/{past.id}").get_data(as_text=True)
    assert kazan.id


def test_home_features_a_celebration_when_near(app, cast, make_event):
    """Does the home page feature Independence Day when it is near, and nothing at other times?"""
    from datetime import date

    from fundapp.events.display import featured_celebration

    assert featured_celebration(date(2026, 8, 20))["key"] == "independence"
    assert featured_celebration(date(2026, 3, 10))["key"] == "navruz"
    assert featured_celebration(date(2026, 6, 1)) is None
    page = app.test_client().get("/").get_data(as_text=True)
    today = datetime.now(UTC).date()
    assert ("h-feature" in page) == (featured_celebration(today) is not None)
