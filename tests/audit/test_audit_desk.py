"""The auditors' desk of the audit trail: who may read it, how it filters, what the export holds."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from fundapp.audit.models import AuditEvent
from fundapp.audit.services import record
from fundapp.extensions import db


def _seed(app, make_user):
    alice = make_user("administrator", email="alice@example.org")
    bob = make_user("treasurer", email="bob@example.org")
    record("disbursement.approved", actor=alice, object_type="disbursement", object_id=7, reason="act signed")
    record(
        "disbursement.executed", actor=bob, object_type="disbursement", object_id=7, changes={"ref": "=1+1"}
    )
    record("proposal.submitted", actor=bob, object_type="project", object_id=3)
    old = AuditEvent(
        occurred_at=datetime(2025, 1, 10, 12, tzinfo=UTC),
        actor_label="system",
        action="campaign.closed",
        object_type="project",
        object_id="3",
    )
    db.session.add(old)
    db.session.commit()
    return alice, bob


@pytest.mark.parametrize(
    "role, expected", [("member", 403), ("treasurer", 403), ("auditor", 200), ("administrator", 200)]
)
def test_only_auditors_and_administrators_read_the_log(app, client_for, role, expected):
    """May a member or a treasurer read the audit log? No; an auditor and an administrator may."""
    c, _ = client_for(role)
    assert c.get("/audit/").status_code == expected
    assert c.get("/audit/export.csv").status_code == expected


def test_anonymous_is_sent_to_sign_in(client):
    """Does an anonymous visitor get anything of the audit log? No, only the way to sign in."""
    r = client.get("/audit/")
    assert r.status_code in (302, 401)
    assert b"disbursement" not in r.data


def test_filters_by_actor_action_object_and_date(app, make_user, client_for):
    """Do the actor, action, object and date filters each narrow the list to the right events?"""
    _seed(app, make_user)
    c, _ = client_for("auditor")
    page = c.get("/audit/?actor=alice").get_data(as_text=True)
    assert "disbursement.approved" in page and "disbursement.executed" not in page
    page = c.get("/audit/?action=executed").get_data(as_text=True)
    assert "disbursement.executed" in page and "disbursement.approved" not in page
    page = c.get("/audit/?object_type=project&object_id=3").get_data(as_text=True)
    assert "proposal.submitted" in page and "campaign.closed" in page and "disbursement." not in page
    page = c.get("/audit/?date_from=2025-01-01&date_to=2025-01-31").get_data(as_text=True)
    assert "campaign.closed" in page and "proposal.submitted" not in page
    page = c.get("/audit/?q=act+signed").get_data(as_text=True)
    assert "disbursement.approved" in page and "proposal.submitted" not in page


def test_bad_filters_are_a_message_not_an_error(app, make_user, client_for):
    """Does a malformed date or page number give a clear message instead of a 500?"""
    _seed(app, make_user)
    c, _ = client_for("auditor")
    r = c.get("/audit/?date_from=31-02-2025&page=abc&q=%25_%5C")
    assert r.status_code == 200
    assert "date" in r.get_data(as_text=True).lower()


def test_export_is_csv_of_the_filtered_events_and_is_itself_recorded(app, make_user, client_for):
    """Does the CSV hold exactly the filtered events, with formulas neutralised, and is the export audited?"""
    _seed(app, make_user)
    c, auditor = client_for("auditor")
    r = c.get("/audit/export.csv?object_type=disbursement")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert sorted(row["action"] for row in rows) == ["disbursement.approved", "disbursement.executed"]
    executed = next(row for row in rows if row["action"] == "disbursement.executed")
    assert '"ref": "=1+1"' in executed["changes_json"]
    assert executed["actor"] == "bob@example.org"
    exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.exported")).one()
    assert exported.actor_id == auditor.id
    assert exported.changes == {"filters": {"object_type": "disbursement"}}


def test_csv_cells_cannot_start_a_formula():
    """Is a value beginning with =, +, - or @ prefixed so a spreadsheet shows it as text?"""
    from fundapp.core.csvfile import safe_cell

    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("@SUM") == "'@SUM"
    assert safe_cell("plain") == "plain"
    assert safe_cell("-1165.00") == "-1165.00"  # an amount stays a number
    assert safe_cell("-1+1") == "'-1+1"
    assert safe_cell(None) == ""


def test_event_detail_shows_changes_and_history(app, make_user, client_for):
    """Does one event's page show what changed and the object's whole history?"""
    _seed(app, make_user)
    c, _ = client_for("auditor")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "disbursement.executed")).one()
    page = c.get(f"/audit/events/{event.id}").get_data(as_text=True)
    assert "=1+1" in page and "Payout approved" in page and "<code>disbursement.executed</code>" in page
    assert c.get("/audit/events/999999").status_code == 404


def test_pages_of_fifty(app, make_user, client_for):
    """Is a long log split into pages that together show every event once?"""
    actor = make_user("administrator")
    for i in range(60):
        record("bulk.step", actor=actor, object_type="thing", object_id=i)
    db.session.commit()
    c, _ = client_for("auditor")
    first = c.get("/audit/?action=bulk.step").get_data(as_text=True)
    second = c.get("/audit/?action=bulk.step&page=2").get_data(as_text=True)
    assert first.count("thing №") == 50 and second.count("thing №") == 10
    assert c.get("/audit/?action=bulk.step&page=9").status_code == 200
