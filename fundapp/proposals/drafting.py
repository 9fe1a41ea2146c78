"""Writing a proposal: its single-valued fields, budget lines, milestones, team, attachments, and
deleting a draft. Input arrives already shaped by ``forms.py``; the rules are checked here."""

from __future__ import annotations

import unicodedata
from datetime import date
from fractions import Fraction

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fundapp.accounts.models import User
from fundapp.audit.services import record
from fundapp.core import geo
from fundapp.core.db import utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.core.forms import typed_amount, typed_rate
from fundapp.core.money import Money
from fundapp.core.text import clean_text
from fundapp.extensions import db
from fundapp.files.services import discard, store_upload

from .access import _require_editor, can_view
from .models import (
    BudgetLine,
    FundingModel,
    Milestone,
    Project,
    ProjectAttachment,
    ProjectState,
    RepaymentType,
    TeamMember,
)
from .team import invite
from .text import render_markdown
from .timeline import add_timeline_event

# -- editing a proposal -----------------------------------------------------------------------


def parse_amount(text, currency: str, *, field: str, allow_zero: bool = False) -> Money:
    """A typed amount → Money, or ``ValidationFailed`` naming ``field`` with a clear message."""
    if currency not in current_app.config["SUPPORTED_CURRENCIES"]:
        raise ValidationFailed(_l("This currency is not supported."), field="currency")
    return typed_amount(text, currency, field=field, minimum=0 if allow_zero else 1)


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
    project.title = clean_text(data.get("title"), 200, "title", required=True)
    project.summary = clean_text(data.get("summary"), 500, "summary", required=True)
    project.description = clean_text(data.get("description"), 20000, "description")
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
        clean_text(data.get("diaspora_organisation"), 200, "diaspora_organisation") or None
    )
    model = data.get("funding_model")
    if model not in {m.value for m in FundingModel}:
        raise ValidationFailed(_l("Choose a funding model."), field="funding_model")
    currency = data.get("currency") or "TJS"
    if currency not in current_app.config["SUPPORTED_CURRENCIES"]:
        raise ValidationFailed(_l("This currency is not supported."), field="currency")
    if project.budget_lines and currency != project.currency:
        raise ValidationFailed(_l("Remove the budget lines before changing the currency."), field="currency")
    goal = data.get("goal")
    if not isinstance(goal, Money):
        goal = parse_amount(goal, currency, field="goal")
    elif goal.currency != currency or goal.amount <= 0:
        raise ValidationFailed(_l("The funding goal must be greater than zero."), field="goal")
    days = data.get("campaign_days")
    try:
        days = days if isinstance(days, int) else int(str(days or "60").strip())
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
        months = data.get("term_months")
        try:
            months = months if isinstance(months, int) else int(str(months or "").strip())
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
    return unicodedata.normalize("NFKC", text or "").casefold()


def parse_rate_bp(text) -> int:
    """ "12.5" (% a year; "12,5" on a Russian or Tajik page) → 1250 basis points, exactly; a rate
    already read by the form (a ``Fraction`` of percent) is taken as it is."""
    if isinstance(text, Fraction):
        rate = text
    else:
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
        label=clean_text(label, 200, "label", required=True),
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
        title=clean_text(title, 200, "title", required=True),
        description=clean_text(description, 2000, "description"),
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
    _require_editor(project, actor)
    if len(project.team_members) >= 30:
        raise ValidationFailed(_l("At most 30 team members."), field="name")
    email = (email or "").strip()
    if email and (len(email) > 320 or "@" not in email or any(ch.isspace() for ch in email)):
        raise ValidationFailed(_l("Enter an email address like name@example.org."), field="email")
    member = TeamMember(name=clean_text(name, 200, "name", required=True), role=clean_text(role, 200, "role"))
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
    _require_editor(project, actor)
    if len(project.attachments) >= 20:
        raise ValidationFailed(_l("At most 20 attachments."), field="file")
    stored = store_upload(file_storage, uploaded_by=actor)
    attachment = ProjectAttachment(
        file=stored, title=clean_text(title, 200, "title") or stored.original_filename
    )
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
