"""The read side of the store: what ``stats``, ``search``, ``copies``, ``show``, ``export``
and ``runs`` ask of it.

SQLAlchemy Core expressions over the models in newscrawl/store/schema.py, so one query layer
serves SQLite and PostgreSQL; full-text search differs between them, and that part is in
newscrawl/store/backends.py. Listings are streamed: rows are read from the cursor as they
are printed, so memory stays flat however large the store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import aliased

from newscrawl.crawl.outcome import failed_sources, summarize_run
from newscrawl.crawl.urls import normalize_url
from newscrawl.store import backends
from newscrawl.store.schema import ARTICLES, CRAWL_RUNS, ArticleRow, ArticleUrlRow

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from sqlalchemy.engine import Connection, Dialect, Engine
    from sqlalchemy.sql import Select
    from sqlalchemy.sql.elements import ColumnElement

A = ARTICLES.c
R = CRAWL_RUNS.c
RUN_LIST_COLUMNS: Final = ("id", "spider", "started_at", "finished_at", "status")
EXPORT_COLUMNS: Final = tuple(c.name for c in ARTICLES.columns)
SEARCH_COLUMNS: Final = ("id", "source", "published_at", "title", "url", "snippet")
COPY_COLUMNS: Final = (
    "story_id", "article_id", "kind", "similarity", "source", "published_at", "title", "url",
)  # fmt: skip


class QueryError(ValueError):
    """A query the user gave cannot run; the message says why."""


@dataclass(frozen=True)
class Filters:
    """What narrows a listing of articles; instants are aware datetimes."""

    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    include_duplicates: bool = False

    def clauses(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.source:
            found.append(A.source == self.source)
        # published_at holds one fixed-width UTC form, and the column type writes the
        # bound instant in that same form: the comparison is between instants.
        if self.since:
            found.append(A.published_at >= self.since)
        if self.until:
            found.append(A.published_at <= self.until)
        if not self.include_duplicates:
            found.append(A.duplicate_of.is_(None))
        return found


@dataclass(frozen=True)
class Listing:
    """Column names, known before any row is read (a CSV header needs them), and the rows."""

    columns: tuple[str, ...]
    rows: Iterator[dict[str, Any]]


def stream(engine: Engine, statement: Select[Any]) -> Listing:
    """Runs ``statement`` now (errors surface here) and yields its rows as they are read."""
    conn = engine.connect()
    try:
        result = conn.execution_options(yield_per=1000).execute(statement)
    except BaseException:
        conn.close()
        raise

    def rows() -> Iterator[dict[str, Any]]:
        try:
            for row in result.mappings():
                yield dict(row)
        finally:
            conn.close()

    return Listing(tuple(result.keys()), rows())


def stats_statement() -> Select[Any]:
    return (
        select(
            A.source,
            func.count().label("articles"),
            (func.count() - func.count(A.duplicate_of)).label("stories"),
            func.count(A.duplicate_of).label("duplicates"),
            func.min(A.published_at).label("first_published"),
            func.max(A.published_at).label("last_published"),
            func.max(A.last_seen_at).label("last_seen"),
        )
        .group_by(A.source)
        .order_by(A.source)
    )


def stats(engine: Engine) -> Listing:
    return stream(engine, stats_statement())


def search_statement(dialect: str, query: str, limit: int, filters: Filters) -> Select[Any]:
    found = backends.search(dialect, query)
    return (
        select(A.id, A.source, A.published_at, A.title, A.url, found.snippet.label("snippet"))
        .select_from(found.source)
        .where(found.matches, *filters.clauses())
        .order_by(*found.best_first)
        .limit(limit)
    )


def search(
    engine: Engine, query: str, *, limit: int = 20, filters: Filters | None = None
) -> Listing:
    """Full-text matches, best first, in the backend's search syntax (FTS5 on SQLite,
    websearch on PostgreSQL); plain words always work."""
    filters = filters or Filters()
    dialect = engine.dialect.name
    for attempt in (query, backends.plain_words(query)):
        try:
            return stream(engine, search_statement(dialect, attempt, limit, filters))
        except OperationalError as exc:
            error = exc
    raise QueryError(f"cannot search for {query!r}: {error.orig}")


def show_sql(statement: Select[Any], dialect: Dialect) -> str:
    """The SQL of a statement with its values written in, for ``--sql``."""
    return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def find_article(conn: Connection, reference: str) -> int | None:
    """The id of the article ``reference`` names: its id, or any address of it.

    Addresses are normalised as the crawl normalises them (tracking and AMP parameters,
    AMP-cache links ...) and looked up among the identity URLs and every known alias.
    """
    reference = reference.strip()
    if reference.isdigit():
        return conn.execute(select(A.id).where(A.id == int(reference))).scalar()
    try:
        address = normalize_url(reference)
    except ValueError:
        return None
    found = conn.execute(select(A.id).where(A.url.in_({address, reference}))).scalar()
    if found is None:
        found = conn.execute(
            select(ArticleUrlRow.article_id).where(ArticleUrlRow.url.in_({address, reference}))
        ).scalar()
    return found


def copies_statement(article_id: int) -> Select[Any]:
    copy, story = aliased(ArticleRow), aliased(ArticleRow)
    story_of = func.coalesce(ArticleRow.duplicate_of, ArticleRow.id)
    wanted = select(story_of).where(ArticleRow.id == article_id).scalar_subquery()
    columns: list[Any] = [
        story.id.label("story_id"),
        copy.id.label("article_id"),
        func.coalesce(copy.duplicate_kind, "original").label("kind"),
        copy.duplicate_similarity.label("similarity"),
        copy.source,
        copy.published_at,
        copy.title,
        copy.url,
    ]
    return (
        select(*columns)
        .join_from(copy, story, story.id == func.coalesce(copy.duplicate_of, copy.id))
        .where(story.id == wanted)
        .order_by(copy.duplicate_of.is_not(None), copy.first_seen_at)
    )


def copies(engine: Engine, reference: str) -> Listing | None:
    """Every copy of the story the article belongs to, original first; None if unknown."""
    with engine.connect() as conn:
        article_id = find_article(conn, reference)
    return None if article_id is None else stream(engine, copies_statement(article_id))


def article(engine: Engine, reference: str) -> dict[str, Any] | None:
    """One article with every column, its other addresses and the copies of its story."""
    with engine.connect() as conn:
        article_id = find_article(conn, reference)
        if article_id is None:
            return None
        row = conn.execute(select(ARTICLES).where(A.id == article_id)).mappings().one()
        addresses = conn.execute(
            select(ArticleUrlRow.url)
            .where(ArticleUrlRow.article_id == article_id)
            .order_by(ArticleUrlRow.first_seen_at, ArticleUrlRow.url)
        ).scalars()
        found = {**row, "addresses": list(addresses)}
        found["copies"] = [dict(r) for r in conn.execute(copies_statement(article_id)).mappings()]
    return found


def export_statement(filters: Filters) -> Select[Any]:
    return select(ARTICLES).where(*filters.clauses()).order_by(A.id)


def export_rows(engine: Engine, filters: Filters | None = None) -> Listing:
    return stream(engine, export_statement(filters or Filters()))


def runs(engine: Engine, limit: int = 10) -> list[dict[str, Any]]:
    """Recent runs with their summary counts and failed sources (``name: why; ...``)."""
    with engine.connect() as conn:
        statement = select(*(R[c] for c in RUN_LIST_COLUMNS), R.stats)
        rows = [
            dict(r) for r in conn.execute(statement.order_by(R.id.desc()).limit(limit)).mappings()
        ]
    for row in rows:
        stats = _decoded(row.pop("stats"))
        row.update(summarize_run(stats))
        failed = [f"{k}: {v}" for k, v in failed_sources(stats).items()]
        if stats.get("newscrawl/argument_error"):
            failed.insert(0, f"arguments: {stats['newscrawl/argument_error']}")
        row["failed"] = "; ".join(failed)
    return rows


def run(engine: Engine, run_id: int) -> dict[str, Any] | None:
    """One run's row with its full stats decoded, or None."""
    with engine.connect() as conn:
        columns = (*RUN_LIST_COLUMNS, "finish_reason", "arguments", "stats")
        row = conn.execute(select(*(R[c] for c in columns)).where(R.id == run_id)).mappings()
        found = row.first()
    if found is None:
        return None
    data = dict(found)
    for key in ("arguments", "stats"):
        data[key] = _decoded(data[key])
    return data


def _decoded(value: Any) -> dict[str, Any]:
    decoded = json.loads(value) if isinstance(value, str) else value
    return decoded if isinstance(decoded, dict) else {}
