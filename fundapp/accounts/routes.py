"""Accounts pages: thin handlers that validate a form, call a service, commit once, redirect."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from fundapp.audit.services import record
from fundapp.core.errors import DomainError, ValidationFailed
from fundapp.core.forms import put_errors
from fundapp.core.params import page_arg
from fundapp.core.security import (
    MFA_SESSION_KEY,
    mark_mfa_verified,
    public,
    roles_required,
    safe_next,
    step_up_required,
)
from fundapp.extensions import db, limiter

from . import services, stepup
from .forms import (
    REGIONS,
    ROLE_LABELS,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ReplaceTotpForm,
    ResetPasswordForm,
    ResetTotpForm,
    RoleChangeForm,
    RoleDecisionForm,
    TotpForm,
    UserSearchForm,
    geo,
)
from .models import RoleGrant, User

bp = Blueprint("accounts", __name__)

PENDING_KEY = "pending_login"
PENDING_MAX_AGE = 300  # seconds between the password and the code


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


def _next(default: str = "accounts.dashboard") -> str:
    return safe_next(request.values.get("next"), default)


def _start_session(user: User, *, mfa: bool) -> None:
    """A fresh session for a fresh login (no fixation); the language choice survives."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user)
    session["last_seen"] = int(datetime.now(UTC).timestamp())
    if mfa:
        mark_mfa_verified()
    services.note_login(user)
    if user.is_staff:  # staff sign-ins are part of the audit trail
        record("user.signed_in", user, actor=user, changes={"totp": mfa})


# -- registration and confirmation -------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            services.register_user(
                form.email.data, form.password.data, form.full_name.data, language=str(get_locale())
            )
        except ValidationFailed as exc:
            db.session.rollback()
            put_errors(form, exc, flash_rest=True)
        else:
            db.session.commit()
            return render_template(
                "accounts/message.html",
                title=_("Check your email"),
                message=_(
                    "We have sent a message to %(email)s. Open the link in it to confirm your "
                    "address, then sign in.",
                    email=services.normalise_email(form.email.data),
                ),
            )
    return render_template("accounts/register.html", form=form), (400 if form.errors else 200)


@bp.get("/confirm/<token>")
@public
def confirm_email(token):
    try:
        services.confirm_email(token)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("accounts.login"))
    db.session.commit()
    flash(_("Thank you, your email address is confirmed. You can sign in now."), "success")
    return redirect(url_for("accounts.login"))


