"""Community verbs for organisations and their members. They flush, never commit; each state
change is audited and mailed. What other domains may ask about organisations (the first three
functions) is read-only and keeps its signature."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from fundapp.accounts.models import User, UserRole
from fundapp.audit.services import record
from fundapp.core import fulltext
from fundapp.core.db import lock_one, utcnow
from fundapp.core.errors import DuplicateRequest, InvalidTransition, NotFound, NotPermitted, ValidationFailed
from fundapp.core.text import clean_text
from fundapp.extensions import db
from fundapp.files.services import store_upload
from fundapp.mail.services import queue_email
from fundapp.proposals.models import PUBLIC_STATES, Project, TeamMember

from . import vocab
from .models import (
    MemberRole,
    MembershipStatus,
    Organisation,
    OrganisationContact,
    OrganisationInvitation,
    OrganisationKind,
    OrganisationMember,
    OrganisationStatus,
)

INVITATION_DAYS = 14
CONTACTS_PER_HOUR = 5
MAX_OPEN_INVITATIONS = 50
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


# -- what other domains ask -----------------------------------------------------------------------


def is_organisation_admin(user, organisation: Organisation) -> bool:
    """True when ``user`` is an active admin of ``organisation`` (verified or not)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(OrganisationMember.id).where(
                OrganisationMember.organisation_id == organisation.id,
                OrganisationMember.user_id == user.id,
                OrganisationMember.role == MemberRole.admin,
                OrganisationMember.status == MembershipStatus.active,
            )
        )
        is not None
    )


def admin_organisations(user, *, verified_only: bool = True) -> list[Organisation]:
    """The organisations ``user`` may act for as an admin (verified ones unless told otherwise)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    q = (
        select(Organisation)
        .join(OrganisationMember)
        .where(
            OrganisationMember.user_id == user.id,
            OrganisationMember.role == MemberRole.admin,
            OrganisationMember.status == MembershipStatus.active,
        )
        .order_by(Organisation.name)
    )
    if verified_only:
        q = q.where(Organisation.status == OrganisationStatus.verified)
    return list(db.session.scalars(q))


def member_organisation_ids(user) -> set[int]:
    """Ids of the organisations ``user`` is an active member (or admin) of."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.scalars(
            select(OrganisationMember.organisation_id).where(
                OrganisationMember.user_id == user.id,
                OrganisationMember.status == MembershipStatus.active,
            )
        )
    )


# -- small helpers --------------------------------------------------------------------------------


def is_staff(user) -> bool:
    """Staff of the community side: administrators (auditors read, never act)."""
    return bool(
        user is not None and getattr(user, "is_authenticated", False) and user.has_role("administrator")
    )


def can_read_private(user, organisation: Organisation) -> bool:
    """Staff, auditors and the organisation's admins see its registration document and queue."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.has_any_role("administrator", "auditor") or is_organisation_admin(user, organisation)


def can_view_organisation(user, organisation: Organisation) -> bool:
    """Verified organisations are public; others only to staff, auditors and their own people."""
    if organisation.verified:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.has_any_role("administrator", "auditor"):
        return True
    return organisation.id in member_organisation_ids(user)


def public_link(endpoint: str, **values) -> str:
    """An absolute link for email, always on ``PUBLIC_BASE_URL`` when it is set (never on the Host
    header a request happened to carry)."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        with current_app.test_request_context(base_url=base):
            return url_for(endpoint, _external=True, **values)
    try:
        return url_for(endpoint, _external=True, **values)
    except RuntimeError:
        with current_app.test_request_context(base_url="http://localhost"):
            return url_for(endpoint, _external=True, **values)


def _codes(values, allowed, field: str, *, required: bool = False, limit: int = 8) -> str:
    values = [v for v in (values or []) if v]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValidationFailed(_l("Choose from the list."), field=field)
    if required and not values:
        raise ValidationFailed(_l("Choose at least one."), field=field)
    if len(values) > limit:
        raise ValidationFailed(_l("Choose at most %(n)s.", n=limit), field=field)
    return ",".join(dict.fromkeys(values))


