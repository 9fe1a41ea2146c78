"""The agencies' quarterly reports on their points: draft → submitted → accepted | returned;
accepted locks, staff unlock with a reason. Reminders before the deadline, and the rule that lets
the people concerned read a report's evidence. Everything here flushes; the route commits."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.extensions import db
from fundapp.files.services import store_upload
from fundapp.mail.services import queue_email

from . import periods
from .models import (
    ActionPoint,
    PointReport,
    ReminderSent,
    ReportEvidence,
    ReportStamp,
    ReportState,
    ReportValue,
    Source,
    Unit,
)
from .services import (
    REMIND_DAYS_BEFORE,
    TEXT_MAX,
    ManyErrors,
    agency_members,
    is_reviewer,
    public_link,
    reporting_agency,
    require_manager,
    settings,
)


def open_quarters(point: ActionPoint, today: date) -> list[tuple[int, int]]:
    """Quarters of the point's period that have started by ``today`` (reportable)."""
    return [
        yq
        for yq in periods.quarters_between(point.starts_on, point.ends_on)
        if periods.quarter_bounds(*yq)[0] <= today
    ]


def report_of(point: ActionPoint, year: int, quarter: int) -> PointReport | None:
    return db.session.scalar(
        select(PointReport).where(
            PointReport.point_id == point.id, PointReport.year == year, PointReport.quarter == quarter
        )
    )


def start_report(actor, point: ActionPoint, year: int, quarter: int, today: date) -> PointReport:
    """The agency's report for the quarter, created as a draft on first use."""
    agency = reporting_agency(actor, point)
    if agency is None:
        raise NotPermitted(_l("Only the agencies named on this point report on it."))
    if (year, quarter) not in open_quarters(point, today):
        raise InvalidTransition(_l("This quarter is not open for reports on this point."))
    report = report_of(point, year, quarter)
    if report is None:
        report = PointReport(
            point_id=point.id,
            organisation_id=agency,
            year=year,
            quarter=quarter,
            language="tg" if actor.preferred_language != "ru" else "ru",
        )
        db.session.add(report)
        db.session.flush()
    return report


def can_edit_report(user, report: PointReport) -> bool:
    return (
        report.state in (ReportState.DRAFT, ReportState.RETURNED)
        and reporting_agency(user, report.point) is not None
    )


def save_report(
    actor,
    report: PointReport,
    *,
    language: str,
    narrative: str,
    values: dict[int, tuple[int | None, str]],
    evidence=(),
    evidence_public: bool = False,
    caption: str = "",
) -> None:
    """Keep what the agency typed (a draft may be incomplete; submitting checks completeness)."""
    if not can_edit_report(actor, report):
        raise NotPermitted(_l("This report cannot be changed now."))
    errors = []
    if language not in ("tg", "ru"):
        errors.append(ValidationFailed(_l("Write the report in Tajik or Russian."), field="language"))
    narrative = (narrative or "").strip()
    if len(narrative) > TEXT_MAX * 4:
        errors.append(ValidationFailed(_l("At most %(n)s characters.", n=TEXT_MAX * 4), field="narrative"))
    indicators = {i.id: i for i in report.point.indicators if i.source == Source.AGENCY}
    for ind_id, (value, note) in values.items():
        ind = indicators.get(ind_id)
        if ind is None:
            continue
        if value is not None and value < 0 and ind.unit != Unit.PERCENT:
            errors.append(ValidationFailed(_l("A value cannot be negative."), field=f"value_{ind_id}"))
        if len(note or "") > TEXT_MAX:
            errors.append(
                ValidationFailed(_l("At most %(n)s characters.", n=TEXT_MAX), field=f"note_{ind_id}")
            )
    if errors:
        raise ManyErrors(errors)
    report.language = language
    report.narrative = narrative
    for ind_id, (value, note) in values.items():
        if ind_id not in indicators:
            continue
        row = report.value_for(ind_id)
        if row is None:
            row = ReportValue(indicator_id=ind_id)
            report.values.append(row)
        row.actual_x100 = value if indicators[ind_id].unit != Unit.TEXT else None
        row.note = (note or "").strip()
    for f in evidence:
        stored = store_upload(
            f,
            uploaded_by=actor,
            allowed=("pdf", "png", "jpeg", "webp"),
            is_public=evidence_public,
            field="evidence",
        )
        report.evidence.append(
            ReportEvidence(
                file_id=stored.id, caption=(caption or "").strip()[:300], is_public=evidence_public
            )
        )
    db.session.flush()


