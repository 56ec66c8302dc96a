from __future__ import annotations

from typing import TYPE_CHECKING

from newscrawl.spiders.base import NewsSpider, parse_count

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Request


class SiteSpider(NewsSpider):
    """Follows same-site links from a start page, breadth first.

    Article pages are stored; section, index, tag and other non-article pages are only
    followed. Example: scrapy crawl site -a url=https://example.com/ -a max_pages=200
    """

    name = "site"

    def __init__(
        self, max_pages: str | None = None, max_depth: str | None = None, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.max_pages_arg = max_pages
        self.max_depth_arg = max_depth

    def start_requests_for_args(self) -> Iterator[Request]:
        urls = self.start_urls_or("give the start page: scrapy crawl site -a url=URL")
        max_pages = parse_count(self.max_pages_arg, "max_pages")
        max_depth = parse_count(self.max_depth_arg, "max_depth")
        for url in urls:
            yield self.site_start(self.target(url, max_pages=max_pages, max_depth=max_depth), url)
