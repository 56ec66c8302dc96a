"""The store's schema: tables, views, the full-text index, and the column types they use.

The store pipelines and the CLI both build on this module; docs/schema.md describes it for
analysts. SQLite gets FTS5 kept in sync by triggers, and plain tables so that sqlite3,
sqlite-utils and datasette can read the store directly. Opening a store is
:mod:`newscrawl.store.engine`'s job.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection, Dialect
    from sqlalchemy.types import TypeEngine

# Every timestamp column holds this one ISO 8601 UTC form. Fixed width (microseconds always
# written), so comparing and sorting the text is comparing and sorting the instants.
TIMESTAMP_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.%fZ"
_SQLITE_STORAGE: Final = (
    "%(year)04d-%(month)02d-%(day)02dT%(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06dZ"
)
_SQLITE_PARSE: Final = r"(\d+)-(\d+)-(\d+)[T ](\d+):(\d+):(\d+)(?:\.(\d{6}))?"


def as_utc(value: datetime | str) -> datetime:
    """An aware UTC datetime from a datetime or ISO 8601 text; naive means UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_timestamp(value: datetime | str) -> str:
    """The stored text of a timestamp (``2024-05-01T09:30:00.000000Z``)."""
    return as_utc(value).strftime(TIMESTAMP_FORMAT)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes; SQLite stores them in :data:`TIMESTAMP_FORMAT`."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            stored = sqlite.DATETIME(  # type: ignore[no-untyped-call]
                storage_format=_SQLITE_STORAGE, regexp=_SQLITE_PARSE
            )
            return dialect.type_descriptor(stored)
        return super().load_dialect_impl(dialect)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return as_utc(value) if value is not None else None


class UTCText(TypeDecorator[str]):
    """Dates the pages gave (published, modified): ISO 8601 text in, the stored form out.

    Accepts any ISO 8601 string or aware datetime, so filters compare instants, not the
    spelling a page or a user chose.
    """

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | datetime | None, dialect: Dialect) -> str | None:
        return format_timestamp(value) if value is not None else None


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class ArticleRow(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The identity URL (canonical, normalised): one row per article, ever.
    url: Mapped[str] = mapped_column(String, unique=True)
    # The canonical address the page declared (rel=canonical / og:url), when on the same site.
    canonical_url: Mapped[str | None] = mapped_column(String)
    source: Mapped[str | None] = mapped_column(String, index=True)
    domain: Mapped[str] = mapped_column(String, index=True)
    title: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    # ISO 8601 text in UTC (TIMESTAMP_FORMAT), so it sorts and reads the same everywhere.
    published_at: Mapped[str | None] = mapped_column(UTCText, index=True)
    modified_at: Mapped[str | None] = mapped_column(UTCText)
    language: Mapped[str | None] = mapped_column(String)
    description: Mapped[str | None] = mapped_column(Text)
    sitename: Mapped[str | None] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    image: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    word_count: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    # The id of the first-seen copy when this row is a duplicate, else NULL.
    duplicate_of: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    duplicate_kind: Mapped[str | None] = mapped_column(String)  # "exact" or "near"
    duplicate_similarity: Mapped[float | None] = mapped_column(Float)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticleUrlRow(Base):
    """Every address that led to an article (fetched, redirected, declared canonical)."""

    __tablename__ = "article_urls"

    url: Mapped[str] = mapped_column(String, primary_key=True)  # normalised
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CrawlRunRow(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    spider: Mapped[str] = mapped_column(String)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # running, finished, interrupted, failed or abandoned (its process is gone: see abandoned.py)
    status: Mapped[str] = mapped_column(String, default="running")
    finish_reason: Mapped[str | None] = mapped_column(String)
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The process that ran it, so a later run can tell that it is gone.
    pid: Mapped[int | None] = mapped_column(Integer)
    hostname: Mapped[str | None] = mapped_column(String)
    process_start: Mapped[str | None] = mapped_column(String)


class ValidatorRow(Base):
    """The HTTP validators of a feed or sitemap, sent back so an unchanged one answers 304."""

    __tablename__ = "validators"

    url: Mapped[str] = mapped_column(String, primary_key=True)  # as the run requested it
    etag: Mapped[str | None] = mapped_column(String)
    last_modified: Mapped[str | None] = mapped_column(String)  # the server's HTTP date, as sent
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DuplicateDecisionRow(Base):
    """Why something was judged a copy: kind url, exact or near, with the similarity."""

    __tablename__ = "duplicate_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(String)  # the address that was judged a copy
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )  # the copy's own row (NULL for url duplicates, which get no row)
    original_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String)
    similarity: Mapped[float | None] = mapped_column(Float)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticlePageRow(Base):
    """The fetched page an article's stored text was extracted from, compressed.

    Kept so that ``newscrawl reextract`` can re-run extraction without crawling again;
    ``NEWSCRAWL_KEEP_PAGES`` turns it off.
    """

    __tablename__ = "article_pages"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    url: Mapped[str] = mapped_column(String)  # the address it was fetched from
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    size: Mapped[int] = mapped_column(Integer)  # bytes as fetched
    # The page as fetched, compressed: a Zstandard frame, or a zlib stream in rows written by
    # earlier newscrawl (newscrawl/store/pages.py reads both).
    body: Mapped[bytes] = mapped_column(LargeBinary)


class ArticleVersionRow(Base):
    """An earlier title and text of an article, kept when a later crawl found them changed.

    The current version is the ``articles`` row; this table holds the ones it replaced.
    """

    __tablename__ = "article_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    word_count: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    modified_at: Mapped[str | None] = mapped_column(UTCText)  # as the page declared it
    # When crawls first met this version, and when a crawl found it replaced.
    seen_from: Mapped[datetime] = mapped_column(UTCDateTime)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LshBucketRow(Base):
    """The near-duplicate index: one row per (band, bucket) of each original's signature.

    A lookup reads a handful of buckets through the primary key, so its cost does not grow
    with the number of stored articles.
    """

    __tablename__ = "lsh_buckets"
    __table_args__ = ({"sqlite_with_rowid": False},)

    band: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # No foreign key on purpose: a cascade would scan this whole table for every deleted
    # article, and an index to avoid that scatters the lookup pages. Rows of a deleted
    # article are harmless (lookups join articles) and `newscrawl reindex` drops them.
    article_id: Mapped[int] = mapped_column(Integer, primary_key=True)


Index("ix_articles_source_published", ArticleRow.source, ArticleRow.published_at)

# The Core tables, for statements on them: the write path's are built once at import and
# run for every article, and an ORM-enabled statement (``insert(ArticleRow)``) goes through
# the ORM's compile step on each execution, which cost more than SQLite running it.
ARTICLES: Final = cast("Table", ArticleRow.__table__)
CRAWL_RUNS: Final = cast("Table", CrawlRunRow.__table__)
ARTICLE_URLS: Final = cast("Table", ArticleUrlRow.__table__)
ARTICLE_PAGES: Final = cast("Table", ArticlePageRow.__table__)
DUPLICATE_DECISIONS: Final = cast("Table", DuplicateDecisionRow.__table__)
LSH_BUCKETS: Final = cast("Table", LshBucketRow.__table__)


def create_schema(conn: Connection) -> None:
    """Build the current schema in an empty database (the caller stamps its version)."""
    from newscrawl.store.backends import extra_ddl

    Base.metadata.create_all(conn)
    for ddl in extra_ddl(conn.dialect.name):
        conn.execute(text(ddl))
