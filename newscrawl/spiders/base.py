"""What every newscrawl spider shares: its arguments, polite requests, the article callback
and counting every outcome in the crawl stats.

How a spider finds articles sits beside it: feeds in feed.py, sitemaps in sitemap.py, same-site
links in site.py; the ``news`` spider (news.py) composes the three.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError

from newscrawl.config import Config
from newscrawl.crawl.conditional import ENTRIES_META, LISTED_BY_META, LISTING_META
from newscrawl.crawl.download_errors import error_kind, install_log_filter
from newscrawl.crawl.sources import Source
from newscrawl.crawl.urls import is_http_url, request_url
from newscrawl.extraction.article import Article
from newscrawl.extraction.decoding import http_charset
from newscrawl.extraction.workers import ExtractionWorkers
from newscrawl.items import ArticleItem
from newscrawl.spiders.pending import PendingEntries
from newscrawl.spiders.sources_seen import SourcesSeen

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Iterator

    from scrapy.crawler import Crawler
    from twisted.python.failure import Failure

    from newscrawl.crawl.feeds import Entry

logger = logging.getLogger(__name__)

HTML_TYPES = (b"text/html", b"application/xhtml", b"text/plain", b"application/xml", b"text/xml")
SOURCE_META = "newscrawl_source"


class ArgumentError(ValueError):
    """A spider argument is missing or wrong; the message tells the user how to fix it."""


def split_urls(value: str | None) -> list[str]:
    return [u.strip() for u in (value or "").split(",") if u.strip()]


def check_http_urls(urls: list[str]) -> None:
    bad = [u for u in urls if not is_http_url(u)]
    if bad:
        raise ArgumentError(f"not http(s) URLs with a host: {', '.join(bad[:5])}")


def parse_count(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise ArgumentError(f"-a {name}= takes a whole number >= 0, not {value!r}")
    return number


class NewscrawlSpider(scrapy.Spider):
    """The base of every newscrawl spider: a spider implements :meth:`start_requests_for_args`."""

    # Breadth-first, for every spider: pages near the start (fresh sections, the newest feed
    # and sitemap entries) before deep archive links.
    custom_settings = {  # noqa: RUF012 (Scrapy's own declaration is a plain dict)
        "DEPTH_PRIORITY": 1,
        "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
    }

    arguments: dict[str, str]  # the -a arguments, recorded with the run
    config: Config
    workers: ExtractionWorkers
    pending: PendingEntries  # sitemap entries not yet handed to the scheduler
    sources_seen: SourcesSeen | None = None  # sources started and failed: the exit status

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewscrawlSpider:
        spider: NewscrawlSpider = super().from_crawler(crawler, *args, **kwargs)
        install_log_filter()
        spider.arguments = {k: str(v) for k, v in kwargs.items()}
        spider.config = Config.of(crawler)
        spider.workers = ExtractionWorkers.from_crawler(crawler)
        spider.pending = PendingEntries.from_crawler(crawler, spider.article_request)
        return spider

    def closed(self, reason: str) -> None:
        self.workers.close()

    # --- arguments ---------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("newscrawl/extract/workers", self.workers.workers)
        try:
            requests = list(self.start_requests_for_args())
        except ArgumentError as exc:
            logger.error("%s: %s", self.name, exc, extra={"spider": self})
            self.inc("errors/bad_arguments")
            self.crawler.stats.set_value("newscrawl/argument_error", str(exc))
            return
        self.sources_seen = SourcesSeen(self.crawler.stats)
        self.sources_seen.started({r.meta[SOURCE_META].name for r in requests})
        for request in requests:
            yield request

    def start_requests_for_args(self) -> Iterable[Request]:
        raise NotImplementedError

    def count_argument(self, name: str) -> int | None:
        return parse_count(self.arguments.get(name), name)

    def url_sources(self, kind: str, usage: str, **limits: int | None) -> list[Source]:
        """A source per ``-a url=`` address; ``usage`` tells the user how to give them."""
        urls = split_urls(self.arguments.get("url"))
        if not urls:
            raise ArgumentError(usage)
        check_http_urls(urls)
        return [Source.of_url(url, kind, self.config, **limits) for url in urls]

    # --- stats -------------------------------------------------------------------------------
    def inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newscrawl/{key}", count)

    def source_failed(self, meta: dict[str, Any], reason: str) -> None:
        source = meta.get(SOURCE_META)
        if self.sources_seen is not None and isinstance(source, Source):
            self.sources_seen.entry_failed(meta, source.name, reason)

    def count_unusable(self, response: Response, unusable: int, kind: str) -> None:
        """Entries of a feed or sitemap left out for an address that is not a usable URL."""
        if unusable:
            self.inc(f"{kind}/entries_invalid", unusable)
            logger.warning("%d entries of %s have no usable http(s) address", unusable,
                           response.url, extra={"spider": self})  # fmt: skip

    def recent(self, entries: list[Entry], source: Source, kind: str) -> Iterator[Entry]:
        """Feed or sitemap entries dated within ``since_days`` (all when 0; undated kept)."""
        if not source.since_days:
            yield from entries
            return
        cutoff = datetime.now(UTC) - timedelta(days=source.since_days)
        for entry in entries:
            if entry.published and entry.published < cutoff:
                self.inc(f"{kind}/entries_too_old")
                continue
            yield entry

    # --- requests ----------------------------------------------------------------------------
    def request(
        self,
        url: str,
        callback: Any,
        source: Source,
        via: str,
        *,
        article: bool,
        depth: int = 0,
        entry: bool = False,
        listed_by: tuple[str, ...] = (),
    ) -> Request:
        return Request(
            request_url(url),
            callback=callback,
            errback=self.on_error,
            meta={
                SOURCE_META: source,
                "newscrawl_via": via,
                "newscrawl_article": article,
                "newscrawl_depth": depth,
                # A feed, sitemap or start page: its failure is its source's failure.
                "newscrawl_entry": entry,
                LISTED_BY_META: listed_by,
            },
        )

    def article_request(
        self,
        url: str,
        source: Source,
        via: str,
        listed_by: tuple[str, ...] = (),
        *,
        entry: bool = False,
    ) -> Request:
        return self.request(
            url, self.parse_article, source, via, article=True, entry=entry, listed_by=listed_by
        )

    def listing_request(
        self, url: str, callback: Any, source: Source, via: str, listed_by: tuple[str, ...]
    ) -> Request:
        """A feed or sitemap: conditional when the store has its validators; its failure is
        its source's failure."""
        request = self.request(
            url, callback, source, via, article=False, entry=True, listed_by=listed_by
        )
        request.meta[LISTING_META] = request.url
        return request

    def source_of(self, response: Response) -> Source:
        source: Source = response.meta[SOURCE_META]
        return source

    def all_entries_followed(self, response: Response) -> None:
        """A feed or sitemap whose entries were all requested: conditional requests may keep
        its validators."""
        response.meta[ENTRIES_META] = True

    def listed_by(self, response: Response) -> tuple[str, ...]:
        """The listings that led to what ``response`` lists: its own and its parents'."""
        own = response.meta.get(LISTING_META)
        return (*response.meta.get(LISTED_BY_META, ()), *((own,) if own else ()))

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if isinstance(failure.value, IgnoreRequest) and not isinstance(failure.value, HttpError):
            return  # robots.txt and the incremental filter count their own skips
        kind = error_kind(failure.value)
        self.inc(f"errors/{kind}")
        logger.warning(
            "Could not fetch %s: %s", request.url, failure.getErrorMessage(),
            extra={"spider": self},
        )  # fmt: skip
        self.source_failed(request.meta, f"{kind} {request.url}")

    # --- articles ----------------------------------------------------------------------------
    async def parse_article(self, response: Response) -> AsyncIterator[ArticleItem]:
        result = await self.extract(response)
        if isinstance(result, Article):
            yield self.item(response, result)

    async def extract(self, response: Response) -> Article | str:
        """The article on the page, or the reason there is none (already counted)."""
        self.inc("pages/fetched")
        if not isinstance(response, TextResponse) or not self._is_html(response):
            content_type = response.headers.get("Content-Type") or b"no Content-Type"
            return self._skip(response, "not_html", content_type.decode("latin-1"))
        # The bytes, decoded by extraction itself: in a worker process rather than on the
        # event loop, and by the same rules as when the kept page is re-extracted.
        result = await self.workers.extract(
            response.body,
            response.url,
            min_words=self.config.min_words,
            max_bytes=self.config.max_page_bytes,
            http_charset=http_charset(response.headers.get(b"Content-Type")),
        )
        if isinstance(result, Article):
            self.inc("extract/ok")
            return result
        return self._skip(response, result.reason, result.detail)

    def _is_html(self, response: TextResponse) -> bool:
        content_type = (response.headers.get("Content-Type") or b"text/html").lower()
        return content_type.startswith(HTML_TYPES)

    def looks_html(self, response: Response) -> bool:
        return isinstance(response, TextResponse) and b"<html" in response.body[:4096].lower()

    def _skip(self, response: Response, reason: str, detail: object = None) -> str:
        self.inc(f"skipped/{reason}")
        logger.info(
            "Skipped %s: %s%s", response.url, reason, f" ({detail!s})" if detail else "",
            extra={"spider": self},
        )  # fmt: skip
        return reason

    def item(self, response: Response, article: Article) -> ArticleItem:
        source: Source | None = response.meta.get(SOURCE_META)
        name = source.name if source is not None and source.named else article.domain
        aliases = [*response.meta.get("redirect_urls", []), response.url]
        return ArticleItem(
            article=replace(article, source=name),
            fetched_at=datetime.now(UTC),
            aliases=list(dict.fromkeys(aliases)),
            via=response.meta.get("newscrawl_via"),
            page=response.body,
        )
