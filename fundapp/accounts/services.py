"""The verbs of people and roles: registration, confirmation, passwords, TOTP, profiles, roles.

Every function flushes and never commits; the route commits once."""

from __future__ import annotations

import hmac
import re
from datetime import UTC, datetime, timedelta

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from fundapp.audit.services import record
from fundapp.core.db import lock_one, utcnow
from fundapp.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from fundapp.extensions import db
from fundapp.mail.services import queue_email

from .models import Role, RoleGrant, RoleGrantState, User, UserRole, incompatible_with

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    try:
        ok = _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if ok and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return ok


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def load_user(session_id: str) -> User | None:
    """Flask-Login loader: the id carries the security stamp, so a password change ends sessions."""
    try:
        user_id, stamp = (int(x) for x in session_id.split(":", 1))
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or user.security_stamp != stamp or not user.is_active:
        return None
    return user


# -- registration, confirmation and passwords --------------------------------------------------

PASSWORD_MIN = 10
PASSWORD_MAX = 128
CONFIRM_MAX_AGE = timedelta(days=3)
RESET_MAX_AGE = timedelta(hours=1)
TOTP_ISSUER = "Hamvatan Fund"
# A few passwords people choose first; the length rule stops most of the rest.
_COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "12345678910",
        "123456789a",
        "qwertyuiop",
        "password123",
        "password1234",
        "1q2w3e4r5t",
        "qwerty12345",
        "iloveyou123",
        "tajikistan1",
        "dushanbe123",
        "0987654321",
        "1111111111",
    }
)


def password_problem(password: str, email: str | None = None) -> str | None:
    """Why ``password`` is not acceptable (a translated message), or None."""
    if len(password) < PASSWORD_MIN:
        return _l("The password must be at least %(n)s characters long.", n=PASSWORD_MIN)
    if len(password) > PASSWORD_MAX:
        return _l("The password must be at most %(n)s characters long.", n=PASSWORD_MAX)
    lowered = password.lower()
    if len(set(password)) < 4 or lowered in _COMMON_PASSWORDS:
        return _l("This password is too easy to guess. Please choose another.")
    if email and lowered == normalise_email(email):
        return _l("The password must not be your email address.")
    return None


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"fundapp.accounts.{purpose}")


def make_confirm_token(user: User) -> str:
    return _serializer("confirm").dumps({"u": user.id, "e": user.email})


def make_reset_token(user: User) -> str:
    return _serializer("reset").dumps({"u": user.id, "s": user.security_stamp})


class BadToken(ValidationFailed):
    default_message = _l("This link is not valid. Please request a new one.")


class ExpiredToken(BadToken):
    default_message = _l("This link has expired. Please request a new one.")


def _load_token(purpose: str, token: str, max_age: timedelta) -> dict:
    try:
        data = _serializer(purpose).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as exc:
        raise ExpiredToken() from exc
    except (BadSignature, ValueError, TypeError) as exc:
        raise BadToken() from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise BadToken()
    return data


def register_user(email: str, password: str, full_name: str, *, language: str | None = None) -> User | None:
    """Create an unconfirmed member and send the confirmation link.

    When the address is already registered nothing is created (None is returned) and the owner of
    the address is told by email, so the page never reveals who has an account."""
    email = normalise_email(email)
    problem = password_problem(password, email)
    if problem:
        raise ValidationFailed(problem, field="password")
    existing = find_user_by_email(email)
    if existing is not None:
        # The same work as a new account (one password hash), so the time of the answer does
        # not tell whether the address is registered.
        hash_password(password)
        queue_email(
            existing,
            _l("Someone tried to register with your address"),
            "accounts/email/already_registered",
            kind="account",
            login_url=url_for("accounts.login", _external=True),
            reset_url=url_for("accounts.forgot_password", _external=True),
        )
        return None
    user = User(
        email=email,
        password_hash=hash_password(password),
        full_name=full_name.strip(),
        preferred_language=language,
    )
    try:
        with db.session.begin_nested():  # a twin registration racing this one hits the unique email
            db.session.add(user)
            db.session.flush()
    except IntegrityError:
        return None
    record("user.registered", user, actor=user)
    send_confirmation(user)
    return user


def send_confirmation(user: User) -> None:
    queue_email(
        user,
        _l("Confirm your email address"),
        "accounts/email/confirm",
        kind="account",
        confirm_url=url_for("accounts.confirm_email", token=make_confirm_token(user), _external=True),
        days=CONFIRM_MAX_AGE.days,
    )


