"""Project pages: the public list and page, the author's editor, transitions, updates, following,
the author's and administrators' overviews. Thin: parse, call a service, flash, commit, redirect."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from fractions import Fraction

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from fundapp.core import geo
from fundapp.core.errors import NotFound, ValidationFailed
from fundapp.core.forms import put_errors
from fundapp.core.params import page_arg, parse_id
from fundapp.core.security import public, roles_required
from fundapp.extensions import db
from fundapp.files.held import HeldUploads
from fundapp.files.services import KINDS

from . import forms, interfaces, progress, services, team
from .models import (
    FUNDING_MODEL_LABELS,
    PUBLIC_STATES,
    REPAYMENT_LABELS,
    STATE_LABELS,
    Project,
    ProjectState,
    TeamMember,
)

bp = Blueprint("proposals", __name__)

PER_PAGE = 12
SORTS = ("newest", "ending", "funded")
# Closing a campaign settles money (pledges collected or released): only the funding domain's
# settlement may do it, never a button here.
NOT_FROM_THE_PAGE = frozenset({"mark_funded", "mark_unsuccessful"})


def _project_or_404(project_id: int) -> Project:
    """A project the current user may see; otherwise 404, so that existence does not leak."""
    project = db.session.get(Project, project_id)
    if project is None or not services.can_view(current_user, project):
        abort(404)
    return project


def _editable_or_404(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None or not current_user.is_authenticated or project.owner_id != current_user.id:
        abort(404)
    return project


def _form_context(**extra):
    return {
        "categories": geo.CATEGORIES,
        "district_choices": geo.district_choices(),
        "funding_models": FUNDING_MODEL_LABELS,
        "repayment_types": REPAYMENT_LABELS,
        "currencies": current_app.config["SUPPORTED_CURRENCIES"],
        "attachment_form": extra.pop("attachment_form", None) or forms.AttachmentForm(formdata=None),
        **extra,
    }


def _proposal_form(project: Project | None = None, *, posted: bool | None = None) -> forms.ProposalForm:
    """The proposal's form: what was posted, else the project's values (or a new draft's)."""
    if request.method == "POST" if posted is None else posted:
        return forms.ProposalForm()
    if project is None:
        return forms.ProposalForm(formdata=None, currency="TJS", campaign_days=60, funding_model="donation")
    form = forms.ProposalForm(formdata=None, obj=project)
    form.goal.data = project.goal if project.goal_minor else None
    form.annual_rate.data = (
        Fraction(project.annual_rate_bp, 100) if project.annual_rate_bp is not None else None
    )
    form.diaspora_organisation.data = project.diaspora_organisation or ""
    form.repayment_type.data = project.repayment_type or ""
    return form


# -- public list and page ---------------------------------------------------------------------


def _filtered_projects(args):
    query = select(Project).where(Project.state.in_([s.value for s in PUBLIC_STATES]))
    query = query.where(Project.published_at.is_not(None))
    region = args.get("region")
    if region in geo.REGIONS:
        query = query.where(Project.home_region == region)
    district = args.get("district")
    if district and any(district in d for d in geo.DISTRICTS.values()):
        query = query.where(Project.home_district == district)
    category = args.get("category")
    if category in geo.CATEGORIES:
        query = query.where(Project.category == category)
    model = args.get("funding_model")
    if model in FUNDING_MODEL_LABELS:
        query = query.where(Project.funding_model == model)
    status = args.get("status")
    if status in {s.value for s in PUBLIC_STATES}:
        query = query.where(Project.state == status)
    q = (args.get("q") or "").strip()[:100]
    if q:
        needle = services.search_key(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Project.search_text.like(f"%{needle}%", escape="\\"))
    return query


def _page_number() -> int:
    return page_arg()


def search_projects(args, page: int, per_page: int = PER_PAGE):
    """(projects on the page, total count, pages) for the public list and the API."""
    query = _filtered_projects(args)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    sort = args.get("sort") if args.get("sort") in SORTS else "newest"
    share = progress.share_of_goal_order() if sort == "funded" else None
    if share is not None:
        # ordered in the database on the public counters: the cost of a page, not of the catalogue
        query = query.order_by(share.desc(), Project.id.desc())
    elif sort == "ending":
        open_first = (Project.state == ProjectState.FUNDRAISING.value).desc()
        query = query.order_by(open_first, Project.campaign_ends_at.asc(), Project.id.desc())
    else:
        query = query.order_by(Project.published_at.desc(), Project.id.desc())
    items = db.session.scalars(query.offset((page - 1) * per_page).limit(per_page)).all()
    return items, total, pages


@bp.get("/projects")
@public
def list_projects():
    page = _page_number()
    items, total, pages = search_projects(request.args, page)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "proposals/list.html",
        projects=items,
        total=total,
        page=page,
        pages=pages,
        args=args,
        progress=services.progress_many(items),
        regions=geo.REGIONS,
        district_choices=geo.district_choices(),
        categories=geo.CATEGORIES,
        funding_models=FUNDING_MODEL_LABELS,
        public_states=[(s.value, STATE_LABELS[s]) for s in ProjectState if s in PUBLIC_STATES],
        sorts=SORTS,
    )


