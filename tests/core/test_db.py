"""The shared column helpers of ``fundapp.core.db``: CHECKs of known values, row locks."""

from __future__ import annotations

from enum import StrEnum

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from fundapp.accounts.models import User
from fundapp.core.db import lock_one, one_of
from fundapp.extensions import db


class Colour(StrEnum):
    RED = "red"
    SAINTS = "o'neil"


def test_one_of_lists_the_values_of_an_enum_quoted():
    """Does the CHECK list every value of the enum, quotes escaped, under the name given?"""
    check = one_of("colour", Colour, "colour_known")
    assert str(check.sqltext) == "colour IN ('red', 'o''neil')"
    assert check.name == "colour_known"


def test_one_of_nullable_lets_an_empty_column_pass():
    """With ``nullable``, is NULL allowed besides the listed values (and only then)?"""
    check = one_of("status_override", ["on_track", "late"], "override_known", nullable=True)
    assert str(check.sqltext) == "status_override IS NULL OR status_override IN ('on_track', 'late')"


def test_a_value_outside_one_of_is_refused_by_the_database(app):
    """Does the database itself refuse an account type the code does not know?"""
    with pytest.raises(IntegrityError):
        db.session.execute(
            text(
                "INSERT INTO ledger_accounts (code, name, type, currency, created_at) "
                "VALUES ('9999', 'x', 'mystery', 'TJS', CURRENT_TIMESTAMP)"
            )
        )
    db.session.rollback()


def test_lock_one_rereads_the_row_and_names_a_missing_one(make_user):
    """Does ``lock_one`` return the row with what the database holds now, overwriting a stale
    attribute in the session, and raise the given error when there is no such row?"""
    user = make_user(full_name="Old Name")
    db.session.execute(text("UPDATE users SET full_name = 'New Name' WHERE id = :id"), {"id": user.id})
    assert user.full_name == "Old Name"  # the session still holds what it read
    locked = lock_one(User, user.id, LookupError("no such person"))
    assert locked is user and locked.full_name == "New Name"
    with pytest.raises(LookupError, match="no such person"):
        lock_one(User, user.id + 10_000, LookupError("no such person"))
    db.session.rollback()
