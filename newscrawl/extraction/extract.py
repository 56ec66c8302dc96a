"""From a fetched page to an :class:`Article` or an :class:`ExtractionFailed` with its reason.

A pure function with no Scrapy in it, so spiders, benchmarks and re-extraction share it.
See docs/extraction.md for the rules, the benchmark and the date conventions.
"""

from __future__ import annotations

import logging
from typing import Final

from htmldate import find_date
from lxml import etree
from lxml import html as lxml_html
from trafilatura.metadata import extract_author

from newscrawl.crawl.urls import identity_url, site_of
from newscrawl.extraction import metadata, pick
from newscrawl.extraction.article import Article, ExtractionFailed
from newscrawl.extraction.body import anchor_texts, main_text
from newscrawl.extraction.classify import classify_page, tree_signals
from newscrawl.extraction.dates import normalize_date
from newscrawl.extraction.decoding import (
    binary_reason,
    decode_html,
    parse_document,
    text_reason,
)
from newscrawl.extraction.metadata import PageMeta
from newscrawl.extraction.text import count_words
from newscrawl.extraction.textdate import byline_text, visible_date

logger = logging.getLogger(__name__)

# 50 words: real news briefs go down to 60-70 words (4 of the 181 articles of the
# ScrapingHub benchmark have 66-73), while what comes out below 50 is a caption, a video
# stub, a paywall teaser or an error page. Listings are caught by classification, not here.
DEFAULT_MIN_WORDS: Final = 50
# 5 MB: the largest real article pages (live blogs with inline JSON) stay well under it, and
# lxml's time on a larger document would stall a crawl worker.
DEFAULT_MAX_BYTES: Final = 5 * 1024 * 1024


def extract_article(
    html: str | bytes,
    url: str,
    *,
    min_words: int = DEFAULT_MIN_WORDS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    http_charset: str | None = None,
) -> Article | ExtractionFailed:
    """Extract the article of one page; never raises on any input.

    ``html`` is the page as fetched (bytes, decoded here by
    :func:`~newscrawl.extraction.decoding.decode_html`, with the ``Content-Type`` header's
    ``http_charset`` when there was one) or already decoded.
    """
    try:
        return _extract(
            html, url, min_words=min_words, max_bytes=max_bytes, http_charset=http_charset
        )
    except Exception as exc:  # a crawl must go on whatever one page contains
        logger.warning("extraction crashed on %s", url, exc_info=True)
        return ExtractionFailed(url, "parse_error", f"{type(exc).__name__}: {exc}")


def load_text(
    html: str | bytes, url: str, max_bytes: int, http_charset: str | None = None
) -> str | ExtractionFailed:
    """Decoded HTML text, or the reason it cannot be had."""
    if isinstance(html, bytes):
        if len(html) > max_bytes:
            return ExtractionFailed(url, "too_large", f"{len(html)} bytes > {max_bytes}")
        reason = binary_reason(html)
        if reason:
            return ExtractionFailed(url, "not_html", reason)
        text = decode_html(html, http_charset)
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
    try:
        tree = parse_document(text)
    except (etree.ParserError, ValueError) as exc:
        return ExtractionFailed(url, "parse_error", str(exc) or type(exc).__name__)
    if tree is None or len(tree) == 0:
        return ExtractionFailed(url, "parse_error", "empty document tree")
    return tree


def _extract(
    html: str | bytes, url: str, *, min_words: int, max_bytes: int, http_charset: str | None
) -> Article | ExtractionFailed:
    text = load_text(html, url, max_bytes, http_charset)
    if isinstance(text, ExtractionFailed):
        return text
    tree = parse_tree(text, url)
    if isinstance(tree, ExtractionFailed):
        return tree
    # Everything that reads the whole page is read before main_text consumes the tree.
    page = metadata.read_page_meta(tree)
    signals = tree_signals(tree)
    anchors = anchor_texts(tree, url)
    dates = (metadata.published_date(page, tree), metadata.modified_date(page, tree))
    # A byline in the page text, read before the tree rules take the story header, only
    # where no declared author names a person.
    byline = None if pick.declared_author(page) else visible_byline(tree)
    written = byline_text(tree) if dates[0] is None else ""
    main = main_text(tree, text, url, page, anchors, min_words)
    verdict = classify_page(signals, url, page, main.raw, anchors)
    if not verdict.is_article:
        return ExtractionFailed(url, "not_article", verdict.explain())
    if not main.text:
        return ExtractionFailed(url, "no_body", "no main text found")
    words = count_words(main.text)
    if words < min_words:
        return ExtractionFailed(url, "too_short", f"{words} words < {min_words}")
    published, modified = dates
    if published is None:
        language = metadata.normalize_language(page.html_lang)
        published = markup_date(text, url) or visible_date(written, language)
    return build_article(url, main.text, page, (published, modified), words, byline)


def fallback_date(value: str | None) -> str | None:
    """A day-precise date from htmldate (trafilatura's or ours), or None.

    htmldate turns a bare year found in the text ("by 2025") into January 1st; that guess is
    worse than no date, so January 1st from this source is dropped.
    """
    normalized = normalize_date(value)
    if normalized is None or normalized[5:10] == "01-01":
        return None
    return normalized


def markup_date(html: str, url: str) -> str | None:
    """htmldate's quick search (markup and URL, no free text) for pages without structured
    dates; the byline's text is read by newscrawl.extraction.textdate."""
    try:
        found = find_date(html, extensive_search=False, original_date=True, url=url)
    except Exception:  # a date is optional: never lose the article over it
        logger.debug("htmldate failed on %s", url, exc_info=True)
        return None
    return fallback_date(found)


def canonical_url(url: str, declared: str | None) -> str:
    try:
        return identity_url(url, declared)
    except ValueError:  # a malformed declared canonical ("http://[x") is no canonical
        logger.debug("malformed canonical %r on %s", declared, url)
        return identity_url(url, None)


def visible_byline(tree: lxml_html.HtmlElement) -> str | None:
    try:
        return extract_author(tree)
    except Exception:  # an author is optional: never lose the article over it
        logger.debug("byline search failed", exc_info=True)
        return None


def build_article(
    url: str,
    body: str,
    page: PageMeta,
    dates: tuple[str | None, str | None],
    words: int,
    byline: str | None,
) -> Article:
    sitename = metadata.structured_sitename(page)
    # Without a declared site name the domain is one ("Forbes.com: Headline").
    title = pick.pick_title(page, None, sitename or site_of(url))
    author = pick.pick_author(page, byline, sitename)
    categories, tags = pick.categories_and_tags(page)
    published, modified = dates
    return Article(
        url=url,
        canonical_url=canonical_url(url, page.canonical),
        domain=site_of(url),
        text=body,
        title=title,
        source=None,
        author=author,
        published_at=published,
        modified_at=modified,
        language=metadata.normalize_language(page.html_lang),
        description=page.meta.get("og:description") or page.meta.get("description") or None,
        sitename=sitename,
        categories=categories,
        tags=tags,
        image=page.meta.get("og:image") or page.meta.get("twitter:image") or None,
        word_count=words,
    )
