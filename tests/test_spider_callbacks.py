"""Spider callbacks in process (tests/spiders.py): what each page leads to, and what is
counted. End-to-end crawls of the same sites are in tests/test_spider_*.py."""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING, Any

import pytest
from scrapy.http import HtmlResponse, Request, XmlResponse
from spiders import answer, follow, outputs, paths, spider_of, start, stats

from newscrawl.crawl.feeds import parse_sitemap
from newscrawl.demo.outlets import demo_sources_toml
from newscrawl.items import ArticleItem
from newscrawl.spiders.feed import FeedSpider
from newscrawl.spiders.news import NewsSpider
from newscrawl.spiders.site import NON_CONTENT_PATHS, SiteSpider
from newscrawl.spiders.sitemap import SitemapSpider
from newscrawl.spiders.urls import UrlsSpider

if TYPE_CHECKING:
    from pathlib import Path

    from sites import SiteServer


@pytest.fixture
def gazette(demo_sites: dict[str, SiteServer]) -> SiteServer:
    return demo_sites["gazette"]


@pytest.fixture
def truth(manifest: dict[str, Any]) -> dict[str, Any]:
    gazette: dict[str, Any] = manifest["sites"]["gazette"]
    return gazette


# --- feeds ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["rss", "atom", "rdf"])
def test_each_feed_entry_is_an_article_request(
    gazette: SiteServer, truth: dict[str, Any], kind: str
) -> None:
    feed = truth["feeds"][kind]
    spider = spider_of(FeedSpider, url=gazette.url(feed["path"]))
    [request] = start(spider)
    requests = outputs(spider.parse_feed(follow(gazette, request)))
    assert paths(gazette, requests) == feed["articles"]
    assert all(r.meta["newscrawl_article"] and r.meta["newscrawl_via"] == "feed" for r in requests)
    assert all(r.callback == spider.parse_article for r in requests)
    assert stats(spider)["feeds/parsed"] == 1
    assert stats(spider)["feeds/entries"] == len(feed["articles"])


def test_a_page_given_as_feed_leads_to_its_feeds(gazette: SiteServer) -> None:
    spider = spider_of(FeedSpider, url=gazette.url("/"))
    [request] = start(spider)
    discovered = outputs(spider.parse_feed(follow(gazette, request)))
    assert discovered
    assert all(r.callback == spider.parse_feed for r in discovered)
    assert all(r.meta["newscrawl_discovered"] for r in discovered)
    # A discovered "feed" that is a page again is not followed further: it fails the source.
    assert (
        outputs(spider.parse_feed(follow(gazette, discovered[0].replace(url=gazette.url("/")))))
        == []
    )
    assert stats(spider)["feeds/invalid"] == 1


def test_broken_feed_fails_its_source(gazette: SiteServer) -> None:
    spider = spider_of(FeedSpider, url=gazette.url("/broken.xml"))
    [request] = start(spider)
    broken = XmlResponse(request.url, body=b"\x00\x01 not xml", request=request)
    assert outputs(spider.parse_feed(broken)) == []
    assert stats(spider)["feeds/invalid"] == 1
    assert stats(spider)["failed_sources"] == {request.url: f"not_a_feed {request.url}"}


# --- sitemaps ------------------------------------------------------------------------------
def test_robots_txt_index_and_sitemaps(gazette: SiteServer, truth: dict[str, Any]) -> None:
    maps = truth["sitemaps"]
    spider = spider_of(SitemapSpider, url=gazette.url(truth["robots"]))
    [robots] = start(spider)
    [index] = outputs(spider.parse_sitemap(follow(gazette, robots)))
    assert paths(gazette, [index]) == [maps["index"]["path"]]
    sitemaps = outputs(spider.parse_sitemap(follow(gazette, index)))
    assert paths(gazette, sitemaps) == maps["index"]["sitemaps"]
    found = {}
    for sitemap in sitemaps:
        found[sitemap.url] = outputs(spider.parse_sitemap(follow(gazette, sitemap)))
        # each listing remembers the listings that led to it (conditional requests)
        assert all(r.meta["newscrawl_listed_by"][-1] == sitemap.url for r in found[sitemap.url])
    assert [paths(gazette, found[s.url]) for s in sitemaps] == [
        maps["articles"]["articles"],
        maps["news"]["articles"],
    ]
    assert stats(spider)["sitemaps/parsed"] == 3


