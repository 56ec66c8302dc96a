"""The loopback demo server and the bundled demo sites' manifest, over real HTTP."""

from __future__ import annotations

import gzip
import http.client
import json
import signal
import subprocess
import sys
import threading
import tomllib
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from crawling import free_ports

from newscrawl.demo.server import (
    DEMO_ROOT,
    DEMO_SITES,
    HitCounter,
    PortInUseError,
    SiteServer,
    demo_servers,
    demo_sources_toml,
    load_manifest,
    redirect_route,
    serve_demo,
    static_route,
    stop_all,
)

MANIFEST: dict[str, Any] = load_manifest()
SITES: dict[str, Any] = MANIFEST["sites"]
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def fetch(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


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


# -- demo helpers ----------------------------------------------------------------------------------
def test_serve_demo_and_sources_toml() -> None:
    servers = serve_demo()
    try:
        assert list(servers) == ["gazette", "courier"]
        assert servers["gazette"].port != servers["courier"].port
        sources = tomllib.loads(demo_sources_toml(servers))["source"]
        by_name = {s["name"]: s for s in sources}
        assert by_name["gazette"]["kind"] == "feed"
        assert by_name["gazette"]["urls"] == [servers["gazette"].url("/feed.xml")]
        assert by_name["courier"]["kind"] == "sitemap"
        assert by_name["courier"]["urls"] == [servers["courier"].url("/sitemap.xml")]
        for source in sources:
            assert fetch(source["urls"][0])[0] == 200
    finally:
        stop_all(servers)


def test_sources_toml_is_loadable_by_the_project(tmp_path: Path) -> None:
    sources_mod = pytest.importorskip("newscrawl.crawl.sources")
    with demo_servers() as servers:
        path = tmp_path / "sources.toml"
        path.write_text(demo_sources_toml(servers), encoding="utf-8")
        loaded = sources_mod.load_sources(path)
    assert [s.name for s in loaded] == ["gazette", "courier"]
    assert [s.kind for s in loaded] == ["feed", "sitemap"]


def test_demo_robots_txt_points_at_served_sitemap() -> None:
    with demo_servers() as servers:
        for name, server in servers.items():
            robots = fetch(server.url("/robots.txt"))[2].decode()
            assert f"Sitemap: {server.base_url}/sitemap.xml" in robots, name
            assert "{{BASE}}" not in robots
        assert "Disallow: /private/" in fetch(servers["gazette"].url("/robots.txt"))[2].decode()


def test_module_serves_until_interrupted_with_its_toml_alone_on_stdout() -> None:
    port = free_ports(2)
    command = [sys.executable, "-m", "newscrawl.demo.server", "--sources", "--port", str(port)]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stderr is not None
            lines = [proc.stderr.readline().strip() for _ in DEMO_SITES]
            assert lines == [
                f"gazette: http://127.0.0.1:{port}/",
                f"courier: http://127.0.0.1:{port + 1}/",
            ]
            assert fetch(f"http://127.0.0.1:{port + 1}/robots.txt")[0] == 200
        finally:
            proc.send_signal(signal.SIGINT)
            stdout, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0
    sources = tomllib.loads(stdout)["source"]
    assert [s["urls"] for s in sources] == [
        [f"http://127.0.0.1:{port}/feed.xml"],
        [f"http://127.0.0.1:{port + 1}/sitemap.xml"],
    ]


def test_module_stops_on_sigterm_too() -> None:
    command = [sys.executable, "-m", "newscrawl.demo.server", "courier", "--port", "0"]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stderr is not None
        assert proc.stderr.readline().startswith("courier: http://127.0.0.1:")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_fixed_ports_are_per_outlet_and_a_taken_port_is_a_clear_error() -> None:
    port = free_ports(2)
    with demo_servers(sites=("courier",), port=port) as alone:
        assert alone["courier"].port == port + 1  # as when served with the gazette
        with pytest.raises(PortInUseError, match=rf"courier on 127.0.0.1:{port + 1}: .*--port N"):
            serve_demo(port=port)
    with demo_servers(port=port) as both:
        assert [s.port for s in both.values()] == [port, port + 1]


def test_module_reports_a_taken_port_in_one_line() -> None:
    port = free_ports(2)
    with demo_servers(sites=("gazette",), port=port):
        proc = subprocess.run(
            [sys.executable, "-m", "newscrawl.demo.server", "--port", str(port)],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    assert proc.returncode == 1
    expected = f"error: cannot serve the demo outlet gazette on 127.0.0.1:{port}: "
    assert proc.stderr.startswith(expected)
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_main_help(capsys: pytest.CaptureFixture[str]) -> None:
    from newscrawl.demo.server import main

    with pytest.raises(SystemExit):
        main(["--help"])
    assert "Serve the bundled demo news sites" in capsys.readouterr().out


# -- the manifest matches the files -------------------------------------------------------------
def site_file(site: str, rel: str) -> Path:
    return DEMO_ROOT / SITES[site]["dir"] / rel


def all_articles() -> list[tuple[str, dict[str, Any]]]:
    return [(name, art) for name, site in SITES.items() for art in site["articles"]]


def article_id(param: object) -> str:
    return str(param["path"]) if isinstance(param, dict) else str(param)


@pytest.mark.parametrize(("site", "article"), all_articles(), ids=article_id)
def test_manifest_article_matches_file(site: str, article: dict[str, Any]) -> None:
    path = site_file(site, article["file"])
    assert path.is_file()
    assert article["file"] == article["path"].lstrip("/")
    text = unescape(path.read_text(encoding="utf-8"))
    for sentence in article["must_contain"]:
        assert sentence in text
    for line in article["must_not_contain"]:
        assert line in text, "boilerplate listed for a page must be on that page"
    assert f"<title>{article['title']}" in text
    assert 350 <= article["word_count"] <= 700
    assert f'<link rel="canonical" href="{{{{BASE}}}}{article["path"]}">' in text
    if article["machine_readable_date"]:
        assert f'content="{article["published_local"]}"' in text
        assert f'"datePublished": "{article["published_local"]}"' in text.replace('":"', '": "')
    else:
        assert "article:published_time" not in text
        assert "datePublished" not in text
        assert "<time" not in text
        assert article["visible_date"] in text


def test_manifest_non_articles_exist() -> None:
    for name, site in SITES.items():
        for page in site["non_articles"] + site.get("disallowed_pages", []):
            assert site_file(name, page["file"]).is_file(), (name, page)
            path = page["path"].lstrip("/")
            assert page["file"] == (path + "index.html" if path.endswith("/") or not path else path)


def test_disallowed_pages_are_disallowed_and_linked() -> None:
    gazette = SITES["gazette"]
    robots = site_file("gazette", "robots.txt").read_text(encoding="utf-8")
    (private,) = gazette["disallowed_pages"]
    assert private["path"] == gazette["private_page"]
    assert any(private["path"].startswith(d) for d in gazette["disallowed"])
    assert f"Disallow: {gazette['disallowed'][0]}" in robots
    linking = site_file("gazette", "index.html").read_text(encoding="utf-8")
    assert f'href="{private["path"]}"' in linking


def test_manifest_feeds_and_sitemaps_list_every_article() -> None:
    with demo_servers() as servers:
        for name, site in SITES.items():
            base = servers[name].base_url
            paths = {a["path"] for a in site["articles"]}
            for feed in site["feeds"].values():
                body = fetch(base + feed["path"])[2].decode()
                listed = {p for p in paths if f"{base}{p}<" in body or f'{base}{p}"' in body}
                assert listed == set(feed["articles"]), feed["path"]
            for sitemap in site["sitemaps"].values():
                status, _, body = fetch(base + sitemap["path"])
                assert status == 200
                if sitemap["path"].endswith(".gz"):
                    body = gzip.decompress(body)
                root = ET.fromstring(body)
                locs = {(e.text or "").removeprefix(base) for e in root.iter(f"{SITEMAP_NS}loc")}
                if "sitemaps" in sitemap:
                    assert locs == set(sitemap["sitemaps"])
                else:
                    assert locs == set(sitemap["articles"]) | set(sitemap.get("non_articles", []))
            rss = site["feeds"]["rss"]["articles"]
            sitemap_articles = set().union(
                *(s.get("articles", []) for s in site["sitemaps"].values())
            )
            assert set(rss) == paths == sitemap_articles, name


def test_manifest_cross_references() -> None:
    gazette = SITES["gazette"]
    gazette_paths = {a["path"] for a in gazette["articles"]}
    (syn,) = MANIFEST["syndicated"]
    assert syn["original"]["path"] in gazette_paths
    copy = site_file("courier", syn["copy"]["path"].lstrip("/")).read_text(encoding="utf-8")
    original = site_file("gazette", syn["original"]["path"].lstrip("/")).read_text("utf-8")
    for sentence in syn["shared_sentences"]:
        assert sentence in unescape(copy)
        assert sentence in unescape(original)
    assert syn["changes"]["last_paragraph_cut"] in unescape(original)
    assert syn["changes"]["last_paragraph_cut"] not in unescape(copy)
    assert syn["changes"]["added_first_line"] in unescape(copy)
    for old, new in syn["changes"]["word_edits"]:
        assert old in unescape(original)
        assert new in unescape(copy)
    for pair in MANIFEST["same_event"]:
        assert len(pair["articles"]) == 2
        for ref in pair["articles"]:
            assert ref["path"] in {a["path"] for a in SITES[ref["site"]]["articles"]}

    amp = gazette["amp"]
    amp_html = site_file("gazette", amp["file"]).read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{{{{BASE}}}}{amp["canonical"]}">' in amp_html
    for sentence in amp["must_contain"]:
        assert sentence in unescape(amp_html)

    link = gazette["tracking_link"]
    assert "utm_source=homepage" in link["href"]
    home = site_file("gazette", "index.html").read_text(encoding="utf-8")
    assert f'href="{link["href"].replace("&", "&amp;")}"' in home
    assert f'href="{gazette["private_page"]}"' in home
    for path in gazette["no_machine_readable_date"]:
        assert "/20" not in path  # no date in the URL either


def test_manifest_is_valid_json_with_stable_keys() -> None:
    raw = (DEMO_ROOT / "manifest.json").read_text(encoding="utf-8")
    assert json.loads(raw) == MANIFEST
    assert set(SITES) == {"gazette", "courier"}
    assert len(SITES["gazette"]["articles"]) == 8
    assert len(SITES["courier"]["articles"]) == 4


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
