"""Seats under concurrency on PostgreSQL: many people registering and cancelling at once, each
in their own session, never take more seats than the event has."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from fundapp.accounts.models import User
from fundapp.events import registration, seats, services
from fundapp.events.models import Event, Registration
from fundapp.extensions import db

pytestmark = pytest.mark.postgres


def _run_at_once(app, work, items):
    barrier = threading.Barrier(len(items))
    errors = []

    def run(item):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                work(item)
                db.session.commit()
            except Exception as exc:  # reported below: a thread's failure must fail the test
                db.session.rollback()
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_fifty_registrations_for_twenty_seats(app_factory, database):
    """Do 50 simultaneous registrations for 20 seats admit exactly 20 and put 30 on the waiting list
    in the order they came, and do 5 simultaneous cancellations promote exactly the first 5 waiting?"""
    app = app_factory(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 50, "max_overflow": 0, "pool_timeout": 60})
    from tests.events.conftest import event_form

    with app.app_context():
        from fundapp.accounts.services import hash_password

        staff = User(email="staff@example.org", password_hash=hash_password("x" * 12), full_name="Staff")
        from fundapp.accounts.models import UserRole

        staff.roles.append(UserRole(role="administrator"))
        people = [User(email=f"p{i}@example.org", password_hash="!", full_name=f"P {i}") for i in range(50)]
        db.session.add_all([staff, *people])
        db.session.commit()
        event = services.create_event(staff, event_form(capacity="20", max_guests="0"))
        services.publish_event(event, staff)
        db.session.commit()
        event_id, ids = event.id, [p.id for p in people]

    def register(user_id):
        registration.register(db.session.get(Event, event_id), db.session.get(User, user_id))

    assert _run_at_once(app, register, ids) == []

    with app.app_context():
        regs = db.session.scalars(
            select(Registration)
            .where(Registration.event_id == event_id)
            .order_by(Registration.queued_at, Registration.id)
        ).all()
        assert len(regs) == 50
        statuses = [r.status for r in regs]
        assert statuses == ["confirmed"] * 20 + ["waitlisted"] * 30
        assert seats.seats_taken(db.session.get(Event, event_id)) == 20
        first_waiting = [r.id for r in regs[20:25]]
        leaving = [r.id for r in regs[:5]]

    def cancel(reg_id):
        reg = db.session.get(Registration, reg_id)
        registration.cancel_registration(reg, db.session.get(User, reg.user_id))

    assert _run_at_once(app, cancel, leaving) == []

    with app.app_context():
        regs = {
            r.id: r for r in db.session.scalars(select(Registration).where(Registration.event_id == event_id))
        }
        assert all(regs[i].status == "cancelled" for i in leaving)
        assert all(regs[i].status == "confirmed" for i in first_waiting)
        assert sum(r.status == "confirmed" for r in regs.values()) == 20
        assert sum(r.status == "waitlisted" for r in regs.values()) == 25
        assert seats.seats_taken(db.session.get(Event, event_id)) == 20