def _insider_view(project: Project) -> bool:
    """Who sees the internal timeline (review steps, actors): the author and team, administrators,
    auditors, and reviewers working on this very proposal — not every reviewer of the fund."""
    if not current_user.is_authenticated:
        return False
    if project.is_insider(current_user) or current_user.has_any_role("administrator", "auditor"):
        return True
    if current_user.has_role("reviewer"):
        return interfaces.reviews().may_read_proposal(current_user, project)
    return False


@bp.get("/projects/<int:project_id>")
@public
def project_detail(project_id: int):
    project = _project_or_404(project_id)
    return interfaces.public_page(("project", project_id), lambda: _render_project(project))


def render_project_page(project, **extra) -> str:
    """The project page as the current user sees it; ``extra`` reaches the included panels (e.g.
    the reviews domain's form error)."""
    return _render_project(project, **extra)


def _render_project(project, **extra) -> str:
    insider_view = _insider_view(project)
    events = [e for e in project.timeline if e.public or insider_view]
    council_choices = []
    allowed = []
    if current_user.is_authenticated:
        allowed = [
            t for t in services.allowed_transitions(project, current_user) if t.name not in NOT_FROM_THE_PAGE
        ]
    if any(t.name == "approve_proposal" for t in allowed):
        council_choices = interfaces.council().decisions_about(project)
    return render_template(
        "proposals/detail.html",
        project=project,
        progress=services.progress(project),
        events=events,
        insider_view=insider_view,
        allowed=allowed,
        council_choices=council_choices,
        needs_council=services.needs_council(project),
        can_edit=services.can_edit(current_user, project),
        following=services.is_following(project, current_user),
        geo=geo,
        state_labels=STATE_LABELS,
        repayment_labels=REPAYMENT_LABELS,
        min_reviews=current_app.config.get("MIN_REVIEWS_FOR_DECISION", 2),
        completed_reviews=services.completed_reviews(project) if insider_view else None,
        problems=services.completeness_problems(project) if project.is_editable else [],
        **extra,
    )


# -- the author's editor ------------------------------------------------------------------------


@bp.route("/proposals/new", methods=["GET", "POST"])
def new_proposal():
    form = _proposal_form()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                project = services.create_proposal(
                    current_user._get_current_object(), form.data_for_service()
                )
            except ValidationFailed as exc:
                db.session.rollback()
                put_errors(form, exc)
            else:
                db.session.commit()
                flash(_("Your draft is saved. Add the budget, milestones and team, then submit it."), "info")
                return redirect(url_for("proposals.edit_proposal", project_id=project.id), 303)
    return render_template("proposals/form.html", **_form_context(form=form, project=None)), status


