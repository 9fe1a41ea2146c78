"""Delivery: milestones started and reported done (with evidence), and what the public project
page shows of payouts and reports."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.money import Money
from fundapp.core.text import clean_text
from fundapp.extensions import db
from fundapp.files.services import make_public
from fundapp.proposals import timeline, workflow
from fundapp.proposals.models import Milestone, MilestoneStatus, Project, ProjectState, ProjectUpdate

from .common import (
    REPORT_EVIDENCE_REQUIRED,
    REPORT_OVERDUE,
    REPORTABLE_PROJECT_STATES,
    EvidenceUpload,
    S,
    _store_evidence,
    external_url,
)
from .models import (
    DisbursementEvidence,
    DisbursementRequest,
    MilestoneReport,
    MilestoneReportFile,
)

# -- delivery: milestones and reports ---------------------------------------------------------------


def start_milestone(milestone: Milestone, *, actor) -> Milestone:
    """The owner says work on a milestone has begun."""
    project = milestone.project
    if actor is None or actor.id != project.owner_id:
        raise NotPermitted(_l("Only the project's owner can report on its milestones."))
    if project.state not in REPORTABLE_PROJECT_STATES:
        raise InvalidTransition(_l("Milestones are reported while the project is being implemented."))
    if milestone.status != MilestoneStatus.PLANNED:
        raise InvalidTransition(_l("This milestone has already started."))
    milestone.status = MilestoneStatus.IN_PROGRESS.value
    db.session.flush()
    record(
        "milestone.started",
        milestone,
        actor=actor,
        object_type="milestone",
        changes={"status": ["planned", "in_progress"], "project": project.id},
    )
    return milestone


def report_milestone_done(
    milestone: Milestone, *, actor, summary: str, evidence: list[EvidenceUpload]
) -> MilestoneReport:
    """The owner reports a milestone done, with evidence; when every milestone is done the project
    is completed."""

    project = milestone.project
    if actor is None or actor.id != project.owner_id:
        raise NotPermitted(_l("Only the project's owner can report on its milestones."))
    if project.state not in REPORTABLE_PROJECT_STATES:
        raise InvalidTransition(_l("Milestones are reported while the project is being implemented."))
    if milestone.status == MilestoneStatus.DONE:
        raise InvalidTransition(_l("This milestone is already reported done."))
    summary = clean_text(summary, 5000, "summary", required=True)
    if not evidence:
        raise ValidationFailed(REPORT_EVIDENCE_REQUIRED, field="evidence")
    report = MilestoneReport(project_id=project.id, milestone=milestone, author_id=actor.id, summary=summary)
    db.session.add(report)
    _store_evidence(report.files, MilestoneReportFile, evidence, actor=actor, field="evidence")
    db.session.flush()
    for f in report.files:
        make_public(f.file)  # a published project's reports are public
    before = milestone.status
    milestone.status = MilestoneStatus.DONE.value
    record(
        "milestone.reported_done",
        milestone,
        actor=actor,
        object_type="milestone",
        changes={"status": [before, "done"], "report": report.id, "project": project.id},
    )
    timeline.add_timeline_event(project, "milestone_done", public=True, actor=actor, text=milestone.title)
    timeline.notify_followers(
        project,
        _l("“%(title)s”: a milestone is done", title=project.title),
        "disbursements/email/milestone_done",
        exclude=[actor],
        milestone=milestone,
        report=report,
        link=external_url("proposals.project_detail", project_id=project.id),
    )
    if all(m.status == MilestoneStatus.DONE for m in project.milestones):
        workflow.complete_project(project, actor=None, comment="All milestones are reported done.")
    return report


def last_report_at(project: Project) -> datetime | None:
    """The latest sign of life from an implementing project: a milestone report or an update, or
    else the first payment (the start of implementation)."""
    candidates = db.session.execute(
        select(
            select(func.max(MilestoneReport.created_at))
            .where(MilestoneReport.project_id == project.id)
            .scalar_subquery(),
            select(func.max(ProjectUpdate.created_at))
            .where(ProjectUpdate.project_id == project.id)
            .scalar_subquery(),
            select(func.min(DisbursementRequest.executed_at))
            .where(DisbursementRequest.project_id == project.id, DisbursementRequest.state == S.EXECUTED)
            .scalar_subquery(),
        )
    ).one()
    values = []
    for v in candidates:
        if v is None:
            continue
        values.append(v if v.tzinfo else v.replace(tzinfo=UTC))
    return max(values) if values else None


def report_overdue(project: Project, *, now: datetime | None = None) -> bool:
    """Is an implementing project silent for more than 90 days?"""
    if project.state != ProjectState.IMPLEMENTING:
        return False
    last = last_report_at(project)
    if last is None:
        return False
    now = now or utcnow()
    return now - last > current_app.config.get("REPORT_OVERDUE_AFTER", REPORT_OVERDUE)


def public_disbursements(project: Project) -> list[DisbursementRequest]:
    return list(
        db.session.scalars(
            select(DisbursementRequest)
            .where(DisbursementRequest.project_id == project.id, DisbursementRequest.state == S.EXECUTED)
            .order_by(DisbursementRequest.executed_at)
            .options(selectinload(DisbursementRequest.evidence).joinedload(DisbursementEvidence.file))
        )
    )


def milestone_reports(project: Project) -> list[MilestoneReport]:
    return list(
        db.session.scalars(
            select(MilestoneReport)
            .where(MilestoneReport.project_id == project.id)
            .order_by(MilestoneReport.created_at)
            .options(selectinload(MilestoneReport.files).joinedload(MilestoneReportFile.file))
        )
    )


def disbursed_total(project: Project) -> Money:
    total = db.session.scalar(
        select(func.coalesce(func.sum(DisbursementRequest.amount_minor), 0)).where(
            DisbursementRequest.project_id == project.id, DisbursementRequest.state == S.EXECUTED
        )
    )
    return Money(int(total or 0), project.currency)


def authorised_by(decision) -> list[DisbursementRequest]:
    """The disbursements a Council decision authorised."""
    return list(
        db.session.scalars(
            select(DisbursementRequest)
            .where(
                DisbursementRequest.council_decision_id == decision.id,
                DisbursementRequest.state.in_([S.APPROVED.value, S.EXECUTED.value]),
            )
            .order_by(DisbursementRequest.id)
        )
    )
