"""Specialists' pages: the directory of profiles and needs, a member's own profile, needs with
their ranked matches, and the steps of a placement. Thin: parse, call ``specialists``, commit once."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from fundapp.core.errors import DomainError
from fundapp.core.security import public
from fundapp.extensions import db

from . import specialists, vocab
from .forms import ActionForm, InterestForm, InviteSpecialistForm, InviteTargetForm, NeedForm, SpecialistForm
from .models import NeedStatus, Placement, PlacementStatus, SpecialistNeed, SpecialistProfile
from .routes import _fail, _page, _saved, _step, bp


def _search() -> dict:
    args = request.args
    return {k: (args.get(k) or "").strip()[:100] for k in ("q", "country", "skill")}


@bp.get("/specialists")
@public
def specialists_directory():
    filters = _search()
    result = db.paginate(
        specialists.profile_query(current_user, **filters), page=_page(), per_page=30, error_out=False
    )
    return render_template(
        "community/specialists.html",
        result=result,
        filters=filters,
        counts=specialists.placement_counts(),
        skills=specialists.SKILLS,
        countries=specialists.profile_countries(current_user),
    )


@bp.get("/specialists/<int:profile_id>")
@public
def specialist_detail(profile_id: int):
    profile = db.session.get(SpecialistProfile, profile_id)
    if profile is None or not specialists.can_view_profile(current_user, profile):
        abort(404)
    invite_form = None
    if current_user.is_authenticated and profile.user_id != current_user.id:
        own = [
            (str(n.id), n.role)
            for n in db.session.scalars(specialists.need_query().limit(200)).all()
            if specialists.is_need_owner(current_user, n)
        ]
        if own:
            invite_form = InviteSpecialistForm()
            invite_form.need_id.choices = own
    return render_template("community/specialist_detail.html", profile=profile, invite_form=invite_form)


@bp.route("/specialists/profile", methods=["GET", "POST"])
def specialist_profile():
    profile = specialists.own_profile(current_user)
    form = SpecialistForm(obj=None if request.method == "POST" else _form_values(profile)).setup()
    ok, _saved_profile = _saved(
        form,
        lambda: specialists.save_profile(current_user, form.data_for_service(), cv=form.cv.data),
        form.field,
    )
    if ok:
        flash(_("Your specialist profile is saved."), "info")
        return redirect(url_for("community.my_specialist"), 303)
    return render_template("community/specialist_form.html", form=form, profile=profile), (
        400 if form.errors else 200
    )


def _form_values(profile):
    if profile is None:
        return None

    class Values:
        pass

    values = Values()
    for k in ("field", "tags", "years", "country", "summary", "visibility"):
        setattr(values, k, getattr(profile, k))
    for k in ("skills", "languages", "availability"):
        setattr(values, k, profile.codes(k))
    return values


@bp.get("/specialists/mine")
def my_specialist():
    profile = specialists.own_profile(current_user)
    return render_template(
        "community/specialist_mine.html",
        profile=profile,
        matches=specialists.needs_for(profile) if profile else [],
        placements=specialists.placements_of(profile) if profile else [],
        action=ActionForm(),
        interest_form=InterestForm(),
    )


@bp.get("/needs")
@public
def needs():
    filters = _search()
    result = db.paginate(
        specialists.need_query(q=filters["q"], skill=filters["skill"]),
        page=_page(),
        per_page=30,
        error_out=False,
    )
    return render_template("community/needs.html", result=result, filters=filters, skills=specialists.SKILLS)


@bp.route("/needs/new", methods=["GET", "POST"])
def need_new():
    owners = specialists.owner_choices(current_user)
    form = NeedForm().setup(owners)
    ok, need = (
        _saved(form, lambda: specialists.post_need(current_user, form.data_for_service()), form.role)
        if owners
        else (False, None)
    )
    if ok:
        flash(_("Your need is posted."), "info")
        return redirect(url_for("community.need_detail", need_id=need.id), 303)
    return render_template("community/need_form.html", form=form, owners=owners), (
        400 if form.errors else 200
    )


def _need_or_404(need_id: int) -> SpecialistNeed:
    need = db.session.get(SpecialistNeed, need_id)
    if need is None:
        abort(404)
    owner = specialists.is_need_owner(current_user, need)
    staff = current_user.is_authenticated and current_user.has_any_role("administrator", "auditor")
    allowed = owner or staff or specialists.own_placement(current_user, need) is not None
    if need.status != NeedStatus.open and not allowed:
        abort(404)
    return need


@bp.get("/needs/<int:need_id>")
@public
def need_detail(need_id: int):
    need = _need_or_404(need_id)
    owner = specialists.is_need_owner(current_user, need)
    staff = current_user.is_authenticated and current_user.has_any_role("administrator", "auditor")
    return render_template(
        "community/need_detail.html",
        need=need,
        owner=owner,
        matches=specialists.specialists_for(need, current_user) if owner else [],
        placements=specialists.placements_of_need(need) if (owner or staff) else [],
        mine=specialists.own_placement(current_user, need),
        profile=specialists.own_profile(current_user),
        action=ActionForm(),
        interest_form=InterestForm(),
    )


@bp.post("/needs/<int:need_id>/interest")
def need_interest(need_id: int):
    need = _need_or_404(need_id)
    return _step(
        url_for("community.need_detail", need_id=need_id),
        lambda form: specialists.express_interest(need, current_user, join_team=form.join_team.data),
        _("The need's owner is told of your interest."),
        form=InterestForm(),
    )


@bp.post("/needs/<int:need_id>/close")
def need_close(need_id: int):
    need = _need_or_404(need_id)
    return _step(
        url_for("community.need_detail", need_id=need_id),
        lambda form: specialists.close_need(need, current_user),
        _("The need is closed."),
    )


@bp.post("/specialists/<int:profile_id>/invite")
def specialist_invite(profile_id: int):
    profile = db.session.get(SpecialistProfile, profile_id)
    if profile is None or not specialists.can_view_profile(current_user, profile):
        abort(404)
    form = InviteTargetForm()
    if not form.validate_on_submit():
        abort(400)
    need = db.session.get(SpecialistNeed, form.need_id.data)
    if need is None:
        abort(400)
    try:
        specialists.invite(need, current_user, profile)
    except DomainError as exc:
        return _fail(exc, url_for("community.need_detail", need_id=need.id))
    db.session.commit()
    flash(_("The specialist is invited."), "info")
    return redirect(url_for("community.need_detail", need_id=need.id), 303)


@bp.post("/placements/<int:placement_id>/<any(accept, decline, completed, cut_short):verb>")
def placement_step(placement_id: int, verb: str):
    placement = db.session.get(Placement, placement_id)
    if placement is None or not specialists.can_view_placement(current_user, placement):
        abort(404)
    form = InterestForm()
    if not form.validate_on_submit():
        abort(400)
    back = form.back.data == "mine"
    target = (
        url_for("community.my_specialist")
        if back
        else url_for("community.need_detail", need_id=placement.need_id)
    )
    try:
        if verb == "accept":
            specialists.accept(placement, current_user, join_team=form.join_team.data)
        elif verb == "decline":
            specialists.decline(placement, current_user)
        else:
            specialists.end(placement, current_user, verb)
    except DomainError as exc:
        return _fail(exc, target)
    db.session.commit()
    flash(str(specialists.STATUS_LABELS[PlacementStatus(placement.status)]), "info")
    return redirect(target, 303)


def labels() -> dict:
    return {
        "skill_label": specialists.skill_label,
        "availability_label": specialists.availability_label,
        "placement_status_labels": specialists.STATUS_LABELS,
        "field_label": vocab.field_label,
        "need_owner_name": specialists.need_owner_name,
        "can_read_cv": specialists.can_read_cv,
    }
