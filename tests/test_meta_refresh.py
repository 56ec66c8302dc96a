"""Meta-refresh redirects: what Scrapy's middleware follows, found without decoding whole pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from crawling import run_crawl
from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler
from sites import static_route
from test_spider_urls import french_article

from newscrawl.crawl.meta_refresh import HEAD_BYTES, HeadMetaRefreshMiddleware

if TYPE_CHECKING:
    from pathlib import Path

    from sites import SiteServer

URL = "https://news.example/a/b/page.html"
FILLER = "<p>" + "Filler paragraph of a long page. " * 40 + "</p>\n"


def page(head: str, body_before: str = "", *, encoding: str = "utf-8", size: int = 60_000) -> bytes:
    start = f"<html><head>{head}<title>Page</title></head><body>{body_before}"
    html = start + FILLER * (size // len(FILLER) + 1) + "</body></html>"
    return html.encode(encoding)


CASES = {
    "refresh in head": page('<meta http-equiv="refresh" content="0; url=/moved.html">'),
    "relative to base href": page(
        '<base href="https://other.example/x/"><meta http-equiv="refresh" content="0;url=y.html">'
    ),
    "delay above the maximum": page('<meta http-equiv="refresh" content="500; url=/later.html">'),
    "inside noscript": page(
        '<noscript><meta http-equiv="refresh" content="0; url=/nojs.html"></noscript>'
    ),
    "after 4,096 characters": page(
        "", FILLER * 6 + '<meta http-equiv="refresh" content="0; url=/too-late.html">'
    ),
    # 3 bytes a character: the tag is within Scrapy's 4,096 characters but past 4,096 bytes.
    "after multibyte text": page(
        "<title>" + "新闻" * 1500 + "</title>"
        '<meta http-equiv="refresh" content="0; url=/%E6%96%B0.html">'
    ),
    "declared latin-1": page(
        '<meta charset="iso-8859-1"><meta http-equiv="refresh" content="0; url=/caf\xe9.html">',
        encoding="latin-1",
    ),
    "no refresh": page(""),
    "spelled with character references": page(
        '<meta http-equiv="&#114;efresh" content="0; url=/entities.html">'
    ),
    "utf-16": page('<meta http-equiv="refresh" content="0; url=/utf16.html">', encoding="utf-16"),
    "refresh in a script, not a tag": page("<script>function refresh() {}</script>"),
    "small page": page('<meta http-equiv="refresh" content="0; url=/small.html">', size=100),
}


def outcome(result: Request | Response) -> str | None:
    return result.url if isinstance(result, Request) else None


@pytest.mark.parametrize("name", CASES)
def test_follows_what_scrapys_middleware_follows(name: str) -> None:
    crawler = get_crawler()
    ours = HeadMetaRefreshMiddleware.from_crawler(crawler)
    scrapys = MetaRefreshMiddleware.from_crawler(crawler)
    request = Request(URL)
    body = CASES[name]
    response = HtmlResponse(URL, body=body, headers={"Content-Type": "text/html"}, request=request)
    expected = outcome(
        scrapys.process_response(request, HtmlResponse(URL, body=body, request=request))
    )
    got = ours.process_response(request, response)
    assert outcome(got) == expected
    if expected is None:
        assert got is response  # the page itself goes on, not the cut copy
    if len(body) > HEAD_BYTES:
        # The point of the subclass: the page's whole text was never decoded.
        assert response._cached_ubody is None


def test_expected_redirects_are_found() -> None:
    """The cases above are not all 'no redirect' for both middlewares."""
    crawler = get_crawler()
    ours = HeadMetaRefreshMiddleware.from_crawler(crawler)
    followed = {
        name: outcome(ours.process_response(Request(URL), HtmlResponse(URL, body=body)))
        for name, body in CASES.items()
    }
    assert followed["refresh in head"] == "https://news.example/moved.html"
    assert followed["relative to base href"] == "https://other.example/x/y.html"
    assert followed["after multibyte text"] == "https://news.example/%E6%96%B0.html"
    assert followed["small page"] == "https://news.example/small.html"
    assert followed["utf-16"] == "https://news.example/utf16.html"
    for name in (
        "delay above the maximum",
        "inside noscript",
        "after 4,096 characters",
        "refresh in a script, not a tag",
    ):
        assert followed[name] is None, name


def test_off_when_scrapys_setting_is_off() -> None:
    with pytest.raises(NotConfigured):
        HeadMetaRefreshMiddleware.from_crawler(
            get_crawler(settings_dict={"METAREFRESH_ENABLED": False})
        )


def test_a_crawl_follows_a_refresh_on_a_large_page(sites: dict[str, SiteServer], db: Path) -> None:
    courier = sites["courier"]
    routes = {
        "/old-address.html": static_route(
            page('<meta http-equiv="refresh" content="0; url=/new-address.html">')
        ),
        "/new-address.html": static_route(french_article("Le marché couvert rouvre")),
    }
    courier.routes.update(routes)
    try:
        result = run_crawl("urls", db, url=courier.url("/old-address.html"))
    finally:
        for path in routes:
            del courier.routes[path]
    assert result.returncode == 0, result.log
    assert courier.hits["/new-address.html"] == 1
    stored = result.rows("SELECT title, url FROM articles")
    assert [(r["title"], r["url"]) for r in stored] == [
        ("Le marché couvert rouvre", courier.url("/new-address.html"))
    ]
