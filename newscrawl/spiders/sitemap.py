from __future__ import annotations

from typing import TYPE_CHECKING

from newscrawl.spiders.base import NewsSpider

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Request


class SitemapSpider(NewsSpider):
    """A sitemap, sitemap index, .xml.gz, Google News sitemap, or a robots.txt.

    Example: scrapy crawl sitemap -a url=https://example.com/robots.txt -a since_days=2
    """

    name = "sitemap"

    def start_requests_for_args(self) -> Iterator[Request]:
        urls = self.start_urls_or("give the sitemap address: scrapy crawl sitemap -a url=URL")
        since = self.since_days()
        for url in urls:
            yield self.sitemap_request(url, self.target(url, since_days=since))