@bp.route("/proposals/<int:project_id>/edit", methods=["GET", "POST"])
def edit_proposal(project_id: int):
    project = _editable_or_404(project_id)
    form = _proposal_form(project)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                services.update_proposal(project, actor=current_user, data=form.data_for_service())
            except ValidationFailed as exc:
                db.session.rollback()
                put_errors(form, exc)
            else:
                db.session.commit()
                flash(_("Saved."), "info")
                return redirect(url_for("proposals.edit_proposal", project_id=project.id), 303)
    if not project.is_editable:
        flash(
            _("The proposal cannot be edited while it is “%(state)s”.", state=project.state_label), "warning"
        )
        return redirect(url_for("proposals.project_detail", project_id=project.id), 303)
    return render_template(
        "proposals/form.html",
        **_form_context(
            form=form,
            project=project,
            problems=services.completeness_problems(project),
            row_errors=request.args.get("row_error"),
        ),
    ), status


def _row_action(project_id: int, anchor: str, action, saved: str | None = None, form_class=None):
    """Add or remove one row of the proposal; every error of the row's form is told at once."""
    project = _editable_or_404(project_id)
    form = (form_class or forms.RowForm)()
    if hasattr(form, "amount"):
        form.amount.currency = project.currency
    if not form.validate():
        _flash_errors(form)
        return redirect(url_for("proposals.edit_proposal", project_id=project_id) + f"#{anchor}", 303)
    try:
        action(project, form)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(saved or _("Saved."), "info")
    return redirect(url_for("proposals.edit_proposal", project_id=project_id) + f"#{anchor}", 303)


def _flash_errors(form) -> None:
    """Every error of a small form at once, each with its field's name."""
    for field in form:
        for error in field.errors:
            label = field.label.text if field.type not in ("CSRFTokenField", "HiddenField") else ""
            flash(f"{label}: {error}" if label else str(error), "error")


def _row_id(form) -> int:
    value = parse_id(form.row.data)
    if value is None:
        raise ValidationFailed(_("This row does not exist."), field="row")
    return value


@bp.post("/proposals/<int:project_id>/budget")
def add_budget_line(project_id: int):
    def act(project, form):
        services.add_budget_line(project, actor=current_user, label=form.label.data, amount=form.amount.data)

    return _row_action(project_id, "budget", act, form_class=forms.BudgetLineForm)


@bp.post("/proposals/<int:project_id>/budget/delete")
def remove_budget_line(project_id: int):
    return _row_action(
        project_id, "budget", lambda p, f: services.remove_budget_line(p, _row_id(f), actor=current_user)
    )


@bp.post("/proposals/<int:project_id>/milestones")
def add_milestone(project_id: int):
    def act(project, form):
        services.add_milestone(
            project,
            actor=current_user,
            title=form.title.data,
            description=form.description.data or "",
            due_date=form.due_date.data,
            amount=form.amount.data,
        )

    return _row_action(project_id, "milestones", act, form_class=forms.MilestoneForm)


@bp.post("/proposals/<int:project_id>/milestones/delete")
def remove_milestone(project_id: int):
    return _row_action(
        project_id,
        "milestones",
        lambda p, f: services.remove_milestone(p, _row_id(f), actor=current_user),
    )


@bp.post("/proposals/<int:project_id>/team")
def add_team_member(project_id: int):
    def act(project, form):
        services.add_team_member(
            project, actor=current_user, name=form.name.data, role=form.role.data or "", email=form.email.data
        )

    return _row_action(
        project_id,
        "team",
        act,
        _(
            "Saved. If the address belongs to a member of the portal, they are invited "
            "and join the team once they accept."
        ),
        form_class=forms.TeamMemberForm,
    )


@bp.get("/my/invitations")
def team_invitations():
    """The team invitations waiting for the signed-in person's answer."""
    return render_template("proposals/invitations.html", invitations=team.pending_invitations(current_user))


@bp.post("/my/invitations/<int:member_id>")
def answer_invitation(member_id: int):
    """Accept or decline one invitation; only the invited person can, anyone else gets a 404."""
    form = forms.AnswerForm()
    answer = form.answer.data if form.validate() else None
    if answer not in ("accept", "decline"):
        abort(400)
    try:
        if answer == "accept":
            member = team.accept_invitation(member_id, actor=current_user)
            message = _("You are now in the team of “%(title)s”.", title=member.project.title)
        else:
            team.decline_invitation(member_id, actor=current_user)
            message = _("You declined the invitation.")
    except NotFound:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(message, "info")
    return redirect(url_for("proposals.team_invitations"), 303)