def test_gzipped_sitemap(gazette: SiteServer, truth: dict[str, Any]) -> None:
    news = truth["sitemaps"]["news"]
    spider = spider_of(SitemapSpider, url=gazette.url(news["path"]))
    [request] = start(spider)
    response = follow(gazette, request)
    assert response.body[:2] == b"\x1f\x8b"
    assert paths(gazette, outputs(spider.parse_sitemap(response))) == news["articles"]


def test_since_days_skips_old_entries_and_keeps_undated(
    gazette: SiteServer, truth: dict[str, Any]
) -> None:
    path = truth["sitemaps"]["articles"]["path"]
    spider = spider_of(SitemapSpider, url=gazette.url(path), since_days="1")
    [request] = start(spider)
    response = follow(gazette, request)
    entries = parse_sitemap(response.body, response.url).entries
    undated = [e.url for e in entries if e.published is None]
    # The sample news is from May 2024: every dated entry is older than a day.
    assert [r.url for r in outputs(spider.parse_sitemap(response))] == undated
    assert stats(spider)["sitemaps/entries_too_old"] == len(entries) - len(undated)


def test_bad_sitemaps_fail_their_source(gazette: SiteServer) -> None:
    spider = spider_of(SitemapSpider, url=gazette.url("/robots.txt"))
    [request] = start(spider)
    empty = answer(gazette, "/robots.txt", request).replace(body=b"User-agent: *\n")
    assert outputs(spider.parse_sitemap(empty)) == []
    assert stats(spider)["failed_sources"] == {request.url: f"no_sitemaps {request.url}"}
    other = spider_of(SitemapSpider, url=gazette.url("/sitemap.xml"))
    [request] = start(other)
    garbage = XmlResponse(request.url, body=gzip.compress(b"<html>no</html>"), request=request)
    assert outputs(other.parse_sitemap(garbage)) == []
    assert stats(other)["sitemaps/invalid"] == 1


# --- site links ----------------------------------------------------------------------------
def test_site_follows_same_site_content_links_once(gazette: SiteServer) -> None:
    spider = spider_of(SiteSpider, url=gazette.url("/"))
    [home] = start(spider)
    response = follow(gazette, home)
    requests = [r for r in outputs(spider.parse_page(response)) if isinstance(r, Request)]
    linked = {link.url for link in _links(response)}
    followed = [r.url for r in requests]
    assert len(followed) == len(set(followed))
    assert set(followed) <= {u.split("?")[0] for u in linked} | linked
    assert all(r.url.startswith(gazette.base_url) for r in requests)
    assert all(r.meta["newscrawl_depth"] == 1 and r.meta["newscrawl_article"] for r in requests)
    assert not any("/tag/" in u and u.endswith(".xml") for u in followed)
    # The same page again adds nothing: every link is scheduled already.
    again = outputs(spider.parse_page(follow(gazette, home)))
    assert [r for r in again if isinstance(r, Request)] == []


def _links(response: HtmlResponse) -> list[Any]:
    from scrapy.linkextractors import LinkExtractor

    return LinkExtractor(deny=NON_CONTENT_PATHS).extract_links(response)


def test_page_budget_and_depth_limit(gazette: SiteServer) -> None:
    spider = spider_of(SiteSpider, url=gazette.url("/"), max_pages="3")
    [home] = start(spider)
    requests = [
        r for r in outputs(spider.parse_page(follow(gazette, home))) if isinstance(r, Request)
    ]
    assert len(requests) == 2  # the start page is one of the three
    assert stats(spider)["site/page_limit"] == 1
    shallow = spider_of(SiteSpider, url=gazette.url("/"), max_depth="0")
    [home] = start(shallow)
    assert [
        r for r in outputs(shallow.parse_page(follow(gazette, home))) if isinstance(r, Request)
    ] == []
    assert stats(shallow)["site/depth_limit"] == 1


