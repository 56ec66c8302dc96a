"""Everything that differs between the store's two backends, SQLite and PostgreSQL.

The rest of the code speaks SQLAlchemy Core and works on both. Here: the full-text index
(SQLite's FTS5 table and triggers, PostgreSQL's generated ``tsvector`` column and GIN index)
and the search over it (match, rank, snippet), the views, rebuilding the index, and how a
reader's connection is made read-only. docs/schema.md describes the differences.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
    event,
    func,
    insert,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import TSVECTOR

from newscrawl.store.engine import BUSY_TIMEOUT_MS, sqlite_path
from newscrawl.store.migrations.frozen_ddl import SQLITE_FTS_DDL, SQLITE_VIEWS_DDL
from newscrawl.store.schema import ARTICLES

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Table
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.sql import FromClause
    from sqlalchemy.sql.dml import Insert
    from sqlalchemy.sql.elements import ColumnElement

POSTGRESQL: Final = "postgresql"
A = ARTICLES.c
HIGHLIGHT: Final = ("[", "]")
SNIPPET_WORDS: Final = 24

# --- schema

# PostgreSQL's text-search configuration. 'simple' lower-cases words and does nothing else:
# news comes in many languages, and a language's stemmer and stop words ('english' ...)
# would mangle the others. SQLite's FTS5 index stems English (porter); see docs/schema.md.
TEXT_SEARCH_CONFIG: Final = "simple"
SEARCH_COLUMN: Final = "search_vector"
SEARCH_INDEX: Final = "ix_articles_search_vector"
_SEARCHED_TEXT: Final = "coalesce(title, '') || ' ' || coalesce(text, '')"

POSTGRESQL_DDL: Final = (
    # Generated, so it can never disagree with the row: no trigger to keep in step.
    f"""ALTER TABLE articles ADD COLUMN {SEARCH_COLUMN} tsvector GENERATED ALWAYS AS
        (to_tsvector('{TEXT_SEARCH_CONFIG}', {_SEARCHED_TEXT})) STORED""",
    f"CREATE INDEX {SEARCH_INDEX} ON articles USING GIN ({SEARCH_COLUMN})",
    # Named columns, not *: the search column is the index's business, not the analysts'.
    "CREATE VIEW stories AS SELECT "
    + ", ".join(c.name for c in ARTICLES.columns)
    + " FROM articles WHERE duplicate_of IS NULL",
    SQLITE_VIEWS_DDL[1].replace("CREATE VIEW IF NOT EXISTS", "CREATE VIEW"),
)


def extra_ddl(dialect: str) -> tuple[str, ...]:
    """What a fresh store needs beyond the tables ``create_all`` makes."""
    if dialect == POSTGRESQL:
        return POSTGRESQL_DDL
    return (*SQLITE_FTS_DDL, *SQLITE_VIEWS_DDL)


def rebuild_fulltext(conn: Connection) -> str:
    """Rebuild the full-text index from the stored articles; says what it did."""
    if conn.dialect.name == POSTGRESQL:
        # The column is generated with each row, so only the index can be damaged.
        conn.execute(text(f"REINDEX INDEX {SEARCH_INDEX}"))
        return f"full text (REINDEX of {SEARCH_INDEX})"
    conn.execute(insert(articles_fts).values({articles_fts.c.articles_fts: "rebuild"}))
    return "full text"


# --- reading

# SQLite's FTS5 table. Not in Base.metadata: create_all must not make it a plain table.
articles_fts: Final = Table(
    "articles_fts",
    MetaData(),
    Column("rowid", Integer),
    Column("title", Text),
    Column("text", Text),
    Column("articles_fts", Text),  # FTS5's hidden column named after the table: MATCH target
    Column("rank", Float),  # FTS5's hidden bm25 rank: lower is better
)


@dataclass(frozen=True)
class Search:
    """A full-text search's parts: what to select from, the match, the order, the snippet."""

    source: FromClause
    matches: ColumnElement[bool]
    best_first: tuple[ColumnElement[Any], ...]
    snippet: ColumnElement[str]


