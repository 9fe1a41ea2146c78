"""The shared column helpers of ``fundapp.core.db``: CHECKs of known values, row locks, Money
over two columns."""

from __future__ import annotations

from enum import StrEnum

import pytest
from sqlalchemy import BigInteger, String, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from fundapp.accounts.models import User
from fundapp.core.db import lock_one, money_composite, one_of, pg_array
from fundapp.core.money import Money
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
    assert lock_one(User, user.id + 10_000, None) is None  # the caller says what that means
    db.session.rollback()


class _Base(DeclarativeBase):
    """A registry of its own, so the table below never joins the app's metadata or migrations."""


class _Gift(_Base):
    __tablename__ = "test_money_gifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    amount: Mapped[Money] = money_composite("amount_minor", "currency")


@pytest.fixture
def gifts(app):
    _Base.metadata.create_all(db.engine)
    with Session(db.engine) as session:
        yield session
        session.rollback()
    _Base.metadata.drop_all(db.engine)


def test_money_composite_reads_integer_minor_units_and_writes_both_columns(gifts):
    """Does a Money attribute over two columns read back as Money with an int amount (SQLite
    too), and does assigning a Money write both columns?"""
    gift = _Gift(amount=Money(150_050, "TJS"))
    gifts.add(gift)
    gifts.flush()
    assert (gift.amount_minor, gift.currency) == (150_050, "TJS")
    gifts.expunge_all()
    again = gifts.get(_Gift, gift.id)
    assert again.amount == Money(150_050, "TJS") and type(again.amount.amount) is int
    again.amount = Money(7, "USD")
    gifts.flush()
    row = gifts.execute(text("SELECT amount_minor, currency FROM test_money_gifts")).one()
    assert tuple(row) == (7, "USD")


def test_money_composite_follows_a_column_assigned_directly(gifts):
    """After ``amount_minor`` is assigned by itself, does the Money attribute say the new amount
    at once, before any flush?"""
    gift = _Gift(amount_minor=100, currency="TJS")
    gifts.add(gift)
    gifts.flush()
    assert gift.amount == Money(100, "TJS")
    gift.amount_minor = 250
    assert gift.amount == Money(250, "TJS")
    gift.currency = "EUR"
    assert gift.amount == Money(250, "EUR")


def test_money_composite_and_its_columns_both_filter_queries(gifts):
    """Can a query filter on the Money attribute as well as on its plain columns?"""
    gifts.add_all([_Gift(amount=Money(100, "TJS")), _Gift(amount=Money(100, "USD"))])
    gifts.flush()
    by_money = gifts.scalars(select(_Gift).where(_Gift.amount == Money(100, "USD"))).all()
    by_column = gifts.scalars(select(_Gift).where(_Gift.currency == "USD", _Gift.amount_minor == 100)).all()
    assert [g.currency for g in by_money] == ["USD"] and by_money == by_column


_ARRAYS = [
    ([], "{}"),
    ([3, -1, 0, 10**15], "{3,-1,0,1000000000000000}"),
    ([1, None, 2], "{1,NULL,2}"),
    ([True, False, None], "{t,f,NULL}"),
    ([b"\x00\xff", bytearray(b"\x10")], "{00ff,10}"),
    (
        ["plain", 'a "quote"', "back\\slash", "comma, brace}", "", "NULL"],
        '{"plain","a \\"quote\\"","back\\\\slash","comma, brace}","","NULL"}',
    ),
    ([Colour.SAINTS, "x", None], '{"o\'neil","x",NULL}'),
    # batches long enough to take the one-pass path
    ([7] * 20, "{" + ",".join(["7"] * 20) + "}"),
    ([b"\xab"] * 19 + [b""], "{" + ",".join(["ab"] * 19 + ['""']) + "}"),
    (['say "hi"'] * 20, "{" + ",".join(['"say \\"hi\\""'] * 20) + "}"),
    ([1] * 20 + [None], "{" + ",".join(["1"] * 20 + ["NULL"]) + "}"),
]


@pytest.mark.parametrize(("values", "literal"), _ARRAYS)
def test_pg_array_writes_each_kind_of_value_as_its_literal(values, literal):
    """Is every kind of value written as PostgreSQL reads it, from a list or any iterable?"""
    assert pg_array(values) == literal
    assert pg_array(iter(values)) == literal


@pytest.mark.postgres
def test_pg_array_literals_are_read_back_by_postgresql_as_the_same_values(app):
    """Does PostgreSQL read each literal back to exactly the values it was made of?"""
    texts = ["plain", 'a "quote"', "back\\slash", "comma, brace}", "", "NULL", "o'neil", None]
    many = [f'{i} {{x}}, \\ "q"' for i in range(40)]
    assert db.session.scalar(text("SELECT CAST(:a AS text[])"), {"a": pg_array(many)}) == many
    assert db.session.scalar(text("SELECT CAST(:a AS text[])"), {"a": pg_array(texts)}) == texts
    ints = [3, -1, None, 10**15]
    assert db.session.scalar(text("SELECT CAST(:a AS bigint[])"), {"a": pg_array(ints)}) == ints
    raw = [b"\x00\xff", b""]
    got = db.session.scalar(
        text(
            "SELECT array_agg(decode(x, 'hex') ORDER BY n) FROM unnest(CAST(:a AS text[])) "
            "WITH ORDINALITY AS u(x, n)"
        ),
        {"a": pg_array(raw)},
    )
    assert [bytes(g) for g in got] == raw
