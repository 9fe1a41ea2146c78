"""The figures the Plan's monitoring reads from ``fundapp.events.figures``: events held by kind and
country, attendance, organisations involved — counting only events held in the period."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from fundapp.events import figures, registration, reporting
from fundapp.extensions import db
from tests.conftest import login_as

from .conftest import move_event


def test_figures_count_events_held_in_the_period(app, cast, make_event, make_user):
    """Are published events that ended in the period counted by kind and country, with people checked
    in and reported, and the organisations that held or co-organised them — and are drafts,
    cancelled and future events left out?"""
    now = datetime.now(UTC)
    held = make_event(co_organiser_ids=[str(cast.other_org.id)])
    reg = registration.register(held, cast.member, guests=0)
    reg2 = registration.register(held, cast.member2)
    db.session.commit()
    move_event(held, start=now + timedelta(hours=1))
    registration.check_in(held, cast.org_admin, reg.code)
    db.session.commit()
    move_event(held, start=now - timedelta(days=3))
    reporting.save_report(held, cast.org_admin, {"summary": "Good", "attendance": "35"})
    workshop = make_event(by=cast.staff, kind="workshop", country="KZ", city="Almaty")
    move_event(workshop, start=now - timedelta(days=5))
    cancelled = make_event(state="cancelled")
    move_event(cancelled, start=now - timedelta(days=4))
    make_event()  # still to come
    make_event(state="draft")
    db.session.commit()

    start, end = now - timedelta(days=30), now
    assert figures.events_held(start, end) == [
        {"kind": "creative_evening", "country": "RU", "events": 1},
        {"kind": "workshop", "country": "KZ", "events": 1},
    ]
    assert figures.attendance(start, end) == {"events": 2, "checked_in": 1, "reported": 35}
    orgs = {o["name"]: o["events"] for o in figures.organisations_involved(start, end)}
    assert orgs == {cast.org.name: 1, cast.other_org.name: 1}
    assert figures.events_held(now - timedelta(days=60), now - timedelta(days=31)) == []
    assert reg2.attended_at is None


def test_report_photos_are_stored_through_files_and_public(app, cast, make_event):
    """Does the organiser add a captioned photo to the report through the files domain (checked by
    content, public), and is a file that is not an image refused with a message?"""
    import segno

    event = make_event()
    move_event(event, start=datetime.now(UTC) - timedelta(days=1))
    reporting.save_report(event, cast.org_admin, {"summary": "We sang.", "attendance": "12"})
    db.session.commit()
    png = io.BytesIO()
    segno.make("Navruz").save(png, kind="png", scale=5)
    c = app.test_client()
    login_as(c, cast.org_admin)
    r = c.post(
        f"/events/{event.id}/photos",
        data={"caption": "Сумалак", "photo": (io.BytesIO(png.getvalue()), "navruz.png")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    db.session.refresh(event)
    (photo,) = event.photos
    assert photo.caption == "Сумалак" and photo.file.is_public and photo.file.kind == "png"
    assert app.test_client().get(f"/files/{photo.file_id}").status_code == 200
    bad = c.post(
        f"/events/{event.id}/photos",
        data={"caption": "x", "photo": (io.BytesIO(b"not an image at all"), "x.png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "This file type is not accepted" in bad.get_data(as_text=True)
    db.session.refresh(event)
    assert len(event.photos) == 1
