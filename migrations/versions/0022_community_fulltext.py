"""Full-text search for the community's directory, specialists, needs and library

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02

Each searched table gains ``search_title``, its case-folded name or title (a hit there ranks
first), beside ``search_text``. PostgreSQL gets a GIN index over their weighted tsvector ('simple'
configuration); SQLite an FTS5 table with external content kept in sync by triggers
(``fundapp.core.fulltext``). Existing rows are filled in.
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

from fundapp.core.fulltext import create_index, drop_index

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# table -> the column whose text becomes the title ("search_text" where there is none)
TABLES = {
    "organisations": "name",
    "community_resources": "title",
    "specialist_profiles": "search_text",
    "specialist_needs": "role",
}


def _fold(value):
    return unicodedata.normalize("NFKC", value or "").casefold()


def upgrade():
    bind = op.get_bind()
    for table, source in TABLES.items():
        op.add_column(table, sa.Column("search_title", sa.Text(), nullable=False, server_default=""))
        rows = bind.execute(sa.text(f"SELECT id, {source} FROM {table}")).all()  # noqa: S608 - constants
        for row_id, value in rows:
            bind.execute(
                sa.text(f"UPDATE {table} SET search_title = :t WHERE id = :id"),  # noqa: S608 - constants
                {"t": _fold(value), "id": row_id},
            )
        create_index(table)


def downgrade():
    for table in TABLES:
        drop_index(table)
        op.drop_column(table, "search_title")
