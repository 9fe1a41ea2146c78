"""The per-project counters (``project_totals``): changed in the transaction of the backing, by one
atomic UPDATE each, read as one row."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.util import identity_key

from fundapp.core.db import utcnow
from fundapp.core.money import Money
from fundapp.extensions import db
from fundapp.proposals.models import Project

from .models import (
    PayMethod,
    ProjectTotals,
)


def ensure_totals(project: Project) -> None:
    """Create the project's counters row if missing, without racing another writer."""
    dialect = db.session.get_bind().dialect.name
    values = {"project_id": project.id, "currency": project.currency, "updated_at": utcnow()}
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(ProjectTotals).values(**values).on_conflict_do_nothing())


def locked_totals(project: Project) -> ProjectTotals:
    """The counters row, locked (FOR UPDATE) until the end of the transaction."""
    ensure_totals(project)
    return db.session.scalars(
        select(ProjectTotals)
        .where(ProjectTotals.project_id == project.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def bump(project_id: int, **deltas: int) -> None:
    """Add ``deltas`` to the counters in one atomic UPDATE (no read-modify-write race)."""
    values = {name: getattr(ProjectTotals, name) + delta for name, delta in deltas.items() if delta}
    if not values:
        return
    values["updated_at"] = utcnow()
    db.session.execute(
        update(ProjectTotals)
        .where(ProjectTotals.project_id == project_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    # a row this session already holds now has stale figures (one it does not hold needs no read)
    row = db.session.identity_map.get(identity_key(ProjectTotals, project_id))
    if row is not None:
        db.session.expire(row)


def channel_column(method: str) -> str:
    return {PayMethod.CARD: "card_minor", PayMethod.BANK: "bank_minor", PayMethod.MTO: "mto_minor"}[
        PayMethod(method)
    ]


def project_totals(project: Project) -> dict:
    """``{"raised", "pledged", "committed", "refunded", "repaid", "backers", "by_channel"}`` from the
    maintained counters (one row read, never a scan). Pledged counts promised, uncollected pledges;
    raised counts money received (donations, collected pledges, paid investments) less refunds."""
    row = db.session.get(ProjectTotals, project.id) if project.id is not None else None
    return _totals_of(project, row)


def _totals_of(project: Project, row: ProjectTotals | None) -> dict:
    cur = project.currency

    def m(value) -> Money:
        return Money(int(value or 0), cur)

    if row is None:
        zero = Money.zero(cur)
        return {
            "raised": zero,
            "pledged": zero,
            "committed": zero,
            "refunded": zero,
            "repaid": zero,
            "backers": 0,
            "pledgers": 0,
            "by_channel": {"card": zero, "bank": zero, "mto": zero},
        }
    return {
        "raised": m(row.raised_minor),
        "pledged": m(row.pledged_minor),
        "committed": m(row.committed_minor),
        "refunded": m(row.refunded_minor),
        "repaid": m(row.repaid_minor),
        "backers": int(row.backers),
        "pledgers": int(row.pledgers),
        "by_channel": {"card": m(row.card_minor), "bank": m(row.bank_minor), "mto": m(row.mto_minor)},
    }
