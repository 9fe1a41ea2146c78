"""The verbs of people and roles."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from fundapp.extensions import db

from .models import User

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
