"""The article body: trafilatura on the pruned page, line rules, and a fallback chain.

1. trafilatura in fast mode on the pruned tree (tree rules applied), then the line rules;
2. when that text is short or reads like a menu (mostly short lines), trafilatura's full
   mode (its readability/jusText comparison) on the same pruned tree, kept if it reads
   better;
3. when the result is still below the minimum, full mode on the unpruned tree, in case a
   tree rule took the body;
4. the page's JSON-LD ``articleBody`` when it is much longer than what we found and
   consistent with the page (its opening words are on the page), since some sites load
   the body by script and only the structured copy is complete in the HTML.
"""

from __future__ import annotations

import html
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

import trafilatura
from lxml import html as lxml_html

from newscrawl.extraction import metadata
from newscrawl.extraction.decoding import parse_document
from newscrawl.extraction.lines import clean_lines
from newscrawl.extraction.metadata import PageMeta
from newscrawl.extraction.prune import prune_tree
from newscrawl.extraction.text import count_words, line_key
from newscrawl.urls import site_of

logger = logging.getLogger(__name__)

# Lines of at least this many words are prose; menus and teaser lists are shorter.
_PROSE_LINE: Final = 10
# Full mode (readability/jusText comparison) costs about twice a fast run: it runs only on
# short texts, where missing content matters most, and on texts that are mostly short
# lines, which is what a menu or a list of links looks like.
_FALLBACK_WORDS: Final = 100
_MENU_SHARE: Final = 0.5
_LD_RATIO: Final = 1.5


@dataclass(slots=True)
class MainText:
    text: str
    raw: str  # before the line rules; page classification looks at it
    doc: dict[str, Any]
    source: str
    removed: Counter[str] = field(default_factory=Counter)


def run_trafilatura(
    tree: lxml_html.HtmlElement, url: str, *, fast: bool, with_metadata: bool
) -> dict[str, Any]:
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=with_metadata,
        # htmldate's search of the visible text costs a third of trafilatura's time; our own
        # structured dates come first, and newscrawl.extract searches the text only for the
        # pages that have none (text_date).
        date_extraction_params={"extensive_search": False, "original_date": True},
        deduplicate=False,
        fast=fast,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
    )
    if document is None:
        return {}
    result: dict[str, Any] = document.as_dict()  # type: ignore[union-attr]
    return result


def headlines(tree: lxml_html.HtmlElement, page: PageMeta) -> set[str]:
    """Keys of every form the headline takes on the page (h1, title, og:title)."""
    candidates = [metadata.structured_title(page), tree.findtext(".//title")]
    candidates.extend(h1.text_content() for h1 in tree.iter("h1"))
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
    suffix = "." + site
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
            host = urlsplit(href if not href.startswith("//") else "http:" + href).hostname or ""
            # Same registrable domain: the host is the site or one of its subdomains.
            internal = host == site or host.endswith(suffix)
        keys[key] = internal
    return keys


def prose_quality(text: str) -> tuple[int, int]:
    """Words in prose lines and words in short lines (menus, labels, teasers)."""
    prose = short = 0
    for line in text.splitlines():
        words = count_words(line)
        if words >= _PROSE_LINE:
            prose += words
        else:
            short += words
    return prose, short


def _reads_better(candidate: str, current: str) -> bool:
    prose_a, short_a = prose_quality(candidate)
    prose_b, short_b = prose_quality(current)
    return prose_a - short_a / 2 > prose_b - short_b / 2


def main_text(
    tree: lxml_html.HtmlElement,
    source_html: str,
    url: str,
    page: PageMeta,
    anchors: dict[str, bool],
    min_words: int,
) -> MainText:
    """The cleaned body. Consumes ``tree`` (pruned in place, then handed to trafilatura);
    fallbacks parse ``source_html`` again, which costs less than copying every tree."""
    keys = headlines(tree, page)
    structured_raw = _structured_body(page, tree)
    removed = prune_tree(tree)
    doc = run_trafilatura(tree, url, fast=True, with_metadata=True)
    for title in (doc.get("title"),):
        if title:
            keys.add(line_key(title))

    def clean(raw: str | None) -> str:
        text, dropped = clean_lines((raw or "").strip(), headlines=keys, anchors=anchors)
        removed.update(dropped)
        return text

    raw = doc.get("text") or ""
    text, source = clean(raw), "trafilatura_fast"
    prose, short = prose_quality(text)
    if prose + short < _FALLBACK_WORDS or short > _MENU_SHARE * (prose + short):
        pruned = _reparse(source_html)
        prune_tree(pruned)
        full_raw = run_trafilatura(pruned, url, fast=False, with_metadata=False).get("text")
        full = clean(full_raw)
        if _reads_better(full, text):
            raw, text, source = full_raw or "", full, "trafilatura_full"
    if count_words(text) < min_words:
        unpruned_raw = run_trafilatura(
            _reparse(source_html), url, fast=False, with_metadata=False
        ).get("text")
        unpruned = clean(unpruned_raw)
        if _reads_better(unpruned, text):
            raw, text, source = unpruned_raw or "", unpruned, "trafilatura_unpruned"
    if structured_raw:
        structured = clean(structured_raw)
        if count_words(structured) > _LD_RATIO * count_words(text):
            raw, text, source = structured_raw, structured, "json_ld_article_body"
    return MainText(text, raw, doc, source, removed)


def _reparse(source_html: str) -> lxml_html.HtmlElement:
    return parse_document(source_html)


def _structured_body(page: PageMeta, tree: lxml_html.HtmlElement) -> str | None:
    """JSON-LD articleBody when the page itself shows its opening words."""
    body = metadata.article_body(page)
    if not body:
        return None
    body = html.unescape(re.sub(r"<[^>]+>", " ", body)).strip()
    opening = line_key(body)[:60]
    if len(opening) < 40:
        return None
    visible = line_key(" ".join(tree.xpath("//body//text()[not(ancestor::script)]")))
    if opening not in visible:
        logger.debug("JSON-LD articleBody not found on the page; ignored")
        return None
    return body
