"""The whole-tree guard: boilerplate rules together never remove most of the story.

A guard on one element at a time fails both ways: a site that puts a ``paywall`` class on
every paragraph of the body loses the body one small element at a time, and a site whose
article container is classed ``paywall`` loses the container while a bigger cookie dialog,
spared for its size, becomes the "body". So the guard looks at the whole tree:

1. the story container is the nearest ancestor of the page's first ``<h1>`` that holds at
   least two prose paragraphs; it and its ancestors are never removed, and elements outside
   it may go (they cannot take the story with them);
2. inside it (or in the whole page when there is no such container) a rule whose matches
   add up to more than half of the text is switched off for this page: what it matches is
   evidently the content;
3. the remaining removals, smallest first, may take at most half of that text.
"""

from __future__ import annotations

import logging
from typing import Final

from lxml import html as lxml_html

from newscrawl.extraction.rules import Rule

logger = logging.getLogger(__name__)

_PROSE_CHARS: Final = 150  # about 30 words: a paragraph, not a label or a teaser line
_MIN_PROSE: Final = 2
_BUDGET: Final = 0.5
# Below this share of paragraph text in the scope, text sits in <div>s, cells or <br> runs.
_PARAGRAPH_SHARE: Final = 0.3

Removal = tuple[lxml_html.HtmlElement, Rule]


def _text(element: lxml_html.HtmlElement) -> int:
    return len(element.text_content())


def _paragraphs(element: lxml_html.HtmlElement) -> int:
    return sum(len(p.text_content()) for p in element.iter("p"))


def story_container(root: lxml_html.HtmlElement) -> lxml_html.HtmlElement | None:
    h1 = next(root.iter("h1"), None)
    if h1 is None:
        return None
    for node in h1.iterancestors():
        if node is root:
            return None
        prose = 0
        for p in node.iter("p"):
            if len(p.text_content()) >= _PROSE_CHARS:
                prose += 1
                if prose >= _MIN_PROSE:
                    return node
    return None


def guarded(root: lxml_html.HtmlElement, removals: list[Removal]) -> list[Removal]:
    """The removals that may go ahead, in document order for those outside the story."""
    story = story_container(root)
    scope = story if story is not None else root
    protected = {story, *story.iterancestors()} if story is not None else set()
    # A story container holds prose paragraphs by definition; measuring it by all its text
    # would count hidden modals and menus as story and let the body go.
    use_paragraphs = story is not None or _paragraphs(scope) >= _PARAGRAPH_SHARE * _text(scope)
    size = _paragraphs if use_paragraphs else _text
    total = max(1, size(scope))
    outside: list[Removal] = []
    inside: list[tuple[int, Removal]] = []
    per_rule: dict[str, int] = {}
    for element, rule in removals:
        if element in protected:
            logger.debug("rule %s spared the story container <%s>", rule.name, element.tag)
            continue
        if story is not None and not any(a is story for a in element.iterancestors()):
            outside.append((element, rule))
            continue
        length = size(element)
        inside.append((length, (element, rule)))
        per_rule[rule.name] = per_rule.get(rule.name, 0) + length
    off = {name for name, length in per_rule.items() if length > _BUDGET * total}
    for name in off:
        logger.debug("rule %s would take most of the story: off for this page", name)
    kept = list(outside)
    spent = 0
    for length, (element, rule) in sorted(inside, key=lambda item: item[0]):
        if rule.name in off:
            continue
        if spent + length > _BUDGET * total:
            logger.debug("rule %s spared <%s>: the budget is spent", rule.name, element.tag)
            continue
        spent += length
        kept.append((element, rule))
    return kept
