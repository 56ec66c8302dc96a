"""Is this page an article, or a listing (home, section, tag, search, author index)?

The site spider stores articles and only follows the rest, so a listing must not come
back as an "article" made of teaser text. The decision weighs general signals, each small
and explainable; none is keyed on a site. See docs/extraction.md, "Page classification".
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

from lxml import html as lxml_html

from newscrawl.extraction.metadata import ARTICLE_TYPES, LISTING_TYPES, PageMeta, ld_types
from newscrawl.extraction.text import count_words, line_key

logger = logging.getLogger(__name__)

# Path segments that name listings rather than stories.
_LISTING_SEGMENTS: Final = frozenset(
    {
        "tag", "tags", "topic", "topics", "category", "categories", "section", "sections",
        "author", "authors", "archive", "archives", "search", "page", "latest", "index",
        "rubrik", "thema", "themen", "categorie", "categoria", "rubrique", "sujet", "label",
    }
)  # fmt: skip
_ARTICLE_PATH: Final = re.compile(
    r"(/\d{4}/\d{1,2}/(?:\d{1,2}/)?[^/]*[a-z][^/]*|/\d{4}-\d{2}-\d{2}|\d{5,}|"
    r"[^/]+\.s?html?$|/[^/]*[a-z0-9]+(?:-[a-z0-9]+){3,}[^/]*/?$)",
    re.IGNORECASE,
)
# Story ids in the query string of script-driven sites (story.php?id=12345).
_ARTICLE_QUERY: Final = re.compile(
    r"(?:^|&)(?:id|p|story|storyid|article|articleid|artikel|newsid|idx|aid|nid|no)=\d+",
    re.IGNORECASE,
)
_SENTENCE_END: Final = (".", "!", "?", "。", "！", "？", '"', "”", "»", ")")
# Below this a page is a listing. Undecided pages (weak signals both ways) count as articles:
# dropping a real story costs more than storing one listing, which dedupe and length
# checks further down also see.
THRESHOLD: Final = -1.0


@dataclass(slots=True)
class Verdict:
    is_article: bool
    score: float
    signals: list[str] = field(default_factory=list)

    def explain(self) -> str:
        return f"score {self.score:+.1f}: " + ", ".join(self.signals)


def _words(text: str) -> int:
    return count_words(text)


def url_signal(url: str) -> tuple[float, str]:
    if not url.strip():
        # An unknown address says nothing; scoring it as a home page refused real stories.
        return 0.0, "url unknown"
    parts = urlsplit(url)
    path = parts.path or "/"
    segments = [s for s in path.lower().split("/") if s]
    if _ARTICLE_PATH.search(path) or _ARTICLE_QUERY.search(parts.query):
        return 1.5, "url looks like a story"
    if not segments:
        return -3.0, "url is a home page"
    if any(s in _LISTING_SEGMENTS for s in segments):
        return -1.5, "url names a listing"
    if len(segments) == 1 and "-" not in segments[0] and len(segments[0]) <= 20:
        return -1.0, "url is a short section path"
    return 0.0, "url neutral"


def _prose_lines(body_text: str) -> int:
    count = 0
    for line in body_text.splitlines():
        words = _words(line)
        if words >= 30 or (words >= 12 and line.rstrip().endswith(_SENTENCE_END)):
            count += 1
    return count


def linked_share(anchors: dict[str, bool], body_text: str) -> float:
    """Share of the extracted words that sit in lines which are also link texts.

    On a listing the "main text" trafilatura finds is headlines and teasers, which are
    links elsewhere on the page; an article's paragraphs almost never are.
    """
    total = linked = 0
    for line in body_text.splitlines():
        words = _words(line)
        total += words
        if words >= 3 and line_key(line) in anchors:
            linked += words
    return linked / total if total else 0.0


def linked_lines(anchors: dict[str, bool], body_text: str) -> tuple[int, int]:
    """Lines of the extracted text that are link texts, and all its lines.

    A section page of teasers alternates a headline link and a blurb: half its lines are
    links even though the blurbs carry most of the words.
    """
    lines = [line for line in body_text.splitlines() if line.strip()]
    linked = sum(1 for line in lines if _words(line) >= 3 and line_key(line) in anchors)
    return linked, len(lines)


# Ten teaser lines making 40% of the text: more than any related-stories box left inside an
# article (those are removed by the tree rules before this is counted).
_TEASER_LINES: Final = 10
_TEASER_LINE_SHARE: Final = 0.4
# Half the extracted words inside headline-link blocks: the "body" is the blurbs of a
# section page.
_TEASER_WORD_SHARE: Final = 0.5
_HEADLINE_LINKS: Final = ".//*[self::h2 or self::h3 or self::h4][.//a[@href] or ancestor::a[@href]]"


@dataclass(frozen=True, slots=True)
class TreeSignals:
    """What the unpruned page shows: prose paragraphs, headline links, teaser blocks."""

    prose_paragraphs: int
    headline_links: int
    teaser_blocks: int
    h1_words: int | None  # None: the page has no <h1>
    # Keys of the text of link-led blocks (a headline link and its blurb), joined by "|".
    teaser_text: str = ""
    teaser_units: int = 0


def tree_signals(tree: lxml_html.HtmlElement) -> TreeSignals:
    body = tree.find(".//body")
    root = body if body is not None else tree
    prose = 0
    for p in root.iter("p"):
        # ~150 characters is the 30 words of a real paragraph; cheaper than counting words.
        length = len(p.text_content())
        if length >= 150 and sum(len(a.text_content()) for a in p.iter("a")) <= 0.3 * length:
            prose += 1
    headline_links = len(
        root.xpath(".//*[self::h2 or self::h3 or self::h4][.//a[@href] or ancestor::a[@href]]")
    )
    teaser_blocks = len(root.xpath(".//article[.//a[@href]]"))
    h1 = root.find(".//h1")
    h1_words = None if h1 is None else _words(h1.text_content())
    units = teaser_units(root)
    return TreeSignals(
        prose,
        headline_links,
        teaser_blocks,
        h1_words,
        "|".join(line_key(" ".join(unit.itertext())) for unit in units),
        len(units),
    )


_UNIT_WORDS: Final = 80
_HEADINGS: Final = frozenset({"h2", "h3", "h4", "h5", "h6"})


def teaser_units(root: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    """Blocks that open with a headline-like link (4+ words) and hold little else: the
    unit of a section page, with or without a blurb under the link."""
    units: dict[lxml_html.HtmlElement, None] = {}
    for link in root.iter("a"):
        text = link.text_content()
        if text.count(" ") < 3 or not link.get("href"):
            continue
        node = link.getparent()
        if node is not None and node.tag in _HEADINGS:
            link, node = node, node.getparent()
        if node is None or (node.text or "").strip() or link.getprevious() is not None:
            continue
        if _words(node.text_content()) <= _UNIT_WORDS:
            units[node] = None
    return list(units)


def _in_units(signals: TreeSignals, key: str) -> bool:
    return signals.teaser_units >= _TEASER_LINES and " " in key and key in signals.teaser_text


def teaser_share(signals: TreeSignals, body_text: str) -> float:
    """Share of the extracted words whose line sits inside a teaser unit."""
    if not signals.teaser_text:
        return 0.0
    total = inside = 0
    for line in body_text.splitlines():
        words = _words(line)
        total += words
        if words >= 3 and _in_units(signals, line_key(line)):
            inside += words
    return inside / total if total else 0.0


def structure_score(
    signals: TreeSignals, body_text: str, anchors: dict[str, bool]
) -> tuple[float, list[str]]:
    """Teasers versus prose: listings are many headline links and few long paragraphs."""
    # Sites that set paragraphs in <div>s or <br>-separated text: count the extracted lines.
    # Blurbs under headline links are sentences too, but not the prose of a story.
    own_lines = "\n".join(
        line for line in body_text.splitlines() if not _in_units(signals, line_key(line))
    )
    prose = max(signals.prose_paragraphs, _prose_lines(own_lines))
    share = linked_share(anchors, body_text)
    headline_links, teaser_blocks = signals.headline_links, signals.teaser_blocks
    notes = [
        f"{prose} prose paragraphs",
        f"{headline_links} headline links",
        f"{teaser_blocks} teaser blocks",
        f"linked share {share:.2f}",
    ]
    score = 0.0
    if prose >= 4:
        score += 2.0
    elif prose >= 2:
        score += 1.0
    elif prose == 0:
        score -= 1.5
    teasers = max(headline_links, teaser_blocks)
    if teasers >= 8 and teasers >= prose:
        score -= 2.5
    elif teasers >= 5 and teasers * 2 >= prose:
        score -= 1.0
    # A listing's <h1> names the section ("Business", "Tag: Transport"); a story's is a
    # headline.
    if signals.h1_words is not None and signals.h1_words <= 3:
        score -= 1.0
        notes.append(f"short h1 ({signals.h1_words} words)")
    linked, lines = linked_lines(anchors, body_text)
    in_units = teaser_share(signals, body_text) if signals.teaser_units >= _TEASER_LINES else 0.0
    if in_units >= _TEASER_WORD_SHARE:
        score -= 3.0
        notes.append(f"{in_units:.0%} of the text in {signals.teaser_units} teaser units")
    elif share >= 0.3 or (linked >= _TEASER_LINES and linked >= _TEASER_LINE_SHARE * lines):
        score -= 3.0
        notes.append(f"{linked} of {lines} lines are links")
    elif share >= 0.15:
        score -= 1.5
    return score, notes


def classify_page(
    signals: TreeSignals,
    url: str,
    page: PageMeta,
    body_text: str,
    anchors: dict[str, bool],
) -> Verdict:
    score = 0.0
    notes: list[str] = []
    types: set[str] = set()
    for obj in page.jsonld:
        types |= ld_types(obj)
    if types & ARTICLE_TYPES:
        score += 3.0
        notes.append("JSON-LD article")
    elif types & LISTING_TYPES or ("website" in types and not types & {"webpage"}):
        score -= 2.0
        notes.append("JSON-LD listing/website")
    og_type = (page.meta.get("og:type") or "").lower()
    if og_type == "article" or og_type.startswith("article"):
        score += 1.5
        notes.append("og:type article")
    # "blog" is left out: many blogs declare it on every post, not only on the front page.
    elif og_type in {"website", "profile"}:
        score -= 0.5
        notes.append(f"og:type {og_type}")
    if page.meta.get("article:published_time"):
        score += 0.5
        notes.append("article:published_time")
    url_score, url_note = url_signal(url)
    score += url_score
    notes.append(url_note)
    structure, structure_notes = structure_score(signals, body_text, anchors)
    score += structure
    notes.extend(structure_notes)
    return Verdict(score >= THRESHOLD, score, notes)