@bp.post("/proposals/<int:project_id>/team/delete")
def remove_team_member(project_id: int):
    return _row_action(
        project_id, "team", lambda p, f: services.remove_team_member(p, _row_id(f), actor=current_user)
    )


@bp.post("/proposals/<int:project_id>/attachments")
def add_attachment(project_id: int):
    """Attach a document; a refused submit shows the editor again (400) with every error beside
    its field, the title as typed and the chosen file held, so it need not be chosen again."""
    project = _editable_or_404(project_id)
    form = forms.AttachmentForm()
    held = HeldUploads(form, {"file": tuple(KINDS)}, user=current_user, required=("file",))
    if form.validate() & held.validate():
        try:
            services.add_attachment(
                project, actor=current_user, file_storage=held.upload("file"), title=form.title.data
            )
        except ValidationFailed as exc:
            db.session.rollback()
            put_errors(form, exc)
        else:
            held.commit_attached()
            flash(_("Saved."), "info")
            return redirect(url_for("proposals.edit_proposal", project_id=project_id) + "#attachments", 303)
    held.commit_held()
    if not project.is_editable:
        flash(
            _("The proposal cannot be edited while it is “%(state)s”.", state=project.state_label), "warning"
        )
        return redirect(url_for("proposals.project_detail", project_id=project.id), 303)
    return render_template(
        "proposals/form.html",
        **_form_context(
            form=_proposal_form(project, posted=False),
            project=project,
            problems=services.completeness_problems(project),
            attachment_form=form,
            held=held,
        ),
    ), 400


@bp.post("/proposals/<int:project_id>/attachments/delete")
def remove_attachment(project_id: int):
    return _row_action(
        project_id,
        "attachments",
        lambda p, f: services.remove_attachment(p, _row_id(f), actor=current_user),
    )


@bp.route("/proposals/<int:project_id>/delete", methods=["GET", "POST"])
def delete_draft(project_id: int):
    """The author deletes a draft: a confirmation page, then the post (only the author; 404 for
    anyone else; never once submitted)."""
    project = _editable_or_404(project_id)
    if project.state != ProjectState.DRAFT or project.submitted_at is not None:
        flash(
            _("Only a draft that was never submitted can be deleted. You can withdraw it instead."), "warning"
        )
        return redirect(url_for("proposals.project_detail", project_id=project.id), 303)
    form = forms.ConfirmForm()
    if request.method == "GET" or not form.validate() or form.confirm.data != "1":
        return render_template("proposals/delete.html", project=project)
    title = project.title
    services.delete_draft(project, actor=current_user._get_current_object())
    db.session.commit()
    flash(_("The draft “%(title)s” is deleted.", title=title), "info")
    return redirect(url_for("proposals.my_proposals"), 303)


# -- transitions ----------------------------------------------------------------------------------


def _moment(d: date | None, *, end: bool = False) -> datetime | None:
    if d is None:
        return None
    return datetime.combine(d, time(23, 59, 59) if end else time(0, 0), tzinfo=UTC)


@bp.post("/projects/<int:project_id>/transition")
def transition(project_id: int):
    """Run one transition named in the form. Who may, and from which state, is the service's call:
    a refusal is a clear message with 403 or 409, a missing reason puts the user back on the page."""
    project = _project_or_404(project_id)
    form = forms.TransitionForm()
    valid = form.validate()
    name = form.transition.data or ""
    fn = services.TRANSITION_FUNCTIONS.get(name)
    if fn is None or name in NOT_FROM_THE_PAGE:
        abort(400)
    kwargs = {"actor": current_user._get_current_object(), "comment": form.comment.data}
    try:
        if not valid:
            field = next(f for f in form if f.errors)
            raise ValidationFailed(" ".join(map(str, field.errors)), field=field.name)
        if name == "approve_proposal":
            raw = form.council_decision.data or ""
            if raw:
                decision = interfaces.council().decision(parse_id(raw)) if parse_id(raw) else None
                if decision is None:
                    raise ValidationFailed(
                        _("Choose a Council decision from the list."), field="council_decision"
                    )
                kwargs["council_decision"] = decision
        if name == "open_campaign":
            kwargs["starts_at"] = _moment(form.starts_on.data)
            kwargs["ends_at"] = _moment(form.ends_on.data, end=True)
        fn(project, **kwargs)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        if name in {"submit_proposal", "resubmit_proposal"} and project.owner_id == current_user.id:
            return redirect(url_for("proposals.edit_proposal", project_id=project.id), 303)
        return redirect(url_for("proposals.project_detail", project_id=project.id) + "#manage", 303)
    db.session.commit()
    flash(_("Done: the project is now “%(state)s”.", state=project.state_label), "info")
    return redirect(url_for("proposals.project_detail", project_id=project.id), 303)


