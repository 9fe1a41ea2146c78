"""Community verbs. What other domains may ask about organisations lives here, read-only."""

from __future__ import annotations

from sqlalchemy import select

from fundapp.extensions import db

from .models import MemberRole, MembershipStatus, Organisation, OrganisationMember, OrganisationStatus


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
