"""Line rules: drop lines of extracted text that are boilerplate whatever markup held them.

Each rule looks at one line at a time (with a little context: the headline, the page's
link texts, the position in the text) and marks it dropped. Patterns are about what a line
*is* (a "Read more:" pointer, a share bar, a newsletter prompt), in the main languages of
the news we crawl, never about a site.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from newscrawl.extraction.rules import Rule, is_enabled, register
from newscrawl.extraction.text import count_words, line_key

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class LineContext:
    lines: list[str]
    headlines: set[str] = field(default_factory=set)
    # line key -> True when some link with that text points inside the site
    anchors: dict[str, bool] = field(default_factory=dict)
    keep: list[bool] = field(default_factory=list)
    words: list[int] = field(default_factory=list)
    removed: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.keep = [True] * len(self.lines)
        self.words = [_words(line) for line in self.lines]

    def drop(self, index: int, rule: Rule) -> None:
        if self.keep[index]:
            self.keep[index] = False
            self.removed[rule.name] += 1

    def kept(self) -> list[int]:
        return [i for i, keep in enumerate(self.keep) if keep]

    def text(self) -> str:
        return "\n".join(line for line, keep in zip(self.lines, self.keep, strict=True) if keep)


def _words(text: str) -> int:
    return count_words(text)


RuleFunction = Callable[[LineContext, Rule], None]
LINE_RULES: list[tuple[Rule, RuleFunction]] = []


def line_rule(name: str, why: str) -> Callable[[RuleFunction], RuleFunction]:
    rule = register(name, "line", why)

    def wrap(func: RuleFunction) -> RuleFunction:
        LINE_RULES.append((rule, func))
        return func

    return wrap


def _pattern_rule(name: str, why: str, pattern: str, max_words: int) -> None:
    compiled = re.compile(pattern, re.IGNORECASE)

    @line_rule(name, why)
    def apply(ctx: LineContext, rule: Rule) -> None:
        for i, line in enumerate(ctx.lines):
            if ctx.words[i] <= max_words and ctx.keep[i] and compiled.search(line):
                ctx.drop(i, rule)


@line_rule("leading_headline", "the headline is the title field, not the first line of the body")
def _leading_headline(ctx: LineContext, rule: Rule) -> None:
    for i in ctx.kept()[:3]:
        if line_key(ctx.lines[i]) in ctx.headlines:
            ctx.drop(i, rule)


_pattern_rule(
    "read_more_pointers",
    'pointers to other stories set inside the text ("Read more: ...", "RELATED: ...")',
    r"^\s*(?:read more|read also|also read|see more|see also|related|more|watch|listen|"
    r"also on [\w.]+|recommended|don'?t miss|leggi anche|lesen sie auch|"
    r"lire aussi|à lire aussi|leia também|veja também|saiba mais|lea también|lee también|"
    r"ver también|te puede interesar|también te puede interesar|potrebbe interessarti|"
    r"zum thema|mehr zum thema|auch interessant|lees ook|meer over)\s*[:|»›>]"
    # Shouted labels need no colon: "READ MORE Hong Kong ...", "SEE MORE Pictures ..."
    # ("MORE than 100 people ..." is a shouted first word, not a label.)
    r"|^\s*(?-i:READ MORE|SEE MORE|RELATED|WATCH|ALSO ON [A-Z.]+|DON'?T MISS)\s+(?-i:[A-Z\d\"“‘'])",
    40,
)
_pattern_rule(
    "read_more_lines",
    'bare "Read more" / "Continue reading" links that expand or leave the text',
    r"^\s*(?:read more|read full (?:article|story)|continue reading|show more|more\.{0,3}|"
    r"weiterlesen|mehr lesen|lire la suite|leia mais|leggi tutto|seguir leyendo)\s*[.…»›>]*\s*$",
    5,
)
_pattern_rule(
    "calls_to_action",
    "follow/subscribe/sign-up/download-the-app prompts addressed to the reader",
    # Imperatives open the line ("Subscribe to ...", "Write to Jane Roe at jr@..."); a
    # sentence that merely contains "subscribe to" ("More households subscribe to two
    # services") is reporting, not a prompt. Anywhere in the line only phrases that address
    # the reader count.
    r"^\W*(?:please\s+)?(?:follow (?:us|him|her|them|me|@\w+|[\w ]{1,30} on "
    r"(?:twitter|facebook|instagram|x|linkedin|tiktok|youtube))|sign up|subscribe|"
    r"join (?:us|our)|download (?:the|our)|get (?:the|our) (?:\w+ )?(?:newsletter|app)|"
    r"get \w+ \w+ on the go|click here|tap here|(?:share|like) this (?:story|article|post)|"
    r"tell us what you think|leave a comment|post a comment|"
    r"add your comment|have a (?:news )?tip|(?:email|write to|contact) [\w.'’ -]{2,40} at |"
    r"keep an eye on your inbox|thanks for signing up)"
    r"|\b(?:follow us (?:on|at|@)|sign up for our|subscribe to our|"
    r"(?:delivered|straight|right) (?:\w+ )?(?:to|in) your inbox|to get the \w+ app|"
    r"may be reached at|error processing your subscription|"
    r"join our (?:free )?(?:newsletter|mailing list))",
    40,
)
_pattern_rule(
    "cookie_and_paywall_notices",
    "cookie-consent and paywall texts",
    # Phrases addressed to the reader only: a story about cookie law says "the use of
    # cookies", not "we use cookies".
    r"(?:we use cookies|this (?:site|website) uses cookies|accept (?:all )?cookies|"
    r"by (?:continuing|using) (?:to use )?(?:this|our) (?:site|website)|"
    r"manage (?:cookie|privacy) (?:settings|preferences)|already a subscriber|"
    r"subscribe (?:now )?to (?:continue|read|keep reading)|"
    r"you have reached your (?:free )?(?:article )?limit|log ?in to (?:continue|read)|"
    r"for subscribers only|subscriber-only)",
    60,
)
_pattern_rule(
    "share_lines",
    "lines made only of share/social words",
    # At least one share word: a line that is only a number is a table cell or a score.
    r"^(?=.*[a-z])\s*(?:(?:share|tweet|email|e-mail|print|save|copy link|comments?|facebook|"
    r"twitter|x|whatsapp|linkedin|pinterest|reddit|telegram|messenger|flipboard|pocket|sms|"
    r"share (?:on|via|this)(?: \w+)?|\d+)\s*[|,·•/]?\s*)+$",
    12,
)
_pattern_rule(
    "search_prompts",
    "search-box labels and prompts",
    r"^\s*(?:what are you (?:searching|looking) for\s*\??|search(?: for)?\s*:?|"
    r"type (?:and|to) (?:hit|press) enter.*|search (?:this site|the site|our site)\.?|"
    r"enter (?:your )?search (?:term|keywords?).*|suche|rechercher|buscar|pesquisar|cerca)\s*$",
    10,
)
_pattern_rule(
    "image_credits",
    "photo credits and caption stubs",
    r"(?:^\s*\(?(?:photo|image|picture|foto|credit|bild|source: getty)s?\s*(?:credit)?\s*[:/]|"
    r"\((?:ap|afp|reuters|getty|epa)[^)]*(?:photo|images?)[^)]*\)\s*$|"
    r"^\s*\(?(?:ap|afp|epa|reuters)? ?photo(?:graph)?s? by\b|"
    r"(?:getty images|shutterstock|istock(?:photo)?|afp via getty)\s*\)?\s*$)",
    30,
)
_pattern_rule(
    "tag_lines",
    "tag and topic labels",
    # A label alone, or a label with a colon and a list: "Topics, such as ..." is a sentence.
    r"^\s*(?:(?:tags?|topics?|categor(?:y|ies)|schlagwörter|etiquetas|themen|mots-clés)"
    r"\s*(?::.*)?|(?:filed under|tagged(?: with)?)\b.*,.*)$",
    60,
)
_pattern_rule(
    "machine_timestamps",
    "lines that are only a machine timestamp (leaked data attributes or templates)",
    r"^\s*\d{4}-\d{2}-\d{2}[t ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:z|[+-]\d{2}:?\d{2})?\s*$",
    12,
)
_MONTHS: Final = (
    r"(?:jan(?:uary|vier|uar|eiro)?|feb(?:ruary|ruar)?|f[ée]v(?:rier)?|fevereiro|mar(?:ch|s|zo|ço)?|"
    r"märz|apr(?:il|ile)?|avr(?:il)?|abril|may|mai|maio|mayo|maggio|jun(?:e|i|io)?|juin|junho|"
    r"jul(?:y|i|io)?|juillet|julho|aug(?:ust)?|ao[uû]t|agosto|sep(?:t(?:ember)?)?|set(?:embro)?|"
    r"oct(?:ober)?|okt(?:ober)?|out(?:ubro)?|nov(?:ember|embre|embro)?|dec(?:ember)?|dez(?:ember|embro)?|"
    r"d[ée]c(?:embre)?|dic(?:iembre|embre)?)"
)
_pattern_rule(
    "dateline_stubs",
    "short lines that only say when or by whom a story was published or updated",
    r"^\s*[-–•]?\s*(?:(?:published|updated|posted|last updated|publicado|pubblicato|"
    r"veröffentlicht|aktualisiert|publié|mis à jour|atualizado)\b[^.!?]{0,60}$|"
    r"(?:\w+-feira|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|"
    r"fri|sat|sun)?,?\s*\d{1,2}\.?\s*(?:de\s+)?" + _MONTHS + r"\.?\s*(?:de\s+)?\d{4}"
    r"(?:\s*(?:às|at|um|à|alle|a las|,|-)?\s*\d{1,2}[:h.]\d{2}(?:\s*[ap]\.?m\.?)?)?[\w ()]{0,12}$|"
    r"\d{1,2}[/.]\d{1,2}[/.]\d{2,4}(?:\s*[-|]\s*publicado por:?.*)?$|"
    + _MONTHS
    + r"\.?\s+\d{1,2},?\s+\d{4}(?:\s*(?:at|,|-)?\s*\d{1,2}:\d{2}\s*(?:[ap]\.?m\.?)?\s*\w{0,4})?$)",
    16,
)

# Headings of teaser blocks: the heading and the link lines under it go together.
_TEASER_HEADING: Final = re.compile(
    r"^\s*(?:related(?: (?:articles?|stories|posts|news|content|coverage|links|reading))?|"
    r"latest(?: news| stories| articles| posts)?|most (?:read|popular|viewed|shared)|"
    r"more (?:from|on|in|stories|news|articles|like this)\b.*|"
    r"you (?:may|might) also (?:like|enjoy)\.*|"
    r"recommended(?: for you| stories| articles)?|don'?t miss|trending(?: now| stories)?|"
    r"read next|up next|what to read next|see also|top stories|popular(?: now| stories)?|"
    r"editor'?s? picks|also on [\w.]+|further reading|more to explore|"
    r"leia também|mais lidas|lesen sie auch|meistgelesen|à lire aussi|les plus lus|"
    r"lo más leído|leggi anche|i più letti)\s*(?::|…|\.\.\.)?\s*$",
    re.IGNORECASE,
)


@line_rule(
    "teaser_blocks",
    'a "Related" / "Latest News" / "Most read" heading and the link lines under it',
)
def _teaser_blocks(ctx: LineContext, rule: Rule) -> None:
    kept = ctx.kept()
    for position, i in enumerate(kept):
        line = ctx.lines[i]
        if ctx.words[i] > 8 or not _TEASER_HEADING.match(line):
            continue
        ctx.drop(i, rule)
        for j in kept[position + 1 :]:
            following = ctx.lines[j]
            linked = line_key(following) in ctx.anchors
            truncated = following.rstrip().endswith(("..", "…"))
            bullet = following.lstrip().startswith(("-", "•", "*")) and ctx.words[j] <= 40
            if linked or truncated or bullet:
                ctx.drop(j, rule)
            else:
                break


_TRUNCATED: Final = re.compile(r"(?:\.\.|…|\[(?:…|\.\.\.)\])\s*$")


@line_rule(
    "truncated_teasers",
    'runs of three or more cut-off excerpts ("... the council said it would ..") and the '
    "short heading above them: a list of other stories",
)
def _truncated_teasers(ctx: LineContext, rule: Rule) -> None:
    kept = ctx.kept()
    run: list[int] = []
    for position, i in enumerate([*kept, -1]):
        if i >= 0 and ctx.words[i] <= 60 and _TRUNCATED.search(ctx.lines[i]):
            run.append(position)
            continue
        # Three in a row: two can be a writer's style, three is a list of excerpts.
        if len(run) >= 3:
            for p in run:
                ctx.drop(kept[p], rule)
            heading = run[0] - 1
            if heading >= 0:
                line = ctx.lines[kept[heading]].rstrip()
                if ctx.words[kept[heading]] <= 4 and not line.endswith((".", "!", "?", ":")):
                    ctx.drop(kept[heading], rule)
        run = []


@line_rule(
    "link_lines",
    "lines that are exactly the text of a link: promos and teasers set between paragraphs",
)
def _link_lines(ctx: LineContext, rule: Rule) -> None:
    kept = ctx.kept()
    for i in kept:
        line = ctx.lines[i]
        words = ctx.words[i]
        # Links out of the site in the text are references (products, sources); links to
        # the site's own pages set alone on a line are promos for its other stories.
        if words < 3 or not _mostly_internal_link(line_key(line), ctx.anchors):
            continue
        letters = [c for c in line if c.isalpha()]
        shouting = bool(letters) and sum(c.isupper() for c in letters) > 0.8 * len(letters)
        if shouting or words <= 25 or line.lstrip().startswith(("-", "•")):
            ctx.drop(i, rule)


# A promo line may carry a label after its link ("Headline [VIDEO]", "Headline | Sport").
_LINKED_SHARE: Final = 0.7


def _mostly_internal_link(key: str, anchors: dict[str, bool]) -> bool:
    if anchors.get(key):
        return True
    tokens = key.split()
    if len(tokens) > 25:
        return False
    shortest = max(3, int(len(tokens) * _LINKED_SHARE + 0.999))
    return any(anchors.get(" ".join(tokens[:n])) for n in range(len(tokens) - 1, shortest - 1, -1))


def clean_lines(
    text: str, *, headlines: set[str], anchors: dict[str, bool]
) -> tuple[str, Counter[str]]:
    """The text without boilerplate lines, and how many lines each rule dropped."""
    ctx = LineContext([line for line in text.splitlines() if line.strip()], headlines, anchors)
    for rule, apply in LINE_RULES:
        if is_enabled(rule.name):
            apply(ctx, rule)
    return ctx.text(), ctx.removed
