from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundapp.core.db import UTCDateTime, utcnow
from fundapp.extensions import db


class Role(enum.StrEnum):
    MEMBER = "member"
    REVIEWER = "reviewer"
    ADMINISTRATOR = "administrator"
    TREASURER = "treasurer"
    AUDITOR = "auditor"


STAFF_ROLES = frozenset({Role.REVIEWER, Role.ADMINISTRATOR, Role.TREASURER, Role.AUDITOR})

# Roles one person never holds together, because a four-eyes rule assumes they are two people
# (docs/SECURITY.md, "Separation of duties"): who authorises money against who moves it, and
# the auditor against everyone whose work the auditor checks; an administrator decides proposals
# on reviewers' independent scores.
INCOMPATIBLE_ROLES = (
    frozenset({Role.ADMINISTRATOR, Role.TREASURER}),
    frozenset({Role.ADMINISTRATOR, Role.REVIEWER}),
    frozenset({Role.AUDITOR, Role.ADMINISTRATOR}),
    frozenset({Role.AUDITOR, Role.TREASURER}),
    frozenset({Role.AUDITOR, Role.REVIEWER}),
)


def incompatible_with(role: str, held) -> str | None:
    """A role in ``held`` that may not be combined with ``role``, or None."""
    for pair in INCOMPATIBLE_ROLES:
        if role in pair:
            (other,) = pair - {role}
            if other in held:
                return str(other)
    return None


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # The name shown when the person backs a project publicly (defaults to full_name).
    public_name: Mapped[str | None] = mapped_column(String(200))
    show_name_publicly: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    phone: Mapped[str | None] = mapped_column(String(40))
    country_of_residence: Mapped[str | None] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    city_of_residence: Mapped[str | None] = mapped_column(String(120))
    home_region: Mapped[str | None] = mapped_column(String(40))
    home_district: Mapped[str | None] = mapped_column(String(80))
    languages: Mapped[str | None] = mapped_column(String(200))
    skills: Mapped[str | None] = mapped_column(Text)
    preferred_language: Mapped[str | None] = mapped_column(String(5))
    is_active_account: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # TOTP: the secret, and the last time-step accepted, so a used code can never be replayed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # Bumped on sign-out, password change, role change and TOTP reset: outstanding reset links and
    # every session cookie carrying the old stamp stop working (accounts.services.end_sessions).
    security_stamp: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        lazy="selectin",
        foreign_keys="UserRole.user_id",
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_account

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles} | {Role.MEMBER.value}

    def has_role(self, role: str) -> bool:
        return str(role) in self.role_names

    def has_any_role(self, *roles: str) -> bool:
        return any(self.has_role(r) for r in roles)

    @property
    def is_staff(self) -> bool:
        return bool(self.role_names & {r.value for r in STAFF_ROLES})

    @property
    def display_name(self) -> str:
        return self.public_name or self.full_name or self.email.split("@")[0]

    def get_id(self) -> str:
        return f"{self.id}:{self.security_stamp}"

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])

    __table_args__ = (
        UniqueConstraint("user_id", "role"),
        db.CheckConstraint(
            "role IN ('reviewer', 'administrator', 'treasurer', 'auditor')", name="role_known"
        ),
    )


class RoleGrantState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class RoleGrant(db.Model):
    """A staff role asked for by one administrator and given only when a second one approves.

    The database itself refuses an approval by the asker or by the person who gets the role."""

    __tablename__ = "role_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    state: Mapped[str] = mapped_column(String(10), nullable=False, default=RoleGrantState.PENDING.value)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])

    __table_args__ = (
        db.CheckConstraint(
            "role IN ('reviewer', 'administrator', 'treasurer', 'auditor')", name="role_known"
        ),
        db.CheckConstraint("state IN ('pending', 'approved', 'refused')", name="state_known"),
        db.CheckConstraint(
            "state <> 'approved' OR (decided_by_id IS NOT NULL AND decided_by_id <> requested_by_id "
            "AND decided_by_id <> user_id)",
            name="approved_by_a_second_person",
        ),
        db.Index(
            "uq_role_grants_one_pending",
            "user_id",
            "role",
            unique=True,
            sqlite_where=db.text("state = 'pending'"),
            postgresql_where=db.text("state = 'pending'"),
        ),
    )


class PendingStepUp(db.Model):
    """A staff action held while its person proves it is them (step-up): the form they posted,
    kept on the server for a few minutes, bound to them, to the action's address and to their
    session (which holds ``token``). Taken once, after a correct code, and replayed through the
    same route (``fundapp.accounts.stepup``); never kept longer."""

    __tablename__ = "pending_step_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    path: Mapped[str] = mapped_column(String(2000), nullable=False)
    form_json: Mapped[str] = mapped_column(Text, nullable=False)
    back_to: Mapped[str] = mapped_column(String(2000), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (db.Index("ix_pending_step_ups_user_id", "user_id"),)
