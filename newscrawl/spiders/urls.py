"""The ``urls`` spider: exactly the article pages it is given."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from newscrawl.crawl.sources import Source
from newscrawl.spiders.base import ArgumentError, NewscrawlSpider, check_http_urls, split_urls

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Request


class UrlsSpider(NewscrawlSpider):
    """Exactly the given article pages: -a url=URL[,URL...] or -a file=PATH (one per line).

    Example: scrapy crawl urls -a file=todo.txt -a refresh=1
    """

    name = "urls"

    def start_requests_for_args(self) -> Iterator[Request]:
        urls = split_urls(self.arguments.get("url"))
        file = self.arguments.get("file")
        if file:
            try:
                lines = Path(file).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise ArgumentError(f"cannot read -a file={file}: {exc}") from exc
            urls += [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        if not urls:
            raise ArgumentError("give pages: scrapy crawl urls -a url=URL[,URL...] or -a file=PATH")
        check_http_urls(urls)
        for url in urls:
            # Each page given is a source of its own: a 404 fails the run's exit status.
            source = Source.of_url(url, "urls", self.config)
            yield self.article_request(url, source, "urls", entry=True)
