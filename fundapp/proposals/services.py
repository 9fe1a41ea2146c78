"""The verbs of projects: editing a proposal, its state machine, progress, followers.

Every transition is one function with the signature ``(project, *, actor, comment=None, ...)``.
It checks the actor against the transition table (who may, from which state), changes the state,
records an audit event and a timeline event, and queues email — all in the caller's transaction
(flush, never commit). ``actor=None`` means the system (the campaign closer, a scheduled job).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fundapp.accounts.models import User, UserRole
from fundapp.audit.services import record
from fundapp.core import geo
from fundapp.core.db import utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.forms import typed_amount, typed_rate
from fundapp.core.money import Money
from fundapp.core.urls import public_url
from fundapp.extensions import db
from fundapp.mail.services import queue_email

from .models import (
    STATE_LABELS,
    BudgetLine,
    FundingModel,
    Milestone,
    Project,
    ProjectAttachment,
    ProjectFollower,
    ProjectState,
    ProjectUpdate,
    RepaymentType,
    TeamMember,
    TimelineEvent,
)
from .text import render_markdown

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
FollowerSource = Callable[[Project], Iterable[User]]
_follower_sources: list[FollowerSource] = []


def register_transition_listener(fn: TransitionListener) -> TransitionListener:
    """``fn(project, transition_name, from_state, actor)`` runs inside every transition's
    transaction, after the state changed (e.g. funding releases pledges on cancellation)."""
    if fn not in _transition_listeners:
        _transition_listeners.append(fn)
    return fn


def register_follower_source(fn: FollowerSource) -> FollowerSource:
    """``fn(project) -> iterable of users`` who should hear the project's news (e.g. its backers)."""
    if fn not in _follower_sources:
        _follower_sources.append(fn)
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


def can_view(user, project: Project) -> bool:
    """Published projects are public; otherwise the owner, linked team members, administrators,
    auditors and reviewers who declared no conflict may see it."""
    if project.is_public:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if project.is_insider(user) or user.has_any_role("administrator", "auditor"):
        return True
    if user.has_role("reviewer"):
        from fundapp.reviews.services import may_read_proposal

        return may_read_proposal(user, project)
    return False


def can_edit(user, project: Project) -> bool:
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.id == project.owner_id
        and project.is_editable
    )


def _require_editor(project: Project, actor) -> None:
    if actor is None or actor.id != project.owner_id:
        raise NotPermitted(_l("Only the author can edit this proposal."))
    if not project.is_editable:
        raise InvalidTransition(
            _l("The proposal cannot be edited while it is “%(state)s”.", state=project.state_label)
        )


# -- the timeline and notifications -----------------------------------------------------------

# Notes the fund's services write on a project's timeline (and in its audit rows), kept in this
# canonical form and shown in the reader's language (fundapp.core.phrases).
TIMELINE_NOTES = (
    ("campaign closed: goal met", _l("campaign closed: goal met")),
    ("campaign closed: goal not met", _l("campaign closed: goal not met")),
    ("campaign closed early: goal received", _l("campaign closed early: goal received")),
    ("First disbursement #{id} paid ({amount})", _l("First disbursement #%(id)s paid (%(amount)s)")),
    ("All milestones are reported done.", _l("All milestones are reported done.")),
    ("proposal resubmitted", _l("proposal resubmitted")),
)


def add_timeline_event(
    project: Project,
    kind: str,
    *,
    public: bool,
    actor=None,
    text: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
) -> TimelineEvent:
    event = TimelineEvent(
        project=project,
        kind=kind,
        public=public,
        actor_id=getattr(actor, "id", None),
        text=text,
        from_state=from_state,
        to_state=to_state,
        created_at=utcnow(),
    )
    db.session.add(event)
    db.session.flush()
    return event


def administrators() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "administrator", User.is_active_account.is_(True))
            .order_by(User.id)
        ).unique()
    )


def followers(project: Project) -> list[User]:
    """Everyone who hears a project's news: its followers, plus every registered source's users."""
    seen: dict[int, User] = {}
    rows = db.session.scalars(select(ProjectFollower).where(ProjectFollower.project_id == project.id))
    for f in rows:
        seen.setdefault(f.user_id, f.user)
    for source in _follower_sources:
        for user in source(project) or ():
            if user is not None and getattr(user, "id", None) is not None:
                seen.setdefault(user.id, user)
    return [u for u in seen.values() if u.is_active_account]


