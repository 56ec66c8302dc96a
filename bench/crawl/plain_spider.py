"""Plain Scrapy over the bench site: the floor of a crawl's CPU outside extraction.

``python -m bench.crawl scale`` runs this spider over the same site as the newscrawl crawls,
from a folder with no ``scrapy.cfg`` so that no project settings apply: Scrapy's default
components, robots.txt obeyed, the sitemap followed, every page decoded to text (which any
extracting crawl must do) and nothing else. Its CPU a page, beyond its start-up, is what
Scrapy alone costs on this machine: what newscrawl adds is the difference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from scrapy.spiders import SitemapSpider

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Response


class PlainSpider(SitemapSpider):
    name = "plain"
    custom_settings: ClassVar[dict[str, Any]] = {
        "ROBOTSTXT_OBEY": True,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
    }

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sitemap_urls = [url]

    def parse(self, response: Response) -> Iterator[dict[str, int]]:
        yield {"chars": len(response.text)}