def report_problems(report: PointReport) -> list[ValidationFailed]:
    """What is missing before a report can be submitted."""
    problems = []
    if not report.narrative.strip():
        problems.append(ValidationFailed(_l("Describe what was done in the quarter."), field="narrative"))
    for ind in report.point.indicators:
        if ind.source != Source.AGENCY:
            continue
        row = report.value_for(ind.id)
        if ind.unit == Unit.TEXT:
            if row is None or not row.note.strip():
                problems.append(ValidationFailed(_l("Describe the result."), field=f"note_{ind.id}"))
        elif row is None or row.actual_x100 is None:
            problems.append(
                ValidationFailed(_l("Enter the value at the end of the quarter."), field=f"value_{ind.id}")
            )
    return problems


def _stamp(report: PointReport, action: str, actor, comment: str = "") -> None:
    db.session.add(
        ReportStamp(report_id=report.id, action=action, actor_id=getattr(actor, "id", None), comment=comment)
    )


def submit_report(actor, report: PointReport) -> None:
    if reporting_agency(actor, report.point) is None:
        raise NotPermitted(_l("Only the agencies named on this point report on it."))
    if report.state not in (ReportState.DRAFT, ReportState.RETURNED):
        raise InvalidTransition(_l("This report was already submitted."))
    problems = report_problems(report)
    if problems:
        raise ManyErrors(problems)
    report.state = ReportState.SUBMITTED
    report.submitted_by_id = actor.id
    report.submitted_at = utcnow()
    _stamp(report, "submitted", actor)
    record("plan.report_submitted", report, actor=actor)
    ministry = settings().ministry_id
    for person in agency_members({ministry} if ministry else set()):
        queue_email(
            person,
            _l("A report on the Plan is waiting for review"),
            "plan/email/submitted",
            report=report,
            point=report.point,
            url=public_link("plan.review_queue"),
        )


def _require_reviewer(actor, report: PointReport) -> None:
    if not is_reviewer(actor):
        raise NotPermitted(_l("Only the Ministry's reviewers accept or return reports."))
    if report.submitted_by_id == actor.id:
        raise NotPermitted(_l("Nobody reviews their own report."))
    if report.state != ReportState.SUBMITTED:
        raise InvalidTransition(_l("Only a submitted report can be reviewed."))


def _mail_agency(report: PointReport, subject, template: str) -> None:
    for person in agency_members({report.organisation_id}):
        queue_email(
            person,
            subject,
            template,
            report=report,
            point=report.point,
            url=public_link(
                "plan.edit_report", point_id=report.point_id, year=report.year, quarter=report.quarter
            ),
        )


def accept_report(actor, report: PointReport, comment: str = "") -> None:
    _require_reviewer(actor, report)
    comment = (comment or "").strip()[:TEXT_MAX]
    report.state = ReportState.ACCEPTED
    report.decided_by_id = actor.id
    report.decided_at = utcnow()
    report.review_comment = comment
    _stamp(report, "accepted", actor, comment)
    record("plan.report_accepted", report, actor=actor, reason=comment or None)
    _mail_agency(report, _l("Your report on the Plan was accepted"), "plan/email/accepted")


