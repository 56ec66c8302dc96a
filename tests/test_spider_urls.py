"""`scrapy crawl urls`: exactly the pages given; what is not an article is skipped, counted."""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING, Any

from crawling import assert_clean_articles, run_crawl
from sites import static_route

if TYPE_CHECKING:
    from pathlib import Path

    from sites import SiteServer


def test_url_list_and_file(
    sites: dict[str, SiteServer], manifest: dict[str, Any], db: Path, tmp_path: Path
) -> None:
    courier = sites["courier"]
    paths = [a["path"] for a in manifest["sites"]["courier"]["articles"]]
    todo = tmp_path / "todo.txt"
    todo.write_text("# pages to fetch\n" + "\n".join(courier.url(p) for p in paths[2:]) + "\n")
    result = run_crawl("urls", db, url=",".join(courier.url(p) for p in paths[:2]), file=str(todo))
    assert result.returncode == 0, result.log
    assert_clean_articles(result, manifest, "courier", courier, paths)
    assert courier.hits.total - courier.hits["/robots.txt"] == len(paths)


def test_bad_pages_are_skipped_with_their_reason(sites: dict[str, SiteServer], db: Path) -> None:
    courier = sites["courier"]
    routes = {
        "/photo.jpg": static_route(
            b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40, content_type="image/jpeg"
        ),
        "/binary.html": static_route(gzip.compress(b"x" * 5000), content_type="text/html"),
        "/latin1.html": static_route(
            "<html><head><title>Caf\xe9</title></head><body><p>"
            + "D\xe9j\xe0 vu \xe0 la caf\xe9t\xe9ria. " * 3
            + "</p></body></html>",
            content_type="text/html; charset=iso-8859-1",
        ),
        "/huge.html": static_route(
            b"<html><body>" + b"<p>word </p>" * 600_000, content_type="text/html"
        ),
        "/error.html": static_route(b"oops", status=500, content_type="text/html"),
    }
    courier.routes.update(routes)
    section = manifest_section = courier.url("/news/")
    try:
        result = run_crawl(
            "urls", db, url=",".join([*(courier.url(p) for p in routes), manifest_section])
        )
    finally:
        for path in routes:
            del courier.routes[path]
    # Each page given is a source of its own: the ones that could not be fetched fail the
    # run's exit status (3: finished, some sources failed), each with its reason.
    assert result.returncode == 3
    assert result.run["status"] == "partial"
    assert "Traceback" not in result.log
    stats = result.stats
    failed = stats["newscrawl/failed_sources"]
    assert failed[courier.url("/error.html")] == f"http_500 {courier.url('/error.html')}"
    assert (
        stats["newscrawl/sources/failed"]
        == len(failed)
        == sum(v for k, v in stats.items() if k.startswith("newscrawl/errors/"))
    )
    assert stats["newscrawl/skipped/not_html"] >= 1  # the JPEG
    assert stats["newscrawl/skipped/not_article"] >= 1, section  # the section page
    assert stats["newscrawl/errors/http_500"] == 1
    assert stats.get("newscrawl/store/inserted", 0) == 0
    skipped = sum(v for k, v in stats.items() if k.startswith("newscrawl/skipped/"))
    errors = sum(v for k, v in stats.items() if k.startswith("newscrawl/errors/"))
    # Every page given ends up counted under a reason.
    assert skipped + errors == len(routes) + 1


def french_article(title: str, meta: str = "") -> str:
    paragraph = (
        "Le conseil municipal a voté jeudi l’extension des pistes cyclables protégées "
        "jusqu’à la gare, après des mois de débats sur le coût des travaux et la place "
        "laissée aux livraisons dans les rues étroites du centre-ville."
    )
    body = "\n".join(f"<p>{paragraph} Paragraphe {i}.</p>" for i in range(5))
    return f"""<!DOCTYPE html><html lang="fr"><head>{meta}<title>{title}</title>
<meta property="og:type" content="article"></head><body>
<article><h1>{title}</h1>{body}</article></body></html>"""


def test_pages_are_decoded_by_what_their_bytes_are(sites: dict[str, SiteServer], db: Path) -> None:
    """UTF-8 served as ISO-8859-1 (a common server default) is still read as UTF-8; a page
    whose only declaration is its HTTP header is read in that encoding."""
    courier = sites["courier"]
    routes = {
        "/mislabelled.html": static_route(
            french_article("Pistes cyclables étendues").encode("utf-8"),
            content_type="text/html; charset=iso-8859-1",
        ),
        "/windows-1252.html": static_route(
            french_article("Écoles rénovées").encode("cp1252"),
            content_type="text/html; charset=windows-1252",
        ),
    }
    courier.routes.update(routes)
    try:
        result = run_crawl("urls", db, url=",".join(courier.url(p) for p in routes))
    finally:
        for path in routes:
            del courier.routes[path]
    assert result.returncode == 0, result.log
    stored = {r["title"]: r["text"] for r in result.rows("SELECT title, text FROM articles")}
    assert set(stored) == {"Pistes cyclables étendues", "Écoles rénovées"}
    for text in stored.values():
        assert "l’extension des pistes cyclables protégées jusqu’à la gare" in text
        assert "Ã" not in text  # UTF-8 read as Latin-1
        assert "\ufffd" not in text