def external_url(endpoint: str, **values) -> str:
    """An absolute link for email, always on ``PUBLIC_BASE_URL`` (inside a request or outside one)."""
    return public_url(endpoint, **values)


def project_link(project: Project) -> str:
    return external_url("proposals.project_detail", project_id=project.id)


def notify_followers(project: Project, subject, template: str, *, exclude=(), **context) -> int:
    """Queue ``template`` (e.g. ``proposals/email/update``) to everyone following ``project``."""
    context.setdefault("link", project_link(project))
    skip = {getattr(u, "id", u) for u in exclude}
    count = 0
    for user in followers(project):
        if user.id in skip:
            continue
        queue_email(user, subject, template, project=project, **context)
        count += 1
    return count


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
    try:
        from fundapp.reviews.services import completed_review_count
    except ImportError:  # pragma: no cover - the reviews package is part of this app
        return 0
    return completed_review_count(project)


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
    from fundapp.council.services import may_need_council

    return may_need_council(project.goal)


def approve_proposal(project: Project, *, actor, comment=None, council_decision=None) -> Project:
    t, comment = _transition(project, "approve_proposal", actor=actor, comment=comment)
    _require_reviews(project)
    from fundapp.council.services import above_threshold, council_threshold

    # counted in somoni at the rate of the day of the decision; no rate recorded refuses
    if council_decision is None and above_threshold(project.goal):
        raise ValidationFailed(
            _l(
                "The goal is above %(threshold)s: the approval must cite a Coordination Council decision.",
                threshold=str(council_threshold()),
            ),
            field="council_decision",
        )
    if council_decision is not None:
        from fundapp.council.services import check_citation

        check_citation(council_decision, project)
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


# -- editing a proposal -----------------------------------------------------------------------


def parse_amount(text, currency: str, *, field: str, allow_zero: bool = False) -> Money:
    """A typed amount → Money, or ``ValidationFailed`` naming ``field`` with a clear message."""
    if currency not in current_app.config["SUPPORTED_CURRENCIES"]:
        raise ValidationFailed(_l("This currency is not supported."), field="currency")
    return typed_amount(text, currency, field=field, minimum=0 if allow_zero else 1)


