"""The state machine of a project: who may run which transition from which state, the checks a
transition needs (a complete proposal, enough reviews, a Council decision above the threshold),
and the transition functions themselves.

Every transition is one function with the signature ``(project, *, actor, comment=None, ...)``.
It checks the actor against the transition table (who may, from which state), changes the state,
records an audit event and a timeline event, and queues email — all in the caller's transaction
(flush, never commit). ``actor=None`` means the system (the campaign closer, a scheduled job).
Reviews and the Council are asked through ``interfaces`` (they sit above proposals).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from fundapp.audit.services import record
from fundapp.core.db import utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.extensions import db
from fundapp.mail.services import queue_email

from . import interfaces
from .models import (
    STATE_LABELS,
    FundingModel,
    Project,
    ProjectState,
)
from .timeline import add_timeline_event, administrators, notify_followers, project_link

log = logging.getLogger("fundapp.proposals")

S = ProjectState
OWNER, ADMIN, SYSTEM = "owner", "administrator", "system"


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset
    target: ProjectState
    actors: frozenset  # "owner", "administrator", "system"
    label: object
    reason_required: bool = False
    public: bool = False  # is its timeline event shown on the public page?


def _t(name, sources, target, actors, label, **kw) -> Transition:
    return Transition(name, frozenset(sources), target, frozenset(actors), label, **kw)


# The state machine. Decisions of administrators are refused when they are the owner or a team member.
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        _t("submit_proposal", {S.DRAFT}, S.SUBMITTED, {OWNER}, _l("submit the proposal")),
        _t("start_review", {S.SUBMITTED}, S.IN_REVIEW, {ADMIN}, _l("start the review")),
        _t(
            "request_changes", {S.IN_REVIEW}, S.CHANGES_REQUESTED, {ADMIN}, _l("ask for changes"),
            reason_required=True,
        ),
        _t("resubmit_proposal", {S.CHANGES_REQUESTED}, S.IN_REVIEW, {OWNER}, _l("send the changed proposal")),
        _t("approve_proposal", {S.IN_REVIEW}, S.APPROVED, {ADMIN}, _l("approve"), public=True),
        _t("reject_proposal", {S.IN_REVIEW}, S.REJECTED, {ADMIN}, _l("reject"), reason_required=True),
        _t(
            "withdraw_proposal", {S.DRAFT, S.SUBMITTED, S.IN_REVIEW, S.CHANGES_REQUESTED}, S.WITHDRAWN,
            {OWNER}, _l("withdraw"),
        ),
        _t("open_campaign", {S.APPROVED}, S.FUNDRAISING, {ADMIN}, _l("open the campaign"), public=True),
        _t("mark_funded", {S.FUNDRAISING}, S.FUNDED, {ADMIN, SYSTEM}, _l("close as funded"), public=True),
        _t(
            "mark_unsuccessful", {S.FUNDRAISING}, S.UNSUCCESSFUL, {ADMIN, SYSTEM}, _l("close as not funded"),
            public=True,
        ),
        _t(
            "start_implementation", {S.FUNDED}, S.IMPLEMENTING, {ADMIN, SYSTEM}, _l("start implementation"),
            public=True,
        ),
        _t(
            "complete_project", {S.IMPLEMENTING}, S.COMPLETED, {ADMIN, SYSTEM}, _l("mark as completed"),
            public=True,
        ),
        _t(
            "cancel_project", {S.APPROVED, S.FUNDRAISING, S.FUNDED, S.IMPLEMENTING}, S.CANCELLED,
            {ADMIN, SYSTEM}, _l("cancel the project"), reason_required=True, public=True,
        ),
    )
}  # fmt: skip

# Decisions that need the configured number of completed reviews first.
NEEDS_REVIEWS = frozenset({"approve_proposal", "reject_proposal"})

TransitionListener = Callable[[Project, str, str, object], None]
_transition_listeners: list[TransitionListener] = []


def register_transition_listener(fn: TransitionListener) -> TransitionListener:
    """``fn(project, transition_name, from_state, actor)`` runs inside every transition's
    transaction, after the state changed (e.g. funding releases pledges on cancellation)."""
    if fn not in _transition_listeners:
        _transition_listeners.append(fn)
    return fn


# -- who may do what ------------------------------------------------------------------------------


def _is_admin(user) -> bool:
    return user is not None and user.has_role("administrator")


def actor_roles(project: Project, actor) -> set[str]:
    """The roles ``actor`` can play in this project's transitions."""
    if actor is None:
        return {SYSTEM}
    roles = set()
    if actor.id == project.owner_id:
        roles.add(OWNER)
    if _is_admin(actor) and not project.is_insider(actor):
        roles.add(ADMIN)
    return roles