def clean_country(value: str, field: str = "country") -> str:
    code = (value or "").strip().upper()
    if code not in vocab.country_codes():
        raise ValidationFailed(_l("Choose a country from the list."), field=field)
    return code


def clean_website(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > 300:
        raise ValidationFailed(_l("At most %(n)s characters.", n=300), field="website")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValidationFailed(_l("Enter a web address starting with https://"), field="website")
    return value


def _admins(organisation: Organisation) -> list:
    return list(
        db.session.scalars(
            select(User)
            .join(OrganisationMember, OrganisationMember.user_id == User.id)
            .where(
                OrganisationMember.organisation_id == organisation.id,
                OrganisationMember.role == MemberRole.admin,
                OrganisationMember.status == MembershipStatus.active,
            )
            .order_by(User.id)
        )
    )


def _staff_users() -> list:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "administrator", User.is_active_account.is_(True))
        )
    )


def _mail(users, subject, template: str, **ctx) -> None:
    for user in users:
        queue_email(user, subject, f"community/email/{template}", **ctx)


def _require_admin(organisation: Organisation, actor) -> None:
    if not is_organisation_admin(actor, organisation):
        raise NotPermitted(_l("Only an admin of this organisation may do this."))


def _require_staff(actor) -> None:
    if not is_staff(actor):
        raise NotPermitted(_l("Only the fund's staff may do this."))


def membership(user, organisation: Organisation) -> OrganisationMember | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(OrganisationMember).where(
            OrganisationMember.organisation_id == organisation.id, OrganisationMember.user_id == user.id
        )
    )


# -- organisations --------------------------------------------------------------------------------


def _apply_fields(org: Organisation, data: dict) -> None:
    org.name = clean_text(data.get("name"), 200, "name", required=True)
    kind = data.get("kind") or ""
    if kind not in {k.value for k in OrganisationKind}:
        raise ValidationFailed(_l("Choose a kind from the list."), field="kind")
    org.kind = kind
    org.country = clean_country(data.get("country") or "")
    org.city = clean_text(data.get("city"), 120, "city", required=True)
    org.languages = _codes(data.get("languages"), vocab.LANGUAGE_CODES, "languages", required=True)
    org.fields = _codes(data.get("fields"), vocab.FIELDS, "fields", required=True)
    year = data.get("year_founded")
    if year in (None, ""):
        org.year_founded = None
    else:
        this_year = utcnow().year
        if not isinstance(year, int) or not 1900 <= year <= this_year:
            raise ValidationFailed(
                _l("Enter a year from %(a)s to %(b)s.", a=1900, b=this_year), field="year_founded"
            )
        org.year_founded = year
    org.website = clean_website(data.get("website") or "")
    org.description = clean_text(data.get("description"), 5000, "description", required=True)


