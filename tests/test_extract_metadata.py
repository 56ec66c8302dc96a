"""Titles without the site name, authors without "By" or job titles, canonical URL,
language, and the other metadata analysts rely on."""

from __future__ import annotations

import pytest

from newscrawl.extraction.article import Article
from newscrawl.extraction.extract import count_words, extract_article
from newscrawl.extraction.metadata import clean_author, clean_title, normalize_language

PARAGRAPH = (
    "The regional water company will replace two hundred kilometres of old pipes over the "
    "next five years, the biggest renewal programme in its history, after figures showed that "
    "leaks lose almost a quarter of the treated water that enters the network every day."
)


@pytest.mark.parametrize(
    ("title", "site", "clean"),
    [
        ("Water pipes to be replaced | The Gazette", "The Gazette", "Water pipes to be replaced"),
        ("Water pipes to be replaced - BBC News", None, "Water pipes to be replaced"),
        ("BBC News - Water pipes to be replaced", "BBC News", "Water pipes to be replaced"),
        ("Water pipes to be replaced – Example Post", "Example Post", "Water pipes to be replaced"),
        ("&#8216;Water&#8217; pipes to be replaced", None, "‘Water’ pipes to be replaced"),
        ("Q&A: what the pipe works mean for you", None, "Q&A: what the pipe works mean for you"),
        ("Water pipes to be replaced", "The Gazette", "Water pipes to be replaced"),
    ],
)
def test_clean_title(title: str, site: str | None, clean: str) -> None:
    assert clean_title(title, site) == clean


@pytest.mark.parametrize(
    ("author", "site", "clean"),
    [
        ("By Jane Doe", None, "Jane Doe"),
        ("by Jane Doe and John Smith", None, "Jane Doe; John Smith"),
        ("TOM KRISHER, AP Auto Writer", None, "Tom Krisher"),
        ("Jane Doe, Staff Writer", None, "Jane Doe"),
        ("Von Anna Berg", None, "Anna Berg"),
        ("Jane Doe | The Gazette", "The Gazette", "Jane Doe"),
        ("The Gazette", "The Gazette", None),
        ("https://www.facebook.com/janedoe", None, None),
        ("", None, None),
    ],
)
def test_clean_author(author: str, site: str | None, clean: str | None) -> None:
    assert clean_author(author, site) == clean


@pytest.mark.parametrize(
    ("raw", "lang"), [("en-GB", "en"), ("pt_BR", "pt"), ("de", "de"), ("", None), ("x", None)]
)
def test_normalize_language(raw: str, lang: str | None) -> None:
    assert normalize_language(raw) == lang


def page(head: str, body_extra: str = "") -> str:
    paragraphs = "".join(f"<p>{PARAGRAPH} ({i})</p>" for i in range(4))
    return (
        f'<html lang="en-GB"><head><meta charset="utf-8"><title>Pipes | Example Post</title>'
        f'<meta property="og:type" content="article">{head}</head><body><article>'
        f"<h1>Water company to replace old pipes</h1>{body_extra}{paragraphs}</article>"
        f"</body></html>"
    )


URL = "https://www.examplepost.co.uk/news/water-company-to-replace-old-pipes?utm_source=feed"


def extract(html: str, url: str = URL) -> Article:
    result = extract_article(html, url)
    assert isinstance(result, Article), result
    return result


def test_full_metadata_from_json_ld_and_og() -> None:
    head = (
        '<link rel="canonical" href="/news/water-company-to-replace-old-pipes">'
        '<meta property="og:site_name" content="Example Post">'
        '<meta property="og:description" content="Two hundred kilometres of pipes.">'
        '<meta property="og:image" content="https://img.examplepost.co.uk/pipes.jpg">'
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        '"headline": "Water company to replace old pipes", '
        '"author": [{"@type": "Person", "name": "Jane Doe"}, {"name": "John Smith"}], '
        '"datePublished": "2024-03-01T08:00:00+01:00"}</script>'
    )
    article = extract(page(head))
    assert article.title == "Water company to replace old pipes"
    assert article.author == "Jane Doe; John Smith"
    assert article.sitename == "Example Post"
    assert article.description == "Two hundred kilometres of pipes."
    assert article.image == "https://img.examplepost.co.uk/pipes.jpg"
    assert article.published_at == "2024-03-01T07:00:00+00:00"
    assert article.language == "en"
    assert article.domain == "examplepost.co.uk"
    assert (
        article.canonical_url
        == "https://www.examplepost.co.uk/news/water-company-to-replace-old-pipes"
    )
    assert article.source is None
    assert article.word_count == count_words(article.text)


def test_canonical_on_another_site_is_not_identity() -> None:
    head = '<link rel="canonical" href="https://www.aggregator.example.com/copy/123">'
    article = extract(page(head))
    assert article.canonical_url.startswith("https://www.examplepost.co.uk/news/")
    assert "utm_source" not in article.canonical_url


def test_title_without_structured_data_is_the_headline() -> None:
    article = extract(page('<meta property="og:site_name" content="Example Post">'))
    assert article.title == "Water company to replace old pipes"


def test_word_count_counts_cjk_characters() -> None:
    assert count_words("東京で新しい橋が開通した") == 12
    assert count_words("Hello world 2024") == 3
