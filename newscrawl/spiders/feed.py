from __future__ import annotations

from typing import TYPE_CHECKING

from newscrawl.spiders.base import ArgumentError, NewsSpider, parse_count, split_urls

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Request


class FeedSpider(NewsSpider):
    """RSS 2.0, Atom and RDF feeds; each entry's page is extracted.

    Example: scrapy crawl feed -a url=https://feeds.bbci.co.uk/news/rss.xml -a since_days=1
    """

    name = "feed"

    def __init__(
        self, url: str | None = None, since_days: str | None = None, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.urls = split_urls(url)
        self.since_days_arg = since_days

    def start_requests_for_args(self) -> Iterator[Request]:
        if not self.urls:
            raise ArgumentError("give the feed address: scrapy crawl feed -a url=URL[,URL...]")
        since = parse_count(self.since_days_arg, "since_days")
        for url in self.urls:
            yield self.feed_request(url, self.target(url, since_days=since))