def register_organisation(actor, data: dict, *, registration_file=None) -> Organisation:
    """A signed-in person registers an organisation; they become its first admin. It waits for
    staff to verify it. ``registration_file`` (an upload) stays private."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotPermitted()
    org = Organisation(status=OrganisationStatus.pending, created_by_id=actor.id)
    _apply_fields(org, data)
    if data.get("kind") == OrganisationKind.government_agency and not is_staff(actor):
        # Agencies report on the Plan: only staff register them, so nobody can pose as a ministry.
        raise ValidationFailed(_l("Government agencies are registered by the fund's staff."), field="kind")
    if registration_file is not None and getattr(registration_file, "filename", None):
        stored = store_upload(
            registration_file, uploaded_by=actor, allowed=("pdf", "png", "jpeg"), field="registration_file"
        )
        org.registration_file_id = stored.id
    db.session.add(org)
    db.session.flush()
    db.session.add(
        OrganisationMember(
            organisation_id=org.id, user_id=actor.id, role=MemberRole.admin, status=MembershipStatus.active
        )
    )
    db.session.flush()
    record("community.register_organisation", org, actor=actor, changes={"name": org.name, "kind": org.kind})
    _mail(
        _staff_users(),
        _l("An organisation waits for verification"),
        "registered",
        organisation=org,
        link=public_link("community.review_queue"),
    )
    return org


def update_organisation(org: Organisation, actor, data: dict) -> Organisation:
    """An admin corrects the organisation's public details (the kind stays, so nobody turns an
    association into an agency)."""
    _require_admin(org, actor)
    data = {**data, "kind": org.kind}
    before = {"name": org.name, "country": org.country, "city": org.city}
    _apply_fields(org, data)
    db.session.flush()
    record("community.update_organisation", org, actor=actor, changes={"before": before})
    return org


def verify_organisation(org: Organisation, actor) -> Organisation:
    _require_staff(actor)
    org = lock_one(Organisation, org.id, NotFound())
    if org.status == OrganisationStatus.verified:
        raise InvalidTransition(_l("This organisation is already verified."))
    org.status = OrganisationStatus.verified
    org.decision_reason = ""
    org.decided_by_id = actor.id
    org.decided_at = utcnow()
    db.session.flush()
    record("community.verify_organisation", org, actor=actor)
    _mail(
        _admins(org),
        _l("Your organisation is verified"),
        "verified",
        organisation=org,
        link=public_link("community.organisation_detail", org_id=org.id),
    )
    return org


def decline_organisation(org: Organisation, actor, reason: str) -> Organisation:
    _require_staff(actor)
    reason = clean_text(
        reason, 2000, "reason", required=True, message=_l("Say why the organisation is declined.")
    )
    org = lock_one(Organisation, org.id, NotFound())
    if org.status == OrganisationStatus.declined:
        raise InvalidTransition(_l("This organisation is already declined."))
    org.status = OrganisationStatus.declined
    org.decision_reason = reason
    org.decided_by_id = actor.id
    org.decided_at = utcnow()
    db.session.flush()
    record("community.decline_organisation", org, actor=actor, reason=reason)
    _mail(
        _admins(org),
        _l("Your organisation was not verified"),
        "declined",
        organisation=org,
        reason=reason,
        link=public_link("community.organisation_detail", org_id=org.id),
    )
    return org


# -- membership -----------------------------------------------------------------------------------


def request_membership(org: Organisation, actor) -> OrganisationMember:
    """A signed-in person asks to join a verified organisation; its admins decide."""
    if not org.verified:
        raise InvalidTransition(_l("Only a verified organisation takes members."))
    existing = membership(actor, org)
    if existing is not None:
        raise DuplicateRequest(
            _l("You are already a member.")
            if existing.status == MembershipStatus.active
            else _l("Your request is already waiting for an admin.")
        )
    m = OrganisationMember(
        organisation_id=org.id, user_id=actor.id, role=MemberRole.member, status=MembershipStatus.requested
    )
    db.session.add(m)
    db.session.flush()
    record("community.request_membership", org, actor=actor, changes={"user": actor.id})
    _mail(
        _admins(org),
        _l("Someone asks to join your organisation"),
        "join_requested",
        organisation=org,
        person=actor.display_name,
        link=public_link("community.members", org_id=org.id),
    )
    return m


def _member_row(org: Organisation, member_id: int) -> OrganisationMember:
    m = db.session.get(OrganisationMember, member_id)
    if m is None or m.organisation_id != org.id:
        raise NotFound()
    return m


def accept_membership(org: Organisation, actor, member_id: int) -> OrganisationMember:
    _require_admin(org, actor)
    m = _member_row(org, member_id)
    if m.status != MembershipStatus.requested:
        raise InvalidTransition(_l("There is no request to accept."))
    m.status = MembershipStatus.active
    db.session.flush()
    record("community.accept_membership", org, actor=actor, changes={"user": m.user_id})
    _mail(
        [db.session.get(User, m.user_id)],
        _l("You are now a member"),
        "join_accepted",
        organisation=org,
        link=public_link("community.organisation_detail", org_id=org.id),
    )
    return m


def remove_member(org: Organisation, actor, member_id: int) -> None:
    """An admin refuses a request or removes a member; anyone may leave. An organisation always
    keeps at least one admin."""
    org = lock_one(Organisation, org.id, NotFound())
    m = _member_row(org, member_id)
    if m.user_id != getattr(actor, "id", None):
        _require_admin(org, actor)
    if m.role == MemberRole.admin and m.status == MembershipStatus.active:
        admins = db.session.scalar(
            select(func.count(OrganisationMember.id)).where(
                OrganisationMember.organisation_id == org.id,
                OrganisationMember.role == MemberRole.admin,
                OrganisationMember.status == MembershipStatus.active,
            )
        )
        if admins <= 1:
            raise InvalidTransition(
                _l("An organisation keeps at least one admin: hand the admin role to someone first.")
            )
    record("community.remove_member", org, actor=actor, changes={"user": m.user_id, "status": m.status})
    db.session.delete(m)
    db.session.flush()


def hand_over_admin(org: Organisation, actor, member_id: int) -> OrganisationMember:
    """The acting admin makes an active member admin and becomes a plain member."""
    org = lock_one(Organisation, org.id, NotFound())
    _require_admin(org, actor)
    target = _member_row(org, member_id)
    if target.status != MembershipStatus.active or target.role == MemberRole.admin:
        raise InvalidTransition(_l("Choose an active member who is not an admin."))
    mine = membership(actor, org)
    target.role = MemberRole.admin
    mine.role = MemberRole.member
    db.session.flush()
    record("community.hand_over_admin", org, actor=actor, changes={"to": target.user_id})
    _mail(
        [db.session.get(User, target.user_id)],
        _l("You are now an admin of an organisation"),
        "admin_handed",
        organisation=org,
        link=public_link("community.members", org_id=org.id),
    )
    return target


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_by_email(org: Organisation, actor, email: str) -> None:
    """Mail an invitation to ``email``. The answer is the same whether the address has an account
    or not (the mail itself tells its owner what to do)."""
    _require_admin(org, actor)
    if not org.verified:
        raise InvalidTransition(_l("Only a verified organisation takes members."))
    email = (email or "").strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValidationFailed(_l("Enter an email address."), field="email")
    open_count = db.session.scalar(
        select(func.count(OrganisationInvitation.id)).where(
            OrganisationInvitation.organisation_id == org.id,
            OrganisationInvitation.accepted_at.is_(None),
            OrganisationInvitation.created_at > utcnow() - timedelta(days=INVITATION_DAYS),
        )
    )
    if open_count >= MAX_OPEN_INVITATIONS:
        raise ValidationFailed(_l("Too many invitations are waiting; try again later."), field="email")
    token = secrets.token_urlsafe(32)
    db.session.add(
        OrganisationInvitation(
            organisation_id=org.id, email=email, token_hash=_token_hash(token), invited_by_id=actor.id
        )
    )
    db.session.flush()
    record("community.invite_member", org, actor=actor)
    user = db.session.scalar(select(User).where(User.email == email))
    queue_email(
        user or email,
        _l("An invitation to join a diaspora organisation"),
        "community/email/invitation",
        organisation=org,
        has_account=user is not None,
        link=public_link("community.accept_invitation", token=token),
        register_link=public_link("accounts.register"),
    )


def find_invitation(token: str) -> OrganisationInvitation | None:
    if not token or len(token) > 100:
        return None
    inv = db.session.scalar(
        select(OrganisationInvitation).where(OrganisationInvitation.token_hash == _token_hash(token))
    )
    if inv is None or inv.accepted_at is not None:
        return None
    if inv.created_at < utcnow() - timedelta(days=INVITATION_DAYS):
        return None
    return inv


def accept_invitation(token: str, actor) -> OrganisationMember:
    """The person the invitation was mailed to (signed in with that address) joins at once."""
    inv = find_invitation(token)
    if inv is None:
        raise NotFound(_l("This invitation is not valid any more."))
    if (actor.email or "").lower() != inv.email:
        raise NotPermitted(_l("This invitation was sent to another email address."))
    org = inv.organisation
    m = membership(actor, org)
    if m is None:
        m = OrganisationMember(organisation_id=org.id, user_id=actor.id, role=MemberRole.member)
        db.session.add(m)
    m.status = MembershipStatus.active
    inv.accepted_at = utcnow()
    inv.accepted_by_id = actor.id
    db.session.flush()
    record("community.accept_invitation", org, actor=actor, changes={"user": actor.id})
    return m


# -- contact --------------------------------------------------------------------------------------


def contact_organisation(org: Organisation, actor, *, subject: str, message: str, share_address: bool) -> int:
    """Relay a message to the organisation's admins by mail. Nobody's address is shown: the sender's
    only if they say so. At most ``CONTACTS_PER_HOUR`` messages an hour per sender."""
    if not org.verified:
        raise NotFound()
    subject = clean_text(subject, 150, "subject", required=True)
    message = clean_text(message, 5000, "message", required=True)
    sent = db.session.scalar(
        select(func.count(OrganisationContact.id)).where(
            OrganisationContact.sender_id == actor.id,
            OrganisationContact.created_at > utcnow() - timedelta(hours=1),
        )
    )
    if sent >= CONTACTS_PER_HOUR:
        raise ValidationFailed(
            _l("You have sent several messages this hour; please try again later."), field="message"
        )
    db.session.add(OrganisationContact(organisation_id=org.id, sender_id=actor.id))
    admins = _admins(org)
    _mail(
        admins,
        _l("A message through Hamvatan Fund"),
        "contact",
        organisation=org,
        sender=actor.display_name,
        sender_address=actor.email if share_address else None,
        message_subject=subject,
        message=message,
    )
    db.session.flush()
    return len(admins)


# -- the public directory -------------------------------------------------------------------------


def directory_query(
    *, q: str = "", country: str = "", city: str = "", kind: str = "", field: str = "", language: str = ""
):
    """Verified organisations matching the filters (unknown values are ignored, never an error)."""
    query = select(Organisation).where(Organisation.status == OrganisationStatus.verified)
    if country and len(country) == 2:
        query = query.where(Organisation.country == country.upper())
    if city:
        query = query.where(func.lower(Organisation.city) == city.strip().lower()[:120])
    if kind in {k.value for k in OrganisationKind}:
        query = query.where(Organisation.kind == kind)
    if field in vocab.FIELDS:
        query = query.where(("," + Organisation.fields + ",").like(f"%,{field},%"))
    if language in vocab.LANGUAGE_CODES:
        query = query.where(("," + Organisation.languages + ",").like(f"%,{language},%"))
    return fulltext.search(query, Organisation, q).order_by(Organisation.name, Organisation.id)


def counts_by_country() -> list[tuple[str, int]]:
    rows = db.session.execute(
        select(Organisation.country, func.count(Organisation.id))
        .where(Organisation.status == OrganisationStatus.verified)
        .group_by(Organisation.country)
        .order_by(func.count(Organisation.id).desc(), Organisation.country)
    ).all()
    return [(c, n) for c, n in rows]


def organisation_projects(org: Organisation) -> list:
    """Published projects an organisation's admins or members are on the team of."""
    user_ids = select(OrganisationMember.user_id).where(
        OrganisationMember.organisation_id == org.id, OrganisationMember.status == MembershipStatus.active
    )
    return list(
        db.session.scalars(
            select(Project)
            .where(
                Project.state.in_([s.value for s in PUBLIC_STATES]),
                Project.published_at.is_not(None),
                (Project.owner_id.in_(user_ids))
                | Project.id.in_(select(TeamMember.project_id).where(TeamMember.user_id.in_(user_ids))),
            )
            .order_by(Project.published_at.desc())
            .limit(20)
        )
    )


def registration_file_rule(user, stored_file) -> bool:
    """A registration document is read by staff and auditors (the files domain already lets them)
    and by the organisation's admins."""
    if user is None:
        return False
    org = db.session.scalar(select(Organisation).where(Organisation.registration_file_id == stored_file.id))
    return org is not None and is_organisation_admin(user, org)
