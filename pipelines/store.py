"""Writes articles to the store in batched transactions, deciding duplicates as it goes.

Per item, inside the batch's transaction: an address already known (identity URL or any
alias) updates that row; the same text at a stored article's address with another query
string becomes an alias of it; otherwise the near-duplicate index decides whether the text
is a copy of an earlier original. Rows of the same batch are visible to later items, so copies
within one batch are caught too. A batch that fails is retried item by item, so one bad
item costs only itself.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured
from sqlalchemy import insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from newscrawl.config import Config
from newscrawl.crawl.urls import normalize_url
from newscrawl.dedupe.index import NearDuplicateIndex, content_hash, query_variant_of
from newscrawl.store.backends import write_transaction
from newscrawl.store.engine import store_unavailable
from newscrawl.store.extension import StoreExtension
from newscrawl.store.pages import save_page
from newscrawl.store.schema import ArticleRow, ArticleUrlRow, DuplicateDecisionRow, utcnow
from newscrawl.store.versions import keep_version
from pipelines.dedupe import index_from_settings

if TYPE_CHECKING:
    from datetime import datetime
    from typing import Self

    from scrapy.crawler import Crawler
    from sqlalchemy.engine import Connection, Engine

    from newscrawl.items import ArticleItem

logger = logging.getLogger(__name__)

# Fields refreshed when a known article is crawled again.
UPDATABLE = (
    "canonical_url", "title", "author", "published_at", "modified_at", "language",
    "description", "sitename", "image", "text", "word_count",
)  # fmt: skip


class StorePipeline:
    def __init__(
        self,
        crawler: Crawler,
        store: StoreExtension,
        batch_size: int,
        index: NearDuplicateIndex,
        keep_pages: bool = True,
    ) -> None:
        self.crawler = crawler
        self.store = store
        self.batch_size = max(1, batch_size)
        self.index = index
        self.keep_pages = keep_pages
        self.buffer: list[ArticleItem] = []
        self.engine: Engine | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = Config.of(crawler)
        if not config.store_enabled:
            raise NotConfigured("NEWSCRAWL_STORE_ENABLED is off")
        return cls(
            crawler,
            StoreExtension.of(crawler),
            config.store_batch_size,
            index_from_settings(crawler.settings),
            config.keep_pages,
        )

    def open_spider(self) -> None:
        self.engine = self.store.engine

    def close_spider(self) -> None:
        self.flush()

    def process_item(self, item: ArticleItem) -> ArticleItem:
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_size:
            self.flush()
        return item

    # --- writing -----------------------------------------------------------------------------
    def flush(self) -> None:
        batch, self.buffer = self.buffer, []
        if not batch or self.engine is None:
            return
        try:
            with write_transaction(self.engine) as conn:
                outcomes = [self.write(conn, item) for item in batch]
        except SQLAlchemyError as exc:
            reason = store_unavailable(exc)
            if reason:
                # One by one would fail the same way (and wait out the busy timeout each).
                logger.error(
                    "Could not write %d articles: %s. They are not recorded as seen: the next "
                    "run fetches them again", len(batch), reason,
                )  # fmt: skip
                outcomes = ["failed"] * len(batch)
            else:
                logger.warning(
                    "Batch of %d articles failed; retrying one by one", len(batch), exc_info=True
                )
                outcomes = [self._write_alone(item) for item in batch]
        for outcome in outcomes:
            self.inc(f"store/{outcome}")
        self.inc("store/batches")

    def _write_alone(self, item: ArticleItem) -> str:
        assert self.engine is not None
        try:
            with write_transaction(self.engine) as conn:
                return self.write(conn, item)
        except SQLAlchemyError:
            logger.exception("Could not store %s", item.article.url)
            return "failed"

    def write(self, conn: Connection, item: ArticleItem) -> str:
        """Insert or update one article; returns the outcome counted in the stats."""
        article = item.article
        identity = article.canonical_url
        aliases = {normalize_url(url) for url in item.aliases} | {identity}
        digest = item.content_hash or content_hash(article.text)
        signature = (
            item.signature if item.signature is not None else self.index.signature(article.text)
        )
        now = item.fetched_at
        existing = self._known_id(conn, identity, aliases)
        if existing is not None:
            outcome = self._update(conn, existing, item, digest, signature, now)
        elif (variant := query_variant_of(conn, aliases, digest)) is not None:
            # The same text at the address of a stored article with another query string
            # (story.html?storylist=world): one article, so this address is an alias of it.
            self._update(conn, variant, item, digest, signature, now)
            existing, outcome = variant, "aliased"
        else:
            existing, outcome = self._insert(conn, item, digest, signature, now)
        self._add_aliases(conn, existing, aliases, now)
        return outcome

    def _known_id(self, conn: Connection, identity: str, aliases: set[str]) -> int | None:
        row_id = conn.execute(select(ArticleRow.id).where(ArticleRow.url == identity)).scalar()
        if row_id is None:
            row_id = conn.execute(
                select(ArticleUrlRow.article_id)
                .where(ArticleUrlRow.url.in_(sorted(aliases)))
                .order_by(ArticleUrlRow.first_seen_at)
                .limit(1)
            ).scalar()
        return row_id

    def _update(
        self,
        conn: Connection,
        row_id: int,
        item: ArticleItem,
        digest: str,
        signature: object,
        now: datetime,
    ) -> str:
        article = item.article
        old = conn.execute(
            select(
                ArticleRow.url,
                ArticleRow.content_hash,
                ArticleRow.duplicate_of,
                ArticleRow.first_seen_at,
                ArticleRow.title,
                ArticleRow.text,
                ArticleRow.word_count,
                ArticleRow.modified_at,
            ).where(ArticleRow.id == row_id)
        ).one()
        fetched = normalize_url(article.url)
        if fetched != old.url and not self._alias_known(conn, fetched):
            # Reached through an address not seen before: a duplicate by URL identity.
            self._decide(conn, fetched, None, row_id, "url", None, now)
            self.inc("dedupe/url")
        values: dict[str, Any] = {"last_seen_at": now}
        # Only the page the article was stored from (or its canonical) refreshes the text:
        # an AMP or print variant reached later must not replace it with its own rendering.
        own_page = fetched == old.url or self._stored_from(conn, row_id, fetched, old.first_seen_at)
        changed = own_page and (old.content_hash != digest or old.title != article.title)
        if changed:
            # Edited at the source: the version it replaces is kept, not overwritten.
            keep_version(conn, old, row_id, now)
            self.inc("store/versions_kept")
            values.update({f: getattr(article, f) for f in UPDATABLE})
            values.update(
                content_hash=digest,
                categories=list(article.categories),
                tags=list(article.tags),
            )
            if old.duplicate_of is None and old.content_hash != digest:
                self.index.remove(conn, row_id)
                self.index.add(conn, row_id, signature)
        conn.execute(update(ArticleRow).where(ArticleRow.id == row_id).values(**values))
        if own_page:
            self._keep_page(conn, row_id, item, fetched, now)
        return "updated" if changed else "unchanged"

    def _insert(
        self, conn: Connection, item: ArticleItem, digest: str, signature: object, now: datetime
    ) -> tuple[int, str]:
        article = item.article
        duplicate = self.index.find(conn, article.text, digest, signature)
        values = article.as_dict()
        values.update(
            url=article.canonical_url,
            canonical_url=article.canonical_url,
            content_hash=digest,
            duplicate_of=duplicate.original_id if duplicate else None,
            duplicate_kind=duplicate.kind if duplicate else None,
            duplicate_similarity=duplicate.similarity if duplicate else None,
            first_seen_at=now,
            last_seen_at=now,
        )
        row_id = conn.execute(
            insert(ArticleRow).values(**values).returning(ArticleRow.id)
        ).scalar_one()
        self._keep_page(conn, row_id, item, normalize_url(article.url), now)
        if duplicate is None:
            self.index.add(conn, row_id, signature)
            return row_id, "inserted"
        similarity = duplicate.similarity if duplicate.kind == "near" else None
        self._decide(
            conn, article.canonical_url, row_id, duplicate.original_id, duplicate.kind,
            similarity, now,
        )  # fmt: skip
        self.inc(f"dedupe/{duplicate.kind}")
        return row_id, "inserted_duplicate"

    def _keep_page(
        self, conn: Connection, row_id: int, item: ArticleItem, url: str, now: datetime
    ) -> None:
        if self.keep_pages and item.page is not None:
            save_page(conn, row_id, url, item.page, now)
            self.inc("store/pages_kept")

    def _stored_from(self, conn: Connection, row_id: int, url: str, first_seen: datetime) -> bool:
        """Whether ``url`` was an address of the fetch that first stored the article."""
        seen = conn.execute(
            select(ArticleUrlRow.first_seen_at).where(
                ArticleUrlRow.url == url, ArticleUrlRow.article_id == row_id
            )
        ).scalar()
        return seen is not None and seen == first_seen

    def _alias_known(self, conn: Connection, url: str) -> bool:
        found = conn.execute(select(ArticleUrlRow.url).where(ArticleUrlRow.url == url)).scalar()
        return found is not None

    def _add_aliases(self, conn: Connection, row_id: int, aliases: set[str], now: datetime) -> None:
        known = set(
            conn.execute(
                select(ArticleUrlRow.url).where(ArticleUrlRow.url.in_(sorted(aliases)))
            ).scalars()
        )
        new = [{"url": u, "article_id": row_id, "first_seen_at": now} for u in aliases - known]
        if new:
            conn.execute(insert(ArticleUrlRow), new)

    def _decide(
        self,
        conn: Connection,
        url: str,
        article_id: int | None,
        original_id: int,
        kind: str,
        similarity: float | None,
        now: datetime,
    ) -> None:
        run_id = self.crawler.stats.get_value("newscrawl/run_id") if self.crawler.stats else None
        conn.execute(
            insert(DuplicateDecisionRow).values(
                run_id=run_id, url=url, article_id=article_id, original_id=original_id,
                kind=kind, similarity=similarity, decided_at=now or utcnow(),
            )
        )  # fmt: skip

    def inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newscrawl/{key}")
