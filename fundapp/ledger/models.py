"""Ledger tables: accounts, their balance rows, journal entries and legs, pending (two-phase)
transfers, the stored Merkle tree nodes and the signed checkpoints.

Posted rows (entries, legs, nodes, checkpoints) are append-only: database triggers refuse UPDATE
and DELETE (an entry's seal columns ``sequence``, ``leaf_hash``, ``reverses_sequence`` and
``sealed_at`` may be written once, after commit, by the sealer). A journal entry whose legs do not
balance per currency is refused by the database (a deferred constraint trigger on PostgreSQL, a
trigger on the closing leg on SQLite; see ``migrations/versions/0002_ledger.py``).
"""

from __future__ import annotations

import struct
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fundapp.core.db import UTCDateTime, money_composite, one_of, utcnow
from fundapp.core.money import Money
from fundapp.extensions import db

BigId = BigInteger().with_variant(Integer, "sqlite")


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def debit_normal(self) -> bool:
        """Assets and expenses grow with debits; the others grow with credits."""
        return self in (AccountType.ASSET, AccountType.EXPENSE)


class EntryKind(StrEnum):
    DONATION = "donation"
    PLEDGE_COLLECTION = "pledge_collection"
    INVESTMENT = "investment"
    DISBURSEMENT = "disbursement"
    REFUND = "refund"
    FEE = "fee"
    REPAYMENT = "repayment"
    DISTRIBUTION = "distribution"
    REVERSAL = "reversal"
    ADJUSTMENT = "adjustment"
    FX = "fx"
    TRANSFER = "transfer"


