"""The crawl's one store: one engine, its schema made or upgraded once, shared by all.

The incremental filter (crawl/deltafetch.py), conditional requests (crawl/conditional.py),
the run recorder (store/run_records.py) and the store pipeline all reach the store through
``StoreExtension.of(crawler).engine``. The engine is opened by whichever of them needs it
first, so the order in which Scrapy builds components (extensions, then downloader
middlewares, then item pipelines) does not matter, and a crawl with all of them off never
opens the store. It is closed when the crawl's engine stops, after every ``spider_closed``
handler (the run recorder and the validators write then) has run.

A component that uses the store from a thread of its own (the store pipeline's writer) asks
for :meth:`StoreExtension.own_engine` instead: one pool shared by two threads handed each
connection to both in turn, so every connection's page cache filled with both threads' pages
(docs/performance.md, "Memory: one page cache a thread").
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar, Final

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newscrawl.config import Config
from newscrawl.store.engine import make_engine, resolve_db_url

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)

_ATTRIBUTE: Final = "_newscrawl_store"


class StoreExtension:
    def __init__(self, url: str, busy_timeout: float) -> None:
        self.url = url
        self.busy_timeout = busy_timeout
        self._engine: Engine | None = None
        self._own: list[Engine] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls.of(crawler)

    @classmethod
    def of(cls, crawler: Crawler) -> Self:
        """The crawl's store, made on first use and shared by every component."""
        store: Self | None = getattr(crawler, _ATTRIBUTE, None)
        if store is None:
            config = Config.of(crawler)
            store = cls(resolve_db_url(config.db or None), config.busy_timeout)
            setattr(crawler, _ATTRIBUTE, store)
            crawler.signals.connect(store.close, signal=signals.engine_stopped)
        return store

    @property
    def engine(self) -> Engine:
        """The store's engine, opened (and the schema created or upgraded) on first use.

        Raises what :func:`~newscrawl.store.engine.make_engine` raises when the store cannot
        be opened; each caller says in its own words what that costs.
        """
        if self._engine is None:
            self._engine = make_engine(self.url, writer=True, busy_timeout=self.busy_timeout)
            logger.info("Store: %s", self._engine.url.render_as_string(hide_password=True))
        return self._engine

    def own_engine(self) -> Engine:
        """A second engine over the same store, for one thread's use: its connections (and
        their page caches) are not shared with :attr:`engine`'s. Closed with the store."""
        self.engine  # noqa: B018 - the shared engine makes or upgrades the schema, once
        engine = make_engine(self.url, create=False, writer=True, busy_timeout=self.busy_timeout)
        self._own.append(engine)
        return engine

    def close(self) -> None:
        for engine in self._own:
            engine.dispose()
        self._own.clear()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


class StoreComponent:
    """Base of the crawl's components that use its store from spider_opened to spider_closed.

    ``setting`` names the ``NEWSCRAWL_*_ENABLED`` setting that turns the component on.
    """

    setting: ClassVar[str]

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.store = StoreExtension.of(crawler)
        self.engine: Engine | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        enabled = getattr(Config.of(crawler), cls.setting.removeprefix("NEWSCRAWL_").lower())
        if not enabled:
            raise NotConfigured(f"{cls.setting} is off")
        component = cls(crawler)
        crawler.signals.connect(component.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(component.spider_closed, signal=signals.spider_closed)
        return component

    def spider_opened(self, spider: Spider) -> None:
        self.engine = self.store.engine

    def spider_closed(self, spider: Spider, reason: str = "finished") -> None:
        self.engine = None  # the store extension closes it, after every spider_closed

    def inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newscrawl/{key}")
