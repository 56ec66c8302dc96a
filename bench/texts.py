"""The made-up article text every benchmark uses: seeded, templated news sentences.

Sentences are filled from a fixed vocabulary of names, places and nouns, so texts read like
local news (trafilatura takes them for article text) while no two articles are
near-duplicates. ``bench.crawl`` builds its synthetic site from them and ``bench.store`` its
100,000-article store. ``ZipfText`` is the word soup ``bench.dedupe scale`` fills its index
with.
"""

from __future__ import annotations

import random
import re

PAPER = "Lowmoor Herald"  # the paper the sentences quote; bench.crawl's site is "The ..."
NOUNS = """council harbour bridge budget school hospital railway ferry festival election union
factory museum library reservoir vineyard orchard quarry airport tramline stadium market mill
lighthouse estuary pipeline warehouse clinic court charity theatre observatory shipyard depot
refinery brewery fishery canal tunnel orchestra laboratory archive bakery pharmacy cathedral
garrison prison academy newsroom hostel farmhouse marina""".split()
ADJS = """ambitious delayed controversial modest costly temporary historic overdue crowded
fragile ageing popular unexpected cautious revised disputed generous remote rural coastal
northern southern eastern western sprawling tiny vacant flooded restored rival interim
seasonal regional local national private public""".split()
VERBS = """approved rejected postponed expanded reviewed questioned funded challenged defended
closed reopened surveyed inspected criticised welcomed blocked audited mapped rebuilt
relocated suspended doubled halved praised opposed debated""".split()
PLACES = """Lowmoor Ashby Kelderwick Penhallow Stranmere Oxcombe Bridgeford Thornley Caldmouth
Vessingham Harrowgate Elmstead Rookhaven Marlow Tidebury Westerleigh Greywater Fenwick
Sandholm Quarryton Dunmere Hollins Brackenfold Cullerton""".split()
FIRST = """Ada Bram Celia Dev Elin Farid Greta Hugo Imani Jonas Kira Lars Mona Niall Orla
Pavel Quinn Rosa Saul Tamsin Umar Vera Wyn Yusuf Zara""".split()
LAST = """Abbott Bellamy Carrow Dunmore Ellery Farrant Gossage Hartigan Ibbotson Jarrow
Kettering Lomax Mabbott Nightingale Oakes Pennock Quayle Rudd Sallis Tregear Underhill
Varley Whitlock Yeoman""".split()
ROLES = """councillor engineer treasurer headteacher surgeon skipper economist
historian spokesperson director inspector trustee curator chairwoman planner""".split()
MONTHS = """January February March April May June July August September October November
December""".split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
TEMPLATES = (
    "{Name}, the {role} who {verb} the {noun} plan in {place}, said the {adj} scheme would "
    "cost {num} million pounds by {month}.",
    "Residents of {place} {verb} the {adj} {noun} on {day}, and {num} of them signed a letter "
    "to the {role}.",
    "According to {Name}, a {role} in {place}, the {noun} had been {adj} since {month} and "
    "needed {num} more staff.",
    "The {noun} in {place} was {verb} after a {adj} report found {num} faults in its {noun2}.",
    "{Name} told the {paper} that the {adj} {noun} was never meant to replace the {noun2} "
    "at {place}.",
    "On {day} the {role} {verb} a {adj} proposal to link the {noun} with the {noun2} near {place}.",
    "Figures seen by the {paper} show that {num} families in {place} rely on the {noun}, "
    "which the {role} {verb} in {month}.",
    "{Name} said: “We {verb} the {noun} because the {adj} {noun2} left us no choice.”",
    "Work on the {adj} {noun} at {place} is expected to take {num} weeks, {Name} said.",
    "Critics in {place} argue the {noun} is {adj}, while the {role} insists the {noun2} "
    "budget of {num} thousand pounds is fair.",
    "A {adj} survey of the {noun} by {Name} counted {num} visitors on a single {day}.",
    "The {role} for {place}, {Name}, {verb} the decision and promised a {adj} review of "
    "the {noun2} before {month}.",
)


def sentence(rng: random.Random) -> str:
    """One templated sentence with random names, places and figures."""
    template = rng.choice(TEMPLATES)
    values = {
        "Name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        "role": rng.choice(ROLES),
        "verb": rng.choice(VERBS),
        "noun": rng.choice(NOUNS),
        "noun2": rng.choice(NOUNS),
        "adj": rng.choice(ADJS),
        "place": rng.choice(PLACES),
        "num": str(rng.randint(2, 980)),
        "month": rng.choice(MONTHS),
        "day": rng.choice(DAYS),
        "paper": PAPER,
    }
    return _AN.sub(r"\1n \2", template.format(**values))


_AN = re.compile(r"\b([Aa]) ([aeiou])")  # "a unexpected" -> "an unexpected"


def article_text(rng: random.Random, words: int) -> list[str]:
    """Paragraphs of templated sentences, about ``words`` words in all."""
    paragraphs: list[str] = []
    total = 0
    while total < words:
        sentences = [sentence(rng) for _ in range(rng.randint(2, 4))]
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        total += len(paragraph.split())
    return paragraphs


VOCABULARY = 20_000


class ZipfText:
    """Word soup for filling an index: Zipf-distributed words of a fixed vocabulary, in paragraphs.

    ``bench.dedupe scale`` fills stores of up to 100,000 articles with it; its figures in
    docs/dedupe.md (Scale) were measured with this text, so it stays beside the sentences.
    """

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        words = [f"w{n}" for n in range(VOCABULARY)]
        weights = [1.0 / (rank + 1) for rank in range(VOCABULARY)]
        self.words, self.cum = words, list(_accumulate(weights))

    def article(self) -> str:
        n = self.rng.randint(250, 450)
        picked = self.rng.choices(self.words, cum_weights=self.cum, k=n)
        return "\n".join(" ".join(picked[i : i + 60]) for i in range(0, n, 60))

    def near_copy(self, text: str) -> str:
        # The edits of a syndicated copy: byline and updated line on top, correction below,
        # last paragraph cut.
        paragraphs = text.split("\n")
        kept = paragraphs[:-1] if len(paragraphs) > 3 else paragraphs
        return "\n".join(["Updated 3:45 p.m. By Maria Lopez, AP", *kept, "Correction: a date."])


def _accumulate(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out
