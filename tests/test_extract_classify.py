"""Page classification: listings (home, section, tag, author, archive, search) give
``not_article``; articles with big related-story grids or poor metadata stay articles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newscrawl.extraction.article import Article, ExtractionFailed
from newscrawl.extraction.classify import url_signal
from newscrawl.extraction.extract import extract_article

PAGES = Path(__file__).parent / "fixtures" / "pages" / "classify"
EXPECTED: dict[str, dict[str, object]] = json.loads(
    (PAGES / "expected.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_page_classification(name: str) -> None:
    expected = EXPECTED[name]
    html = (PAGES / f"{name}.html").read_text(encoding="utf-8")
    result = extract_article(html, str(expected["url"]))
    if expected["article"]:
        assert isinstance(result, Article), result
    else:
        assert isinstance(result, ExtractionFailed)
        assert result.reason == "not_article", result.detail


def test_listing_fixtures_cover_the_usual_kinds() -> None:
    listings = {name for name, e in EXPECTED.items() if not e["article"]}
    assert {"home", "section", "tag-collectionpage", "author", "date-archive", "search"} <= listings


@pytest.mark.parametrize(
    ("url", "sign"),
    [
        ("https://example.com/", -1),
        ("https://example.com/business/", -1),
        ("https://example.com/tag/transport/", -1),
        ("https://example.com/2024/05/", 0),
        ("https://example.com/2024/05/01/bridge-repairs", 1),
        ("https://example.com/news/bridge-repairs-begin-on-monday", 1),
        ("https://example.com/story.php?id=12345", 1),
        ("https://example.com/article/4711234", 1),
    ],
)
def test_url_signal(url: str, sign: int) -> None:
    score, _ = url_signal(url)
    assert (score > 0) - (score < 0) == sign
