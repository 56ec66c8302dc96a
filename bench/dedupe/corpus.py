"""Labelled pairs from real articles: syndicated copies (positives) and different stories.

Originals are what the pipeline itself extracts from the stored real pages. Copies are the
ground-truth body re-published in another outlet's template (with its own navigation,
related links, newsletter box and footer) with one edit each, then extracted again by the
same code, so template leakage into the extracted text is part of the test.
"""

from __future__ import annotations

import gzip
import html
import itertools
import json
import logging
import math
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from newscrawl.extraction.article import Article
from newscrawl.extraction.extract import extract_article

logger = logging.getLogger(__name__)

SEED = 20241128


@dataclass(frozen=True)
class Doc:
    id: str
    url: str
    host: str
    text: str  # what the store would hold for the real page
    paragraphs: tuple[str, ...]  # the ground-truth body, for building copies
    title: str


@dataclass(frozen=True)
class Pair:
    a: Doc  # stored first
    b_text: str  # arrives later
    label: bool  # True: b is a copy of a
    kind: str


@dataclass(frozen=True)
class Outlet:
    name: str
    host: str
    nav: tuple[str, ...]
    related: str
    box: str
    footer: str


OUTLETS = (
    Outlet(
        name="Daily Courier",
        host="courier.example.org",
        nav=("Home", "World", "Business", "Sport", "Opinion", "Weather"),
        related="Read more: Council approves budget for the new harbour bridge",
        box="Sign up for the Courier Morning Briefing, delivered to your inbox every day.",
        footer="© 2024 Daily Courier Media Group. All rights reserved. Terms of use. "
        "Privacy policy. Contact the newsroom.",
    ),
    Outlet(
        name="The Evening Ledger",
        host="ledger.example.net",
        nav=("News", "Politics", "Money", "Tech", "Culture", "Obituaries", "Podcasts"),
        related="RELATED: What the new tax rules mean for small businesses this spring",
        box="Support independent journalism. Subscribe to the Ledger for $1 a week.",
        footer="The Evening Ledger is published by Ledger Holdings. Advertise with us. "
        "Careers. Accessibility statement.",
    ),
    Outlet(
        name="Metro Wire Today",
        host="metrowire.example.com",
        nav=("Top stories", "Local", "Nation", "Entertainment", "Lifestyle"),
        related="Also on Metro Wire: Five things to do in the city this weekend",
        box="Got a news tip? Email the Metro Wire desk at tips@metrowire.example.com.",
        footer="Copyright Metro Wire Today. Reproduction without permission prohibited.",
    ),
)
BYLINES = ("By Maria Lopez, Associated Press", "By Tom Becker | Staff and wire reports",
           "Reuters staff")  # fmt: skip
UPDATED = "Updated 3:45 p.m. ET, Nov. 20, 2019"
CORRECTION = (
    "Correction: An earlier version of this story misstated the date of the announcement. "
    "It was on Tuesday, not Monday."
)
# Wire-desk style edits: each applies to the first occurrence only, a handful per text.
SMALL_EDITS = (("percent", "per cent"), ("said", "says"), ("President", "president"),
               ("Monday", "on Monday"), ("however", "but"), ("U.S.", "US"),
               ("the company", "the firm"), ("about", "around"))  # fmt: skip


def load_docs(dataset: Path) -> list[Doc]:
    truth = json.loads((dataset / "ground-truth.json").read_text())
    docs = []
    for doc_id, entry in sorted(truth.items()):
        body = entry["articleBody"]
        paragraphs = tuple(p.strip() for p in re.split(r"\n+", body) if p.strip())
        page = gzip.decompress((dataset / "html" / f"{doc_id}.html.gz").read_bytes())
        extracted = extract_article(page, entry["url"])
        # When the pipeline would reject the real page (too short, not an article), the store
        # would never hold it; the ground truth body stands in so every article is used.
        text = extracted.text if isinstance(extracted, Article) else body
        title = extracted.title if isinstance(extracted, Article) and extracted.title else ""
        host = urlsplit(entry["url"]).hostname or ""
        docs.append(Doc(doc_id, entry["url"], host, text, paragraphs, title or paragraphs[0][:80]))
    return docs


