"""A second body candidate for pages that trafilatura reads poorly: readability.

trafilatura's main extractor is built around HTML5 markup and class names; on older pages
laid out with tables and ``<font>`` tags (no ``<article>``, ``<main>``, ``<section>``,
``<header>``, ``<nav>``, ``<footer>`` or ``<aside>`` anywhere) readability's scoring of text
density finds the story more cleanly. So on such pages we also run the readability port
that trafilatura bundles, and take its text when its length is close to ours: a much longer
readability text has taken in the page around the story, a much shorter one has lost part
of it. See docs/extraction.md, "Candidates", for the data this was chosen on.
"""

from __future__ import annotations

import logging
from typing import Final

from lxml import etree
from lxml import html as lxml_html
from trafilatura.readability_lxml import Document

from newscrawl.extraction.text import count_words

logger = logging.getLogger(__name__)

_SEMANTIC: Final = ("article", "main", "section", "header", "footer", "nav", "aside")
# The band of readability's length relative to ours in which it is taken (chosen on the
# dev half of big9 and andythefactory and the table-layout pages of ScrapingHub).
READABILITY_BAND: Final = (0.5, 1.3)
_BLOCKS: Final = frozenset(
    {
        "p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
        "tr", "td", "th", "dd", "dt", "table", "ul", "ol", "section", "article",
    }
)  # fmt: skip


def legacy_layout(tree: lxml_html.HtmlElement) -> bool:
    """No HTML5 sectioning element anywhere: a page from before ~2010 or built like one."""
    return next(tree.iter(*_SEMANTIC), None) is None


def readability_text(tree: lxml_html.HtmlElement) -> str:
    """readability's article as text, one block per line; consumes ``tree``."""
    try:
        summary = Document(tree, min_text_length=25).summary()
    except Exception:  # a candidate that fails is no candidate; the page goes on
        logger.debug("readability failed", exc_info=True)
        return ""
    return html_text(summary)


def html_text(fragment: str) -> str:
    """The text of an HTML fragment, one line per block element."""
    if not fragment.strip():
        return ""
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (ValueError, etree.ParserError):
        return ""
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)


def prefer_readability(candidate: str, current: str) -> bool:
    low, high = READABILITY_BAND
    ours = count_words(current)
    theirs = count_words(candidate)
    return ours > 0 and low * ours <= theirs <= high * ours