def allowed_transitions(project: Project, actor) -> list[Transition]:
    """The transitions ``actor`` may attempt now (for buttons; the functions check again)."""
    roles = actor_roles(project, actor) - {SYSTEM}
    return [t for t in TRANSITIONS.values() if project.state in t.sources and roles & t.actors]


def check_transition(project: Project, name: str, actor) -> Transition:
    t = TRANSITIONS[name]
    if not (actor_roles(project, actor) & t.actors):
        if actor is not None and _is_admin(actor) and project.is_insider(actor) and ADMIN in t.actors:
            raise NotPermitted(_l("You cannot decide on a project you own or belong to."))
        raise NotPermitted(_l("You are not permitted to %(action)s.", action=t.label))
    if project.state not in t.sources:
        raise InvalidTransition(
            _l(
                "You cannot %(action)s: the project is “%(state)s”.",
                action=t.label,
                state=STATE_LABELS[ProjectState(project.state)],
            )
        )
    return t


def _notify(project: Project, t: Transition, actor, comment: str | None, from_state: str) -> None:
    ctx = {
        "project": project,
        "transition": t,
        "comment": comment,
        "from_state": from_state,
        "link": project_link(project),
    }
    owner = project.owner
    if actor is None or actor.id != owner.id:
        queue_email(
            owner,
            _l("Your project “%(title)s”: %(state)s", title=project.title, state=project.state_label),
            "proposals/email/state_changed",
            **ctx,
        )
    if t.name in {"submit_proposal", "resubmit_proposal", "withdraw_proposal"}:
        for admin in administrators():
            if admin.id != getattr(actor, "id", None):
                queue_email(
                    admin,
                    _l("Proposal “%(title)s”: %(state)s", title=project.title, state=project.state_label),
                    "proposals/email/for_administrators",
                    **ctx,
                )
    if t.public and t.name != "approve_proposal":
        notify_followers(
            project,
            _l("News from “%(title)s”: %(state)s", title=project.title, state=project.state_label),
            "proposals/email/followers_state",
            exclude=[owner] + ([actor] if actor is not None else []),
            comment=comment,
        )


def _transition(project: Project, name: str, *, actor, comment: str | None, changes: dict | None = None):
    t = check_transition(project, name, actor)
    comment = (comment or "").strip() or None
    if comment and len(comment) > 5000:
        raise ValidationFailed(_l("The comment is too long (at most 5000 characters)."), field="comment")
    if t.reason_required and not comment:
        raise ValidationFailed(_l("Please write the reason; the author will see it."), field="comment")
    return t, comment


def _apply(project: Project, t: Transition, *, actor, comment: str | None, changes: dict | None = None):
    from_state = project.state
    project.state = t.target.value
    db.session.flush()
    record(
        f"project.{t.name}",
        project,
        actor=actor,
        reason=comment,
        changes={"state": [from_state, t.target.value], **(changes or {})},
    )
    add_timeline_event(
        project,
        t.name,
        public=t.public,
        actor=actor,
        text=comment,
        from_state=from_state,
        to_state=t.target.value,
    )
    for listener in _transition_listeners:
        listener(project, t.name, from_state, actor)
    _notify(project, t, actor, comment, from_state)
    return project


