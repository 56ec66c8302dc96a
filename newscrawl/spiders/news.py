"""The ``news`` spider: every source of a sources file, each found its own way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newscrawl.crawl.sources import SourcesError, load_sources, select_sources
from newscrawl.spiders.base import ArgumentError
from newscrawl.spiders.feed import FeedReading
from newscrawl.spiders.site import SiteFollowing
from newscrawl.spiders.sitemap import SitemapReading

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from scrapy.http import Request

    from newscrawl.crawl.sources import Source


class NewsSpider(FeedReading, SitemapReading, SiteFollowing):
    """Every source in a sources file (default data/sources.toml).

    Example: scrapy crawl news -a only=bbc,guardian
    """

    name = "news"

    def start_requests_for_args(self) -> Iterator[Request]:
        path = self.arguments.get("sources") or self.config.sources or None
        try:
            sources = select_sources(load_sources(path, self.config), self.arguments.get("only"))
        except SourcesError as exc:
            raise ArgumentError(str(exc)) from exc
        start: dict[str, Callable[[str, Source], Request]] = {
            "feed": self.feed_request,
            "sitemap": self.sitemap_request,
            "site": self.site_start,
        }
        for source in sources:
            for url in source.urls:
                yield start[source.kind](url, source)
