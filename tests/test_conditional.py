"""Conditional requests: an unchanged feed or sitemap answers 304 and nothing else is fetched.

Two outlets on 127.0.0.1, one whose server sends ETags (crawled by feed) and one that sends
only Last-Modified (crawled by sitemap: robots.txt -> sitemap index -> sitemap of pages).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawling import run_crawl
from texts import article_page, rss

from newscrawl.demo_server import SiteServer, static_route

if TYPE_CHECKING:
    from pathlib import Path

    from newscrawl.demo_server import Route

SHORT_PAGE = "<html><head><title>Brief</title></head><body><p>Too short.</p></body></html>"


def write(root: Path, files: dict[str, str]) -> None:
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)


def sitemap(tag: str, urls: list[str]) -> str:
    inner = "sitemap" if tag == "sitemapindex" else "url"
    entries = "".join(f"<{inner}><loc>{u}</loc></{inner}>" for u in urls)
    return f"<{tag} xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{entries}</{tag}>"


def sources(path: Path, feed_url: str, robots_url: str) -> Path:
    path.write_text(
        f'[[source]]\nname = "tagged"\nkind = "feed"\nurls = ["{feed_url}"]\n\n'
        f'[[source]]\nname = "dated"\nkind = "sitemap"\nurls = ["{robots_url}"]\n'
    )
    return path


def test_unchanged_feeds_and_sitemaps_answer_304_and_nothing_else_is_fetched(
    tmp_path: Path, db: Path
) -> None:
    write(tmp_path / "tagged", {
        "feed.xml": rss(["{{BASE}}/a/1.html", "{{BASE}}/a/short.html"]),
        "a/1.html": article_page(1),
        "a/short.html": SHORT_PAGE,  # never stored, so only the 304 keeps it from a refetch
    })  # fmt: skip
    write(tmp_path / "dated", {
        "robots.txt": "User-agent: *\nSitemap: {{BASE}}/index.xml\n",
        "index.xml": sitemap("sitemapindex", ["{{BASE}}/pages.xml"]),
        "pages.xml": sitemap("urlset", ["{{BASE}}/b/2.html", "{{BASE}}/b/short.html"]),
        "b/2.html": article_page(2),
        "b/short.html": SHORT_PAGE,
    })  # fmt: skip
    tagged = SiteServer(tmp_path / "tagged", validators=("etag",)).start()
    dated = SiteServer(tmp_path / "dated", validators=("last-modified",)).start()
    feed, pages = tagged.url("/feed.xml"), dated.url("/pages.xml")
    try:
        file = sources(tmp_path / "sources.toml", feed, dated.url("/robots.txt"))
        first = run_crawl("news", db, sources=str(file))
        validators = {r["url"]: r for r in first.rows("SELECT * FROM validators")}
        second = run_crawl("news", db, sources=str(file))
        tagged_hits, dated_hits = tagged.hits.snapshot(), dated.hits.snapshot()
        not_modified = {**tagged.not_modified.snapshot(), **dated.not_modified.snapshot()}
    finally:
        tagged.stop()
        dated.stop()

    assert first.returncode == 0, first.log[-3000:]
    assert first.stats["newscrawl/store/inserted"] == 2
    # Only the listings of pages keep validators: robots.txt and the index may stay the
    # same while the sitemaps they point to change.
    assert sorted(validators) == sorted([feed, pages])
    assert validators[feed]["etag"].startswith('"')
    assert validators[feed]["last_modified"] is None
    assert validators[pages]["etag"] is None
    assert validators[pages]["last_modified"].endswith(" GMT")

    assert second.run["status"] == "finished", second.log[-3000:]
    assert second.stats["newscrawl/conditional/sent"] == 2
    assert second.stats["newscrawl/conditional/not_modified"] == 2
    assert not_modified == {"/feed.xml": 1, "/pages.xml": 1}
    # Each page was fetched by the first run only; the listings twice, the second time 304.
    for hits in (tagged_hits, dated_hits):
        assert all(n == 1 for path, n in hits.items() if path.startswith(("/a/", "/b/"))), hits
    assert tagged_hits["/feed.xml"] == dated_hits["/pages.xml"] == 2
    assert dated_hits["/robots.txt"] >= 2  # fetched as robots rules and as the sitemap entry
    assert dated_hits["/index.xml"] == 2
    assert "newscrawl/pages/fetched" not in second.stats
    assert "Not modified since the last complete run: " + feed in second.log


def fails_first(body: str) -> Route:
    """503 on the first request, the page after: a server that was down for a moment."""
    calls = []
    page = static_route(body)

    def answer() -> tuple[int, dict[str, str], bytes]:
        calls.append(1)
        return (503, {"Content-Type": "text/plain"}, b"busy") if len(calls) == 1 else page()

    return answer


def test_a_listing_whose_pages_failed_keeps_no_validators_so_nothing_is_lost(
    tmp_path: Path, db: Path
) -> None:
    write(tmp_path, {"feed.xml": rss(["{{BASE}}/a/1.html", "{{BASE}}/a/2.html"])})
    site = SiteServer(tmp_path, validators=("etag",)).start()
    feed = site.url("/feed.xml")
    stored = [site.url("/a/1.html"), site.url("/a/2.html")]
    try:
        site.routes["/a/1.html"] = static_route(article_page(1))
        site.routes["/a/2.html"] = fails_first(article_page(2))
        first = run_crawl("feed", db, url=site.url("/feed.xml"))
        saved = first.rows("SELECT * FROM validators")
        second = run_crawl("feed", db, url=site.url("/feed.xml"))
        hits = site.hits.snapshot()
    finally:
        site.stop()

    assert first.stats["newscrawl/store/inserted"] == 1
    assert first.stats["newscrawl/conditional/withheld"] == 1
    assert "Validators of " + feed + " not saved: HTTP 503" in first.log
    assert saved == []
    # The second run fetched the feed in full and got the page the first run missed.
    assert "newscrawl/conditional/sent" not in second.stats
    assert second.stats["newscrawl/store/inserted"] == 1
    assert hits["/a/2.html"] == 2
    assert hits["/a/1.html"] == 1  # the stored one is not fetched again
    urls = sorted(r["url"] for r in second.rows("SELECT url FROM articles"))
    assert urls == stored
