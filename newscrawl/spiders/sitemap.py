from __future__ import annotations

from typing import TYPE_CHECKING

from newscrawl.spiders.base import ArgumentError, NewsSpider, parse_count, split_urls

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Request


class SitemapSpider(NewsSpider):
    """A sitemap, sitemap index, .xml.gz, Google News sitemap, or a robots.txt.

    Example: scrapy crawl sitemap -a url=https://example.com/robots.txt -a since_days=2
    """

    name = "sitemap"

    def __init__(
        self, url: str | None = None, since_days: str | None = None, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.urls = split_urls(url)
        self.since_days_arg = since_days

    def start_requests_for_args(self) -> Iterator[Request]:
        if not self.urls:
            raise ArgumentError("give the sitemap address: scrapy crawl sitemap -a url=URL")
        since = parse_count(self.since_days_arg, "since_days")
        for url in self.urls:
            yield self.sitemap_request(url, self.target(url, since_days=since))
