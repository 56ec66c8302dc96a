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


_HEADLINE_LINKS: Final = ".//*[self::h2 or self::h3 or self::h4][.//a[@href] or ancestor::a[@href]]"


@dataclass(frozen=True, slots=True)
class TreeSignals:
    """What the unpruned page shows: prose paragraphs, headline links, teaser blocks."""

    prose_paragraphs: int
    headline_links: int
    teaser_blocks: int
    h1_words: int | None  # None: the page has no <h1>


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
    return TreeSignals(prose, headline_links, teaser_blocks, h1_words)


def structure_score(
    signals: TreeSignals, body_text: str, anchors: dict[str, bool]
) -> tuple[float, list[str]]:
    """Teasers versus prose: listings are many headline links and few long paragraphs."""
    # Sites that set paragraphs in <div>s or <br>-separated text: count the extracted lines.
    prose = max(signals.prose_paragraphs, _prose_lines(body_text))
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
    if share >= 0.3:
        score -= 3.0
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
    elif og_type in {"website", "profile", "blog"}:
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
