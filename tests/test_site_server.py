"""The loopback site server (package static server plus the tests' routes, hits and
conditional requests), over real HTTP."""

from __future__ import annotations

import gzip
import http.client
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from sites import HitCounter, SiteServer, fetch, redirect_route, static_route

from newscrawl.demo.outlets import (
    DEMO_ROOT,
)

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def raw_get(server: SiteServer, path: str) -> tuple[int, bytes]:
    """A request with the path sent exactly as given (urllib would not send `..` as is)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def gazette() -> Iterator[SiteServer]:
    with SiteServer(DEMO_ROOT / "gazette") as server:
        yield server


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[SiteServer]:
    (tmp_path / "index.html").write_text("<html><body>home {{BASE}}/x</body></html>")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "index.html").write_text("<p>sub</p>")
    (tmp_path / "data.xml").write_text(
        '<?xml version="1.0"?><urlset><loc>{{BASE}}/a</loc></urlset>'
    )
    (tmp_path / "robots.txt").write_text("Sitemap: {{BASE}}/data.xml\n")
    (tmp_path / "blob.bin").write_bytes(b"\x00{{BASE}}\xff")
    (tmp_path.parent / "secret.txt").write_text("top secret")
    with SiteServer(tmp_path) as server:
        yield server


# -- serving -----------------------------------------------------------------------------------
def test_base_url_and_ephemeral_port(tiny: SiteServer) -> None:
    assert tiny.port > 0
    assert tiny.base_url == f"http://127.0.0.1:{tiny.port}"
    assert tiny.url("/a") == tiny.url("a") == tiny.base_url + "/a"


def test_not_started_has_no_base_url(tmp_path: Path) -> None:
    server = SiteServer(tmp_path)
    with pytest.raises(RuntimeError):
        _ = server.base_url
    server.stop()  # stopping a server that never started is harmless


def test_root_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Not a directory"):
        SiteServer(tmp_path / "missing")


def test_directory_serves_index_html(tiny: SiteServer) -> None:
    status, headers, body = fetch(tiny.url("/"))
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert body.startswith(b"<html>")
    assert fetch(tiny.url("/sub/"))[2] == b"<p>sub</p>"


def test_directory_without_slash_redirects(tiny: SiteServer) -> None:
    status, body = raw_get(tiny, "/sub")
    assert status == 301
    status, _, body = fetch(tiny.url("/sub"))  # urllib follows the redirect
    assert (status, body) == (200, b"<p>sub</p>")


def test_base_placeholder_is_substituted_in_text_files(tiny: SiteServer) -> None:
    assert fetch(tiny.url("/"))[2] == f"<html><body>home {tiny.base_url}/x</body></html>".encode()
    assert fetch(tiny.url("/robots.txt"))[2] == f"Sitemap: {tiny.base_url}/data.xml\n".encode()
    assert fetch(tiny.url("/blob.bin"))[2] == b"\x00{{BASE}}\xff"  # binary files are untouched


def test_content_types(gazette: SiteServer) -> None:
    def ctype(path: str) -> str:
        return fetch(gazette.url(path))[1]["Content-Type"]

    assert ctype("/robots.txt") == "text/plain; charset=utf-8"
    assert ctype("/feed.xml") == "application/rss+xml; charset=utf-8"
    assert ctype("/atom.xml") == "application/atom+xml; charset=utf-8"
    assert ctype("/rdf.xml") == "application/rdf+xml; charset=utf-8"
    assert ctype("/sitemap.xml") == "application/xml; charset=utf-8"
    assert ctype("/2024/05/03/harbour-bridge-reopens.html") == "text/html; charset=utf-8"


def test_xml_gz_is_gzipped_on_the_fly(tiny: SiteServer, gazette: SiteServer) -> None:
    status, headers, body = fetch(tiny.url("/data.xml.gz"))
    assert status == 200
    assert headers["Content-Type"] == "application/gzip"
    assert "Content-Encoding" not in headers  # a .gz file, not a compressed transfer
    assert gzip.decompress(body).decode() == fetch(tiny.url("/data.xml"))[2].decode()

    status, _, body = fetch(gazette.url("/sitemap-news.xml.gz"))
    root = ET.fromstring(gzip.decompress(body))
    assert root.tag == f"{SITEMAP_NS}urlset"
    locs = [loc.text for loc in root.iter(f"{SITEMAP_NS}loc")]
    assert locs
    assert all(loc and loc.startswith(gazette.base_url + "/") for loc in locs)


def test_missing_files_are_404(tiny: SiteServer) -> None:
    assert fetch(tiny.url("/nope.html"))[0] == 404
    assert fetch(tiny.url("/nope.xml.gz"))[0] == 404
    assert fetch(tiny.url("/sub/nope/"))[0] == 404


def test_head_sends_headers_only(tiny: SiteServer) -> None:
    status, headers, body = fetch(tiny.url("/robots.txt"), method="HEAD")
    assert status == 200
    assert body == b""
    assert int(headers["Content-Length"]) == len(f"Sitemap: {tiny.base_url}/data.xml\n")


def test_query_string_is_ignored_for_files(tiny: SiteServer) -> None:
    assert fetch(tiny.url("/robots.txt?utm_source=x"))[0] == 200
    assert tiny.hits["/robots.txt"] == 1


@pytest.mark.parametrize(
    "path",
    ["/../secret.txt", "/sub/../../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt",
     "/sub/%2E%2E/%2E%2E/secret.txt", "/..\\secret.txt"],
)  # fmt: skip
def test_paths_cannot_escape_root(tiny: SiteServer, path: str) -> None:
    status, body = raw_get(tiny, path)
    assert status == 404
    assert b"top secret" not in body


def test_no_directory_listing(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "a.html").write_text("a")
    with SiteServer(tmp_path) as server:
        status, _, body = fetch(server.url("/empty/"))
    assert status == 404
    assert b"a.html" not in body


# -- hits ----------------------------------------------------------------------------------------
def test_hits_count_per_path_total_and_reset(tiny: SiteServer) -> None:
    fetch(tiny.url("/"))
    fetch(tiny.url("/?a=1"))
    fetch(tiny.url("/robots.txt"))
    fetch(tiny.url("/missing"))
    assert tiny.hits["/"] == 2
    assert tiny.hits.get("/robots.txt") == 1
    assert tiny.hits["/missing"] == 1  # 404s count too
    assert tiny.hits["/never"] == 0
    assert "/never" not in tiny.hits
    assert tiny.hits.total == 4
    assert tiny.hits.snapshot() == {"/": 2, "/robots.txt": 1, "/missing": 1}
    assert tiny.hits.matching(lambda p: p.endswith(".txt")) == {"/robots.txt": 1}
    tiny.hits.reset()
    assert tiny.hits.total == 0
    assert len(tiny.hits) == 0


def test_hit_counter_is_thread_safe() -> None:
    hits = HitCounter()
    workers = [
        threading.Thread(target=lambda: [hits.record("/p") for _ in range(1000)]) for _ in range(8)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert hits["/p"] == hits.total == 8000


def test_concurrent_requests(gazette: SiteServer) -> None:
    gazette.hits.reset()
    results: list[int] = []
    workers = [
        threading.Thread(target=lambda: results.append(fetch(gazette.url("/feed.xml"))[0]))
        for _ in range(10)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert results == [200] * 10
    assert gazette.hits["/feed.xml"] == 10


# -- routes ---------------------------------------------------------------------------------------
def test_routes(tmp_path: Path) -> None:
    calls: list[int] = []

    def counting() -> tuple[int, dict[str, str], bytes]:
        calls.append(1)
        return 200, {"Content-Type": "text/plain"}, f"call {len(calls)}".encode()

    routes = {
        "/binary": static_route(b"\x89PNG\r\n\x1a\n" + bytes(64), content_type="image/png"),
        "/error": static_route("<h1>oops</h1>", status=500),
        "/moved": redirect_route("{{BASE}}/target"),
        "/target": static_route("<p>target</p>"),
        "/latin1": static_route("<p>caf\xe9</p>".encode("latin-1")),
        "/huge": static_route(b"<p>" + b"x" * 3_000_000 + b"</p>"),
        "/counting": counting,
    }
    with SiteServer(tmp_path, routes=routes) as server:
        status, headers, body = fetch(server.url("/binary"))
        assert (status, headers["Content-Type"]) == (200, "image/png")
        assert body.startswith(b"\x89PNG")
        assert fetch(server.url("/error"))[:3:2] == (500, b"<h1>oops</h1>")
        assert raw_get(server, "/moved")[0] == 301
        assert fetch(server.url("/moved"))[2] == b"<p>target</p>"
        assert fetch(server.url("/latin1"))[2] == b"<p>caf\xe9</p>"
        assert len(fetch(server.url("/huge"))[2]) == 3_000_007
        assert fetch(server.url("/counting"))[2] == b"call 1"
        assert fetch(server.url("/counting"))[2] == b"call 2"  # called per request
        server.add_route("/late", static_route("late"))
        assert fetch(server.url("/late"))[2] == b"late"
        assert server.hits["/moved"] == 2
        assert server.hits["/target"] == 1


def test_routes_take_precedence_over_files(tiny: SiteServer) -> None:
    tiny.routes["/robots.txt"] = static_route(
        "User-agent: *\nDisallow: /\n", content_type="text/plain"
    )
    assert fetch(tiny.url("/robots.txt"))[2] == b"User-agent: *\nDisallow: /\n"


def test_restart_is_idempotent_and_stop_frees(tmp_path: Path) -> None:
    server = SiteServer(tmp_path)
    assert server.start() is server.start()
    port = server.port
    server.stop()
    server.stop()
    assert not server.running
    with pytest.raises(urllib.error.URLError, match="refused"):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)


# -- robustness and quietness ---------------------------------------------------------------------
def test_failing_route_answers_500(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> tuple[int, dict[str, str], bytes]:
        raise RuntimeError("boom")

    with SiteServer(tmp_path, routes={"/broken": broken}) as server:
        assert fetch(server.url("/broken"))[0] == 500
        assert fetch(server.url("/broken"))[0] == 500  # the server keeps serving
    assert any("Route /broken failed" in r.getMessage() for r in caplog.records)


def test_double_slash_path_is_a_path(tiny: SiteServer) -> None:
    assert raw_get(tiny, "//sub/?q=1")[0] == 200  # not read as a host name "sub"
    assert tiny.hits["/sub/"] == 1  # http.server collapses the leading slashes


def test_quiet_logs_to_logging_not_stderr(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="newscrawl.demo.server")
    routes = {"/huge": static_route(b"x" * 20_000_000)}
    with SiteServer(tmp_path, routes=routes) as server:
        fetch(server.url("/missing"))
        # a client that hangs up mid-download, as a crawler over its size limit does
        conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
        conn.request("GET", "/huge")
        conn.getresponse().read(10)
        conn.close()
        assert fetch(server.url("/missing"))[0] == 404
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert any('"GET /missing HTTP/1.1" 404' in r.getMessage() for r in caplog.records)
