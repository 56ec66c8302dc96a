"""Property tests: URL normalisation and extraction hold on any input, not only on examples.

Example counts stay modest so the module runs in seconds; the extraction deadline is a
generous bound against pathological slowness (a runaway regex, a quadratic walk), not a
speed measurement.
"""

from __future__ import annotations

import gzip
import logging
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from newscrawl.crawl.urls import normalize_url, request_url
from newscrawl.extraction.article import FAILURE_REASONS, Article, ExtractionFailed
from newscrawl.extraction.extract import extract_article

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"

# --- URLs ------------------------------------------------------------------------------------
SAMPLE_HOSTS = ["Example.COM", "www.bbc.co.uk.", "münchen.de", "xn--mnchen-3ya.de", "127.0.0.1",
                "[::1]", "[2001:db8::1]", "localhost", "a.cdn.ampproject.org", ""]  # fmt: skip
HOSTS = st.one_of(
    st.sampled_from(SAMPLE_HOSTS),
    st.from_regex(r"[a-zA-Z0-9-]{1,12}(\.[a-zA-Z]{2,5}){1,2}", fullmatch=True),
)
PATH_PIECES = st.sampled_from(
    ["a", "b", "..", ".", "", "index.html", "%7E", "~", "%2F", "%2f", "é", "%C3%A9", "%", "%zz",
     "a b", ";p=1", "c:d", "//", "/c/s/example.com/x", "AMP", "amp"]
)  # fmt: skip
QUERY_KEYS = st.sampled_from(
    ["utm_source", "UTM_Medium", "id", "page", "amp", "output", "fbclid", "ref", "q", "a", "", "="]
)  # fmt: skip
QUERY_VALUES = st.sampled_from(["", "1", "amp", "x y", "%20", "é", "a&b", "true", "story-2"])


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https", "ftp", ""]))
    user = draw(st.sampled_from(["", "user@", "u:p@"]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":0", ":99999", ":x"]))
    path = "/".join(draw(st.lists(PATH_PIECES, max_size=6)))
    pairs = draw(st.lists(st.tuples(QUERY_KEYS, QUERY_VALUES), max_size=4))
    query = "&".join(f"{k}={v}" for k, v in pairs)
    fragment = draw(st.sampled_from(["", "#top", "#"]))
    start = f"{scheme}://" if scheme else draw(st.sampled_from(["", "//"]))
    return f"{start}{user}{draw(HOSTS)}{port}/{path}{'?' + query if query else ''}{fragment}"


ANY_URL = st.one_of(urls(), st.text(max_size=80))


@given(ANY_URL)
@example("Example.COM/../..")  # a relative path's dot segments climbed above the root
@example("http://a.cdn.ampproject.org//c/s/example.com/x")  # unwrapped only on the 2nd pass
@settings(max_examples=200)
def test_normalize_url_never_raises_and_is_idempotent(url: str) -> None:
    once = normalize_url(url)
    assert normalize_url(once) == once


@given(ANY_URL)
@settings(max_examples=200)
def test_request_url_never_raises_and_is_idempotent(url: str) -> None:
    once = request_url(url)
    assert request_url(once) == once


# --- extraction ------------------------------------------------------------------------------
def fixture_pages() -> list[bytes]:
    pages = [p.read_bytes() for p in sorted(PAGES.rglob("*.html"))]
    pages += [gzip.decompress(p.read_bytes()) for p in sorted(PAGES.rglob("*.html.gz"))]
    return pages


REAL_PAGES = fixture_pages()
TAGS = "html head body article p div script style title meta h1 time a main nav table td br".split()
TAGS += ["![CDATA[", "!--", "?xml"]


@st.composite
def mutated_pages(draw: st.DrawFn) -> bytes:
    """A real page cut, spliced, garbled or re-declared, as broken servers and CMSs send."""
    page = draw(st.sampled_from(REAL_PAGES))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(page)))
        size = draw(st.integers(0, 2000))
        kind = draw(st.sampled_from(["cut", "delete", "insert", "duplicate", "charset"]))
        if kind == "cut":
            page = page[:at]
        elif kind == "delete":
            page = page[:at] + page[at + size :]
        elif kind == "insert":
            page = page[:at] + draw(st.binary(max_size=200)) + page[at:]
        elif kind == "duplicate":
            page = page[:at] + page[at : at + size] * draw(st.integers(2, 20)) + page[at:]
        else:
            charset = draw(st.sampled_from([b"utf-16", b"latin-1", b"bogus", b"utf-8", b""]))
            page = page[:at] + b'<meta charset="' + charset + b'">' + page[at:]
    return page


@st.composite
def random_markup(draw: st.DrawFn) -> str:
    pieces = draw(
        st.lists(
            st.one_of(
                st.sampled_from(TAGS).map(lambda t: f"<{t}>"),
                st.sampled_from(TAGS).map(lambda t: f"</{t}>"),
                st.text(max_size=40),
            ),
            max_size=60,
        )
    )
    return "".join(pieces)


PAGES_ANY = st.one_of(
    mutated_pages(), random_markup(), st.text(max_size=500), st.binary(max_size=500)
)


class CrashLog(logging.Handler):
    """Catches extract_article's own 'extraction crashed' warning: a bug swallowed."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.crashes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("extraction crashed"):
            self.crashes.append(str(record.exc_info[1] if record.exc_info else ""))


@given(PAGES_ANY, st.sampled_from(["https://example.com/news/2024/05/a.html", "http://[::1]/"]))
@settings(
    max_examples=60,
    deadline=timedelta(seconds=20),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_extract_article_never_raises_nor_crashes_inside(page: str | bytes, url: str) -> None:
    handler = CrashLog()
    logger = logging.getLogger("newscrawl.extraction.extract")
    logger.addHandler(handler)
    try:
        result = extract_article(page, url)
    finally:
        logger.removeHandler(handler)
    assert isinstance(result, Article | ExtractionFailed)
    if isinstance(result, ExtractionFailed):
        assert result.reason in FAILURE_REASONS
    else:
        assert result.text.strip()
    assert not handler.crashes, f"extraction raised inside: {handler.crashes}"