class Direction(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class PendingState(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"


class Account(db.Model):
    """One account of the chart in one currency. Project accounts (``project_id`` set) hold money
    restricted to that project."""

    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    type: Mapped[str] = mapped_column(String(12), nullable=False)
    # projects live in a later migration: a plain id, not a foreign key
    project_id: Mapped[int | None] = mapped_column(Integer)
    no_negative: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    balance_row: Mapped[AccountBalance] = relationship(back_populates="account", uselist=False)

    __table_args__ = (
        UniqueConstraint("code", "currency"),
        one_of("type", AccountType, "type_known"),
        Index("ix_ledger_accounts_project_id", "project_id"),
    )

    @property
    def account_type(self) -> AccountType:
        return AccountType(self.type)

    def __repr__(self) -> str:
        return f"<Account {self.code} {self.currency}>"


class AccountBalance(db.Model):
    """The running balance of one account, updated in the transaction that posts (O(1) reads).

    ``balance_minor`` has the account's natural sign (debits minus credits for assets and
    expenses, credits minus debits otherwise); ``reserved_minor`` is held by pending transfers."""

    __tablename__ = "ledger_balances"

    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    debit_normal: Mapped[bool] = mapped_column(Boolean, nullable=False)
    no_negative: Mapped[bool] = mapped_column(Boolean, nullable=False)
    debits_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    credits_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    balance_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    balance: Mapped[Money] = money_composite("balance_minor", "currency")
    reserved_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    entry_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)

    account: Mapped[Account] = relationship(back_populates="balance_row")

    __table_args__ = (
        CheckConstraint(
            "NOT no_negative OR (balance_minor >= 0 AND balance_minor - reserved_minor >= 0)",
            name="no_negative",
        ),
        CheckConstraint("reserved_minor >= 0", name="reserved_not_negative"),
        CheckConstraint(
            "balance_minor = CASE WHEN debit_normal THEN debits_minor - credits_minor "
            "ELSE credits_minor - debits_minor END",
            name="balance_consistent",
        ),
    )

    @property
    def available(self) -> Money:
        return Money(self.balance_minor - self.reserved_minor, self.currency)


class JournalEntry(db.Model):
    """One balanced movement of money. Never updated (but for its seal) nor deleted."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    memo: Mapped[str] = mapped_column(String(500), nullable=False)
    source_type: Mapped[str | None] = mapped_column(String(40))
    source_id: Mapped[str | None] = mapped_column(String(64))
    project_id: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    backer_label: Mapped[str | None] = mapped_column(String(200))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    leg_count: Mapped[int] = mapped_column(Integer, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # the seal, written once after commit, in commit order
    sequence: Mapped[int | None] = mapped_column(BigInteger)
    leaf_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    reverses_sequence: Mapped[int | None] = mapped_column(BigInteger)
    sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    legs: Mapped[list[Leg]] = relationship(
        primaryjoin="JournalEntry.id == foreign(Leg.entry_id)",
        back_populates="entry",
        order_by="Leg.id",
        lazy="selectin",
        viewonly=True,
    )
    reverses: Mapped[JournalEntry | None] = relationship(remote_side=[id], viewonly=True)

    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        UniqueConstraint("sequence"),
        UniqueConstraint("reverses_id"),
        one_of("kind", EntryKind, "kind_known"),
        CheckConstraint("leg_count >= 2", name="two_legs_at_least"),
        CheckConstraint("sequence IS NULL OR sequence >= 1", name="sequence_positive"),
        CheckConstraint(
            "(sequence IS NULL AND leaf_hash IS NULL) OR (sequence IS NOT NULL AND leaf_hash IS NOT NULL)",
            name="sealed_whole",
        ),
        Index("ix_ledger_entries_source", "source_type", "source_id"),
        Index(
            "ix_ledger_entries_unsealed",
            "id",
            postgresql_where=text("sequence IS NULL"),
            sqlite_where=text("sequence IS NULL"),
        ),
    )

    @property
    def entry_kind(self) -> EntryKind:
        return EntryKind(self.kind)

    def __repr__(self) -> str:
        return f"<JournalEntry {self.id} seq={self.sequence} {self.kind}>"


class Leg(db.Model):
    """One side of an entry: a debit or a credit (exactly one, > 0) of one account."""

    __tablename__ = "ledger_legs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # no foreign keys: the leg guard trigger refuses a leg whose entry or account does not exist
    # (migrations 0007 and 0028 say why), and neither is ever deleted
    entry_id: Mapped[int] = mapped_column(BigId, nullable=False)
    account_id: Mapped[int] = mapped_column(Integer, nullable=False)
    direction: Mapped[str] = mapped_column(String(6), nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    money: Mapped[Money] = money_composite("amount_minor", "currency")

    entry: Mapped[JournalEntry] = relationship(
        primaryjoin="foreign(Leg.entry_id) == JournalEntry.id", back_populates="legs", viewonly=True
    )
    account: Mapped[Account] = relationship(
        primaryjoin="foreign(Leg.account_id) == Account.id", lazy="joined", viewonly=True
    )

    __table_args__ = (
        CheckConstraint("direction IN ('debit', 'credit')", name="direction_known"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        Index("ix_ledger_legs_entry_id", "entry_id"),
    )

    # -- building legs for ``post_entry`` ------------------------------------------------------
    @staticmethod
    def debit(account: Account, money: Money) -> LegSpec:
        return LegSpec(account, Direction.DEBIT, money)

    @staticmethod
    def credit(account: Account, money: Money) -> LegSpec:
        return LegSpec(account, Direction.CREDIT, money)


class LegSpec:
    """A leg to be posted (not yet a row): ``Leg.debit(account, money)``."""

    __slots__ = ("account", "direction", "money")

    def __init__(self, account: Account, direction: Direction, money: Money):
        if not isinstance(account, Account):
            raise TypeError("a leg needs a ledger Account")
        if not isinstance(money, Money):
            raise TypeError("a leg amount must be Money, not a bare number")
        if money.amount <= 0:
            raise ValueError("a leg amount must be greater than zero")
        if money.currency != account.currency:
            raise ValueError(f"{money.currency} cannot be posted to {account.code} ({account.currency})")
        self.account = account
        self.direction = Direction(direction)
        self.money = money

    def __repr__(self) -> str:
        return f"<LegSpec {self.direction} {self.account.code} {self.money}>"


class PendingTransfer(db.Model):
    """A two-phase transfer: created (amounts reserved), then posted or voided once, by someone
    other than its creator."""

    __tablename__ = "ledger_pending_transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    memo: Mapped[str] = mapped_column(String(500), nullable=False)
    state: Mapped[str] = mapped_column(String(8), nullable=False, default=PendingState.PENDING)
    legs_json: Mapped[list] = mapped_column(JSON, nullable=False)
    source_type: Mapped[str | None] = mapped_column(String(40))
    source_id: Mapped[str | None] = mapped_column(String(64))
    project_id: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))

    entry: Mapped[JournalEntry | None] = relationship(viewonly=True)

    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        one_of("state", PendingState, "state_known"),
        one_of("kind", EntryKind, "kind_known"),
        CheckConstraint("(state = 'posted') = (entry_id IS NOT NULL)", name="posted_has_entry"),
    )

    @property
    def pending_state(self) -> PendingState:
        return PendingState(self.state)


class MerkleNode(db.Model):
    """The hash of a complete subtree of 2**level leaves starting at leaf ``index * 2**level``
    (level >= 1; the leaves themselves are ``JournalEntry.leaf_hash``)."""

    __tablename__ = "ledger_merkle_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)

    __table_args__ = (CheckConstraint("level >= 1", name="level_positive"),)


class Checkpoint(db.Model):
    """A signed statement of the tree: its size and root hash, as a C2SP checkpoint of ``origin``
    (``origin`` NULL: the older plain statement, which also covers ``signed_at``). ``key_id`` is
    the note key id in hex. Every checkpoint is kept and published."""

    __tablename__ = "ledger_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    key_id: Mapped[str] = mapped_column(String(16), nullable=False)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    signature: Mapped[bytes] = mapped_column(LargeBinary(64), nullable=False)
    origin: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("tree_size >= 0", name="tree_size_not_negative"),
        Index("ix_ledger_checkpoints_tree_size", "tree_size"),
    )


class Cosignature(db.Model):
    """A witness's C2SP tlog-cosignature of a checkpoint: the witness saw this tree head and found
    it consistent with every one it saw before. Kept as received (append-only); published beside
    the checkpoint."""

    __tablename__ = "ledger_cosignatures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("ledger_checkpoints.id"), nullable=False)
    witness_name: Mapped[str] = mapped_column(String(200), nullable=False)
    key_id: Mapped[bytes] = mapped_column(LargeBinary(4), nullable=False)
    timestamp: Mapped[int] = mapped_column(BigInteger, nullable=False)
    signature: Mapped[bytes] = mapped_column(LargeBinary(64), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("checkpoint_id", "witness_name", "key_id"),
        CheckConstraint("timestamp >= 0", name="timestamp_not_negative"),
    )

    @property
    def timestamped_signature(self) -> bytes:
        """The cosignature after the key id in its note line: u64 timestamp || signature."""
        return struct.pack(">Q", self.timestamp) + self.signature
