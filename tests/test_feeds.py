from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from newscrawl.crawl.feeds import (
    FeedError,
    discover_feeds,
    maybe_gunzip,
    parse_date,
    parse_feed,
    parse_sitemap,
    sitemaps_from_robots,
)

BASE = "http://news.example/"

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title>
<item><title>One</title><link>http://news.example/a/one</link>
<pubDate>Fri, 03 May 2024 09:30:00 +0200</pubDate></item>
<item><title>Relative</title><link>/a/two</link></item>
<item><title>Guid only</title><guid>http://news.example/a/three</guid></item>
<item><title>Guid not a link</title><guid isPermaLink="false">abc-123</guid></item>
<item><title>Mail</title><link>mailto:x@example.com</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
<entry><title>A</title><link rel="self" href="http://news.example/api/1"/>
<link rel="alternate" href="http://news.example/a/atom-one"/>
<published>2024-05-03T07:30:00Z</published></entry>
<entry><title>B</title><link href="/a/atom-two"/><updated>2024-05-04</updated></entry>
</feed>"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://news.example/"><title>T</title></channel>
<item rdf:about="http://news.example/a/rdf-one"><title>R</title>
<link>http://news.example/a/rdf-one</link><dc:date>2024-05-03T10:00:00+01:00</dc:date></item>
</rdf:RDF>"""


def test_rss_entries_with_absolute_urls_and_utc_dates() -> None:
    entries = parse_feed(RSS, BASE).entries
    assert [e.url for e in entries] == [
        "http://news.example/a/one",
        "http://news.example/a/two",
        "http://news.example/a/three",
    ]
    assert entries[0].published == datetime(2024, 5, 3, 7, 30, tzinfo=UTC)
    assert entries[0].title == "One"


def test_atom_prefers_alternate_link() -> None:
    entries = parse_feed(ATOM, BASE).entries
    assert [e.url for e in entries] == [
        "http://news.example/a/atom-one",
        "http://news.example/a/atom-two",
    ]
    assert entries[0].published == datetime(2024, 5, 3, 7, 30, tzinfo=UTC)


def test_rdf_items() -> None:
    entries = parse_feed(RDF, BASE).entries
    assert [e.url for e in entries] == ["http://news.example/a/rdf-one"]
    assert entries[0].published == datetime(2024, 5, 3, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not XML"),
        (b"%PDF-1.4 binary", "not XML"),
        (b"<html><body>hello</body></html>", "not a feed"),
        (b"\x00\x01\x02<rss>", "not XML"),
    ],
)
def test_not_a_feed_is_a_clear_error(body: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_feed(body, BASE)


def test_entity_bomb_is_not_expanded() -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<rss version="2.0"><channel><item><title>&lol4;</title><link>http://news.example/x</link>
</item></channel></rss>"""
    entries = parse_feed(bomb, BASE).entries
    assert [e.url for e in entries] == ["http://news.example/x"]
    assert "lollollol" not in (entries[0].title or "")


def test_external_entity_is_not_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xxe = f"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>
<rss version="2.0"><channel><item><title>&x;</title><link>http://news.example/y</link>
</item></channel></rss>""".encode()
    entries = parse_feed(xxe, BASE).entries
    assert "TOPSECRET" not in (entries[0].title or "")


SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>http://news.example/a/1</loc><lastmod>2024-05-01</lastmod></url>
<url><loc>http://news.example/a/2</loc>
 <news:news><news:publication><news:name>X</news:name><news:language>en</news:language>
 </news:publication><news:publication_date>2024-05-03T09:00:00+02:00</news:publication_date>
 <news:title>Two</news:title></news:news></url>
<url><loc>  </loc></url>
</urlset>"""

INDEX = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://news.example/s1.xml</loc></sitemap>
<sitemap><loc>http://news.example/s2.xml.gz</loc><lastmod>2024-05-02T00:00:00Z</lastmod></sitemap>
</sitemapindex>"""


def test_sitemap_urlset_with_google_news_dates() -> None:
    sitemap = parse_sitemap(SITEMAP, BASE)
    assert sitemap.kind == "urlset"
    assert [e.url for e in sitemap.entries] == [
        "http://news.example/a/1",
        "http://news.example/a/2",
    ]
    assert sitemap.entries[0].published == datetime(2024, 5, 1, tzinfo=UTC)
    assert sitemap.entries[1].published == datetime(2024, 5, 3, 7, 0, tzinfo=UTC)
    assert sitemap.entries[1].title == "Two"


def test_sitemap_index_and_gzip() -> None:
    sitemap = parse_sitemap(gzip.compress(INDEX), BASE)
    assert sitemap.kind == "sitemapindex"
    assert [e.url for e in sitemap.entries][1] == "http://news.example/s2.xml.gz"


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"<" + b"a" * (2 * 1024 * 1024))
    with pytest.raises(FeedError, match="inflates past"):
        maybe_gunzip(bomb, max_bytes=1024 * 1024)


def test_broken_gzip_is_a_clear_error() -> None:
    with pytest.raises(FeedError, match="broken gzip"):
        parse_sitemap(b"\x1f\x8b\x08\x00garbage", BASE)


def test_robots_sitemap_lines() -> None:
    robots = "User-agent: *\nDisallow: /private/\nSitemap: /sitemap.xml\nsitemap:http://o.example/s.xml\n"
    assert sitemaps_from_robots(robots, "http://news.example/robots.txt") == [
        "http://news.example/sitemap.xml",
        "http://o.example/s.xml",
    ]


def test_feed_autodiscovery() -> None:
    html = b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head>'
    assert discover_feeds(html, BASE) == ["http://news.example/feed.xml"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Fri, 03 May 2024 09:30:00 GMT", datetime(2024, 5, 3, 9, 30, tzinfo=UTC)),
        ("2024-05-03T09:30:00-04:00", datetime(2024, 5, 3, 13, 30, tzinfo=UTC)),
        ("2024-05-03", datetime(2024, 5, 3, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
    ],
)
def test_parse_date(value: str, expected: datetime | None) -> None:
    assert parse_date(value) == expected


def test_addresses_urllib_cannot_split_are_left_out_and_counted() -> None:
    # An unclosed IPv6 bracket makes urljoin raise: one such entry must not cost the rest.
    bad = "http://[bad/story"
    rss = (
        f"<rss version='2.0'><channel><item><link>{bad}</link></item>"
        "<item><link>/a/ok</link></item><item><link>mailto:x@news.example</link></item>"
        "</channel></rss>"
    ).encode()
    feed = parse_feed(rss, BASE)
    assert [e.url for e in feed.entries] == ["http://news.example/a/ok"]
    assert feed.unusable == 2
    urlset = (
        "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"<url><loc>{bad}</loc></url><url><loc>/a/ok</loc></url></urlset>"
    ).encode()
    sitemap = parse_sitemap(urlset, BASE)
    assert ([e.url for e in sitemap.entries], sitemap.unusable) == (["http://news.example/a/ok"], 1)
    robots = f"Sitemap: {bad}\nSitemap: /sitemap.xml\n"
    assert sitemaps_from_robots(robots, BASE) == ["http://news.example/sitemap.xml"]
    page = f"<link rel='alternate' type='application/rss+xml' href='{bad}'>".encode()
    assert discover_feeds(page, BASE) == []