def confirm_email(token: str) -> User:
    """Mark the address in ``token`` confirmed. A token is good once: it names the address, and
    an account already confirmed is refused."""
    data = _load_token("confirm", token, CONFIRM_MAX_AGE)
    user = db.session.get(User, data["u"])
    if user is None or user.email != data.get("e"):
        raise BadToken()
    if user.email_confirmed_at is not None:
        raise InvalidTransition(_l("This address is already confirmed. You can sign in."))
    user.email_confirmed_at = utcnow()
    record("user.email_confirmed", user, actor=user)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user with this address and password, or None. Timing does not tell whether the
    address exists: an unknown address still costs one hash."""
    user = find_user_by_email(email)
    if user is None:
        _hasher.hash(password or "x")
        return None
    if not verify_password(user, password):
        return None
    return user


def note_login(user: User) -> None:
    user.last_login_at = utcnow()


def end_sessions(user: User) -> None:
    """End every session of ``user`` on the server: the login id in each session cookie carries
    the security stamp, and a cookie with an older stamp no longer signs anyone in. Used by
    signing out (a copied cookie dies with it), password changes, role changes and TOTP resets."""
    user.security_stamp = (user.security_stamp or 0) + 1


def sign_out(user: User) -> None:
    end_sessions(user)
    record("user.signed_out", user, actor=user)


def request_password_reset(email: str) -> None:
    """Email a reset link if the address has an account; say nothing either way."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    queue_email(
        user,
        _l("Reset your password"),
        "accounts/email/reset",
        kind="account",
        reset_url=url_for("accounts.reset_password", token=make_reset_token(user), _external=True),
        minutes=int(RESET_MAX_AGE.total_seconds() // 60),
    )


def user_for_reset_token(token: str) -> User:
    data = _load_token("reset", token, RESET_MAX_AGE)
    user = db.session.get(User, data["u"])
    if user is None or user.security_stamp != data.get("s") or not user.is_active:
        raise BadToken()
    return user


def set_password(user: User, password: str, *, reason: str = "user.password_changed") -> None:
    """Change the password; the new security stamp ends other sessions and old reset links."""
    problem = password_problem(password, user.email)
    if problem:
        raise ValidationFailed(problem, field="password")
    user.password_hash = hash_password(password)
    end_sessions(user)
    record(reason, user, actor=user)


def reset_password(token: str, password: str) -> User:
    user = user_for_reset_token(token)
    set_password(user, password, reason="user.password_reset")
    if user.email_confirmed_at is None:  # the link arrived by email: the address works
        user.email_confirmed_at = utcnow()
    return user


# -- profile -----------------------------------------------------------------------------------

PROFILE_FIELDS = (
    "full_name",
    "public_name",
    "show_name_publicly",
    "phone",
    "country_of_residence",
    "city_of_residence",
    "home_region",
    "home_district",
    "languages",
    "skills",
    "preferred_language",
)


def update_profile(user: User, **fields) -> dict:
    """Update the person's own profile; returns the changed fields (audited without values of
    personal data, only their names)."""
    changed = {}
    for name, value in fields.items():
        if name not in PROFILE_FIELDS:
            raise TypeError(f"not a profile field: {name}")
        if isinstance(value, str):
            value = value.strip() or None
        if name == "full_name":
            value = value or ""
        if name == "show_name_publicly":
            value = bool(value)
        if getattr(user, name) != value:
            setattr(user, name, value)
            changed[name] = True
    if changed:
        record("user.profile_updated", user, actor=user, changes={"fields": sorted(changed)})
    return changed


