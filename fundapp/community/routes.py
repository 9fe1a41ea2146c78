"""Organisations: the public directory and pages, registration, membership, contact, and the
staff's verification queue. Thin: parse, call a service, commit once, flash, redirect."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from fundapp.accounts.models import User
from fundapp.core.errors import DomainError, ValidationFailed
from fundapp.core.security import public, roles_required
from fundapp.extensions import db

from . import charts, services, vocab
from .forms import ActionForm, ContactForm, DeclineForm, InviteForm, OrganisationForm
from .models import MembershipStatus, Organisation, OrganisationMember, OrganisationStatus

bp = Blueprint("community", __name__)


def _page() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 10_000 else 1


def _org_or_404(org_id: int) -> Organisation:
    org = db.session.get(Organisation, org_id)
    if org is None or not services.can_view_organisation(current_user, org):
        abort(404)
    return org


def _filters() -> dict:
    args = request.args
    return {
        k: (args.get(k) or "").strip()[:120] for k in ("q", "country", "city", "kind", "field", "language")
    }


def _fail(exc: DomainError, target: str):
    db.session.rollback()
    flash(str(exc.message), "error")
    return redirect(target, 303)


def _saved(form, call, default_field):
    """A form page's save: for a valid ``form``, ``(True, call())``, committed; else
    ``(False, None)``, with a service's ``ValidationFailed`` shown on its field (``default_field``
    when the form has none of that name) and nothing written."""
    if not form.validate_on_submit():
        return False, None
    try:
        result = call()
    except ValidationFailed as exc:
        db.session.rollback()
        getattr(form, exc.field or "", default_field).errors.append(str(exc.message))
        return False, None
    db.session.commit()
    return True, result


def _step(target: str, step, done: str, *, form=None, invalid: str | None = None):
    """One POST step of a page: check ``form`` (an ``ActionForm`` by default: a bad token is a
    400; a form with a field flashes ``invalid``), run ``step(form)`` (a service), commit once,
    flash ``done`` and go back to ``target``. A ``DomainError`` rolls back and is shown there."""
    form = form if form is not None else ActionForm()
    if not form.validate_on_submit():
        if invalid is None:
            abort(400)
        flash(invalid, "error")
        return redirect(target, 303)
    try:
        step(form)
    except DomainError as exc:
        return _fail(exc, target)
    db.session.commit()
    flash(done, "info")
    return redirect(target, 303)


# -- public -----------------------------------------------------------------------------------------


@bp.get("/organisations")
@public
def directory():
    filters = _filters()
    result = db.paginate(services.directory_query(**filters), page=_page(), per_page=30, error_out=False)
    counts = services.counts_by_country()
    return render_template(
        "community/directory.html",
        result=result,
        filters=filters,
        counts=counts,
        kinds=vocab.KIND_LABELS,
        fields=vocab.FIELDS,
        languages=vocab.LANGUAGE_CODES,
    )


@bp.get("/organisations/countries")
@public
def countries():
    counts = services.counts_by_country()
    chart = charts.bar_chart(
        [(country_label(c), n) for c, n in counts[:25]],
        title=_("Verified organisations by country"),
        chart_id="orgs-by-country",
    )
    return render_template("community/countries.html", counts=counts, chart=chart)


def country_label(code: str) -> str:
    from fundapp.core.i18n import country_name

    return country_name(code)


@bp.get("/organisations/<int:org_id>")
@public
def organisation_detail(org_id: int):
    org = _org_or_404(org_id)
    mine = services.membership(current_user, org)
    return render_template(
        "community/detail.html",
        org=org,
        mine=mine,
        is_admin=services.is_organisation_admin(current_user, org),
        can_read_private=services.can_read_private(current_user, org),
        projects=services.organisation_projects(org) if org.verified else [],
        action=ActionForm(),
        decline_form=DeclineForm(),
    )


# -- registration and editing -----------------------------------------------------------------------


@bp.route("/organisations/new", methods=["GET", "POST"])
def register():
    form = OrganisationForm().setup(include_agency=services.is_staff(current_user))
    ok, org = _saved(
        form,
        lambda: services.register_organisation(
            current_user, form.data_for_service(), registration_file=form.registration_file.data
        ),
        form.name,
    )
    if ok:
        flash(_("Thank you. The fund's staff will check the organisation and write to you."), "info")
        return redirect(url_for("community.organisation_detail", org_id=org.id), 303)
    return render_template("community/form.html", form=form, org=None), (400 if form.errors else 200)


@bp.route("/organisations/<int:org_id>/edit", methods=["GET", "POST"])
def edit(org_id: int):
    org = _org_or_404(org_id)
    if not services.is_organisation_admin(current_user, org):
        abort(403)
    form = OrganisationForm(obj=None if request.method == "POST" else org).setup(include_agency=True)
    if request.method == "GET":
        form.languages.data = org.language_codes
        form.fields.data = org.field_codes
    form.kind.data = org.kind
    del form.registration_file
    ok, _org = _saved(
        form, lambda: services.update_organisation(org, current_user, form.data_for_service()), form.name
    )
    if ok:
        flash(_("Saved."), "info")
        return redirect(url_for("community.organisation_detail", org_id=org.id), 303)
    return render_template("community/form.html", form=form, org=org), (400 if form.errors else 200)


@bp.get("/organisations/mine")
def mine():
    rows = db.session.execute(
        select(Organisation, OrganisationMember)
        .join(OrganisationMember)
        .where(OrganisationMember.user_id == current_user.id)
        .order_by(Organisation.name)
    ).all()
    return render_template("community/mine.html", rows=rows)


# -- staff ----------------------------------------------------------------------------------------


@bp.get("/community/review")
@roles_required("administrator", "auditor")
def review_queue():
    status = request.args.get("status", OrganisationStatus.pending)
    if status not in {s.value for s in OrganisationStatus}:
        status = OrganisationStatus.pending
    result = db.paginate(
        select(Organisation)
        .where(Organisation.status == status)
        .order_by(Organisation.created_at, Organisation.id),
        page=_page(),
        per_page=50,
        error_out=False,
    )
    return render_template("community/review.html", result=result, status=status)


@bp.post("/organisations/<int:org_id>/verify")
@roles_required("administrator")
def verify(org_id: int):
    org = _org_or_404(org_id)
    return _step(
        url_for("community.organisation_detail", org_id=org.id),
        lambda form: services.verify_organisation(org, current_user),
        _("The organisation is verified and listed publicly."),
    )


@bp.post("/organisations/<int:org_id>/decline")
@roles_required("administrator")
def decline(org_id: int):
    org = _org_or_404(org_id)
    return _step(
        url_for("community.organisation_detail", org_id=org.id),
        lambda form: services.decline_organisation(org, current_user, form.reason.data),
        _("The organisation is declined; its admins were told why."),
        form=DeclineForm(),
        invalid=_("Say why the organisation is declined."),
    )


# -- membership -----------------------------------------------------------------------------------


@bp.post("/organisations/<int:org_id>/join")
def join(org_id: int):
    org = _org_or_404(org_id)
    return _step(
        url_for("community.organisation_detail", org_id=org.id),
        lambda form: services.request_membership(org, current_user),
        _("Your request was sent to the organisation's admins."),
    )


@bp.get("/organisations/<int:org_id>/members")
def members(org_id: int):
    org = _org_or_404(org_id)
    if not (
        services.is_organisation_admin(current_user, org)
        or current_user.has_any_role("administrator", "auditor")
    ):
        abort(403)
    return _members_page(org, InviteForm())


def _members_page(org, invite_form, status=200):
    rows = db.session.execute(
        select(OrganisationMember, User)
        .join(User, User.id == OrganisationMember.user_id)
        .where(OrganisationMember.organisation_id == org.id)
        .order_by(OrganisationMember.status, OrganisationMember.role, User.id)
    ).all()
    return render_template(
        "community/members.html",
        org=org,
        rows=rows,
        invite_form=invite_form,
        action=ActionForm(),
        is_admin=services.is_organisation_admin(current_user, org),
    ), status


@bp.post("/organisations/<int:org_id>/members/<int:member_id>/<any(accept, remove, hand_over):verb>")
def member_action(org_id: int, member_id: int, verb: str):
    org = _org_or_404(org_id)
    target = url_for("community.members", org_id=org.id)
    if not ActionForm().validate_on_submit():
        abort(400)
    row = db.session.get(OrganisationMember, member_id)
    if row is not None and row.user_id == current_user.id and verb == "remove":
        target = url_for("community.organisation_detail", org_id=org.id)
    try:
        if verb == "accept":
            services.accept_membership(org, current_user, member_id)
            message = _("The member is accepted.")
        elif verb == "hand_over":
            services.hand_over_admin(org, current_user, member_id)
            message = _("The admin role is handed over.")
            target = url_for("community.organisation_detail", org_id=org.id)
        else:
            services.remove_member(org, current_user, member_id)
            message = _("Done.")
    except DomainError as exc:
        return _fail(exc, target)
    db.session.commit()
    flash(message, "info")
    return redirect(target, 303)


@bp.post("/organisations/<int:org_id>/invite")
def invite(org_id: int):
    org = _org_or_404(org_id)
    if not services.is_organisation_admin(current_user, org):
        abort(403)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            services.invite_by_email(org, current_user, form.email.data)
        except ValidationFailed as exc:
            db.session.rollback()
            form.email.errors.append(str(exc.message))
        except DomainError as exc:
            return _fail(exc, url_for("community.members", org_id=org.id))
        else:
            db.session.commit()
            flash(_("If the address is right, an invitation is on its way."), "info")
            return redirect(url_for("community.members", org_id=org.id), 303)
    return _members_page(org, form, 400)


@bp.route("/organisations/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = services.find_invitation(token)
    if invitation is None:
        abort(404)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            services.accept_invitation(token, current_user)
        except DomainError as exc:
            return _fail(exc, url_for("community.mine"))
        db.session.commit()
        flash(_("Welcome: you are now a member."), "info")
        return redirect(url_for("community.organisation_detail", org_id=invitation.organisation_id), 303)
    matches = (current_user.email or "").lower() == invitation.email
    return render_template("community/invitation.html", invitation=invitation, form=form, matches=matches)


# -- contact --------------------------------------------------------------------------------------


@bp.route("/organisations/<int:org_id>/contact", methods=["GET", "POST"])
def contact(org_id: int):
    org = _org_or_404(org_id)
    if not org.verified:
        abort(404)
    form = ContactForm()
    ok, _sent = _saved(
        form,
        lambda: services.contact_organisation(
            org,
            current_user,
            subject=form.subject.data,
            message=form.message.data,
            share_address=form.share_address.data,
        ),
        form.message,
    )
    if ok:
        flash(_("Your message was sent to the organisation."), "info")
        return redirect(url_for("community.organisation_detail", org_id=org.id), 303)
    return render_template("community/contact.html", org=org, form=form), (400 if form.errors else 200)


def dashboard_context(user):
    rows = db.session.execute(
        select(Organisation, OrganisationMember)
        .join(OrganisationMember)
        .where(OrganisationMember.user_id == user.id)
        .order_by(Organisation.name)
    ).all()
    waiting = {}
    admin_ids = [o.id for o, m in rows if m.role == "admin" and m.status == MembershipStatus.active]
    if admin_ids:
        for org_id in db.session.scalars(
            select(OrganisationMember.organisation_id).where(
                OrganisationMember.organisation_id.in_(admin_ids),
                OrganisationMember.status == MembershipStatus.requested,
            )
        ):
            waiting[org_id] = waiting.get(org_id, 0) + 1
    return {"rows": rows, "waiting": waiting}