def _clean(value, limit: int, field: str, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(_l("This field is required."), field=field)
    if len(text) > limit:
        raise ValidationFailed(_l("At most %(n)s characters.", n=limit), field=field)
    return text


PROPOSAL_FIELDS = (
    "title",
    "summary",
    "description",
    "category",
    "home_district",
    "diaspora_organisation",
    "funding_model",
    "goal",
    "currency",
    "campaign_days",
    "annual_rate",
    "term_months",
    "repayment_type",
)


def _apply_fields(project: Project, data: dict) -> None:
    """Check and set the single-valued fields of a proposal from ``data`` (strings, as typed)."""
    project.title = _clean(data.get("title"), 200, "title", required=True)
    project.summary = _clean(data.get("summary"), 500, "summary", required=True)
    project.description = _clean(data.get("description"), 20000, "description")
    project.description_html = render_markdown(project.description)
    project.search_text = search_key(f"{project.title}\n{project.summary}")
    category = data.get("category")
    if category not in geo.CATEGORIES:
        raise ValidationFailed(_l("Choose a category."), field="category")
    project.category = category
    district = data.get("home_district")
    region = next((r for r, ds in geo.DISTRICTS.items() if district in ds), None)
    if region is None:
        raise ValidationFailed(_l("Choose the home district or city."), field="home_district")
    project.home_region, project.home_district = region, district
    project.diaspora_organisation = (
        _clean(data.get("diaspora_organisation"), 200, "diaspora_organisation") or None
    )
    model = data.get("funding_model")
    if model not in {m.value for m in FundingModel}:
        raise ValidationFailed(_l("Choose a funding model."), field="funding_model")
    currency = data.get("currency") or "TJS"
    if currency not in current_app.config["SUPPORTED_CURRENCIES"]:
        raise ValidationFailed(_l("This currency is not supported."), field="currency")
    if project.budget_lines and currency != project.currency:
        raise ValidationFailed(_l("Remove the budget lines before changing the currency."), field="currency")
    goal = parse_amount(data.get("goal"), currency, field="goal")
    try:
        days = int(str(data.get("campaign_days") or "60").strip())
    except ValueError:
        raise ValidationFailed(_l("Enter a whole number of days."), field="campaign_days") from None
    if not 1 <= days <= 365:
        raise ValidationFailed(_l("A campaign lasts from 1 to 365 days."), field="campaign_days")
    project.funding_model = model
    project.currency = currency
    project.goal_minor = goal.amount
    project.campaign_days = days
    if model == FundingModel.LOAN:
        project.annual_rate_bp = parse_rate_bp(data.get("annual_rate"))
        try:
            months = int(str(data.get("term_months") or "").strip())
        except ValueError:
            raise ValidationFailed(_l("Enter the term in whole months."), field="term_months") from None
        if not 1 <= months <= 240:
            raise ValidationFailed(_l("The term is from 1 to 240 months."), field="term_months")
        project.term_months = months
        rtype = data.get("repayment_type")
        if rtype not in {r.value for r in RepaymentType}:
            raise ValidationFailed(_l("Choose how the loan is repaid."), field="repayment_type")
        project.repayment_type = rtype
    else:
        project.annual_rate_bp = project.term_months = project.repayment_type = None


def search_key(text: str) -> str:
    """The form in which titles and summaries are stored and searched (Unicode case folding)."""
    import unicodedata

    return unicodedata.normalize("NFKC", text or "").casefold()


def parse_rate_bp(text) -> int:
    """ "12.5" (% a year; "12,5" on a Russian or Tajik page) → 1250 basis points, exactly."""
    raw = text.strip().removesuffix("%") if isinstance(text, str) else None
    rate = typed_rate(raw, field="annual_rate", max_digits=5, max_decimals=2, allow_zero=True)
    if rate > 100:
        raise ValidationFailed(_l("The annual rate is from 0 to 100 percent."), field="annual_rate")
    return int(rate * 100)


def create_proposal(owner: User, data: dict) -> Project:
    """A new draft owned by ``owner``; its author is also its first team member."""
    if owner is None:
        raise NotPermitted()
    project = Project(owner_id=owner.id, owner=owner, state=ProjectState.DRAFT.value)
    _apply_fields(project, data)
    db.session.add(project)
    project.team_members.append(
        TeamMember(name=owner.full_name or owner.display_name, role=str(_l("Author")), user_id=owner.id)
    )
    db.session.flush()
    record("project.create", project, actor=owner)
    add_timeline_event(project, "created", public=False, actor=owner)
    return project


def update_proposal(project: Project, *, actor, data: dict) -> Project:
    _require_editor(project, actor)
    _apply_fields(project, data)
    db.session.flush()
    record("project.edit", project, actor=actor)
    return project


def add_budget_line(project: Project, *, actor, label: str, amount: Money) -> BudgetLine:
    _require_editor(project, actor)
    if not isinstance(amount, Money):
        raise TypeError("amount must be Money")
    if amount.currency != project.currency:
        raise ValidationFailed(_l("Budget lines are in the project's currency."), field="amount")
    if amount.amount <= 0:
        raise ValidationFailed(_l("The amount must be greater than zero."), field="amount")
    if len(project.budget_lines) >= 50:
        raise ValidationFailed(_l("At most 50 budget lines."), field="label")
    line = BudgetLine(
        label=_clean(label, 200, "label", required=True),
        amount_minor=amount.amount,
        position=len(project.budget_lines) + 1,
    )
    project.budget_lines.append(line)
    db.session.flush()
    return line


def _own_row(rows, row_id: int):
    for row in rows:
        if row.id == row_id:
            return row
    raise ValidationFailed(_l("This row does not exist."), field="row")


def remove_budget_line(project: Project, line_id: int, *, actor) -> None:
    _require_editor(project, actor)
    project.budget_lines.remove(_own_row(project.budget_lines, line_id))
    db.session.flush()


def add_milestone(
    project: Project, *, actor, title: str, amount: Money, due_date: date | None = None, description: str = ""
) -> Milestone:
    _require_editor(project, actor)
    if not isinstance(amount, Money):
        raise TypeError("amount must be Money")
    if amount.currency != project.currency:
        raise ValidationFailed(_l("Milestones are in the project's currency."), field="amount")
    if len(project.milestones) >= 30:
        raise ValidationFailed(_l("At most 30 milestones."), field="title")
    if due_date is not None and due_date < utcnow().date():
        raise ValidationFailed(
            _l("A milestone cannot be due in the past: choose today or a later date."), field="due_date"
        )
    milestone = Milestone(
        title=_clean(title, 200, "title", required=True),
        description=_clean(description, 2000, "description"),
        due_date=due_date,
        amount_minor=amount.amount,
        position=len(project.milestones) + 1,
    )
    project.milestones.append(milestone)
    db.session.flush()
    return milestone


def remove_milestone(project: Project, milestone_id: int, *, actor) -> None:
    _require_editor(project, actor)
    project.milestones.remove(_own_row(project.milestones, milestone_id))
    db.session.flush()


def add_team_member(project: Project, *, actor, name: str, role: str, email: str | None = None) -> TeamMember:
    """Add a person to the team. When ``email`` belongs to an account other than the author's,
    its holder is invited (``team.invite``): linked to the project — and so never its reviewer or
    decider — only once they accept. The answer is the same whatever the address, so the form
    never tells whether an account exists."""
    from .team import invite

    _require_editor(project, actor)
    if len(project.team_members) >= 30:
        raise ValidationFailed(_l("At most 30 team members."), field="name")
    email = (email or "").strip()
    if email and (len(email) > 320 or "@" not in email or any(ch.isspace() for ch in email)):
        raise ValidationFailed(_l("Enter an email address like name@example.org."), field="email")
    member = TeamMember(name=_clean(name, 200, "name", required=True), role=_clean(role, 200, "role"))
    project.team_members.append(member)
    db.session.flush()
    record("project.team_add", project, actor=actor, changes={"member": member.id})
    if email:
        invite(project, member, email.lower(), actor=actor)
    return member


def remove_team_member(project: Project, member_id: int, *, actor) -> None:
    _require_editor(project, actor)
    member = _own_row(project.team_members, member_id)
    if member.user_id == project.owner_id:
        raise ValidationFailed(_l("The author stays in the team."), field="row")
    project.team_members.remove(member)
    db.session.flush()
    record("project.team_remove", project, actor=actor, changes={"member": member_id})


def delete_draft(project: Project, *, actor) -> None:
    """The author deletes their own draft — never a proposal once submitted. Its rows go with it,
    its attachments' files are removed from disk when the transaction commits; the audit trail
    keeps the deletion."""
    from sqlalchemy.exc import IntegrityError

    from fundapp.files.services import discard

    if actor is None or actor.id != project.owner_id:
        raise NotPermitted(_l("Only the author can delete this draft."))
    if project.state != ProjectState.DRAFT or project.submitted_at is not None:
        raise InvalidTransition(
            _l(
                "Only a draft that was never submitted can be deleted; this proposal is “%(state)s”. "
                "You can withdraw it instead.",
                state=project.state_label,
            )
        )
    files = [a.file for a in project.attachments]
    record(
        "project.delete",
        project,
        actor=actor,
        changes={"title": project.title, "files": [f.id for f in files]},
    )
    try:
        with db.session.begin_nested():
            db.session.delete(project)
            db.session.flush()
            for stored in files:
                discard(stored)
    except IntegrityError:
        raise InvalidTransition(_l("This draft is referred to elsewhere and cannot be deleted.")) from None


def add_attachment(project: Project, *, actor, file_storage, title: str = "") -> ProjectAttachment:
    from fundapp.files.services import store_upload

    _require_editor(project, actor)
    if len(project.attachments) >= 20:
        raise ValidationFailed(_l("At most 20 attachments."), field="file")
    stored = store_upload(file_storage, uploaded_by=actor)
    attachment = ProjectAttachment(file=stored, title=_clean(title, 200, "title") or stored.original_filename)
    project.attachments.append(attachment)
    db.session.flush()
    record("project.attach", project, actor=actor, changes={"file": stored.id})
    return attachment


def remove_attachment(project: Project, attachment_id: int, *, actor) -> None:
    _require_editor(project, actor)
    project.attachments.remove(_own_row(project.attachments, attachment_id))
    db.session.flush()


def attachment_access_rule(user, stored_file) -> bool:
    """Files attached to a project are served to whoever may see the project."""
    attachment = db.session.scalar(
        select(ProjectAttachment).where(ProjectAttachment.file_id == stored_file.id)
    )
    return attachment is not None and can_view(user, attachment.project)


# -- after publication ----------------------------------------------------------------------------


def post_update(project: Project, *, actor, title: str, body: str) -> ProjectUpdate:
    """The owner tells followers and backers what happened; they are emailed."""
    if actor is None or actor.id != project.owner_id:
        raise NotPermitted(_l("Only the project's owner can post updates."))
    if not project.is_public:
        raise InvalidTransition(_l("Updates can be posted once the project is published."))
    update = ProjectUpdate(
        project=project,
        author_id=actor.id,
        title=_clean(title, 200, "title", required=True),
        body=_clean(body, 10000, "body", required=True),
    )
    update.body_html = render_markdown(update.body)
    db.session.add(update)
    db.session.flush()
    record("project.update_posted", project, actor=actor, changes={"update": update.id})
    add_timeline_event(project, "update", public=True, actor=actor, text=update.title)
    notify_followers(
        project,
        _l("News from “%(title)s”", title=project.title),
        "proposals/email/update",
        exclude=[actor],
        update=update,
    )
    return update


def follow(project: Project, user) -> ProjectFollower:
    if not project.is_public:
        raise InvalidTransition(_l("Only published projects can be followed."))
    existing = db.session.scalar(
        select(ProjectFollower).where(
            ProjectFollower.project_id == project.id, ProjectFollower.user_id == user.id
        )
    )
    if existing is not None:
        return existing
    row = ProjectFollower(project_id=project.id, user_id=user.id)
    db.session.add(row)
    db.session.flush()
    return row


def unfollow(project: Project, user) -> None:
    row = db.session.scalar(
        select(ProjectFollower).where(
            ProjectFollower.project_id == project.id, ProjectFollower.user_id == user.id
        )
    )
    if row is not None:
        db.session.delete(row)
        db.session.flush()


def is_following(project: Project, user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(ProjectFollower.id).where(
                ProjectFollower.project_id == project.id, ProjectFollower.user_id == user.id
            )
        )
        is not None
    )


