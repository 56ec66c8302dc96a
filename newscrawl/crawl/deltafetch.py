"""Incremental crawling: article pages whose address is already stored are not fetched again.

A downloader middleware in the spirit of scrapy-deltafetch, checked against the store's
``article_urls`` table (every address that ever led to a stored article) instead of a
per-spider dbm file, so feeds, sitemaps and link crawls, and every process writing the same
database, share one memory. Only requests marked ``meta["newscrawl_article"] = True`` are
checked: listings, feeds and sitemaps must be fetched every run to discover new articles.
``-a refresh=1`` fetches everything again. See docs/dedupe.md.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

from scrapy.exceptions import IgnoreRequest
from sqlalchemy import bindparam, select
from sqlalchemy.exc import SQLAlchemyError

from newscrawl.config import is_truthy
from newscrawl.crawl.urls import normalize_url
from newscrawl.store.extension import StoreComponent
from newscrawl.store.schema import ARTICLE_URLS

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from sqlalchemy import Connection

logger = logging.getLogger(__name__)

ARTICLE_META = "newscrawl_article"
# Built once: one lookup per article request, and an ORM select built per call cost about
# as much as the lookup itself.
_KNOWN: Final = select(ARTICLE_URLS.c.article_id).where(ARTICLE_URLS.c.url == bindparam("url"))


class DeltaFetch(StoreComponent):
    setting = "NEWSCRAWL_DELTAFETCH_ENABLED"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.refresh = False
        # Held for the crawl, each lookup in a short transaction of its own (so each sees
        # what was committed before it): taking a connection from the pool and giving it
        # back for every request cost about as much as the lookup (docs/performance.md).
        self._conn: Connection | None = None

    def spider_opened(self, spider: Spider) -> None:
        self.refresh = is_truthy(getattr(spider, "refresh", False))
        # The crawl's store, created on the very first crawl: the table may not exist yet.
        super().spider_opened(spider)
        if self.refresh:
            logger.info("refresh requested: stored articles are fetched again",
                        extra={"spider": spider})  # fmt: skip

    def process_request(self, request: Request) -> Request | Response | None:
        if not request.meta.get(ARTICLE_META) or self.refresh or self.engine is None:
            return None
        self._inc("checked")
        url = normalize_url(request.url)
        try:
            if self._conn is None:
                self._conn = self.engine.connect()
            with self._conn.begin():
                known = self._conn.execute(_KNOWN, {"url": url}).first()
        except SQLAlchemyError:
            # The store being unreadable must not stop the crawl: fetch, and let the store
            # decide; worst case the page is downloaded once more. The connection may be
            # broken: the next lookup takes a new one.
            logger.warning("Could not check %s against the store, fetching it", url,
                           exc_info=True)  # fmt: skip
            self._inc("error")
            self._release()
            return None
        if known is None:
            return None
        self._inc("skipped")
        logger.debug("Skipping %(url)s: already stored as article %(id)d",
                     {"url": request.url, "id": known.article_id})  # fmt: skip
        raise IgnoreRequest(f"already stored: {url}")

    def spider_closed(self, spider: Spider, reason: str = "finished") -> None:
        self._release()
        super().spider_closed(spider, reason)

    def _release(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.close()
            except SQLAlchemyError:
                logger.debug("Closing the store connection failed", exc_info=True)

    def _inc(self, key: str) -> None:
        self.inc(f"deltafetch/{key}")