# -- validation of a complete proposal -------------------------------------------------------


def completeness_problems(project: Project) -> list[tuple[str, object]]:
    """What still stops this proposal from being submitted: [(field, message), …]."""
    problems: list[tuple[str, object]] = []
    if not project.title.strip() or not project.summary.strip():
        problems.append(("title", _l("A title and a summary are required.")))
    if len((project.description or "").strip()) < 20:
        problems.append(("description", _l("Please describe the project (at least a few sentences).")))
    if project.goal_minor <= 0:
        problems.append(("goal", _l("The funding goal must be greater than zero.")))
    if not project.budget_lines:
        problems.append(("budget", _l("Add at least one budget line.")))
    elif project.budget_total.amount != project.goal_minor:
        problems.append(
            (
                "budget",
                _l(
                    "The budget lines add up to %(total)s but the goal is %(goal)s; they must be equal.",
                    total=str(project.budget_total),
                    goal=str(project.goal),
                ),
            )
        )
    if not project.milestones:
        problems.append(("milestones", _l("Add at least one milestone.")))
    elif project.milestones_total.amount != project.goal_minor:
        problems.append(
            (
                "milestones",
                _l(
                    "The milestones share %(total)s of the budget but the goal is %(goal)s; "
                    "they must be equal.",
                    total=str(project.milestones_total),
                    goal=str(project.goal),
                ),
            )
        )
    if not project.team_members:
        problems.append(("team", _l("Name at least one team member.")))
    if project.funding_model == FundingModel.LOAN and not (
        project.annual_rate_bp is not None and project.term_months and project.repayment_type
    ):
        problems.append(("funding_model", _l("A loan needs an annual rate, a term and a repayment type.")))
    return problems


def _require_complete(project: Project) -> None:
    problems = completeness_problems(project)
    if problems:
        field, message = problems[0]
        raise ValidationFailed(message, field=field)


# -- the transitions ----------------------------------------------------------------------------


def submit_proposal(project: Project, *, actor, comment=None) -> Project:
    t, comment = _transition(project, "submit_proposal", actor=actor, comment=comment)
    _require_complete(project)
    project.submitted_at = utcnow()
    return _apply(project, t, actor=actor, comment=comment)


def start_review(project: Project, *, actor, comment=None) -> Project:
    t, comment = _transition(project, "start_review", actor=actor, comment=comment)
    return _apply(project, t, actor=actor, comment=comment)


def request_changes(project: Project, *, actor, comment=None) -> Project:
    t, comment = _transition(project, "request_changes", actor=actor, comment=comment)
    return _apply(project, t, actor=actor, comment=comment)


def resubmit_proposal(project: Project, *, actor, comment=None) -> Project:
    t, comment = _transition(project, "resubmit_proposal", actor=actor, comment=comment)
    _require_complete(project)
    project.submitted_at = utcnow()
    return _apply(project, t, actor=actor, comment=comment)


def completed_reviews(project: Project) -> int:
    return interfaces.reviews().completed_review_count(project)


def _require_reviews(project: Project) -> None:
    need = int(current_app.config.get("MIN_REVIEWS_FOR_DECISION", 2))
    have = completed_reviews(project)
    if have < need:
        raise InvalidTransition(
            _l(
                "A decision needs at least %(need)s completed reviews; this proposal has %(have)s.",
                need=need,
                have=have,
            )
        )


def needs_council(project: Project) -> bool:
    """For the page: is the goal above the Council threshold in somoni (or not known to be below
    it, when no rate of its currency is recorded)?"""
    return interfaces.council().may_need_council(project.goal)