# -- after publication ----------------------------------------------------------------------------


@bp.post("/projects/<int:project_id>/updates")
def post_update(project_id: int):
    project = _project_or_404(project_id)
    form = forms.UpdateForm()
    if not form.validate():
        _flash_errors(form)
        return redirect(url_for("proposals.project_detail", project_id=project.id) + "#updates", 303)
    try:
        services.post_update(project, actor=current_user, title=form.title.data, body=form.body.data)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("proposals.project_detail", project_id=project.id) + "#updates", 303)
    db.session.commit()
    flash(_("Your update is published and followers are told."), "info")
    return redirect(url_for("proposals.project_detail", project_id=project.id) + "#updates", 303)


@bp.post("/projects/<int:project_id>/follow")
def follow(project_id: int):
    project = _project_or_404(project_id)
    form = forms.FollowForm()
    if not form.validate():
        abort(400)
    if form.action.data == "unfollow":
        services.unfollow(project, current_user)
        message = _("You no longer follow this project.")
    else:
        services.follow(project, current_user)
        message = _("You follow this project: its news will come by email.")
    db.session.commit()
    flash(message, "info")
    return redirect(url_for("proposals.project_detail", project_id=project.id), 303)


# -- overviews --------------------------------------------------------------------------------


def my_projects(user) -> list[Project]:
    """Projects the user owns or is a linked team member of, in every state."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    team = select(TeamMember.project_id).where(TeamMember.user_id == user.id)
    return list(
        db.session.scalars(
            select(Project)
            .where(or_(Project.owner_id == user.id, Project.id.in_(team)))
            .order_by(Project.updated_at.desc(), Project.id.desc())
        )
    )


@bp.get("/my/proposals")
def my_proposals():
    return render_template("proposals/my.html", projects=my_projects(current_user))


@bp.get("/pipeline")
@roles_required("administrator", "auditor")
def pipeline():
    state = request.args.get("state")
    counts = dict(
        db.session.execute(select(Project.state, func.count(Project.id)).group_by(Project.state)).all()
    )
    query = select(Project).where(Project.state != ProjectState.DRAFT.value)
    if state in {s.value for s in ProjectState}:
        query = select(Project).where(Project.state == state)
    page = _page_number()
    result = db.paginate(
        query.order_by(Project.updated_at.desc(), Project.id.desc()), page=page, per_page=50, error_out=False
    )
    return render_template(
        "proposals/pipeline.html",
        result=result,
        counts=counts,
        state=state,
        states=[(s.value, STATE_LABELS[s]) for s in ProjectState],
        geo=geo,
    )


@bp.app_context_processor
def _proposals_globals():
    return {
        "my_projects": lambda: my_projects(current_user),
        "my_team_invitations": lambda: team.pending_invitations(current_user),
        "project_region_name": geo.region_name,
        "project_district_name": geo.district_name,
        "project_category_name": geo.category_name,
        "home_projects": _home_projects,
    }


def _home_projects(limit: int = 3) -> dict:
    """The campaigns ending soonest, with their figures from the one account of each project's
    money (for ``proposals/_home.html`` on the home page)."""
    items = db.session.scalars(
        select(Project)
        .where(Project.state == ProjectState.FUNDRAISING.value, Project.published_at.is_not(None))
        .order_by(Project.campaign_ends_at.asc(), Project.id.desc())
        .limit(limit)
    ).all()
    return {"projects": items, "progress": services.progress_many(items)}
