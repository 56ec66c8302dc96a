from __future__ import annotations

import gzip

import pytest

from newscrawl.article import Article, ExtractionFailed
from newscrawl.extract import DEFAULT_MIN_WORDS, extract_article

PARAGRAPH = (
    "The city council voted on Tuesday to expand the network of protected bike lanes across "
    "the northern districts, after a two-year pilot showed fewer collisions and more riders. "
    "Officials said construction would begin in the spring and finish before the end of the year."
)


def article_html(*, head: str = "", paragraphs: int = 5, charset: str = "utf-8") -> str:
    body = "\n".join(f"<p>{PARAGRAPH} Paragraph {i}.</p>" for i in range(paragraphs))
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="{charset}">
<title>Council expands bike lanes | The Gazette</title>
<meta property="og:type" content="article">
<meta property="og:site_name" content="The Gazette">
{head}
</head><body><header><nav><a href="/">Home</a> <a href="/news">News</a></nav></header>
<article><h1>Council expands bike lanes</h1>
<p class="byline">By Jane Doe</p>
{body}
</article><footer>© The Gazette</footer></body></html>"""


URL = "https://www.example-gazette.com/news/2024/05/01/council-expands-bike-lanes"


def test_plain_article_has_text_and_metadata() -> None:
    result = extract_article(article_html(), URL)
    assert isinstance(result, Article)
    assert "protected bike lanes" in result.text
    assert result.title == "Council expands bike lanes"
    assert result.domain == "example-gazette.com"
    assert result.canonical_url == URL
    assert result.source is None
    assert result.language == "en"
    assert result.word_count >= DEFAULT_MIN_WORDS


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not_html"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_html"),
        (b'{"articles": [{"title": "x"}]}', "not_html"),
        (b"<html>\x00\x00\x00binary</html>", "not_html"),
        (gzip.compress(b"<html></html>"), "not_html"),
        (b"", "not_html"),
        ("", "not_html"),
        ("   \n ", "not_html"),
    ],
)
def test_non_html_inputs_are_refused(data: str | bytes, reason: str) -> None:
    result = extract_article(data, URL)
    assert isinstance(result, ExtractionFailed)
    assert result.reason == reason


def test_too_large() -> None:
    result = extract_article(article_html().encode(), URL, max_bytes=100)
    assert isinstance(result, ExtractionFailed)
    assert result.reason == "too_large"


def test_too_short() -> None:
    result = extract_article(article_html(paragraphs=5), URL, min_words=10_000)
    assert isinstance(result, ExtractionFailed)
    assert result.reason == "too_short"


def test_no_body() -> None:
    html = (
        '<html><head><title>x</title><meta property="og:type" content="article"></head>'
        "<body><div></div></body></html>"
    )
    result = extract_article(html, URL)
    assert isinstance(result, ExtractionFailed)
    assert result.reason in {"no_body", "too_short"}
