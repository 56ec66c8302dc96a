"""Which source gives a field when several do: the title and the author.

Declared values (JSON-LD, meta tags) are what publishers write for search engines; the
page's visible headline and byline are what the reader sees. See docs/extraction.md,
"Metadata".
"""

from __future__ import annotations

import html
import re
from typing import Final

from newscrawl.extraction.metadata import (
    PageMeta,
    article_ld,
    clean_author,
    clean_title,
    ld_names,
    structured_title,
)


def author_candidates(page: PageMeta) -> list[str | None]:
    """Where an author may be named, most trusted first; each is tried in turn, because a
    source that holds an address or the site name cleans to nothing."""
    candidates: list[str | None] = []
    ld = article_ld(page)
    if ld is not None:
        names = ld_names(ld.get("author") or ld.get("creator"))
        if names:
            candidates.append("; ".join(names))
    candidates.extend(page.meta.get(key) for key in ("author", "article:author", "dc.creator"))
    return candidates


def declared_author(page: PageMeta) -> str | None:
    for candidate in author_candidates(page):
        cleaned = clean_author(candidate, None)
        if cleaned:
            return cleaned
    return None


def categories_and_tags(page: PageMeta) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Sections and keywords the page declares (JSON-LD, then meta tags)."""
    ld = article_ld(page) or {}
    categories = ld_names(ld.get("articleSection")) or [
        v for v in [page.meta.get("article:section")] if v
    ]
    raw_tags: list[str] = list(page.tags)
    keywords = ld.get("keywords") or page.meta.get("news_keywords") or page.meta.get("keywords")
    if isinstance(keywords, str):
        raw_tags.extend(keywords.split(","))
    elif isinstance(keywords, list):
        raw_tags.extend(k for k in keywords if isinstance(k, str))
    tags: list[str] = []
    for tag in raw_tags:
        tag = " ".join(html.unescape(tag).split())
        if tag and tag.lower() not in (t.lower() for t in tags):
            tags.append(tag)
    return tuple(dict.fromkeys(categories)), tuple(tags)


def pick_author(page: PageMeta, found: str | None, sitename: str | None) -> str | None:
    for candidate in [*author_candidates(page), found]:
        cleaned = clean_author(candidate, sitename)
        if cleaned:
            return cleaned
    return None


_TOKEN: Final = re.compile(r"\w+")
# The share of a visible headline's words that a declared title must contain for the
# headline to be this story's (not the site's logo or a section name).
_HEADLINE_OVERLAP: Final = 0.6
_HEADLINE_WORDS: Final = 4
_LABEL_WORDS: Final = 3


def pick_title(page: PageMeta, found: str | None, sitename: str | None) -> str | None:
    """The visible <h1> when it is this story's headline, else the declared title.

    Declared titles (JSON-LD headline, og:title, <title>) are often an SEO variant of what
    the reader sees; the <h1> is what the page shows, so it wins when a declared title
    confirms it is the story's headline and not a logo or a section name.
    """
    declared = [structured_title(page), page.meta.get("og:title"), page.html_title, found]
    words = set()
    for text in declared:
        words.update(_TOKEN.findall((text or "").lower()))
    # The site's own name is in most declared titles and in its logo heading: it proves
    # nothing about a heading.
    words -= set(_TOKEN.findall((sitename or "").lower()))
    for h1 in page.h1s:
        tokens = _TOKEN.findall(h1.lower())
        if len(tokens) >= 2 and sum(t in words for t in tokens) >= _HEADLINE_OVERLAP * len(tokens):
            return clean_title(h1, sitename)
    title = clean_title(structured_title(page) or found or page.html_title, sitename)
    # A <title> of a word or two once the site name is gone is a label ("Pipes | Post"):
    # an <h1> that reads like a headline says more.
    headline = next((h1 for h1 in page.h1s if len(h1.split()) >= _HEADLINE_WORDS), None)
    if headline and (title is None or len(title.split()) < _LABEL_WORDS):
        return clean_title(headline, sitename)
    return title or clean_title(next(iter(page.h1s), None), sitename)