# -- signing in and out ------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_next())
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            flash(_("The email or password is wrong."), "error")
        elif not user.is_active:
            flash(_("This account is closed. Please contact the fund."), "error")
        elif user.email_confirmed_at is None:
            services.send_confirmation(user)
            db.session.commit()
            flash(
                _("Please confirm your email address first: we have sent you a new link."),
                "warning",
            )
        elif user.totp_enabled_at is not None:  # staff always, members who chose to
            db.session.commit()  # a rehashed password is kept
            session[PENDING_KEY] = {"id": user.get_id(), "at": int(datetime.now(UTC).timestamp())}
            return redirect(url_for("accounts.mfa_verify", next=request.values.get("next")))
        else:
            _start_session(user, mfa=False)
            db.session.commit()
            if user.is_staff:  # staff without TOTP must enrol before anything else
                return redirect(url_for("accounts.mfa_enrol", next=request.values.get("next")))
            return redirect(_next())
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@public
def logout():
    lang = session.get("lang")
    if current_user.is_authenticated:
        services.sign_out(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You are signed out."), "info")
    return redirect(url_for("core.home"))


def _pending_user() -> User | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    age = int(datetime.now(UTC).timestamp()) - int(pending.get("at", 0))
    if age < 0 or age > PENDING_MAX_AGE:
        session.pop(PENDING_KEY, None)
        return None
    return services.load_user(str(pending.get("id", "")))


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def mfa_verify():
    """The second step of a staff login (or of a session that has not passed TOTP yet)."""
    user = _pending_user()
    if user is None and current_user.is_authenticated:
        user = current_user._get_current_object()
    if user is None:
        flash(_("Please sign in again."), "info")
        return redirect(url_for("accounts.login"))
    if not user.totp_secret or user.totp_enabled_at is None:
        return redirect(url_for("accounts.mfa_enrol", next=request.values.get("next")))
    form = TotpForm()
    if form.validate_on_submit():
        if services.verify_totp(user, form.code.data):
            if current_user.is_authenticated and current_user.id == user.id:
                mark_mfa_verified()
                services.note_login(user)
            else:
                _start_session(user, mfa=True)
            db.session.commit()
            return redirect(_next())
        db.session.rollback()
        form.code.errors = [
            *form.code.errors,
            _("This code is wrong or was already used. Wait for the next one."),
        ]
    status = 400 if form.errors else 200
    return render_template("accounts/mfa_verify.html", form=form), status


@bp.route("/account/two-factor", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def mfa_enrol():
    """Set up an authenticator app: a new secret is kept in the session until a code proves it.
    Replacing one that works also needs the password and a code from the current one."""
    user = current_user._get_current_object()
    already = user.totp_enabled_at is not None
    if already and session.get(MFA_SESSION_KEY) is None:
        return redirect(url_for("accounts.mfa_verify", next=request.values.get("next")))
    secret = session.get("totp_enrol_secret")
    if not secret:
        secret = services.new_totp_secret()
        session["totp_enrol_secret"] = secret
    form = ReplaceTotpForm() if already else TotpForm()
    if form.validate_on_submit():
        if already:
            try:
                services.replace_totp(
                    user,
                    password=form.current_password.data,
                    current_code=form.current_code.data,
                    secret=secret,
                    code=form.code.data,
                )
            except ValidationFailed as exc:
                db.session.commit()  # a current code checked is spent, right or wrong the rest
                put_errors(form, exc, flash_rest=True)
            else:
                session.pop("totp_enrol_secret", None)
                _start_session(user, mfa=True)  # the new stamp ends every other session
                db.session.commit()
                flash(_("Your new authenticator is set up. Other devices have been signed out."), "success")
                return redirect(_next())
        elif services.enrol_totp(user, secret, form.code.data):
            session.pop("totp_enrol_secret", None)
            mark_mfa_verified()
            db.session.commit()
            flash(_("Two-step sign-in is on. You will be asked for a code each time you sign in."), "success")
            return redirect(_next())
        else:
            form.code.errors = [
                *form.code.errors,
                _("This code is wrong. Check the time on your phone and try again."),
            ]
    status = 400 if form.errors else 200
    return render_template(
        "accounts/mfa_enrol.html",
        form=form,
        secret=secret,
        uri=services.totp_uri(user, secret),
        qr=services.totp_qr_data_uri(services.totp_uri(user, secret)),
        already=already,
    ), status


@bp.route("/account/confirm-it-is-you", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def step_up():
    """A fresh TOTP code before approving or executing a movement of money."""
    user = current_user._get_current_object()
    if not user.totp_secret or user.totp_enabled_at is None:
        return redirect(url_for("accounts.mfa_enrol", next=request.values.get("next")))
    form = TotpForm()
    if form.validate_on_submit():
        if services.verify_totp(user, form.code.data):
            mark_mfa_verified()
            db.session.commit()
            # the action that asked for the code is done now, with what the person typed
            return stepup.finish_after_code() or redirect(_next())
        db.session.rollback()
        form.code.errors = [
            *form.code.errors,
            _("This code is wrong or was already used. Wait for the next one."),
        ]
    status = 400 if form.errors else 200
    return render_template(
        "accounts/step_up.html", form=form, waiting=stepup.waiting(), replay_field=stepup.REPLAY_FIELD
    ), status


# -- passwords ---------------------------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit(_reset_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        return render_template(
            "accounts/message.html",
            title=_("Check your email"),
            message=_(
                "If an account uses this address, we have sent it a link to choose a new password. "
                "The link works for one hour and only once."
            ),
        )
    status = 400 if form.errors else 200
    return render_template("accounts/forgot_password.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_reset_limit, methods=["POST"])
def reset_password(token):
    try:
        services.user_for_reset_token(token)
    except DomainError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except ValidationFailed as exc:
            db.session.rollback()
            put_errors(form, exc, flash_rest=True)
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            flash(_("Your password is changed. Please sign in with the new one."), "success")
            return redirect(url_for("accounts.login"))
    status = 400 if form.errors else 200
    return render_template("accounts/reset_password.html", form=form, token=token), status


@bp.route("/me/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        if not services.verify_password(user, form.current_password.data):
            form.current_password.errors = [_("The current password is wrong.")]
        else:
            try:
                services.set_password(user, form.password.data)
            except ValidationFailed as exc:
                db.session.rollback()
                put_errors(form, exc, flash_rest=True)
            else:
                db.session.commit()
                # the new stamp ends every other session; keep this one
                mfa = session.get(MFA_SESSION_KEY)
                _start_session(user, mfa=False)
                if mfa is not None:
                    session[MFA_SESSION_KEY] = mfa
                db.session.commit()
                flash(_("Your password is changed. Other devices have been signed out."), "success")
                return redirect(url_for("accounts.dashboard"))
    status = 400 if form.errors else 200
    return render_template("accounts/change_password.html", form=form), status


# -- my page and profile -----------------------------------------------------------------------


@bp.get("/me")
def dashboard():
    regions = dict(REGIONS)
    district = current_user.home_district
    if district and geo is not None:
        district = geo.district_name(current_user.home_region, district)
    return render_template(
        "accounts/dashboard.html",
        user=current_user,
        region_label=regions.get(current_user.home_region or ""),
        district_label=district,
        role_labels=ROLE_LABELS,
    )


@bp.route("/me/profile", methods=["GET", "POST"])
def profile():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    if request.method == "GET":
        form.preferred_language.data = user.preferred_language or str(get_locale())
        form.country_of_residence.data = user.country_of_residence or ""
        form.home_region.data = user.home_region or ""
        form.home_district.data = user.home_district or ""
    if form.validate_on_submit():
        changed = services.update_profile(
            user, **{name: getattr(form, name).data for name in services.PROFILE_FIELDS}
        )
        if "preferred_language" in changed and user.preferred_language:
            session["lang"] = user.preferred_language
        db.session.commit()
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("accounts.profile"))
    status = 400 if form.errors else 200
    return render_template("accounts/profile.html", form=form), status


# -- administration of people ------------------------------------------------------------------


@bp.get("/admin/users")
@roles_required("administrator")
def admin_users():
    form = UserSearchForm(request.args)
    q = form.q.data if form.validate() else None
    page = page_arg()
    users = services.search_users(q, page=max(page, 1))
    return render_template(
        "accounts/admin_users.html",
        form=form,
        users=users,
        q=q or "",
        roles=services.GRANTABLE_ROLES,
        role_labels=ROLE_LABELS,
        pending=services.pending_role_grants(),
    )


def _refuse_unless_valid(form) -> None:
    """A row's action button sent something no button sends: refuse it, naming the field."""
    if not form.validate():
        raise ValidationFailed(field=next(iter(form.errors)))


@bp.post("/admin/users/<int:user_id>/roles")
@roles_required("administrator")
@step_up_required
def admin_change_role(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = RoleChangeForm()
    _refuse_unless_valid(form)
    role, action = form.role.data, form.action.data
    actor = current_user._get_current_object()
    if action == "grant":
        services.request_role(user, role, actor=actor)
        message = _("Asked for. The role is given when a second administrator approves it.")
    elif action == "revoke":
        services.revoke_role(user, role, actor=actor)
        message = _("Role removed.")
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("accounts.admin_users", q=form.q.data or None))


@bp.post("/admin/role-grants/<int:grant_id>")
@roles_required("administrator")
@step_up_required
def admin_decide_role_grant(grant_id):
    """A second administrator approves or refuses a role another one asked for."""
    grant = db.session.get(RoleGrant, grant_id)
    if grant is None:
        abort(404)
    actor = current_user._get_current_object()
    form = RoleDecisionForm()
    _refuse_unless_valid(form)
    if form.decision.data == "approve":
        services.approve_role_grant(grant, actor=actor)
        message = _("Role granted.")
    else:
        services.refuse_role_grant(grant, actor=actor)
        message = _("The request is turned down.")
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("accounts.admin_users"))


@bp.post("/admin/users/<int:user_id>/two-factor/reset")
@roles_required("administrator")
@step_up_required
def admin_reset_totp(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = ResetTotpForm()
    _refuse_unless_valid(form)
    services.reset_totp(user, actor=current_user._get_current_object())
    db.session.commit()
    flash(_("Two-step sign-in was reset. The person sets it up again at their next sign-in."), "success")
    return redirect(url_for("accounts.admin_users", q=form.q.data or None))
