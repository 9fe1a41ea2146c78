"""Full-text search on both engines, for tables that keep two case-folded columns:
``search_title`` (the name or title: a hit there ranks first) and ``search_text`` (everything
searchable, the title included).

- PostgreSQL: a GIN expression index ``ix_<table>_fulltext`` on
  ``setweight(to_tsvector('simple', search_title), 'A') || setweight(to_tsvector('simple',
  search_text), 'B')``; ``websearch_to_tsquery('simple', …)`` and ``ts_rank`` order. The 'simple'
  configuration only splits words (there is no Tajik stemmer), so a word matches a whole word.
- SQLite: an FTS5 table ``<table>_fts`` with external content (the table itself), kept in sync by
  three triggers; ``MATCH`` and ``bm25`` order (the title weighs ten times the text).

Text is folded in Python (NFKC, ``str.casefold``) before it is stored and before it is searched,
so neither the server's locale nor the engine decides whether ``Ҷ`` finds ``ҷ``.

What a person types is read like a web search on both engines: words must all be present,
``"several words"`` is a phrase, ``or`` between two words accepts either, ``-word`` excludes.
Nothing else is syntax: each word reaches FTS5 quoted, so ``*``, ``NEAR(``, ``"`` or a lone ``-``
can never make a query fail. A query with no word to look for filters nothing.

Migrations call ``create_index(table)`` / ``drop_index(table)``; ``is_index_object(name)`` tells the
schema comparison which objects are these (they are not in the models).
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import Float, Integer, bindparam, column, func, literal_column, text
from sqlalchemy.dialects.postgresql import TSVECTOR

from fundapp.extensions import db

TITLE, TEXT = "search_title", "search_text"
MAX_QUERY = 200  # characters of a query that are read
MAX_TERMS = 12
TITLE_WEIGHT = 10.0  # SQLite bm25: a title hit against a text hit

_ITEM = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORDY = re.compile(r"[^\W_]")


def fold(value: str | None) -> str:
    """The form in which text is stored and searched: NFKC, then case-folded."""
    return unicodedata.normalize("NFKC", value or "").casefold()


def parse(q: str | None) -> tuple[list[list[str]], list[str]]:
    """A web-search query as ``(groups, excluded)``: every group must match (any one of its
    terms), no excluded term may. Terms are folded; a term of several words is a phrase."""
    groups: list[list[str]] = []
    excluded: list[str] = []
    join_next = False
    count = 0
    for m in _ITEM.finditer(fold(q)[:MAX_QUERY]):
        negated, phrase, word = m.group(1) == "-", m.group(2), m.group(3)
        if word is not None:
            if word == "or":
                join_next = bool(groups)
                continue
            negated = word.startswith("-")
            phrase = word.lstrip("-")
        # words only: punctuation separates, as the engines' tokenizers do
        term = " ".join(re.findall(r"[^\W_]+", phrase))
        if not term or count >= MAX_TERMS:
            continue
        count += 1
        if negated:
            excluded.append(term)
            join_next = False
        elif join_next:
            groups[-1].append(term)
            join_next = False
        else:
            groups.append([term])
    return groups, excluded


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts5_query(groups: list[list[str]], excluded: list[str]) -> str:
    """An FTS5 MATCH expression in which every term is a quoted string."""
    query = " AND ".join("(" + " OR ".join(_quoted(t) for t in g) + ")" for g in groups)
    for term in excluded:
        query = f"({query}) NOT {_quoted(term)}"
    return query


def websearch_query(groups: list[list[str]], excluded: list[str]) -> str:
    """The same query, rewritten for ``websearch_to_tsquery`` with only words and quotes."""
    parts = [" or ".join(f'"{t}"' for t in g) for g in groups]
    parts += [f'-"{t}"' for t in excluded]
    return " ".join(parts)


def vector_sql(table: str, *, qualified: bool = True) -> str:
    """The indexed tsvector expression (the query must repeat it for the index to be used)."""
    prefix = f"{table}." if qualified else ""
    return (
        f"(setweight(to_tsvector('simple'::regconfig, {prefix}{TITLE}), 'A') || "
        f"setweight(to_tsvector('simple'::regconfig, {prefix}{TEXT}), 'B'))"
    )


def search(query, model, q: str | None):
    """``query`` (a select of ``model``) narrowed to the rows matching ``q``, best first; the
    caller's own ``order_by`` then breaks ties. Unchanged when ``q`` has no word to look for."""
    groups, excluded = parse(q)
    if not groups:
        return query
    table = model.__table__.name
    if db.session.get_bind().dialect.name == "postgresql":
        vector = literal_column(vector_sql(table), type_=TSVECTOR)
        tsquery = func.websearch_to_tsquery(
            literal_column("'simple'::regconfig"), bindparam(None, websearch_query(groups, excluded))
        )
        return query.where(vector.op("@@")(tsquery)).order_by(func.ts_rank(vector, tsquery).desc())
    fts = f"{table}_fts"
    hits = (
        text(
            f"SELECT rowid AS id, bm25({fts}, {TITLE_WEIGHT}, 1.0) AS rank "  # noqa: S608 - names of the code
            f"FROM {fts} WHERE {fts} MATCH :fts_query"
        )
        .bindparams(fts_query=fts5_query(groups, excluded))
        .columns(column("id", Integer), column("rank", Float))
        .subquery(f"{fts}_hits")
    )
    return query.join(hits, hits.c.id == model.id).order_by(hits.c.rank.asc())


# -- migrations ---------------------------------------------------------------------------------


def is_index_object(name: str | None) -> bool:
    """Tables, triggers and indexes made by ``create_index`` (not described by the models)."""
    return bool(name) and (name.endswith("_fulltext") or re.search(r"_fts(_\w+)?$", name) is not None)


def create_index(table: str) -> None:
    """Create the index of ``table`` on the active engine and fill it from the existing rows."""
    from alembic import op

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE INDEX ix_{table}_fulltext ON {table} USING gin ({vector_sql(table, qualified=False)})"
        )
        return
    fts, cols = f"{table}_fts", f"{TITLE}, {TEXT}"
    new, old = f"new.{TITLE}, new.{TEXT}", f"old.{TITLE}, old.{TEXT}"
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 0')"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "  # noqa: S608 - names of the code
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "  # noqa: S608 - names of the code
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF id, {cols} ON {table} BEGIN "  # noqa: S608 - names of the code
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608 - names of the code


def drop_index(table: str) -> None:
    from alembic import op

    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_fulltext")
        return
    fts = f"{table}_fts"
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS {fts}_{trigger}")
    op.execute(f"DROP TABLE IF EXISTS {fts}")
