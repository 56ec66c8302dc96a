"""Re-extraction of the kept pages (``newscrawl reextract``): after an extractor upgrade,
the stored articles are brought up to date without crawling again.

Each kept page goes through :func:`newscrawl.extraction.extract.extract_article` as in a
crawl, and the fields extraction produces are written back when they differ. Identity
(``url``), source, duplicate decisions and earlier versions stay as they are: a new
extraction of the same page is not an edit at the source, so it replaces the current text
without a version.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select, update

from newscrawl.dedupe.fingerprint import content_hash
from newscrawl.dedupe.index import NearDuplicateIndex
from newscrawl.extraction.article import Article
from newscrawl.extraction.extract import extract_article
from newscrawl.store.backends import write_transaction
from newscrawl.store.pages import CorruptPageError, page_body
from newscrawl.store.schema import ArticlePageRow, ArticleRow, format_timestamp

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.engine import Connection, Engine

logger = logging.getLogger(__name__)

# What extraction decides about an article; everything else is the crawl's or the store's.
EXTRACTED: Final = (
    "canonical_url", "title", "author", "published_at", "modified_at", "language",
    "description", "sitename", "categories", "tags", "image", "text", "word_count",
)  # fmt: skip
PAGE_DATES: Final = ("published_at", "modified_at")
BATCH: Final = 200  # pages per transaction


@dataclass(slots=True)
class Report:
    pages: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: Counter[str] = field(default_factory=Counter)  # by extraction failure reason

    def line(self) -> str:
        failed = sum(self.failed.values())
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(self.failed.items()))
        return (
            f"Re-extracted {self.pages} pages: {self.changed} changed, "
            f"{self.unchanged} unchanged, {failed} failed" + (f" ({reasons})" if reasons else "")
        )


def reextract(
    engine: Engine,
    *,
    since: datetime | None = None,
    source: str | None = None,
    min_words: int = 50,
    index: NearDuplicateIndex | None = None,
) -> Report:
    """Re-extract the kept pages (fetched on or after ``since``, of ``source``)."""
    index = index or NearDuplicateIndex()
    report = Report()
    last_id = 0
    while True:
        with write_transaction(engine) as conn:
            rows = conn.execute(_batch_query(last_id, since, source)).all()
            for row in rows:
                _reextract_one(conn, row, min_words, index, report)
        if not rows:
            return report
        last_id = rows[-1].article_id


def _batch_query(last_id: int, since: datetime | None, source: str | None) -> Any:
    stored = (getattr(ArticleRow, name) for name in (*EXTRACTED, "duplicate_of", "content_hash"))
    query = (
        select(
            ArticlePageRow.article_id,
            ArticlePageRow.url.label("page_url"),
            ArticlePageRow.body,
            *stored,
        )
        .join(ArticleRow, ArticleRow.id == ArticlePageRow.article_id)
        .where(ArticlePageRow.article_id > last_id)
        .order_by(ArticlePageRow.article_id)
        .limit(BATCH)
    )
    if since is not None:
        query = query.where(ArticlePageRow.fetched_at >= since)
    if source is not None:
        query = query.where(ArticleRow.source == source)
    return query


def _reextract_one(
    conn: Connection, row: Any, min_words: int, index: NearDuplicateIndex, report: Report
) -> None:
    report.pages += 1
    try:
        html = page_body(row.body)
    except CorruptPageError as exc:
        report.failed["corrupt_page"] += 1
        logger.warning("Article %s's kept page is not re-extracted: %s", row.article_id, exc)
        return
    result = extract_article(html, row.page_url, min_words=min_words)
    if not isinstance(result, Article):
        # The stored article stays as it is: a failure now is no reason to lose it.
        report.failed[result.reason] += 1
        logger.info("Re-extraction of article %s failed: %s", row.article_id, result.reason)
        return
    fresh = result.as_dict()
    values = {
        name: fresh[name]
        for name in EXTRACTED
        if _comparable(name, fresh[name]) != _comparable(name, getattr(row, name))
    }
    if not values:
        report.unchanged += 1
        return
    digest = content_hash(result.text)
    values["content_hash"] = digest
    if row.duplicate_of is None and digest != row.content_hash:
        index.remove(conn, row.article_id)
        index.add(conn, row.article_id, index.signature(result.text))
    conn.execute(update(ArticleRow).where(ArticleRow.id == row.article_id).values(**values))
    report.changed += 1


def _comparable(name: str, value: Any) -> Any:
    if name in PAGE_DATES and value is not None:
        try:
            return format_timestamp(value)  # the stored spelling of the same instant
        except ValueError:
            return value
    return list(value) if isinstance(value, (list, tuple)) else value
