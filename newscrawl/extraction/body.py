"""The article body: trafilatura on the pruned page, line rules, and a fallback chain.

1. trafilatura in fast mode on the pruned tree (tree rules applied), then the line rules;
2. when that text is short or reads like a menu (mostly short lines), trafilatura's full
   mode (its readability/jusText comparison) on the same pruned tree, kept if it reads
   better;
3. when the result is still below the minimum, full mode on the unpruned tree, in case a
   tree rule took the body;
4. when the body is split into same-class blocks around ads, those blocks merged and
   trafilatura run again, kept only if the result extends what was found;
5. the page's JSON-LD ``articleBody`` when it is much longer than what we found and
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

from newscrawl.crawl.urls import site_of
from newscrawl.extraction import metadata
from newscrawl.extraction.candidates import legacy_layout, prefer_readability, readability_text
from newscrawl.extraction.decoding import parse_document
from newscrawl.extraction.lines import clean_lines
from newscrawl.extraction.metadata import PageMeta
from newscrawl.extraction.prune import prune_tree
from newscrawl.extraction.text import count_words, line_key

logger = logging.getLogger(__name__)

# Lines of at least this many words are prose; menus and teaser lists are shorter.
_PROSE_LINE: Final = 10
# Full mode (readability/jusText comparison) costs about twice a fast run: it runs only on
# short texts, where missing content matters most, and on texts that are mostly short
# lines, which is what a menu or a list of links looks like.
_FALLBACK_WORDS: Final = 100
_MENU_SHARE: Final = 0.5
_LD_RATIO: Final = 1.5
_MERGE_GAIN: Final = 1.3


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
        # structured dates come first, and extract.py searches the text only for the pages that
        # have none (text_date).
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
            try:
                host = urlsplit(href if not href.startswith("//") else "http:" + href).hostname
            except ValueError:  # "http://[broken" on one link must not cost the page
                host = None
            # Same registrable domain: the host is the site or one of its subdomains.
            internal = bool(host) and (host == site or str(host).endswith(suffix))
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
    legacy = legacy_layout(tree)
    structured_raw = _structured_body(page, tree)
    split_class = split_body_class(tree)
    removed = prune_tree(tree)
    # Metadata comes from our own reading of the page (newscrawl.extraction.metadata):
    # trafilatura's costs about a sixth of the time per page and is not needed.
    doc = run_trafilatura(tree, url, fast=True, with_metadata=False)

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
    if split_class:
        merged_tree = _reparse(source_html)
        prune_tree(merged_tree)
        _merge_split_body(merged_tree, split_class)
        merged_raw = run_trafilatura(merged_tree, url, fast=True, with_metadata=False).get("text")
        merged = clean(merged_raw)
        if _extends(merged, text):
            raw, text, source = merged_raw or "", merged, "merged_split_body"
    if legacy and text:
        legacy_raw = readability_text(_reparse(source_html))
        candidate = clean(legacy_raw)
        if prefer_readability(candidate, text):
            raw, text, source = legacy_raw, candidate, "readability"
    if structured_raw:
        structured = clean(structured_raw)
        if count_words(structured) > _LD_RATIO * count_words(text):
            raw, text, source = structured_raw, structured, "json_ld_article_body"
    return MainText(text, raw, doc, source, removed)


# Containers that repeat per comment or per review, not per part of the story.
_NOT_BODY: Final = re.compile(r"comment|reply|review|teaser|card|excerpt|related", re.IGNORECASE)
_PROSE_CHARS: Final = 150


def split_body_class(tree: lxml_html.HtmlElement) -> str | None:
    """The class of a story body that the page splits into several containers.

    Some sites cut the body into separate blocks around ads (each block in its own grid
    cell), and trafilatura keeps only one of them. A split body is two or more elements
    with the same tag and class, none inside another, each holding at least two prose
    paragraphs.
    """
    holders: dict[tuple[str, str], dict[lxml_html.HtmlElement, int]] = {}
    for p in tree.iter("p"):
        if len(p.text_content()) < _PROSE_CHARS:
            continue
        parent = p.getparent()
        if parent is None:
            continue
        classes = parent.get("class")
        if not classes or _NOT_BODY.search(classes):
            continue
        group = holders.setdefault((parent.tag, classes), {})
        group[parent] = group.get(parent, 0) + 1
    for (_, classes), containers in holders.items():
        if sum(1 for count in containers.values() if count >= 2) >= 2:
            return classes
    return None


def _merge_split_body(tree: lxml_html.HtmlElement, classes: str) -> None:
    parts = [e for e in tree.iter() if e.get("class") == classes]
    if len(parts) < 2:
        return
    first = parts[0]
    for part in parts[1:]:
        if any(ancestor is first for ancestor in part.iterancestors()):
            continue
        for child in list(part):
            first.append(child)
        parent = part.getparent()
        if parent is not None:
            parent.remove(part)


def _extends(candidate: str, current: str) -> bool:
    """The candidate keeps (nearly) every line we had and adds a good deal more."""
    if count_words(candidate) < _MERGE_GAIN * count_words(current):
        return False
    have = {line_key(line) for line in candidate.splitlines()}
    lines = [line_key(line) for line in current.splitlines() if line.strip()]
    return bool(lines) and sum(key in have for key in lines) >= 0.8 * len(lines)


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
