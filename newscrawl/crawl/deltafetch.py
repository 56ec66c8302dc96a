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
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from newscrawl.config import Config, is_truthy
from newscrawl.crawl.urls import normalize_url
from newscrawl.store.schema import ArticleUrlRow, make_engine, resolve_db_url

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)

ARTICLE_META = "newscrawl_article"


class DeltaFetch:
    def __init__(self, crawler: Crawler, db_url: str) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.engine: Engine | None = None
        self.refresh = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = Config.of(crawler)
        if not config.deltafetch_enabled:
            raise NotConfigured("NEWSCRAWL_DELTAFETCH_ENABLED is off")
        middleware = cls(crawler, resolve_db_url(config.db or None))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        self.refresh = is_truthy(getattr(spider, "refresh", False))
        # create=True: on the very first crawl the table may not exist yet.
        self.engine = make_engine(self.db_url)
        if self.refresh:
            logger.info("refresh requested: stored articles are fetched again",
                        extra={"spider": spider})  # fmt: skip

    def spider_closed(self, spider: Spider) -> None:
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    def process_request(self, request: Request) -> Request | Response | None:
        if not request.meta.get(ARTICLE_META) or self.refresh or self.engine is None:
            return None
        self._inc("checked")
        url = normalize_url(request.url)
        try:
            with self.engine.connect() as conn:
                known = conn.execute(
                    select(ArticleUrlRow.article_id).where(ArticleUrlRow.url == url)
                ).first()
        except SQLAlchemyError:
            # The store being unreadable must not stop the crawl: fetch, and let the store
            # decide; worst case the page is downloaded once more.
            logger.warning("Could not check %s against the store, fetching it", url,
                           exc_info=True)  # fmt: skip
            self._inc("error")
            return None
        if known is None:
            return None
        self._inc("skipped")
        logger.debug("Skipping %(url)s: already stored as article %(id)d",
                     {"url": request.url, "id": known.article_id})  # fmt: skip
        raise IgnoreRequest(f"already stored: {url}")

    def _inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newscrawl/deltafetch/{key}")
