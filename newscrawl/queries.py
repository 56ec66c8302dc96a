"""The read side of the store: the SQL behind ``newscrawl stats``, ``search``, ``runs``,
``copies`` and ``export``. Plain SQL over the documented schema, so analysts can copy it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from newscrawl.outcome import failed_sources, summarize_run

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.engine import Engine

STATS_SQL: Final = """
SELECT source,
       COUNT(*) AS articles,
       SUM(duplicate_of IS NULL) AS stories,
       SUM(duplicate_of IS NOT NULL) AS duplicates,
       MIN(published_at) AS first_published,
       MAX(published_at) AS last_published,
       MAX(last_seen_at) AS last_seen
FROM articles
GROUP BY source
ORDER BY source
"""

SEARCH_SQL: Final = """
SELECT a.id, a.source, a.published_at, a.title, a.url,
       snippet(articles_fts, 1, '[', ']', ' … ', 16) AS snippet
FROM articles_fts
JOIN articles a ON a.id = articles_fts.rowid
WHERE articles_fts MATCH :query {filters}
ORDER BY rank
LIMIT :limit
"""

RUNS_SQL: Final = """
SELECT id, spider, started_at, finished_at, status, stats
FROM crawl_runs ORDER BY id DESC LIMIT :limit
"""

RUN_SQL: Final = """
SELECT id, spider, started_at, finished_at, status, finish_reason, arguments, stats
FROM crawl_runs WHERE id = :id
"""

COPIES_SQL: Final = """
SELECT story_id, article_id, kind, similarity, source, published_at, title, url
FROM story_copies
WHERE story_id = (SELECT COALESCE(duplicate_of, id) FROM articles WHERE id = :id OR url = :url)
ORDER BY kind != 'original', first_seen_at
"""

EXPORT_COLUMNS: Final = (
    "id", "url", "canonical_url", "source", "domain", "title", "author", "published_at",
    "modified_at", "language", "description", "sitename", "categories", "tags", "image",
    "text", "word_count", "content_hash", "duplicate_of", "duplicate_kind",
    "duplicate_similarity", "first_seen_at", "last_seen_at",
)  # fmt: skip


class QueryError(ValueError):
    """A query the user gave cannot run; the message says why."""


def article_filters(
    source: str | None, since: str | None, include_duplicates: bool, prefix: str = ""
) -> tuple[str, dict[str, Any]]:
    clauses, params = [], {}
    if source:
        clauses.append(f"{prefix}source = :source")
        params["source"] = source
    if since:
        clauses.append(f"{prefix}published_at >= :since")
        params["since"] = since
    if not include_duplicates:
        clauses.append(f"{prefix}duplicate_of IS NULL")
    return "".join(f" AND {c}" for c in clauses), params


def stats(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(STATS_SQL))]


def search_sql(
    source: str | None, since: str | None, include_duplicates: bool
) -> tuple[str, dict[str, Any]]:
    filters, params = article_filters(source, since, include_duplicates, prefix="a.")
    return SEARCH_SQL.format(filters=filters), params


def search(
    engine: Engine,
    query: str,
    *,
    limit: int = 20,
    source: str | None = None,
    since: str | None = None,
    include_duplicates: bool = False,
) -> list[dict[str, Any]]:
    """Full-text matches, best first. FTS5 syntax works; plain words are also accepted."""
    sql, params = search_sql(source, since, include_duplicates)
    params["limit"] = limit
    with engine.connect() as conn:
        for attempt in (query, quote_terms(query)):
            try:
                rows = conn.execute(text(sql), {**params, "query": attempt})
                return [dict(r._mapping) for r in rows]
            except OperationalError as exc:
                error = exc
    raise QueryError(f"cannot search for {query!r}: {error.orig}")


def quote_terms(query: str) -> str:
    """Each word as an FTS5 string, so punctuation in user input is not syntax."""
    words = [w.replace('"', '""') for w in query.split()]
    return " ".join(f'"{w}"' for w in words) or '""'


def runs(engine: Engine, limit: int = 10) -> list[dict[str, Any]]:
    """Recent runs with their summary counts and failed sources (``name: why; ...``)."""
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(text(RUNS_SQL), {"limit": limit})]
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
        row = conn.execute(text(RUN_SQL), {"id": run_id}).first()
    if row is None:
        return None
    data = dict(row._mapping)
    for key in ("arguments", "stats"):
        data[key] = _decoded(data[key])
    return data


def _decoded(value: Any) -> dict[str, Any]:
    decoded = json.loads(value) if isinstance(value, str) else value
    return decoded if isinstance(decoded, dict) else {}


def copies(engine: Engine, story: str) -> list[dict[str, Any]]:
    ident = int(story) if story.isdigit() else -1
    with engine.connect() as conn:
        return [
            dict(r._mapping) for r in conn.execute(text(COPIES_SQL), {"id": ident, "url": story})
        ]


def export_rows(
    engine: Engine,
    *,
    source: str | None = None,
    since: str | None = None,
    include_duplicates: bool = False,
) -> Iterator[dict[str, Any]]:
    filters, params = article_filters(source, since, include_duplicates)
    sql = f"SELECT {', '.join(EXPORT_COLUMNS)} FROM articles WHERE 1=1{filters} ORDER BY id"
    with engine.connect() as conn:
        for row in conn.execute(text(sql), params):
            data = dict(row._mapping)
            for key in ("categories", "tags"):
                if isinstance(data[key], str):
                    data[key] = json.loads(data[key])
            yield data
