"""Conditional requests: an unchanged feed or sitemap answers 304 and nothing else is fetched,
and a listing whose pages could not all be fetched keeps no validators, so nothing is lost.

Two outlets on 127.0.0.1: one whose server sends ETags, with two feeds (one lists a page
that fails the first time), and one that sends only Last-Modified, crawled by sitemap
(robots.txt -> sitemap index -> sitemap of pages).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawling import run_crawl
from sites import SiteServer, static_route
from texts import article_page, rss

if TYPE_CHECKING:
    from pathlib import Path

    from sites import Route

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


def sources(path: Path, **urls: str) -> Path:
    kinds = {"robots": "sitemap"}
    path.write_text(
        "".join(
            f'[[source]]\nname = "{name}"\nkind = "{kinds.get(name, "feed")}"\nurls = ["{url}"]\n'
            for name, url in urls.items()
        )
    )
    return path


def fails_first(body: str) -> Route:
    """503 on the first request, the page after: a server that was down for a moment."""
    calls = []
    page = static_route(body)

    def answer() -> tuple[int, dict[str, str], bytes]:
        calls.append(1)
        return (503, {"Content-Type": "text/plain"}, b"busy") if len(calls) == 1 else page()

    return answer


def test_unchanged_listings_answer_304_and_a_listing_with_failures_is_fetched_again(
    tmp_path: Path, db: Path
) -> None:
    write(tmp_path / "tagged", {
        "feed.xml": rss(["{{BASE}}/a/1.html", "{{BASE}}/a/short.html"]),
        "a/1.html": article_page(1),
        "a/short.html": SHORT_PAGE,  # never stored, so only the 304 keeps it from a refetch
        "flaky.xml": rss(["{{BASE}}/c/3.html", "{{BASE}}/c/4.html"]),
        "c/3.html": article_page(3),
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
    tagged.routes["/c/4.html"] = fails_first(article_page(4))
    feed, flaky, pages = tagged.url("/feed.xml"), tagged.url("/flaky.xml"), dated.url("/pages.xml")
    try:
        file = sources(tmp_path / "sources.toml", feed=feed, flaky=flaky,
                       robots=dated.url("/robots.txt"))  # fmt: skip
        first = run_crawl("news", db, sources=str(file))
        validators = {r["url"]: r for r in first.rows("SELECT * FROM validators")}
        second = run_crawl("news", db, sources=str(file))
        tagged_hits, dated_hits = tagged.hits.snapshot(), dated.hits.snapshot()
        not_modified = {**tagged.not_modified.snapshot(), **dated.not_modified.snapshot()}
        stored = sorted(r["url"] for r in second.rows("SELECT url FROM articles"))
        expected = sorted([tagged.url("/a/1.html"), dated.url("/b/2.html"),
                           tagged.url("/c/3.html"), tagged.url("/c/4.html")])  # fmt: skip
        saved_at_last = {r["url"] for r in second.rows("SELECT url FROM validators")}
    finally:
        tagged.stop()
        dated.stop()

    assert first.stats["newscrawl/store/inserted"] == 3, first.log[-3000:]
    # Only the listings of pages keep validators: robots.txt and the index may stay the
    # same while the sitemaps they point to change. The flaky feed keeps none: one of its
    # pages answered 503, and a 304 next run would hide it.
    assert sorted(validators) == sorted([feed, pages])
    assert validators[feed]["etag"].startswith('"')
    assert validators[feed]["last_modified"] is None
    assert validators[pages]["etag"] is None
    assert validators[pages]["last_modified"].endswith(" GMT")
    assert first.stats["newscrawl/conditional/withheld"] == 1
    assert f"Validators of {flaky} not saved: HTTP 503 on {tagged_url(flaky, '/c/4.html')}" in (
        first.log
    )

    assert second.run["status"] == "finished", second.log[-3000:]
    assert second.stats["newscrawl/conditional/sent"] == 2
    assert second.stats["newscrawl/conditional/not_modified"] == 2
    assert not_modified == {"/feed.xml": 1, "/pages.xml": 1}
    assert "Not modified since the last complete run: " + feed in second.log
    # Pages of unchanged listings were fetched by the first run only, the listings twice.
    for hits in (tagged_hits, dated_hits):
        assert all(n == 1 for path, n in hits.items() if path.startswith(("/a/", "/b/"))), hits
    assert tagged_hits["/feed.xml"] == dated_hits["/pages.xml"] == 2
    assert dated_hits["/robots.txt"] >= 2  # fetched as robots rules and as the sitemap entry
    assert dated_hits["/index.xml"] == 2
    # The flaky feed was fetched in full again: the missed page was fetched and stored, the
    # stored one skipped by the incremental filter; now its validators are kept.
    assert tagged_hits["/c/4.html"] == 2
    assert tagged_hits["/c/3.html"] == 1
    assert second.stats["newscrawl/store/inserted"] == 1
    assert stored == expected
    assert saved_at_last == {feed, flaky, pages}


def tagged_url(listing: str, path: str) -> str:
    return listing.rsplit("/", 1)[0] + path
