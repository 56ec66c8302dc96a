"""The boilerplate page of issue 3: a real article as a naive scraper saw it (search prompt
first, "Ltest News" teasers after), set in markup of our own. Every article paragraph must
be kept and no boilerplate line may be."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest

from newscrawl.extraction.article import Article
from newscrawl.extraction.extract import extract_article

PAGES = Path(__file__).parent / "fixtures" / "pages"
FIXTURE = PAGES / "boilerplate-ev-batteries.html"


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.with_suffix(".json").read_text(encoding="utf-8"))
    return data


def theme_page() -> str:
    return FIXTURE.read_text(encoding="utf-8")


def teasers_inside_body() -> str:
    # Themes that render the teaser block inside the post content, where trafilatura looks.
    page = theme_page()
    start = page.index('<div class="td_block_wrap')
    end = page.index('<div class="td-pb-span4')
    block = page[start:end]
    block = block[: block.rindex("</div>")]
    anchor = '            <div class="td-post-sharing-bottom">'
    return page.replace(block, "").replace(anchor, block + anchor)


def bare_markup(expected: dict[str, Any]) -> str:
    # No classes, ids or roles at all: only the line rules can tell boilerplate apart.
    boilerplate = expected["boilerplate"]
    lines = [boilerplate[0], expected["title"], *expected["paragraphs"], *boilerplate[1:5]]
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    title = html.escape(expected["title"])
    return f"<html><head><title>{title}</title></head><body><div>{body}</div></body></html>"


VARIANTS = ("theme", "teasers_inside_body", "bare_markup")


def page_for(variant: str, expected: dict[str, Any]) -> str:
    if variant == "theme":
        return theme_page()
    if variant == "teasers_inside_body":
        return teasers_inside_body()
    return bare_markup(expected)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_paragraph_kept_and_no_boilerplate(variant: str, expected: dict[str, Any]) -> None:
    result = extract_article(page_for(variant, expected), expected["url"])
    assert isinstance(result, Article), result
    lines = result.text.splitlines()
    assert lines == expected["paragraphs"]
    for snippet in expected["boilerplate"]:
        assert not any(snippet in line for line in lines), snippet


def test_metadata_of_the_theme_page(expected: dict[str, Any]) -> None:
    result = extract_article(theme_page(), expected["url"])
    assert isinstance(result, Article)
    assert result.title == expected["title"]
    assert result.sitename == "Business Daily Review"
    assert result.published_at == "2023-10-06T03:12:45+00:00"
    assert result.modified_at == "2023-10-06T08:40:11+00:00"
    assert result.language == "en"
    assert result.canonical_url == expected["url"].rstrip("/")
