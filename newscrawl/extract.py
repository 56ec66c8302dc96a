"""From a fetched page to an :class:`Article` or an :class:`ExtractionFailed` with its reason.

A pure function with no Scrapy in it, so spiders, benchmarks and re-extraction share it.
See docs/extraction.md for the rules, the benchmark and the date conventions.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any, Final
from urllib.parse import urlsplit

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from newscrawl.article import Article, ExtractionFailed
from newscrawl.extraction import metadata
from newscrawl.extraction.classify import classify_page
from newscrawl.extraction.dates import normalize_date
from newscrawl.extraction.decoding import binary_reason, decode_html, text_reason
from newscrawl.extraction.lines import clean_lines, line_key
from newscrawl.extraction.metadata import PageMeta
from newscrawl.extraction.prune import prune_tree
from newscrawl.urls import identity_url, site_of

logger = logging.getLogger(__name__)

# 50 words: real news briefs go down to 60-70 words (4 of the 181 articles of the
# ScrapingHub benchmark have 66-73), while what comes out below 50 is a caption, a video
# stub, a paywall teaser or an error page. Listings are caught by classification, not here.
DEFAULT_MIN_WORDS: Final = 50
# 5 MB: the largest real article pages (live blogs with inline JSON) stay well under it, and
# lxml's time on a larger document would stall a crawl worker.
DEFAULT_MAX_BYTES: Final = 5 * 1024 * 1024
# Chinese and Japanese are written without spaces: each ideograph or kana counts as a word,
# as word processors count them, so a Japanese article is not "too short".
_WORD: Final = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|"
    r"[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"
)
# trafilatura's own parser settings: comments removed at parse time keep a paragraph that
# a comment splits in one piece (lxml would otherwise leave half of it in a comment's tail).
_PARSER: Final = lxml_html.HTMLParser(
    collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True
)


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def extract_article(
    html: str | bytes,
    url: str,
    *,
    min_words: int = DEFAULT_MIN_WORDS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Article | ExtractionFailed:
    """Extract the article of one page; never raises on any input."""
    try:
        return _extract(html, url, min_words=min_words, max_bytes=max_bytes)
    except Exception as exc:  # a crawl must go on whatever one page contains
        logger.warning("extraction crashed on %s", url, exc_info=True)
        return ExtractionFailed(url, "parse_error", f"{type(exc).__name__}: {exc}")


def load_text(html: str | bytes, url: str, max_bytes: int) -> str | ExtractionFailed:
    """Decoded HTML text, or the reason it cannot be had."""
    if isinstance(html, bytes):
        if len(html) > max_bytes:
            return ExtractionFailed(url, "too_large", f"{len(html)} bytes > {max_bytes}")
        reason = binary_reason(html)
        if reason:
            return ExtractionFailed(url, "not_html", reason)
        text = decode_html(html)
        if text is None:
            return ExtractionFailed(url, "undecodable", "no encoding fits")
    else:
        text = html
        if len(text) > max_bytes:
            return ExtractionFailed(url, "too_large", f"{len(text)} characters > {max_bytes}")
    reason = text_reason(text)
    if reason:
        return ExtractionFailed(url, "not_html", reason)
    return text


def parse_tree(text: str, url: str) -> lxml_html.HtmlElement | ExtractionFailed:
    # lxml refuses str input that carries an XML encoding declaration.
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text, count=1)
    text = text.replace("\x00", "")
    try:
        tree = lxml_html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        return ExtractionFailed(url, "parse_error", str(exc) or type(exc).__name__)
    if tree is None or len(tree) == 0:
        return ExtractionFailed(url, "parse_error", "empty document tree")
    return tree


def _extract(
    html: str | bytes, url: str, *, min_words: int, max_bytes: int
) -> Article | ExtractionFailed:
    text = load_text(html, url, max_bytes)
    if isinstance(text, ExtractionFailed):
        return text
    tree = parse_tree(text, url)
    if isinstance(tree, ExtractionFailed):
        return tree
    page = metadata.read_page_meta(tree)
    doc = run_trafilatura(tree, url)
    body = ((doc or {}).get("text") or "").strip()
    body, _ = clean_lines(
        body, headlines=headlines(tree, page, doc), anchors=anchor_texts(tree, url)
    )
    verdict = classify_page(tree, url, page, body)
    if not verdict.is_article:
        return ExtractionFailed(url, "not_article", verdict.explain())
    if not body:
        return ExtractionFailed(url, "no_body", "no main text found")
    words = count_words(body)
    if words < min_words:
        return ExtractionFailed(url, "too_short", f"{words} words < {min_words}")
    return build_article(url, body, doc or {}, page, tree, words)


def headlines(tree: lxml_html.HtmlElement, page: PageMeta, doc: dict[str, Any] | None) -> set[str]:
    candidates = [metadata.structured_title(page), (doc or {}).get("title")]
    candidates.extend(h1.text_content() for h1 in tree.iter("h1"))
    title = tree.findtext(".//title")
    candidates.append(title)
    keys = set()
    for candidate in candidates:
        if candidate:
            keys.add(line_key(candidate))
            cleaned = metadata.clean_title(candidate, None)
            if cleaned:
                keys.add(line_key(cleaned))
    keys.discard("")
    return keys


def anchor_texts(tree: lxml_html.HtmlElement, url: str) -> dict[str, bool]:
    """Link texts of the page, each with whether a link of that text stays on the site."""
    site = site_of(url)
    hosts: dict[str, bool] = {}
    keys: dict[str, bool] = {}
    for link in tree.iter("a"):
        text = link.text_content()
        if " " not in text.strip():
            continue
        key = line_key(text)
        if " " not in key or keys.get(key):
            continue
        href = (link.get("href") or "").strip()
        internal = True
        if href.startswith(("http://", "https://", "//")):
            host = urlsplit(href if not href.startswith("//") else "http:" + href).netloc
            if host not in hosts:
                hosts[host] = site_of(f"http://{host}/") == site
            internal = hosts[host]
        keys[key] = internal
    return keys


def run_trafilatura(tree: lxml_html.HtmlElement, url: str) -> dict[str, Any] | None:
    # bare_extraction prunes the tree it is given; the caller's tree stays intact.
    work = copy.deepcopy(tree)
    prune_tree(work)
    document = trafilatura.bare_extraction(
        work,
        url=url,
        with_metadata=True,
        deduplicate=False,
        fast=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
    )
    if document is None:
        return None
    result: dict[str, Any] = document.as_dict()  # type: ignore[union-attr]
    return result


def build_article(
    url: str,
    body: str,
    doc: dict[str, Any],
    page: PageMeta,
    tree: lxml_html.HtmlElement,
    words: int,
) -> Article:
    sitename = metadata.structured_sitename(page) or doc.get("sitename")
    title = metadata.clean_title(metadata.structured_title(page) or doc.get("title"), sitename)
    author = metadata.clean_author(metadata.structured_author(page) or doc.get("author"), sitename)
    published = metadata.published_date(page, tree)
    if published is None:
        # trafilatura's date (htmldate) reads visible text too; it is day-precise only.
        published = normalize_date(doc.get("date"))
    return Article(
        url=url,
        canonical_url=identity_url(url, page.canonical),
        domain=site_of(url),
        text=body,
        title=title,
        source=None,
        author=author,
        published_at=published,
        modified_at=metadata.modified_date(page, tree),
        language=metadata.normalize_language(page.html_lang or doc.get("language")),
        description=page.meta.get("og:description") or doc.get("description") or None,
        sitename=sitename,
        categories=tuple(doc.get("categories") or ()),
        tags=tuple(doc.get("tags") or ()),
        image=page.meta.get("og:image") or doc.get("image") or None,
        word_count=words,
    )