def return_report(actor, report: PointReport, comment: str) -> None:
    _require_reviewer(actor, report)
    comment = (comment or "").strip()
    if not comment or len(comment) > TEXT_MAX:
        raise ValidationFailed(_l("Say what must be changed."), field="comment")
    report.state = ReportState.RETURNED
    report.decided_by_id = actor.id
    report.decided_at = utcnow()
    report.review_comment = comment
    _stamp(report, "returned", actor, comment)
    record("plan.report_returned", report, actor=actor, reason=comment)
    _mail_agency(report, _l("Your report on the Plan was returned"), "plan/email/returned")


def unlock_report(actor, report: PointReport, reason: str) -> None:
    """An accepted report opens again for changes (back to returned), with a reason."""
    require_manager(actor)
    if report.state != ReportState.ACCEPTED:
        raise InvalidTransition(_l("Only an accepted report can be unlocked."))
    reason = (reason or "").strip()
    if not reason or len(reason) > TEXT_MAX:
        raise ValidationFailed(_l("Say why the report is unlocked."), field="reason")
    report.state = ReportState.RETURNED
    report.review_comment = reason
    _stamp(report, "unlocked", actor, reason)
    record("plan.report_unlocked", report, actor=actor, reason=reason)
    _mail_agency(report, _l("Your report on the Plan was unlocked"), "plan/email/returned")


def overdue_quarters(point: ActionPoint, today: date) -> list[tuple[int, int]]:
    """Quarters whose deadline has passed without a submitted or accepted report."""
    days = settings().deadline_days
    done = set(
        db.session.execute(
            select(PointReport.year, PointReport.quarter).where(
                PointReport.point_id == point.id,
                PointReport.state.in_((ReportState.SUBMITTED, ReportState.ACCEPTED)),
            )
        ).all()
    )
    return [
        yq
        for yq in open_quarters(point, today)
        if periods.deadline(*yq, days) < today and tuple(yq) not in done
    ]


def send_reminders(today: date) -> int:
    """Mail each point's agencies once when a deadline is a week away, and once when it has
    passed, for quarters without a submitted report. Returns the number of mails queued."""
    days = settings().deadline_days
    sent = 0
    for point in db.session.scalars(select(ActionPoint)):
        done = {
            (r.year, r.quarter)
            for r in db.session.scalars(select(PointReport).where(PointReport.point_id == point.id))
            if r.state in (ReportState.SUBMITTED, ReportState.ACCEPTED)
        }
        for yq in periods.quarters_between(point.starts_on, point.ends_on):
            due = periods.deadline(*yq, days)
            if yq in done or today < due - timedelta(days=REMIND_DAYS_BEFORE):
                continue  # reported, or the deadline is more than a week away
            kind = "overdue" if today > due else "due"
            exists = db.session.scalar(
                select(ReminderSent.id).where(
                    ReminderSent.point_id == point.id,
                    ReminderSent.year == yq[0],
                    ReminderSent.quarter == yq[1],
                    ReminderSent.kind == kind,
                )
            )
            if exists:
                continue
            db.session.add(ReminderSent(point_id=point.id, year=yq[0], quarter=yq[1], kind=kind))
            subject = (
                _l("A report on the Plan is overdue")
                if kind == "overdue"
                else _l("A report on the Plan is due soon")
            )
            for person in agency_members(point.agency_ids):
                queue_email(
                    person,
                    subject,
                    "plan/email/reminder",
                    point=point,
                    year=yq[0],
                    quarter=yq[1],
                    deadline=due,
                    overdue=kind == "overdue",
                    url=public_link("plan.edit_report", point_id=point.id, year=yq[0], quarter=yq[1]),
                )
                sent += 1
    db.session.flush()
    return sent


def evidence_access_rule(user, stored_file) -> bool:
    """Evidence of a report: public when marked so (the file is then public itself); otherwise
    the agencies of its point and the Ministry's reviewers may download it."""
    if user is None:
        return False
    rows = db.session.scalars(
        select(PointReport).join(ReportEvidence).where(ReportEvidence.file_id == stored_file.id)
    ).all()
    return any(reporting_agency(user, r.point) is not None or is_reviewer(user) for r in rows)
