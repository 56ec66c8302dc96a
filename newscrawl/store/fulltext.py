"""The query side of full-text search, and the only SQLite FTS5-specific part of it.

The index itself (``articles_fts``, its triggers) is declared in newscrawl/store/schema.py. Another
backend's search would replace what this module returns: the table to join, the match
condition, the ranking and the snippet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sqlalchemy import Column, Float, Integer, MetaData, Table, Text, func, literal_column

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import ColumnElement

# Not in db.Base.metadata: create_all must not make it a plain table.
articles_fts: Final = Table(
    "articles_fts",
    MetaData(),
    Column("rowid", Integer),
    Column("title", Text),
    Column("text", Text),
    Column("articles_fts", Text),  # FTS5's hidden column named after the table: MATCH target
    Column("rank", Float),  # FTS5's hidden bm25 rank: lower is better
)
HIGHLIGHT: Final = ("[", "]")
SNIPPET_TOKENS: Final = 24


def matches(query: str) -> ColumnElement[bool]:
    return articles_fts.c.articles_fts.op("MATCH")(query)


def rank() -> ColumnElement[float]:
    return articles_fts.c.rank


def snippet() -> ColumnElement[str]:
    """Words around the best hit of the best column (title or text), hits in [brackets]."""
    return func.snippet(
        literal_column("articles_fts"), -1, *HIGHLIGHT, " … ", SNIPPET_TOKENS, type_=Text
    )


def quote_terms(query: str) -> str:
    """Each word as an FTS5 string, so punctuation in user input is not syntax."""
    words = [w.replace('"', '""') for w in query.split()]
    return " ".join(f'"{w}"' for w in words) or '""'