def approve_proposal(project: Project, *, actor, comment=None, council_decision=None) -> Project:
    t, comment = _transition(project, "approve_proposal", actor=actor, comment=comment)
    _require_reviews(project)
    council = interfaces.council()
    # counted in somoni at the rate of the day of the decision; no rate recorded refuses
    if council_decision is None and council.above_threshold(project.goal):
        raise ValidationFailed(
            _l(
                "The goal is above %(threshold)s: the approval must cite a Coordination Council decision.",
                threshold=str(council.council_threshold()),
            ),
            field="council_decision",
        )
    if council_decision is not None:
        council.check_citation(council_decision, project)
        project.council_decision_id = council_decision.id
    project.decided_at = utcnow()
    changes = {"council_decision": council_decision.number} if council_decision is not None else None
    return _apply(project, t, actor=actor, comment=comment, changes=changes)


def reject_proposal(project: Project, *, actor, comment=None) -> Project:
    t, comment = _transition(project, "reject_proposal", actor=actor, comment=comment)
    _require_reviews(project)
    project.decided_at = utcnow()
    return _apply(project, t, actor=actor, comment=comment)


def withdraw_proposal(project: Project, *, actor, comment=None) -> Project:
    t, comment = _transition(project, "withdraw_proposal", actor=actor, comment=comment)
    return _apply(project, t, actor=actor, comment=comment)


def open_campaign(
    project: Project,
    *,
    actor,
    comment=None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> Project:
    """Publish an approved project for funding from ``starts_at`` (default now) to ``ends_at``
    (default ``campaign_days`` later)."""
    t, comment = _transition(project, "open_campaign", actor=actor, comment=comment)
    now = utcnow()
    starts_at = starts_at or now
    ends_at = ends_at or starts_at + timedelta(days=project.campaign_days)
    if ends_at <= starts_at:
        raise ValidationFailed(_l("The campaign must end after it starts."), field="ends_at")
    if ends_at <= now:
        raise ValidationFailed(_l("The campaign must end in the future."), field="ends_at")
    if ends_at - starts_at > timedelta(days=365):
        raise ValidationFailed(_l("A campaign lasts at most a year."), field="ends_at")
    project.campaign_starts_at = starts_at
    project.campaign_ends_at = ends_at
    project.published_at = now
    changes = {"campaign": [starts_at.isoformat(), ends_at.isoformat()]}
    return _apply(project, t, actor=actor, comment=comment, changes=changes)


def mark_funded(project: Project, *, actor=None, comment=None) -> Project:
    t, comment = _transition(project, "mark_funded", actor=actor, comment=comment)
    project.closed_at = utcnow()
    return _apply(project, t, actor=actor, comment=comment)


def mark_unsuccessful(project: Project, *, actor=None, comment=None) -> Project:
    t, comment = _transition(project, "mark_unsuccessful", actor=actor, comment=comment)
    project.closed_at = utcnow()
    return _apply(project, t, actor=actor, comment=comment)


def start_implementation(project: Project, *, actor=None, comment=None) -> Project:
    t, comment = _transition(project, "start_implementation", actor=actor, comment=comment)
    return _apply(project, t, actor=actor, comment=comment)


def complete_project(project: Project, *, actor=None, comment=None) -> Project:
    t, comment = _transition(project, "complete_project", actor=actor, comment=comment)
    return _apply(project, t, actor=actor, comment=comment)


def cancel_project(project: Project, *, actor=None, comment=None) -> Project:
    t, comment = _transition(project, "cancel_project", actor=actor, comment=comment)
    project.closed_at = project.closed_at or utcnow()
    return _apply(project, t, actor=actor, comment=comment)


TRANSITION_FUNCTIONS: dict[str, Callable] = {
    "submit_proposal": submit_proposal,
    "start_review": start_review,
    "request_changes": request_changes,
    "resubmit_proposal": resubmit_proposal,
    "approve_proposal": approve_proposal,
    "reject_proposal": reject_proposal,
    "withdraw_proposal": withdraw_proposal,
    "open_campaign": open_campaign,
    "mark_funded": mark_funded,
    "mark_unsuccessful": mark_unsuccessful,
    "start_implementation": start_implementation,
    "complete_project": complete_project,
    "cancel_project": cancel_project,
}
