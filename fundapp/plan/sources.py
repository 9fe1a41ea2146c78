"""What the Plan's monitoring reads from the other domains, in one place: the ledger (sealed
entries only, up to a checkpoint's tree size), projects' timelines, backers' countries. Every
computed indicator is built from these, and nothing here writes."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import and_, func, select

from fundapp.accounts.models import User
from fundapp.extensions import db
from fundapp.funding.models import Donation, Investment, Pledge
from fundapp.ledger.models import Account, JournalEntry, Leg
from fundapp.ledger.sealing import latest_checkpoint
from fundapp.proposals.models import Project, TimelineEvent

# Where money arrives: the asset account an entry debits tells the channel.
CHANNEL_ACCOUNTS = {"stripe_clearing": "card", "bank": "bank", "mto_clearing": "transfer"}
RECEIPT_KINDS = ("donation", "pledge_collection", "investment")


def checkpoint():
    """The latest signed checkpoint (its tree size bounds every money figure), or None."""
    return latest_checkpoint()


def _backer_ids(source_type: str, ids: list[int]) -> dict[int, int | None]:
    model, column = {
        "donation": (Donation, Donation.backer_id),
        "pledge": (Pledge, Pledge.backer_id),
        "investment": (Investment, Investment.investor_id),
    }[source_type]
    rows = db.session.execute(select(model.id, column).where(model.id.in_(ids))).all()
    return {r[0]: r[1] for r in rows}


def _countries(user_ids: set[int]) -> dict[int, str | None]:
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.country_of_residence).where(User.id.in_(user_ids)))
    return {r[0]: (r[1] or None) for r in rows}


def ledger_flows(
    kinds: tuple[str, ...],
    direction: str,
    start: datetime,
    end: datetime,
    tree_size: int,
    currency: str,
    country: str | None = None,
) -> list[tuple[str, str, int]]:
    """(entry kind, channel, amount in minor units) for every leg moving money in (``debit``) or
    out (``credit``) of the channel accounts, in entries dated in
    [start, end) and sealed into the tree of ``tree_size`` entries. With ``country``, only entries
    whose backer lives in that country."""
    q = (
        select(
            JournalEntry.kind,
            Account.code,
            Leg.amount_minor,
            JournalEntry.source_type,
            JournalEntry.source_id,
        )
        .join(Leg, Leg.entry_id == JournalEntry.id)
        .join(Account, Account.id == Leg.account_id)
        .where(
            JournalEntry.kind.in_(kinds),
            JournalEntry.sequence.is_not(None),
            JournalEntry.sequence <= tree_size,  # sequences start at 1: leaf index + 1
            JournalEntry.occurred_at >= start,
            JournalEntry.occurred_at < end,
            Leg.direction == direction,
            Leg.currency == currency,
            Account.code.in_(tuple(CHANNEL_ACCOUNTS)),
        )
    )
    rows = db.session.execute(q).all()
    if country is not None:
        wanted: dict[str, list[int]] = defaultdict(list)
        for r in rows:
            if r[3] in ("donation", "pledge", "investment") and r[4] and str(r[4]).isdigit():
                wanted[r[3]].append(int(r[4]))
        backer: dict[tuple[str, int], int | None] = {}
        for source_type, ids in wanted.items():
            for sid, uid in _backer_ids(source_type, ids).items():
                backer[(source_type, sid)] = uid
        countries = _countries({u for u in backer.values() if u})

        def from_country(r) -> bool:
            if not (r[4] and str(r[4]).isdigit()):
                return False
            uid = backer.get((r[3], int(r[4])))
            return uid is not None and countries.get(uid) == country

        rows = [r for r in rows if from_country(r)]
    return [(r[0], CHANNEL_ACCOUNTS[r[1]], int(r[2])) for r in rows]


def first_reached(state: str, start: datetime, end: datetime, country: str | None = None) -> int:
    """Projects whose first move into ``state`` happened in [start, end) (by the owner's country
    of residence when ``country`` is given)."""
    first = (
        select(TimelineEvent.project_id, func.min(TimelineEvent.created_at).label("at"))
        .where(TimelineEvent.to_state == state)
        .group_by(TimelineEvent.project_id)
        .subquery()
    )
    q = select(func.count()).select_from(first).where(and_(first.c.at >= start, first.c.at < end))
    if country is not None:
        q = (
            q.join(Project, Project.id == first.c.project_id)
            .join(User, User.id == Project.owner_id)
            .where(User.country_of_residence == country)
        )
    return int(db.session.scalar(q) or 0)