def render(outlet: Outlet, headline: str, paragraphs: list[str], byline: str) -> str:
    nav = "".join(f'<li><a href="/{n.lower()}">{n}</a></li>' for n in outlet.nav)
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(headline)} | {outlet.name}</title>
<meta property="og:type" content="article">
<meta property="og:title" content="{html.escape(headline)}">
<meta property="article:published_time" content="2019-11-20T15:45:00Z">
</head><body>
<header><a href="/">{outlet.name}</a><nav><ul>{nav}</ul></nav></header>
<main><article>
<h1>{html.escape(headline)}</h1>
<p class="byline">{html.escape(byline)}</p>
<div class="article-body">
{body}
<aside class="related"><p><a href="/related">{outlet.related}</a></p></aside>
<div class="newsletter"><p>{outlet.box}</p></div>
</div>
</article></main>
<aside><h2>Most read</h2><ol><li><a href="/a">Storm warning issued for the coast</a></li>
<li><a href="/b">Local team wins the cup after extra time</a></li>
<li><a href="/c">House prices fall for a third month</a></li></ol></aside>
<footer><p>{outlet.footer}</p></footer>
</body></html>"""


def small_edits(paragraphs: list[str]) -> list[str]:
    text = "\n".join(paragraphs)
    for old, new in SMALL_EDITS:
        text = re.sub(rf"\b{re.escape(old)}\b", new, text, count=1)
    return text.split("\n")


def edit(doc: Doc, kind: str, rng: random.Random) -> tuple[str, list[str], str] | None:
    """Headline, paragraphs and byline of a copy with one kind of edit (None: not applicable)."""
    paragraphs = list(doc.paragraphs)
    headline, byline = doc.title, rng.choice(BYLINES)
    if kind == "headline":
        headline = f"{paragraphs[0].split('.')[0][:70]}: what we know"
    elif kind == "correction":
        paragraphs.append(CORRECTION)
    elif kind == "updated_line":
        paragraphs.insert(0, UPDATED)
    elif kind == "cut_last_paragraph":
        if len(paragraphs) < 3:
            return None  # cutting would leave a fragment, not a syndicated copy
        paragraphs.pop()
    elif kind == "byline":
        paragraphs.insert(0, f"{byline} — {doc.host.removeprefix('www.')}")
    elif kind == "small_edits":
        paragraphs = small_edits(paragraphs)
    elif kind == "all":
        headline = f"{paragraphs[0].split('.')[0][:70]}: what we know"
        if len(paragraphs) >= 3:
            paragraphs.pop()
        paragraphs = [UPDATED, byline, *small_edits(paragraphs), CORRECTION]
    return headline, paragraphs, byline


POSITIVE_KINDS = ("template_only", "headline", "correction", "updated_line",
                  "cut_last_paragraph", "byline", "small_edits", "all")  # fmt: skip


def copy_text(doc: Doc, kind: str, outlet_index: int, rng: random.Random) -> str | None:
    edited = edit(doc, kind, rng)
    if edited is None:
        return None
    headline, paragraphs, byline = edited
    outlet = OUTLETS[outlet_index % len(OUTLETS)]
    page = render(outlet, headline, paragraphs, byline)
    url = f"https://{outlet.host}/wire/{doc.id[:12]}"
    extracted = extract_article(page, url)
    # A copy the pipeline would reject never reaches dedupe; the bench then uses the body text
    # itself so that the pair still counts (and the edit is still applied).
    return extracted.text if isinstance(extracted, Article) else "\n".join(paragraphs)


def _vector(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w{4,}", text.casefold()))


def same_topic_pairs(docs: list[Doc]) -> list[tuple[Doc, Doc]]:
    """Each article with its most similar other article by TF-IDF cosine (other sites)."""
    vectors = [_vector(d.text) for d in docs]
    df: Counter[str] = Counter()
    for v in vectors:
        df.update(v.keys())
    n = len(docs)
    weighted = []
    for v in vectors:
        w = {t: c * math.log(n / df[t]) for t, c in v.items()}
        norm = math.sqrt(sum(x * x for x in w.values())) or 1.0
        weighted.append({t: x / norm for t, x in w.items()})
    seen: set[tuple[int, int]] = set()
    pairs = []
    for i, wi in enumerate(weighted):
        # Sorted terms and rounded scores: the sum must not depend on dict order (str hashes
        # are salted per process), or the chosen pairs would change from run to run.
        scores = [
            (round(math.fsum(x * weighted[j].get(t, 0.0) for t, x in sorted(wi.items())), 9), -j)
            for j in range(n)
            if j != i and docs[j].host != docs[i].host
        ]
        _, neg_j = max(scores)
        j = -neg_j
        key = (min(i, j), max(i, j))
        if key not in seen:
            seen.add(key)
            pairs.append((docs[key[0]], docs[key[1]]))
    return pairs


# Machine-written stories: one template, different facts. The wording follows the short
# automated earnings, match and weather reports that agencies publish by the thousand.
TEMPLATES = (
    "{A} on {day} reported {q} net income of ${n1} million, after reporting a loss in the "
    "same period a year earlier. The {city}-based company said it had profit of {n2} cents "
    "per share. Earnings, adjusted for one-time gains and costs, came to {n3} cents per "
    "share. The results topped Wall Street expectations. The average estimate of {n4} "
    "analysts surveyed by Zacks Investment Research was for earnings of {n5} cents per share. "
    "The company posted revenue of ${n6} million in the period, also topping forecasts. "
    "{A} shares have risen {n7} percent since the beginning of the year.",
    "{A} beat {B} {n1}-{n2} on {day} night in front of a crowd of {n3},{n4}{n5}. {P} scored "
    "twice in the first half and {R} added a third after {n6} minutes. {B} pulled one back "
    "through {S} late in the game but could not find an equaliser. The result lifts {A} to "
    "{n7} points from {n8} matches, while {B} stay on {n9} points. {A} travel to {city} next "
    "week, and {B} host the league leaders on {day2}.",
    "Forecasters expect a high of {n1} degrees in {city} on {day}, with winds from the "
    "{dir} at {n2} to {n3} miles per hour. There is a {n4} percent chance of showers in the "
    "afternoon, rising to {n5} percent after dark. The overnight low will be around {n6} "
    "degrees. On {day2}, skies will clear and temperatures will climb to {n7} degrees, "
    "according to the National Weather Service office in {city2}. Sunrise is at {n8}:{n9}.",
)
NAMES = (
    "Alder",
    "Brookfield",
    "Carver",
    "Dunmore",
    "Ellison",
    "Fenwick",
    "Garland",
    "Hollis",
    "Ingram",
    "Jasper",
    "Kendrick",
    "Lowell",
    "Marston",
    "Norcross",
    "Oakley",
    "Prescott",
)
CITIES = ("Toledo", "Spokane", "Fresno", "Tulsa", "Omaha", "Raleigh", "Boise", "Tucson")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")  # fmt: skip


def machine_story(template: str, rng: random.Random) -> str:
    names = rng.sample(NAMES, 5)
    values = {f"n{i}": str(rng.randrange(1, 99)) for i in range(1, 10)}
    return template.format(
        A=names[0], B=names[1], P=names[2], R=names[3], S=names[4], city=rng.choice(CITIES),
        city2=rng.choice(CITIES), day=rng.choice(DAYS), day2=rng.choice(DAYS),
        q=rng.choice(("first-quarter", "second-quarter", "third-quarter", "fourth-quarter")),
        dir=rng.choice(("north", "south", "east", "west")), **values,
    )  # fmt: skip


def machine_pairs(rng: random.Random, per_template: int = 60) -> list[Pair]:
    """Different stories from one template; and re-published copies of such a story."""
    pairs = []
    for t, template in enumerate(TEMPLATES):
        for n in range(per_template):
            a_text = machine_story(template, rng)
            a = Doc(f"machine-{t}-{n}", f"https://wire.example/{t}/{n}", "wire.example",
                    a_text, (a_text,), "")  # fmt: skip
            pairs.append(Pair(a, machine_story(template, rng), False, "machine_written"))
            if n % 3 == 0:
                copy = f"{rng.choice(BYLINES)}\n{UPDATED}\n{a_text}"
                pairs.append(Pair(a, copy, True, "machine_written_copy"))
    return pairs


def build_pairs(docs: list[Doc]) -> list[Pair]:
    rng = random.Random(SEED)
    pairs: list[Pair] = []
    for i, doc in enumerate(docs):
        for k, kind in enumerate(POSITIVE_KINDS):
            text = copy_text(doc, kind, i + k, rng)
            if text is not None:
                pairs.append(Pair(doc, text, True, kind))
    by_host: dict[str, list[Doc]] = {}
    for doc in docs:
        by_host.setdefault(doc.host, []).append(doc)
    for group in by_host.values():
        for a, b in itertools.pairwise(group):
            pairs.append(Pair(a, b.text, False, "same_site"))
    for a, b in same_topic_pairs(docs):
        pairs.append(Pair(a, b.text, False, "same_topic"))
    for i, doc in enumerate(docs):
        # Two different stories published in one template: both pass through the same
        # boilerplate, which must not be enough to merge them.
        other = docs[(i + 1) % len(docs)]
        first = copy_text(doc, "template_only", 0, rng)
        second = copy_text(other, "template_only", 0, rng)
        assert first is not None
        assert second is not None
        pairs.append(Pair(Doc(doc.id, "", OUTLETS[0].host, first, doc.paragraphs,
                              doc.title), second, False, "same_template"))  # fmt: skip
        rand = docs[rng.randrange(len(docs))]
        if rand.id != doc.id:
            pairs.append(Pair(doc, rand.text, False, "random"))
    pairs.extend(machine_pairs(rng))
    return pairs
