"""The bundled demo outlets: serving them, `python -m newscrawl.demo`, and the manifest
checked against the files, over real HTTP."""

from __future__ import annotations

import gzip
import json
import re
import signal
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from crawling import free_ports
from sites import fetch

from newscrawl.demo.outlets import (
    DEMO_ROOT,
    DEMO_SITES,
    PortInUseError,
    demo_servers,
    demo_sources_toml,
    load_manifest,
    serve_demo,
    stop_all,
)
from newscrawl.demo.pages import BLOCKS_DIR, read_page

MANIFEST: dict[str, Any] = load_manifest()
SITES: dict[str, Any] = MANIFEST["sites"]
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


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
    command = [sys.executable, "-m", "newscrawl.demo", "--sources", "--port", str(port)]
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
    command = [sys.executable, "-m", "newscrawl.demo", "courier", "--port", "0"]
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
            [sys.executable, "-m", "newscrawl.demo", "--port", str(port)],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    assert proc.returncode == 1
    expected = f"error: cannot serve the demo outlet gazette on 127.0.0.1:{port}: "
    assert proc.stderr.startswith(expected)
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_main_help(capsys: pytest.CaptureFixture[str]) -> None:
    from newscrawl.demo.__main__ import main

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
    text = unescape(read_page(path).decode())
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
    robots = read_page(site_file("gazette", "robots.txt")).decode()
    (private,) = gazette["disallowed_pages"]
    assert private["path"] == gazette["private_page"]
    assert any(private["path"].startswith(d) for d in gazette["disallowed"])
    assert f"Disallow: {gazette['disallowed'][0]}" in robots
    linking = read_page(site_file("gazette", "index.html")).decode()
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
    amp_html = read_page(site_file("gazette", amp["file"])).decode()
    assert f'<link rel="canonical" href="{{{{BASE}}}}{amp["canonical"]}">' in amp_html
    for sentence in amp["must_contain"]:
        assert sentence in unescape(amp_html)

    link = gazette["tracking_link"]
    assert "utm_source=homepage" in link["href"]
    home = read_page(site_file("gazette", "index.html")).decode()
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


# -- pages put together from their outlet's blocks -------------------------------------------
def demo_pages() -> list[Path]:
    return sorted(p for p in DEMO_ROOT.rglob("*.html") if BLOCKS_DIR not in p.parts)


def test_every_page_renders_whole_and_every_block_is_used() -> None:
    used: set[str] = set()
    for page in demo_pages():
        raw = page.read_bytes()
        used |= {m.decode() for m in re.findall(rb"<!--#block ([\w-]+)-->", raw)}
        html = read_page(page)
        assert b"<!--#block" not in html, page
        assert html[:15].lower() == b"<!doctype html>", page
        assert html.rstrip().endswith(b"</html>"), page
    blocks = sorted(DEMO_ROOT.glob(f"*/{BLOCKS_DIR}/*.html"))
    for block in blocks:
        used |= {m.decode() for m in re.findall(rb"<!--#block ([\w-]+)-->", block.read_bytes())}
    assert blocks
    assert {b.stem for b in blocks} <= used, "a block no page uses"


def test_pages_are_served_rendered_and_blocks_are_not_served() -> None:
    with demo_servers(sites=("courier",)) as servers:
        courier = servers["courier"]
        page = courier.root / "news" / "index.html"
        assert b"<!--#block" in page.read_bytes()  # the file names its blocks ...
        body = fetch(courier.url("/news/"))[2]
        assert body == read_page(page).replace(b"{{BASE}}", courier.base_url.encode())
        block = next((courier.root / BLOCKS_DIR).iterdir()).name
        assert fetch(courier.url(f"/{BLOCKS_DIR}/{block}"))[0] == 404
