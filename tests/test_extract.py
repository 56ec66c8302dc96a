from __future__ import annotations

import gzip

import pytest

from newscrawl.extraction.article import Article, ExtractionFailed
from newscrawl.extraction.extract import DEFAULT_MIN_WORDS, extract_article

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


def encoded_page(text: str, charset: str | None) -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    paragraphs = "".join(f"<p>{text} {PARAGRAPH} ({i})</p>" for i in range(5))
    return (
        f'<html lang="fr"><head>{meta}<title>Le café</title>'
        '<meta property="og:type" content="article"></head>'
        "<body><article><h1>Le café du port ferme ses portes</h1>"
        f"{paragraphs}</article></body></html>"
    )


@pytest.mark.parametrize(
    ("encoding", "declared", "bom"),
    [
        ("utf-8", "utf-8", b""),
        ("utf-8", None, b""),
        ("utf-8", "iso-8859-1", b""),  # declared wrong: the bytes are valid UTF-8
        ("cp1252", "windows-1252", b""),
        ("iso-8859-1", "iso-8859-1", b""),
        ("cp1252", None, b""),
        ("utf-8", None, b"\xef\xbb\xbf"),
        ("utf-16-le", None, b"\xff\xfe"),
    ],
)
def test_bytes_are_decoded(encoding: str, declared: str | None, bom: bytes) -> None:
    sentence = "Le café « Chez René » coûte 3 € à Noël."
    if encoding == "iso-8859-1":
        sentence = sentence.replace("€", "EUR")
    data = bom + encoded_page(sentence, declared).encode(encoding)
    result = extract_article(data, URL)
    assert isinstance(result, Article), result
    assert sentence in result.text


@pytest.mark.parametrize(
    ("encoding", "header", "meta"),
    [
        ("cp1251", "windows-1251", None),  # only the HTTP header says
        ("cp1251", "windows-1251", "iso-8859-1"),  # the header outranks the page's meta
        ("utf-8", "windows-1251", None),  # declared wrong: the bytes are valid UTF-8
        ("cp1251", "no-such-charset", "windows-1251"),  # an unknown label is passed over
    ],
)
def test_http_charset_is_a_declaration(encoding: str, header: str, meta: str | None) -> None:
    sentence = "Городской совет одобрил новые велосипедные дорожки у вокзала."
    data = encoded_page(sentence, meta).encode(encoding, errors="replace")
    result = extract_article(data, URL, http_charset=header)
    assert isinstance(result, Article), result
    assert sentence in result.text


def test_latin1_label_reads_windows_1252_quotes() -> None:
    # As browsers do: 0x93/0x94 on a page labelled ISO-8859-1 are curly quotes, not C1
    # control characters.
    sentence = "Le maire parle d\u2019un \u201cchantier historique\u201d pour le port."
    data = encoded_page(sentence, "iso-8859-1").encode("cp1252")
    result = extract_article(data, URL)
    assert isinstance(result, Article), result
    assert sentence in result.text


def test_shift_jis_declared_in_meta() -> None:
    sentence = "東京の港で新しい橋が開通し、多くの市民が渡り初めを楽しんだ。"
    paragraphs = "".join(f"<p>{sentence * 3}（{i}）</p>" for i in range(4))
    html = (
        '<html lang="ja"><head><meta charset="shift_jis"><title>新しい橋</title></head>'
        f"<body><article><h1>港に新しい橋が開通</h1>{paragraphs}</article></body></html>"
    )
    result = extract_article(html.encode("shift_jis"), URL)
    assert isinstance(result, Article), result
    assert sentence[:20] in result.text


def test_xml_declaration_in_str_input() -> None:
    html = '<?xml version="1.0" encoding="utf-8"?>\n' + article_html()
    assert isinstance(extract_article(html, URL), Article)


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 40,
        b"<html>" + b"<div>" * 5000 + b"text" + b"</div>" * 5000 + b"</html>",
        "<!-- only a comment -->",
        "<html><head></head><body></body></html>",
        "<html><body><p>\ud800 lone surrogate</p></body></html>",
        "<p>" + "word " * 20 + "</p>",
        b"\xff\xfe" + b"\x00" * 100,
        "<html><body><script>var a = '<p>not text</p>';</script></body></html>",
        "<html><frameset><frame src='a.html'></frameset></html>",
    ],
)
def test_never_raises(data: str | bytes) -> None:
    result = extract_article(data, URL)
    assert isinstance(result, Article | ExtractionFailed)


def test_undeclared_cyrillic_is_detected() -> None:
    sentence = (
        "Городской совет проголосовал за расширение сети велосипедных дорожек в северных районах."
    )
    paragraphs = "".join(f"<p>{sentence} {sentence} ({i})</p>" for i in range(5))
    html = (
        '<html lang="ru"><head><title>Велосипедные дорожки</title></head>'
        f"<body><article><h1>Совет расширяет велодорожки</h1>{paragraphs}</article></body></html>"
    )
    result = extract_article(html.encode("cp1251"), URL)
    assert isinstance(result, Article), result
    assert sentence in result.text


def test_a_malformed_link_does_not_cost_the_article() -> None:
    html = article_html().replace(
        "<footer>", '<a href="http://[broken/path">A broken link to nowhere</a><footer>'
    )
    assert isinstance(extract_article(html, URL), Article)


def test_a_malformed_canonical_falls_back_to_the_page_url() -> None:
    html = article_html(head='<link rel="canonical" href="http://[broken/canonical">')
    result = extract_article(html, URL)
    assert isinstance(result, Article)
    assert result.canonical_url == URL
