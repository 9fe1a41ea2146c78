"""The agencies' quarterly reports: their life (submit, return, resubmit, accept, lock, unlock),
who may do what, and forms that show every error at once and change nothing when refused."""

from __future__ import annotations

from sqlalchemy import func, select

from fundapp.extensions import db
from fundapp.plan.models import PointReport, ReportStamp


def _url(p, quarter=3, point=None):
    return f"/plan/points/{(point or p.point).id}/reports/2026/{quarter}"


def _fill(p, **extra):
    data = {
        "language": "ru",
        "narrative": "Открыты два центра.",
        f"value_{p.centres.id}": "1200.5",
        f"note_{p.centres.id}": "",
        f"note_{p.story.id}": "Курсы таджикского языка в Москве.",
        "submit": "1",
    }
    data.update(extra)
    return data


def _report(p, quarter=3):
    return db.session.scalar(
        select(PointReport).where(PointReport.point_id == p.point.id, PointReport.quarter == quarter)
    )


def test_a_report_goes_through_its_whole_life(plan, signed_in):
    """Submit → return (with a comment) → resubmit → accept (locked) → unlock (with a reason) →
    resubmit: each step by the right person, stamped with who and when, and mailed."""
    p = plan
    reporter, reviewer, admin = signed_in(p.reporter), signed_in(p.reviewer), signed_in(p.admin)
    r = reporter.post(
        _url(p), data=_fill(p, **{f"value_{p.centres.id}": "1 200,5"}), headers={"Accept-Language": "ru"}
    )
    assert r.status_code == 303, r.data
    report = _report(p)
    assert report.state == "submitted" and report.language == "ru"
    assert report.value_for(p.centres.id).actual_x100 == 120050  # "1 200,5" on a Russian page
    # submitted: the agency cannot change it any more
    assert reporter.post(_url(p), data=_fill(p, narrative="changed")).status_code == 409
    # returning needs a comment
    r = reviewer.post(f"/plan/reports/{report.id}/review", data={"send_back": "1", "comment": ""})
    assert r.status_code == 400 and b"Say what must be changed." in r.data
    r = reviewer.post(
        f"/plan/reports/{report.id}/review", data={"send_back": "1", "comment": "Add the evidence."}
    )
    assert r.status_code == 303
    db.session.refresh(report)
    assert report.state == "returned" and report.review_comment == "Add the evidence."
    r = reporter.post(_url(p), data=_fill(p, narrative="Opened two centres; the evidence is attached."))
    assert r.status_code == 303
    r = reviewer.post(f"/plan/reports/{report.id}/review", data={"accept": "1", "comment": ""})
    assert r.status_code == 303
    db.session.refresh(report)
    assert report.state == "accepted" and report.decided_by_id == p.reviewer.id
    assert reporter.post(_url(p), data=_fill(p)).status_code == 409  # locked
    # unlocking: administrators only, with a reason
    assert reviewer.post(f"/plan/reports/{report.id}/unlock", data={"reason": "x"}).status_code == 403
    assert admin.post(f"/plan/reports/{report.id}/unlock", data={"reason": ""}).status_code == 400
    r = admin.post(f"/plan/reports/{report.id}/unlock", data={"reason": "A figure was typed wrong."})
    assert r.status_code == 303
    db.session.refresh(report)
    assert report.state == "returned"
    actions = db.session.scalars(
        select(ReportStamp.action).where(ReportStamp.report_id == report.id).order_by(ReportStamp.id)
    ).all()
    assert actions == ["submitted", "returned", "submitted", "accepted", "unlocked"]
    from fundapp.mail.models import OutboxMessage

    to = [m.to_address for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    # the Ministry hears of each submission; the agency of the return, the acceptance, the unlock
    assert to.count(p.reviewer.email) == 2
    assert to.count(p.reporter.email) == 3


def test_an_empty_submit_shows_every_missing_field_at_once_and_writes_nothing(plan, signed_in):
    """Does submitting an empty report list the narrative and each indicator in one response,
    with nothing stored?"""
    p = plan
    r = signed_in(p.reporter).post(_url(p), data={"language": "tg", "submit": "1"})
    assert r.status_code == 400
    for msg in (
        b"Describe what was done in the quarter.",
        b"Enter the value at the end of the quarter.",
        b"Describe the result.",
    ):
        assert msg in r.data
    assert b'href="#narrative"' in r.data  # the summary links to the field
    assert db.session.scalar(select(func.count(PointReport.id))) == 0


def test_amounts_are_read_in_the_page_language_and_refused_when_ambiguous(plan, signed_in):
    """Is "1,500" refused on a Russian page with an example, and nothing written?"""
    p = plan
    c = signed_in(p.reporter)
    r = c.post(
        _url(p), data=_fill(p, **{f"value_{p.centres.id}": "1,500"}), headers={"Accept-Language": "ru"}
    )
    assert r.status_code == 400
    assert b"1 500,5" in r.data
    assert db.session.scalar(select(func.count(PointReport.id))) == 0
    for bad in ("1e3", "+5", "١٢", "1_000", "12.345", "x" * 200):
        r = c.post(
            _url(p), data=_fill(p, **{f"value_{p.centres.id}": bad}), headers={"Accept-Language": "en"}
        )
        assert r.status_code == 400, bad


def test_a_draft_keeps_what_was_typed(plan, signed_in):
    """Is a draft saved as typed, incomplete, and shown again for editing?"""
    p = plan
    c = signed_in(p.reporter)
    r = c.post(_url(p), data={"language": "tg", "narrative": "Нимтайёр", "save": "1"})
    assert r.status_code == 303
    assert _report(p).state == "draft"
    assert "Нимтайёр".encode() in c.get(_url(p)).data


def test_an_agency_sees_and_edits_only_its_own_points(plan, signed_in):
    """Does another agency, a plain member or a visitor get 404 on a point's report, and does
    an agency's list show only its points?"""
    p = plan
    assert signed_in(p.other_reporter).get(_url(p)).status_code == 404
    assert signed_in(p.other_reporter).post(_url(p), data=_fill(p)).status_code == 404
    assert signed_in(p.member).get(_url(p)).status_code == 404
    assert signed_in(p.reporter).get(_url(p, point=p.other_point)).status_code == 404
    mine = signed_in(p.reporter).get("/plan/my").data
    assert b"3.1" in mine and b"3.2" not in mine


def test_nobody_reviews_their_own_report(plan, signed_in):
    """A Ministry member who submitted a report (the Ministry supports the point) cannot accept it."""
    p = plan
    r = signed_in(p.reviewer).post(_url(p), data=_fill(p))
    assert r.status_code == 303
    report = _report(p)
    r = signed_in(p.reviewer).post(f"/plan/reports/{report.id}/review", data={"accept": "1"})
    assert r.status_code == 403
    db.session.refresh(report)
    assert report.state == "submitted"


def test_only_reviewers_review(plan, signed_in):
    """Do the agency, an administrator and a member get 403 on the review queue and action?"""
    p = plan
    signed_in(p.reporter).post(_url(p), data=_fill(p))
    report = _report(p)
    for user in (p.reporter, p.admin, p.member, p.other_reporter):
        c = signed_in(user)
        assert c.get("/plan/review").status_code == 403
        assert c.post(f"/plan/reports/{report.id}/review", data={"accept": "1"}).status_code == 403
    assert signed_in(p.reviewer).get("/plan/review").status_code == 200


def test_a_quarter_not_yet_open_or_outside_the_period_is_refused(plan, signed_in):
    """Is a report for a quarter outside the point's period refused, with nothing written?"""
    p = plan
    c = signed_in(p.reporter)
    assert c.post(f"/plan/points/{p.point.id}/reports/2025/4", data=_fill(p)).status_code == 409
    assert c.get(f"/plan/points/{p.point.id}/reports/2026/9").status_code == 404
    assert c.get(f"/plan/points/{p.point.id}/reports/99999999999999999999/1").status_code == 404
    assert db.session.scalar(select(func.count(PointReport.id))) == 0


def test_reminders_are_mailed_once(plan, runner):
    """Does `flask plan remind` mail overdue reports once, not again on the next run?"""
    from fundapp.mail.models import OutboxMessage

    p = plan
    r = runner.invoke(args=["plan", "remind", "--today", "2026-10-25"])
    assert r.exit_code == 0, r.output
    first = db.session.scalar(select(func.count(OutboxMessage.id)))
    assert first > 0
    runner.invoke(args=["plan", "remind", "--today", "2026-10-25"])
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == first
    body = db.session.scalars(select(OutboxMessage.body_text)).first()
    assert f"/plan/points/{p.point.id}/reports/" in body


def test_history_and_stamps_are_append_only(plan, signed_in):
    """Does the database refuse to change or delete a report's stamp?"""
    import pytest
    from sqlalchemy import text

    p = plan
    signed_in(p.reporter).post(_url(p), data=_fill(p))
    with pytest.raises(Exception):  # noqa: B017 - either engine's integrity error
        db.session.execute(text("UPDATE plan_report_stamps SET comment = 'x'"))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(Exception):  # noqa: B017
        db.session.execute(text("DELETE FROM plan_report_stamps"))
        db.session.flush()
    db.session.rollback()
