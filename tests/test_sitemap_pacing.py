"""Sitemap entries wait as addresses and reach Scrapy's scheduler a few at a time
(newscrawl/spiders/pending.py): the scheduler never holds a whole sitemap, sources take
turns, and every entry is still fetched once and stored.

Real `scrapy crawl` child processes against a local site; the scheduler's size is read by a
test extension (tests/queue_probe.py) from Scrapy's own enqueued/dequeued counters.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import pytest
from crawling import REPO, CrawlResult, run_crawl
from sites import SiteServer
from texts import article_page

from newscrawl import settings as project

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

BIG, SMALL = 30, 10
BATCH = 4
# -s EXTENSIONS replaces the project's dict: the store and run records are kept by naming them.
PROBE = {"EXTENSIONS": json.dumps({**project.EXTENSIONS, "queue_probe.SchedulerPeak": 0})}


def write_sitemap(root: Path, name: str, count: int) -> list[str]:
    paths = [f"/{name}/{number}.html" for number in range(count)]
    for number, path in enumerate(paths):
        page = root / path.lstrip("/")
        page.parent.mkdir(parents=True, exist_ok=True)
        # Numbers apart per sitemap, so no two pages share their text.
        page.write_text(article_page(number + (1000 if name == "small" else 0)))
    urls = "".join(f"<url><loc>{{{{BASE}}}}{path}</loc></url>" for path in paths)
    (root / f"{name}.xml").write_text(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    )
    return paths


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[SiteServer, list[str], list[str]]]:
    root = tmp_path / "site"
    root.mkdir()
    big = write_sitemap(root, "big", BIG)
    small = write_sitemap(root, "small", SMALL)
    server = SiteServer(root).start()
    yield server, big, small
    server.stop()


def crawl(server: SiteServer, db: Path, **settings: str) -> CrawlResult:
    # The probe lives in tests/, which the child process must be able to import.
    path = os.pathsep.join(filter(None, [str(REPO / "tests"), os.environ.get("PYTHONPATH")]))
    return run_crawl(
        "sitemap",
        db,
        url=f"{server.url('/big.xml')},{server.url('/small.xml')}",
        settings={"CONCURRENT_REQUESTS": "2", **PROBE, **settings},
        env={"PYTHONPATH": path},
    )


def stored_paths(result: CrawlResult, server: SiteServer) -> list[str]:
    """Stored articles' paths in the order they were stored."""
    rows = result.rows("SELECT url FROM articles ORDER BY id")
    return [row["url"].removeprefix(server.base_url) for row in rows]


def test_the_scheduler_holds_a_batch_not_the_sitemap(
    site: tuple[SiteServer, list[str], list[str]], db: Path
) -> None:
    server, big, small = site
    result = crawl(server, db, NEWSCRAWL_SCHEDULE_AHEAD=str(BATCH))
    assert result.returncode == 0, result.log
    stored = stored_paths(result, server)
    assert sorted(stored) == sorted(big + small)
    assert all(server.hits[path] == 1 for path in big + small)
    assert result.stats["newscrawl/sitemaps/entries"] == BIG + SMALL
    # Both sitemaps' entries waited as addresses; the scheduler held a batch at most, plus
    # the two sitemaps it started with.
    assert result.stats["newscrawl/sitemaps/entries_waiting_max"] >= BIG
    assert result.stats["test/scheduler_peak"] <= BATCH + 2
    # Turns: the small sitemap's pages are not left until the big one's are all fetched.
    last_small = max(stored.index(path) for path in small)
    assert last_small < BIG, stored


@pytest.mark.parametrize("settings", [{"NEWSCRAWL_SCHEDULE_AHEAD": "0"}, {"JOBDIR": "jobdir"}])
def test_all_at_once_when_off_or_the_queue_is_on_disk(
    site: tuple[SiteServer, list[str], list[str]], db: Path, settings: dict[str, str]
) -> None:
    server, big, small = site
    if "JOBDIR" in settings:
        settings = {"JOBDIR": str(db.parent / settings["JOBDIR"])}
    result = crawl(server, db, **settings)
    assert result.returncode == 0, result.log
    assert sorted(stored_paths(result, server)) == sorted(big + small)
    assert "newscrawl/sitemaps/entries_waiting_max" not in result.stats
    assert result.stats["test/scheduler_peak"] >= BIG


@pytest.mark.parametrize("ahead", ["0", str(BATCH)])
def test_an_address_that_cannot_be_split_is_skipped_and_counted(
    tmp_path: Path, db: Path, ahead: str
) -> None:
    root = tmp_path / "site"
    root.mkdir()
    paths = write_sitemap(root, "big", 3)
    listing = (root / "big.xml").read_text()
    # urllib refuses this one (an unclosed IPv6 bracket); the others must still be fetched.
    bad = "<url><loc>http://[bad/news.html</loc></url>"
    (root / "big.xml").write_text(listing.replace("<url>", bad + "<url>", 1))
    server = SiteServer(root).start()
    try:
        listing = server.url("/big.xml")
        result = run_crawl("sitemap", db, url=listing, settings={"NEWSCRAWL_SCHEDULE_AHEAD": ahead})
        stored = stored_paths(result, server)
    finally:
        server.stop()
    assert result.returncode == 0, result.log
    assert sorted(stored) == sorted(paths)
    assert result.stats["newscrawl/sitemaps/entries_invalid"] == 1
    assert f"1 entries of {listing} have no usable http(s) address" in result.log
    assert "Traceback" not in result.log
    assert "skipped 1 (invalid_url 1)" in result.log