# -- progress ---------------------------------------------------------------------------------


# The one account of a project's money (``fundapp.transparency.money.project_money_many``), registered
# by the transparency domain: ``fn(projects) -> {project id: ProjectMoney}``.
_money_reader: list = []


def register_money_reader(fn) -> None:
    _money_reader[:] = [fn]


def project_money_many(projects) -> dict:
    """{project id: ProjectMoney} (empty while no domain provides the account)."""
    projects = [p for p in projects if p is not None and p.id is not None]
    if not _money_reader or not projects:
        return {}
    return _money_reader[0](projects)


def project_money(project: Project):
    """The project's ``ProjectMoney`` or None."""
    return project_money_many([project]).get(project.id)


def _progress_of(project: Project, money) -> dict:
    zero = Money.zero(project.currency)
    if money is None:
        return {
            "raised": zero,
            "pledged": zero,
            "goal": project.goal,
            "percent": 0,
            "backers": 0,
            "money": None,
        }
    return {
        "raised": money.raised,
        "pledged": money.pledged,
        "goal": money.goal,
        "percent": int(money.share_of_goal),
        "backers": money.backers,
        "money": money,
    }


def progress_many(projects) -> dict[int, dict]:
    """``progress`` of many projects at once (a list page's cards)."""
    projects = list(projects)
    found = project_money_many(projects)
    return {p.id: _progress_of(p, found.get(p.id)) for p in projects}


def progress(project: Project) -> dict:
    """``{"raised", "pledged", "goal", "percent", "backers", "money"}`` from the one account of the
    project's money (``money``, a ``ProjectMoney``; zeros while it is absent). ``percent`` counts
    outstanding pledges too and may exceed 100."""
    if project.id is None:
        return _progress_of(project, None)
    return _progress_of(project, project_money(project))
