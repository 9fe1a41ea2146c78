"""Events: creating, the state machine, registration with guests and the waiting list, check-in,
reminders and reports, through the services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from fundapp.audit.models import AuditEvent
from fundapp.core.errors import DuplicateRequest, InvalidTransition, NotPermitted, ValidationFailed
from fundapp.events import registration, reporting, seats, services
from fundapp.events.models import Event, Registration
from fundapp.extensions import db
from fundapp.mail.models import OutboxMessage

from .conftest import event_form, local, move_event


def _mails(user) -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.user_id == user.id)))


def test_org_admin_creates_a_draft_for_their_organisation(app, cast):
    """Does an organisation's admin create a draft held by their organisation, audited?"""
    event = services.create_event(cast.org_admin, event_form(organisation_id=str(cast.org.id)))
    db.session.commit()
    assert event.state == "draft" and event.organisation_id == cast.org.id
    assert event.local_start.hour == 18 and event.starts_at.tzinfo is not None
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "events.create")) == 1


def test_member_and_other_admin_cannot_create_for_this_organisation(app, cast):
    """Is a plain member refused, and may an admin of another organisation not hold an event for this one?"""
    with pytest.raises(NotPermitted):
        services.create_event(cast.member, event_form(organisation_id=str(cast.org.id)))
    with pytest.raises(ValidationFailed) as exc:
        services.create_event(cast.other_admin, event_form(organisation_id=str(cast.org.id)))
    assert exc.value.field == "organisation_id"


def test_unverified_organisation_admin_cannot_create(app, make_user, org_factory):
    """May the admin of an organisation still pending verification create events? (No.)"""
    admin = make_user("member")
    org_factory("Pending club", admin=admin, status="pending")
    assert not services.can_create(admin)