# -- TOTP --------------------------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str | None = None) -> str:
    return pyotp.TOTP(secret or user.totp_secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def totp_qr_data_uri(uri: str) -> str:
    """The otpauth link as an SVG QR code in a data: URI (allowed by the CSP), for phones to scan."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _matching_step(secret: str, code: str, at: datetime | None = None) -> int | None:
    """The time-step (±1 for clock drift) whose code equals ``code``, or None."""
    code = re.sub(r"\s+", "", code or "")
    if not re.fullmatch(r"[0-9]{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    now = at or datetime.now(UTC)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify_totp(user: User, code: str, *, at: datetime | None = None) -> bool:
    """Accept ``code`` once: its time-step must be newer than the last accepted one. The check and
    the update are one conditional UPDATE, so two requests racing with the same code cannot both win."""
    if not user.totp_secret:
        return False
    step = _matching_step(user.totp_secret, code, at)
    if step is None:
        return False
    result = db.session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    user.totp_last_step = step
    return True


def require_fresh_mfa() -> None:
    """For services that move money: refuse unless this session passed TOTP within
    ``STEP_UP_WINDOW``. Views usually use ``@step_up_required`` instead; this is the same check
    for code paths that decide late whether money moves."""
    from fundapp.core.errors import StepUpRequired
    from fundapp.core.security import mfa_is_fresh

    if not mfa_is_fresh():
        raise StepUpRequired()


def enrol_totp(user: User, secret: str, code: str) -> bool:
    """Turn TOTP on with ``secret`` once the person shows a valid code from it."""
    step = _matching_step(secret, code)
    if step is None:
        return False
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    record("user.totp_enrolled", user, actor=user)
    return True


def replace_totp(user: User, *, password: str, current_code: str, secret: str, code: str) -> None:
    """Swap a working authenticator for a new one. A session alone is not enough: the person
    gives their password and a code from the current authenticator, then a code from the new
    one. Other sessions end. Raises ``ValidationFailed`` naming the field at fault."""
    if user.totp_enabled_at is None or not user.totp_secret:
        raise InvalidTransition(_l("Two-step sign-in is not on yet."))
    if not verify_password(user, password or ""):
        raise ValidationFailed(_l("The current password is wrong."), field="current_password")
    if not verify_totp(user, current_code):
        raise ValidationFailed(
            _l("This code is wrong or was already used. Wait for the next one."), field="current_code"
        )
    step = _matching_step(secret, code)
    if step is None:
        raise ValidationFailed(
            _l("This code is wrong. Check the time on your phone and try again."), field="code"
        )
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    end_sessions(user)
    record("user.totp_replaced", user, actor=user)


# -- roles -------------------------------------------------------------------------------------

GRANTABLE_ROLES = tuple(r.value for r in Role if r is not Role.MEMBER)


def _role_conflict(user: User | None, role: str, held=None) -> None:
    other = incompatible_with(role, user.role_names if held is None else held)
    if other is not None:
        raise ValidationFailed(
            _l(
                "One person cannot be both %(role)s and %(other)s: the fund's four-eyes rules need "
                "two people there.",
                role=_role_label(role),
                other=_role_label(other),
            ),
            field="role",
        )


def _role_label(role: str) -> str:
    from .forms import ROLE_LABELS

    return str(ROLE_LABELS.get(role, role))


def request_role(user: User, role: str, *, actor: User) -> RoleGrant:
    """An administrator asks for ``user`` to get a staff role; it is given only when a second
    administrator approves (``approve_role_grant``). Roles that four-eyes rules keep apart are
    refused here already."""
    if not actor.has_role(Role.ADMINISTRATOR):
        raise NotPermitted()
    if role not in GRANTABLE_ROLES:
        raise ValidationFailed(_l("Unknown role."), field="role")
    if user.has_role(role):
        raise InvalidTransition(_l("This person already has this role."))
    _role_conflict(user, role)
    pending = db.session.scalar(
        select(RoleGrant).where(
            RoleGrant.user_id == user.id, RoleGrant.role == role, RoleGrant.state == RoleGrantState.PENDING
        )
    )
    if pending is not None:
        raise InvalidTransition(_l("This role is already waiting for a second administrator."))
    grant = RoleGrant(user_id=user.id, role=role, requested_by_id=actor.id)
    try:
        with db.session.begin_nested():  # a twin request racing this one hits the unique index
            db.session.add(grant)
            db.session.flush()
    except IntegrityError:
        raise InvalidTransition(_l("This role is already waiting for a second administrator.")) from None
    record("user.role_requested", user, actor=actor, changes={"role": role, "grant": grant.id})
    return grant


def approve_role_grant(grant: RoleGrant, *, actor: User) -> UserRole:
    """A second administrator — neither the one who asked nor the person concerned — gives the
    role. The person's sessions end, so the role is used after a fresh sign-in."""
    if not actor.has_role(Role.ADMINISTRATOR):
        raise NotPermitted()
    grant = lock_one(RoleGrant, grant.id, None)
    if grant is None:
        raise InvalidTransition(_l("This request was already decided."))
    if actor.id in (grant.requested_by_id, grant.user_id):
        raise NotPermitted(
            _l("A second administrator gives the role: not the one who asked, nor the person concerned.")
        )
    if grant.state != RoleGrantState.PENDING:
        raise InvalidTransition(_l("This request was already decided."))
    user = grant.user
    if user.has_role(grant.role):
        raise InvalidTransition(_l("This person already has this role."))
    _role_conflict(user, grant.role)
    grant.state = RoleGrantState.APPROVED.value
    grant.decided_by_id = actor.id
    grant.decided_at = utcnow()
    link = UserRole(role=grant.role, granted_by_id=actor.id)
    user.roles.append(link)
    end_sessions(user)  # the new role is used after a fresh sign-in (with TOTP for staff)
    db.session.flush()
    record(
        "user.role_granted",
        user,
        actor=actor,
        changes={"role": grant.role, "grant": grant.id, "requested_by": grant.requested_by_id},
    )
    return link


def refuse_role_grant(grant: RoleGrant, *, actor: User) -> RoleGrant:
    """Any administrator may turn a waiting request down (the asker withdraws it this way)."""
    if not actor.has_role(Role.ADMINISTRATOR):
        raise NotPermitted()
    grant = lock_one(RoleGrant, grant.id, None)
    if grant is None or grant.state != RoleGrantState.PENDING:
        raise InvalidTransition(_l("This request was already decided."))
    grant.state = RoleGrantState.REFUSED.value
    grant.decided_by_id = actor.id
    grant.decided_at = utcnow()
    record("user.role_refused", grant.user, actor=actor, changes={"role": grant.role, "grant": grant.id})
    return grant


def pending_role_grants() -> list[RoleGrant]:
    return list(
        db.session.scalars(
            select(RoleGrant).where(RoleGrant.state == RoleGrantState.PENDING).order_by(RoleGrant.id)
        )
    )


def grant_role_directly(user: User, role: str, *, via: str) -> UserRole:
    """Give a role without a second administrator: only for the command line (someone with the
    server's shell) and demo data. The incompatible pairs hold here too."""
    if role not in GRANTABLE_ROLES:
        raise ValidationFailed(_l("Unknown role."), field="role")
    _role_conflict(user, role)
    link = UserRole(role=role)
    user.roles.append(link)
    end_sessions(user)
    db.session.flush()
    record("user.role_granted", user, changes={"role": role, "via": via})
    return link


def revoke_role(user: User, role: str, *, actor: User) -> None:
    if not actor.has_role(Role.ADMINISTRATOR):
        raise NotPermitted()
    if role == Role.ADMINISTRATOR and user.id == actor.id:
        raise NotPermitted(_l("You cannot remove your own administrator role."))
    link = next((r for r in user.roles if r.role == role), None)
    if link is None:
        raise InvalidTransition(_l("This person does not have this role."))
    user.roles.remove(link)
    end_sessions(user)  # an open session must not keep the role it lost
    db.session.flush()
    record("user.role_revoked", user, actor=actor, changes={"role": role})


def reset_totp(user: User, *, actor: User) -> None:
    """For a person who lost their authenticator: forget their TOTP secret and end their sessions,
    so the next sign-in asks them to enrol again. Only another administrator may do it."""
    if not actor.has_role(Role.ADMINISTRATOR):
        raise NotPermitted()
    if user.id == actor.id:
        raise NotPermitted(_l("Ask another administrator to reset your own two-step sign-in."))
    if user.totp_secret is None and user.totp_enabled_at is None:
        raise InvalidTransition(_l("This person has no two-step sign-in to reset."))
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    end_sessions(user)
    record("user.totp_reset", user, actor=actor)


def search_users(q: str | None, *, page: int = 1, per_page: int = 50):
    query = select(User).order_by(User.id)
    if q:
        like = f"%{q.strip().lower()[:100]}%"
        query = query.where(or_(func.lower(User.email).like(like), func.lower(User.full_name).like(like)))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def create_user(
    email: str, password: str, *, full_name: str = "", roles=(), confirmed: bool = True, actor=None
) -> User:
    """Create a user directly (command line, demo data): confirmed, with the given roles."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise InvalidTransition(_l("This address is already registered."))
    user = User(
        email=email,
        password_hash=hash_password(password),
        full_name=full_name,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    staff = [str(r) for r in roles if r != Role.MEMBER]
    for role in staff:
        _role_conflict(None, role, staff)
        user.roles.append(UserRole(role=role))
    db.session.add(user)
    db.session.flush()
    record("user.created", user, actor=actor, changes={"roles": sorted(str(r) for r in roles)})
    return user
