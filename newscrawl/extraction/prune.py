"""Tree rules: remove page elements that are never article text, before trafilatura runs.

Matching is on what the markup says an element is (its class and id tokens, its tag, its
role, whether it is shown at all), never on a site. A guard keeps any element that holds
most of the page's text, so one odd class name on a wrapper cannot empty the page.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from functools import lru_cache
from typing import Final

from lxml import html as lxml_html

from newscrawl.extraction.guard import guarded
from newscrawl.extraction.rules import Rule, is_enabled, register

logger = logging.getLogger(__name__)

HIDDEN = register(
    "hidden_elements",
    "tree",
    "display:none, visibility:hidden, the hidden attribute and screen-reader-only text are "
    "not part of what the reader sees (hover cards, print copies, duplicated menus)",
)
PRINT_ONLY = register(
    "print_only", "tree", "print headers and footers repeat the title, URL and copyright"
)
HOVER_CARDS = register(
    "hover_cards",
    "tree",
    "rollover/tooltip/popover cards glue a name's bio or headlines into a sentence",
)
SUBSCRIPTION = register(
    "subscription_boxes",
    "tree",
    "newsletter, sign-up, subscription, paywall and cookie-consent boxes",
)
SHARE_BARS = register("share_boxes", "tree", "share and social-follow bars")
TEASER_SECTIONS = register(
    "teaser_sections",
    "tree",
    "related / most read / latest / recommended / more-from sections are other articles",
)
CAPTIONS = register(
    "captions_and_credits", "tree", "figure captions and image credits describe pictures"
)
SEARCH_FORMS = register("search_forms", "tree", "search boxes and their prompts")
COMMENTS = register(
    "comment_sections",
    "tree",
    "readers' comments and discussion threads are not the article",
)
NESTED_ARTICLES = register(
    "nested_articles",
    "tree",
    "an <article> inside the article is an embedded teaser card for another story",
)
LINK_LISTS = register(
    "link_lists",
    "tree",
    "lists of three or more items that are nothing but links are navigation or teasers",
)
STORY_HEADER = register(
    "story_header",
    "tree",
    "the block around the <h1> (kicker, headline, standfirst, byline, date) is metadata, "
    "stored in its own fields, not body text",
)

_HIDDEN_STYLE: Final = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HIDDEN_CLASS: Final = re.compile(
    r"(?:^|\s)(?:hidden|is-hidden|d-none|hide|visually-hidden|visuallyhidden|sr-only|"
    r"screen-reader-text|screenreader-only|element-invisible|offscreen)(?:\s|$)"
)

# Class/id tokens, matched at a token start (after start, space, "-" or "_"), lowercased.
_TOKEN_RULES: Final = (
    (PRINT_ONLY, r"print-?(?:only|header|footer|info)|visible-print|printfooter"),
    (HOVER_CARDS, r"rollover|tooltip|popover|hovercard|hover-card"),
    (
        SUBSCRIPTION,
        r"newsletter|subscri(?:be|ption)|sign-?up|signup|optin|opt-in|paywall|"
        r"cookie|consent|gdpr|regwall|paywall-|piano-|tp-modal|email-capture|inline-cta",
    ),
    (
        SHARE_BARS,
        r"share|sharing|social-?(?:links|icons|media|buttons|bar|follow)|addthis|sharethis",
    ),
    (
        TEASER_SECTIONS,
        r"related|recommend|most-?(?:read|popular|viewed|shared|commented)|popular|trending|"
        r"latest-?(?:news|posts|stories|articles)|more-?(?:from|stories|news|articles|on)|"
        r"read-?(?:next|also)|also-?read|see-?also|taboola|outbrain|zergnet|"
        r"recirc|further-?reading|youmaylike|you-may-like|next-?article|top-?stories|"
        r"editors?-?picks|teaser-?list",
    ),
    (CAPTIONS, r"caption|credit|photo-?source|image-?source|img-?source|copyright"),
    (SEARCH_FORMS, r"search"),
    # Whole tokens only: "commentary" is an opinion piece, not a thread.
    (COMMENTS, r"(?:comments?|commentlist|disqus|discussion-thread)(?=$|[\s_-])"),
)
_TOKEN_PATTERN: Final = re.compile(
    "|".join(f"(?:^|[\\s_-])(?P<r{i}>{pattern})" for i, (_, pattern) in enumerate(_TOKEN_RULES))
)
# Elements never removed by class/id: removing the page frame is never the intent.
_FRAME_TAGS: Final = frozenset({"html", "body", "main", "head"})
_INLINE_SAFE: Final = frozenset({"b", "strong", "em", "i", "u", "sup", "sub", "abbr", "time"})


# Only elements that carry one of these can match a rule; XPath preselects them in C.
_CANDIDATES: Final = (
    ".//*[@class or @id or @style or @hidden or @role]"
    " | .//figcaption | .//ul | .//ol | .//article[ancestor::article]"
)


def _text_length(element: lxml_html.HtmlElement) -> int:
    return len(element.text_content())


def _paragraph_length(element: lxml_html.HtmlElement) -> int:
    return sum(len(p.text_content()) for p in element.iter("p"))


def _classify(element: lxml_html.HtmlElement) -> Rule | None:
    tag = element.tag
    if not isinstance(tag, str) or tag in _FRAME_TAGS:
        return None
    attrib = element.attrib
    if "hidden" in attrib:
        return HIDDEN
    style = attrib.get("style")
    if style and _HIDDEN_STYLE.search(style):
        return HIDDEN
    if tag == "figcaption":
        return CAPTIONS
    if attrib.get("role") == "search" or (
        tag == "form" and element.xpath(".//input[@type='search']")
    ):
        return SEARCH_FORMS
    classes = attrib.get("class")
    ident = attrib.get("id")
    if not classes and not ident:
        return None
    rule = _rule_for_attributes(f"{classes or ''} {ident or ''}".lower())
    if rule is None or (tag in _INLINE_SAFE and rule is not HIDDEN):
        return None
    return rule


@lru_cache(maxsize=16384)
def _rule_for_attributes(attributes: str) -> Rule | None:
    # Pages repeat the same class strings hundreds of times: match each string once.
    if _HIDDEN_CLASS.search(attributes):
        return HIDDEN
    match = _TOKEN_PATTERN.search(attributes)
    if match is None or match.lastgroup is None:
        return None
    return _TOKEN_RULES[int(match.lastgroup[1:])][0]


def _link_list(element: lxml_html.HtmlElement) -> bool:
    items = [child for child in element if child.tag == "li"]
    if len(items) < 3:
        return False
    total = linked = 0
    for item in items:
        links = [a for a in item.iter("a") if a.get("href")]
        if not links:
            return False
        total += len(item.text_content().strip())
        linked += sum(len(a.text_content().strip()) for a in links)
    return total > 0 and linked >= 0.8 * total


_NEVER_TEXT: Final = (
    "//style | //noscript | //svg | //template | //link | "
    "//script[not(@type) or @type != 'application/ld+json']"
)
_HEADER_TOKENS: Final = re.compile(
    r"(?:^|[\s_-])(?:header|head|heading|headline|hero|title|titles|intro|top)(?:$|[\s_-])"
)
_MAX_HEADER_PROSE: Final = 1


_PROSE_CHARS: Final = 150  # about 30 words: a paragraph, not a label or a prompt
_INLINE: Final = frozenset({"a", "span", "em", "strong", "b", "i", "small", "cite"})
_TEXT_BLOCKS: Final = frozenset({"p", "li", "blockquote", "td", "dd", "figcaption"})


def _in_running_text(element: lxml_html.HtmlElement) -> bool:
    """A link or span inside a sentence: removing it would cut the sentence, whatever its
    class says ("according to <a class="related-link">a report</a> last week")."""
    parent = element.getparent()
    if element.tag not in _INLINE or parent is None or parent.tag not in _TEXT_BLOCKS:
        return False
    return bool((parent.text or "").strip() or (element.tail or "").strip())


def _story_headers(root: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    """The block that holds the <h1> with its kicker, standfirst and byline.

    It is the nearest ancestor of the <h1> (up to three levels) that is a <header> or says
    "header"/"heading"/"title" in its class or id, and that holds at most one paragraph of
    prose, so the article body itself is never taken for its header.
    """
    headers = []
    for h1 in root.iter("h1"):
        node = h1.getparent()
        for _ in range(3):
            if node is None or node.tag in _FRAME_TAGS or node.tag == "article":
                break
            attributes = f"{node.get('class') or ''} {node.get('id') or ''}".lower()
            if node.tag == "header" or _HEADER_TOKENS.search(attributes):
                prose = sum(1 for p in node.iter("p") if len(p.text_content()) >= 150)
                if prose <= _MAX_HEADER_PROSE and node.find(".//nav") is None:
                    headers.append(node)
                break
            node = node.getparent()
    return headers


def prune_tree(tree: lxml_html.HtmlElement) -> Counter[str]:
    """Remove boilerplate elements in place; returns how many each rule removed."""
    # Scripts, styles and vector art are never text; dropping them first makes every later
    # pass (ours and trafilatura's) cheaper. JSON-LD stays: trafilatura reads metadata from it.
    for element in tree.xpath(_NEVER_TEXT):
        _drop(element)
    body = tree.find("body")
    root = body if body is not None else tree
    nested = set(root.xpath(".//article[ancestor::article]"))
    candidates: list[tuple[lxml_html.HtmlElement, Rule]] = [
        (header, STORY_HEADER) for header in _story_headers(root)
    ]
    for element in root.xpath(_CANDIDATES):
        rule = _classify(element)
        if rule is None:
            if element.tag in {"ul", "ol"} and _link_list(element):
                rule = LINK_LISTS
            elif element in nested:
                rule = NESTED_ARTICLES
            else:
                continue
        candidates.append((element, rule))
    # A hover card often sits inside a matching wrapper together with its trigger (the linked
    # name): keep the outermost wrapper, remove the card inside it, so the name stays in its
    # sentence.
    hovers = {element for element, rule in candidates if rule is HOVER_CARDS}
    hover_parents = set()
    for element in hovers:
        hover_parents.update(element.iterancestors())
    eligible: list[tuple[lxml_html.HtmlElement, Rule]] = []
    for element, rule in candidates:
        if not is_enabled(rule.name):
            continue
        if rule is not HIDDEN and rule is not HOVER_CARDS and _in_running_text(element):
            continue
        # The trigger is a link ("rollover-people-link"); the card is the box beside it.
        if rule is HOVER_CARDS and (
            element.tag == "a"
            or (
                element in hover_parents
                and not any(ancestor in hovers for ancestor in element.iterancestors())
            )
        ):
            continue
        eligible.append((element, rule))
    # The class of one gated paragraph marks its siblings too, short ones included.
    gated = {e for e, rule in eligible if rule is SUBSCRIPTION and _gated_prose(e)}
    gated_classes = {e.get("class") for e in gated} - {None}
    eligible = [
        (element, rule)
        for element, rule in eligible
        if rule is not SUBSCRIPTION
        or not (element in gated or element.get("class") in gated_classes)
    ]
    removed: Counter[str] = Counter()
    for element, rule in guarded(root, eligible):
        if element.getparent() is None or _detached(element, root):
            continue
        _drop(element)
        removed[rule.name] += 1
    return removed


_FORM_CONTROLS: Final = ".//*[self::form or self::input or self::button or self::select]"


def _gated_prose(element: lxml_html.HtmlElement) -> bool:
    """A "paywall" or "subscriber" element that holds prose and no form control is the gated
    story itself; the boxes this rule is for (sign-up, paywall prompt, consent dialog) ask
    the reader to act, with a button or a field, and their text is short or a notice."""
    has_prose = any(len(p.text_content()) >= _PROSE_CHARS for p in element.iter("p"))
    return has_prose and not element.xpath(_FORM_CONTROLS)


def _detached(element: lxml_html.HtmlElement, root: lxml_html.HtmlElement) -> bool:
    node = element.getparent()
    while node is not None:
        if node is root:
            return False
        node = node.getparent()
    return True


def _drop(element: lxml_html.HtmlElement) -> None:
    # Keep the tail: it is the text that follows the element in its parent.
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    previous = element.getprevious()
    if tail and tail.strip():
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)