def search(dialect: str, query: str) -> Search:
    """``query`` in the backend's search syntax: websearch on PostgreSQL, FTS5 on SQLite."""
    articles = ARTICLES
    if dialect == POSTGRESQL:
        config: ColumnElement[Any] = literal_column(f"'{TEXT_SEARCH_CONFIG}'::regconfig")
        wanted = func.websearch_to_tsquery(config, query)
        document = literal_column(f"articles.{SEARCH_COLUMN}", TSVECTOR)
        options = (
            f"StartSel={HIGHLIGHT[0]}, StopSel={HIGHLIGHT[1]}, MaxWords={SNIPPET_WORDS}, "
            f'MinWords={SNIPPET_WORDS // 2}, MaxFragments=1, FragmentDelimiter=" … "'
        )
        return Search(
            source=articles,
            matches=document.op("@@")(wanted),
            best_first=(func.ts_rank(document, wanted).desc(), A.id),
            # Around the best hit in the text (the title is a column of its own).
            snippet=func.ts_headline(config, A.text, wanted, options, type_=Text),
        )
    fts = articles_fts
    return Search(
        source=fts.join(articles, A.id == fts.c.rowid),
        matches=fts.c.articles_fts.op("MATCH")(query),
        best_first=(fts.c.rank,),
        # Words around the best hit of the best column (title or text).
        snippet=func.snippet(
            literal_column("articles_fts"), -1, *HIGHLIGHT, " … ", SNIPPET_WORDS, type_=Text
        ),
    )


def plain_words(query: str) -> str:
    """Each word as an FTS5 string, so punctuation in user input is not syntax.

    PostgreSQL's websearch syntax accepts any input, so only SQLite needs this retry.
    """
    words = [w.replace('"', '""') for w in query.split()]
    return " ".join(f'"{w}"' for w in words) or '""'


# --- connecting


def _writable(path: Any) -> bool:
    """Writable, and meant to be: a file without write bits counts as read-only, for root too."""
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)


def readonly_url(url: str, *, probe: bool = False) -> str:
    """The URL that opens a SQLite file without ever writing it; other URLs unchanged.

    ``mode=ro`` lets SQLite create the -wal/-shm files a WAL store needs for consistent
    reads beside a running crawl. Where it cannot (a read-only file or folder), nobody can
    be writing the store either, so it is read as ``immutable``. A ``probe`` (a glance at
    the catalogue of a file that may not be ours) reads it as immutable too, unless a writer
    is live, so it leaves no -wal/-shm behind.
    """
    path = sqlite_path(url)
    if path is None:
        return url
    writable = _writable(path) and _writable(path.parent)
    live_wal = path.with_name(path.name + "-wal").exists()
    flag = "mode=ro" if live_wal or (writable and not probe) else "immutable=1"
    return f"sqlite:///file:{quote(str(path))}?{flag}&uri=true"


def readonly_connect_args(dialect: str) -> dict[str, Any]:
    """PostgreSQL refuses every write in a session that starts read-only."""
    if dialect == POSTGRESQL:
        return {"options": "-c default_transaction_read_only=on"}
    return {}


def sqlite_reader_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # No mmap for readers: an export or a search scans much of the file, and mapped pages
    # count in the process's memory, which would then grow with the store's size.
    dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def connect_timeout_args(dialect: str) -> dict[str, Any]:
    """A server that does not answer is an error after 10 s, not a hang."""
    return {"connect_timeout": 10} if dialect == POSTGRESQL else {}


# --- writing -----------------------------------------------------------------------------------
# The execution option that marks a connection's next transaction as a writer's.
_WRITE_LOCK: Final = "newscrawl_write_lock"
# The one PostgreSQL advisory lock every newscrawl writer takes: any fixed 64-bit number works,
# as long as every process uses the same one ("news" in ASCII).
ADVISORY_LOCK_KEY: Final = 0x6E657773


def serialise_writers(engine: Engine) -> None:
    """Let :func:`write_transaction` take SQLite's write lock when it begins.

    SQLite's driver begins its transactions itself, at the first write, as ``BEGIN``
    (deferred); SQLAlchemy then cannot choose ``BEGIN IMMEDIATE``. Here the driver stays out
    of it and every transaction is begun explicitly. PostgreSQL needs nothing at connect.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        writing = conn.get_execution_options().get(_WRITE_LOCK, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the store's write lock from its first statement to commit.

    Two crawler processes writing one store then decide duplicates one after the other, so
    two copies of a story can never both see no original and both become one. On SQLite the
    lock is ``BEGIN IMMEDIATE`` (the engine must come from :func:`serialise_writers`'s
    ``make_engine(..., writer=True)``); on PostgreSQL a transaction-scoped advisory lock,
    released at commit or rollback. PostgreSQL's READ COMMITTED isolation gives each
    statement a fresh snapshot, so once the lock is held every earlier writer's rows are
    visible.
    """
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE_LOCK: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
            yield conn


def insert_ignoring_duplicates(conn: Connection, table: Table) -> Insert:
    """``INSERT`` that skips rows whose key is already stored, in the dialect's spelling."""
    return _insert_ignoring(conn.dialect.name, table)


@cache  # built once per table: it runs for every stored article
def _insert_ignoring(dialect: str, table: Table) -> Insert:
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"newscrawl does not write to {dialect} databases")