# --- the article callback ------------------------------------------------------------------
def test_article_page_gives_an_item(gazette: SiteServer, truth: dict[str, Any]) -> None:
    article = truth["articles"][0]
    spider = spider_of(UrlsSpider, url=gazette.url(article["path"]))
    [request] = start(spider)
    [item] = outputs(spider.parse_article(follow(gazette, request)))
    assert isinstance(item, ArticleItem)
    assert item.article.title == article["title"]
    assert item.article.source == "127.0.0.1"  # a URL given on the command line: its domain
    assert item.via == "urls"
    counted = stats(spider)
    assert counted.pop("extract/cpu_ms") >= 0  # the CPU extraction took
    assert counted == {
        "extract/workers": 0,
        "sources/total": 1,
        "pages/fetched": 1,
        "extract/ok": 1,
    }


def test_pages_without_an_article_are_skipped_with_their_reason(
    gazette: SiteServer, truth: dict[str, Any]
) -> None:
    listing = truth["non_articles"][0]["path"]
    short = truth["articles"][0]["path"]
    spider = spider_of(UrlsSpider, {"NEWSCRAWL_MIN_WORDS": 100_000}, url=gazette.url(short))
    [request] = start(spider)
    assert outputs(spider.parse_article(follow(gazette, request))) == []
    listing_request = request.replace(url=gazette.url(listing))
    assert outputs(spider.parse_article(follow(gazette, listing_request))) == []
    image = HtmlResponse(request.url, body=b"\x89PNG", headers={"Content-Type": "image/png"})
    assert outputs(spider.parse_article(image)) == []
    counted = stats(spider)
    assert counted["pages/fetched"] == 3
    assert counted["skipped/too_short"] == 1
    assert counted["skipped/not_html"] == 1
    assert counted["skipped/not_article"] + counted.get("skipped/no_body", 0) == 1


def test_named_source_files_its_articles_under_its_name(
    demo_sites: dict[str, SiteServer], tmp_path: Path
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(demo_sources_toml(demo_sites))
    spider = spider_of(NewsSpider, sources=str(sources))
    requests = start(spider)
    by_kind = {r.meta["newscrawl_source"].kind: r for r in requests}
    assert by_kind["feed"].callback == spider.parse_feed
    assert by_kind["sitemap"].callback == spider.parse_sitemap
    assert {r.meta["newscrawl_source"].name for r in requests} == {"gazette", "courier"}
    assert stats(spider)["sources/total"] == 2


# --- arguments -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spider_class", "arguments", "message"),
    [
        (FeedSpider, {}, "give the feed address: scrapy crawl feed -a url=URL[,URL...]"),
        (SitemapSpider, {"url": "ftp://x/"}, "not http(s) URLs with a host: ftp://x/"),
        (
            SitemapSpider,
            {"url": "http://127.0.0.1:9/s.xml", "since_days": "soon"},
            "-a since_days= takes a whole number >= 0, not 'soon'",
        ),
        (SiteSpider, {"url": "http://a.example/", "max_pages": "-1"}, "-a max_pages= takes"),
        (UrlsSpider, {"file": "/nonexistent/todo.txt"}, "cannot read -a file=/nonexistent"),
        (NewsSpider, {"only": "nosuch"}, "unknown source(s): nosuch"),
    ],
)
def test_bad_arguments_are_one_clear_error(
    spider_class: type[Any], arguments: dict[str, str], message: str
) -> None:
    spider = spider_of(spider_class, **arguments)
    assert start(spider) == []
    counted = stats(spider)
    assert counted["errors/bad_arguments"] == 1
    assert message in counted["argument_error"]
