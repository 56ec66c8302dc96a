"""`newscrawl extract` on saved pages: the page's own address, and the exit status."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from newscrawl.cli import cli
from newscrawl.demo.outlets import DEMO_ROOT
from newscrawl.demo.pages import read_page
from newscrawl.extraction.saved_pages import declared_url

BASE = "https://gazette.example"
ARTICLE = "2024/05/03/harbour-bridge-reopens.html"


def save(tmp_path: Path, page: str, name: str, *, drop: str | None = None) -> Path:
    """A demo page as a browser saves it: absolute addresses, optionally a line removed."""
    html = read_page(DEMO_ROOT / "gazette" / page).decode().replace("{{BASE}}", BASE)
    if drop:
        html = "\n".join(line for line in html.splitlines() if drop not in line)
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, dict[str, dict[str, object]], str]:
    result = CliRunner().invoke(cli, ["extract", "--jsonl", *args])
    records = {Path(r["file"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    return result.exit_code, records, result.stderr


def test_saved_listing_pages_are_judged_at_their_declared_address(tmp_path: Path) -> None:
    save(tmp_path, "index.html", "home.html")
    save(tmp_path, "tag/storm-imogen/index.html", "tag.html")
    save(tmp_path, ARTICLE, "article.html")
    code, records, _ = run(str(tmp_path))
    assert code == 0
    assert records["home.html"]["error"] == "not_article"
    assert records["tag.html"]["error"] == "not_article"
    assert records["article.html"]["canonical_url"] == f"{BASE}/{ARTICLE}"
    assert records["article.html"]["url"] == f"{BASE}/{ARTICLE}"
    assert records["article.html"]["domain"] == "gazette.example"


def test_og_url_is_used_when_there_is_no_canonical_link(tmp_path: Path) -> None:
    page = save(tmp_path, ARTICLE, "article.html", drop='rel="canonical"')
    assert 'rel="canonical"' not in page.read_text()
    assert declared_url(page.read_bytes()) == f"{BASE}/{ARTICLE}"
    code, records, _ = run(str(page))
    assert code == 0
    assert records["article.html"]["canonical_url"] == f"{BASE}/{ARTICLE}"


def test_a_page_declaring_nothing_keeps_its_file_address(tmp_path: Path) -> None:
    page = save(tmp_path, ARTICLE, "article.html", drop=f"{BASE}/{ARTICLE}")
    assert declared_url(page.read_bytes()) is None
    code, records, _ = run(str(page))
    assert code == 0
    assert records["article.html"]["url"] == page.resolve().as_uri()


def test_url_option_wins_over_the_declared_address(tmp_path: Path) -> None:
    page = save(tmp_path, ARTICLE, "article.html")
    code, records, _ = run(str(page), "--url", "https://mirror.example/bridge.html")
    assert code == 0
    assert records["article.html"]["url"] == "https://mirror.example/bridge.html"


def test_exit_status_is_1_when_no_file_gave_an_article(tmp_path: Path) -> None:
    save(tmp_path, "index.html", "home.html")
    (tmp_path / "empty.html").write_text("<html><body></body></html>")
    (tmp_path / "broken.html.gz").write_bytes(b"\x1f\x8bnot gzip at all")
    code, records, stderr = run(str(tmp_path))
    assert code == 1
    assert set(records) == {"home.html", "empty.html", "broken.html.gz"}
    assert records["broken.html.gz"]["error"] == "unreadable"
    assert stderr.strip() == "Error: no article in 3 files"