@pytest.mark.parametrize(
    "over, field",
    [
        ({"ends_at": local(10, 17)}, "ends_at"),
        ({"capacity": "0"}, "capacity"),
        ({"capacity": "-5"}, "capacity"),
        ({"capacity": "lots"}, "capacity"),
        ({"starts_at": local(-2, 18), "ends_at": local(-2, 20)}, "starts_at"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"title_tg": "", "title_en": "", "description_tg": "", "description_en": ""}, "title_tg"),
        ({"kind": "party"}, "kind"),
        ({"venue": "", "online_url": ""}, "venue"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        ({"kind": "online_session", "online_url": ""}, "online_url"),
        ({"registration_closes_at": local(11, 18)}, "registration_closes_at"),
        ({"project_ids": "999"}, "project_ids"),
        ({"starts_at": "tomorrow"}, "starts_at"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(app, cast, over, field):
    """Does each kind of bad input raise a clear error naming its field, leaving no event behind?"""
    with pytest.raises(ValidationFailed) as exc:
        services.create_event(cast.staff, event_form(**over))
    db.session.rollback()
    assert exc.value.field == field
    assert str(exc.value.message)
    assert db.session.scalar(select(func.count(Event.id))) == 0


def test_state_machine_and_mail_to_registered_people(app, cast, make_event):
    """Do publish → postpone → publish → cancel follow the table, mail the people registered, and
    refuse moves the table does not allow?"""
    event = make_event()
    registration.register(event, cast.member)
    db.session.commit()
    services.postpone_event(event, cast.org_admin, "The hall is being repaired")
    assert event.state == "postponed"
    with pytest.raises(ValidationFailed):
        services.cancel_event(event, cast.org_admin, "")
    services.publish_event(event, cast.org_admin)
    services.cancel_event(event, cast.org_admin, "Sorry")
    db.session.commit()
    with pytest.raises(InvalidTransition):
        services.publish_event(event, cast.org_admin)
    subjects = _mails(cast.member)
    assert any(s.startswith("Postponed") for s in subjects)
    assert any(s.startswith("New dates") for s in subjects)
    assert any(s.startswith("Cancelled") for s in subjects)
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"events.publish", "events.postpone", "events.cancel"} <= actions


def test_other_organisation_admin_cannot_move_the_event(app, cast, make_event):
    """May the admin of another organisation publish or cancel this one's event? (No.)"""
    event = make_event(state="draft")
    with pytest.raises(NotPermitted):
        services.publish_event(event, cast.other_admin)
    with pytest.raises(NotPermitted):
        services.cancel_event(event, cast.other_admin, "no")


def test_guests_fill_seats_and_waiting_list_promotes_in_order(app, make_user, make_event, cast):
    """With 5 seats: a party of 3 and one of 2 fill it; the next two wait in order; when the party
    of 3 cancels, both waiting people get seats, in the order they joined, with mail."""
    event = make_event(capacity="5", max_guests="2")
    a, b, c, d = (make_user("member", preferred_language="en") for _ in range(4))
    ra = registration.register(event, a, guests=2)
    rb = registration.register(event, b, guests=1)
    rc = registration.register(event, c)
    rd = registration.register(event, d, guests=1)
    db.session.commit()
    assert [r.status for r in (ra, rb, rc, rd)] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert seats.seats_taken(event) == 5
    with pytest.raises(DuplicateRequest):
        registration.register(event, a)
    db.session.rollback()
    registration.cancel_registration(ra, a)
    db.session.commit()
    assert (rc.status, rd.status) == ("confirmed", "confirmed")
    assert seats.seats_taken(event) == 5
    assert any(s.startswith("A seat is yours") for s in _mails(c))
    # cancelling twice changes nothing
    registration.cancel_registration(ra, a)
    assert seats.seats_taken(event) == 5


def test_waiting_list_does_not_let_a_smaller_party_jump_the_queue(app, make_user, make_event):
    """When the first person waiting brings guests that do not fit, does a later single person
    wait behind them rather than take the seat?"""
    event = make_event(capacity="3", max_guests="2")
    a, b, c = (make_user("member") for _ in range(3))
    registration.register(event, a, guests=1)
    rb = registration.register(event, b, guests=2)
    rc = registration.register(event, c)
    db.session.commit()
    assert (rb.status, rc.status) == ("waitlisted", "waitlisted")


def test_guests_over_the_limit_are_refused(app, cast, make_event):
    """Is asking for more guests than the event allows a clear error on the guests field?"""
    event = make_event(max_guests="1")
    with pytest.raises(ValidationFailed) as exc:
        registration.register(event, cast.member, guests=3)
    assert exc.value.field == "guests"


def test_registration_only_while_open(app, cast, make_event):
    """Is registration refused for a draft, a cancelled event and one that has ended?"""
    for state in ("draft", "cancelled"):
        with pytest.raises(InvalidTransition):
            registration.register(make_event(state=state), cast.member)
        db.session.rollback()
    event = make_event()
    move_event(event, start=datetime.now(UTC) - timedelta(days=3))
    with pytest.raises(InvalidTransition):
        registration.register(event, cast.member)


def test_capacity_cannot_drop_below_seats_taken_and_a_rise_promotes(app, make_user, make_event, cast):
    """Does lowering the capacity under the seats taken fail on the field, and raising it promote
    people waiting?"""
    event = make_event(capacity="1")
    a, b = make_user("member"), make_user("member")
    registration.register(event, a)
    rb = registration.register(event, b)
    db.session.commit()
    form = event_form(organisation_id=str(cast.org.id), capacity="2")
    form["starts_at"] = event.local_start.strftime("%Y-%m-%dT%H:%M")
    form["ends_at"] = event.local_end.strftime("%Y-%m-%dT%H:%M")
    services.update_event(event, cast.org_admin, form)
    db.session.commit()
    assert rb.status == "confirmed"


def test_check_in_records_attendance_once_and_issues_a_certificate(app, cast, make_event):
    """Does the organiser check a code in (with the guests who came), refuse it twice, refuse an
    unknown code, and issue a certificate code that anyone can look up?"""
    event = make_event(max_guests="2")
    reg = registration.register(event, cast.member, guests=2)
    db.session.commit()
    move_event(event, start=datetime.now(UTC) + timedelta(hours=1))
    with pytest.raises(NotPermitted):
        registration.check_in(event, cast.other_admin, reg.code)
    with pytest.raises(ValidationFailed):
        registration.check_in(event, cast.org_admin, "NOPE1234")
    registration.check_in(event, cast.org_admin, reg.code.lower(), guests="1")
    db.session.commit()
    assert reg.attended_at is not None and reg.attended_guests == 1
    with pytest.raises(DuplicateRequest):
        registration.check_in(event, cast.org_admin, reg.code)
    assert registration.find_certificate(reg.certificate_code) == reg
    assert registration.find_certificate("ZZZZZZZZ") is None


def test_reminders_are_sent_once_per_registration(app, runner, cast, make_event, make_user):
    """Does `flask events remind` mail people with a seat at tomorrow's event once, however often it runs,
    and nobody waiting or at a later event?"""
    event = make_event(capacity="1")
    later = make_event()
    waiting = make_user("member", preferred_language="en")
    registration.register(event, cast.member)
    registration.register(event, waiting)
    registration.register(later, cast.member2)
    db.session.commit()
    move_event(event, start=datetime.now(UTC) + timedelta(hours=20))
    first = runner.invoke(args=["events", "remind"])
    second = runner.invoke(args=["events", "remind"])
    assert first.exit_code == 0 and "1 reminders" in first.output
    assert "0 reminders" in second.output
    assert sum(s.startswith("Tomorrow") for s in _mails(cast.member)) == 1
    assert not any(s.startswith("Tomorrow") for s in _mails(waiting) + _mails(cast.member2))


def test_report_only_after_the_event_started(app, cast, make_event):
    """Is a report refused before the event and saved after it, audited?"""
    event = make_event()
    with pytest.raises(InvalidTransition):
        reporting.save_report(event, cast.org_admin, {"summary": "x", "attendance": "3"})
    db.session.rollback()
    move_event(event, start=datetime.now(UTC) - timedelta(days=1))
    with pytest.raises(ValidationFailed) as exc:
        reporting.save_report(event, cast.org_admin, {"summary": "Fine", "attendance": "-1"})
    assert exc.value.field == "attendance"
    db.session.rollback()
    reporting.save_report(event, cast.org_admin, {"summary": "Forty people sang.", "attendance": "40"})
    db.session.commit()
    assert event.report.attendance == 40


def test_text_falls_back_to_the_first_language_written(app, cast, make_event):
    """Is a title shown in the reader's language when written, else in the first language that is?"""
    event = make_event(title_tg="", description_tg="", title_ru="Вечер поэзии", title_en="Poetry evening")
    assert event.text("title", "tg") == "Вечер поэзии"
    assert event.text("title", "en") == "Poetry evening"
    assert db.session.scalar(select(func.count(Registration.id))) == 0
