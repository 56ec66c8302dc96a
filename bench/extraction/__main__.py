"""Score newscrawl, plain trafilatura and readability-lxml on each benchmark folder.

    python -m bench.extraction --dataset /work/shared/bench/extraction/scrapinghub \\
        --dataset /work/shared/bench/extraction/andythefactory \\
        --dataset /work/shared/bench/extraction/big9 --split cross --out bench/results/x.json

Each folder is scored separately (see datasets.py for the layout). The three extractors
run interleaved on the same decoded pages in this process, so load from other processes
on a shared machine falls on all of them alike, and each call is timed in CPU time of this
process (``time.process_time``), which waiting for a busy core does not inflate; speed is
reported as the ratio of our pages/s to plain trafilatura's. ``--split cross`` reports the
two halves of a fixed split by site: "dev" is where rules and thresholds may be chosen,
"holdout" where they are checked (docs/extraction.md says which rule was chosen on what).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trafilatura

from bench.extraction.datasets import Dataset, load_dataset, split_by_site
from bench.extraction.metascore import score_metadata
from bench.extraction.reference import plain_trafilatura, readability_lxml, trafilatura_metadata
from bench.extraction.scoring import CorpusScore, score_corpus
from newscrawl.extraction.article import Article, ExtractionFailed
from newscrawl.extraction.extract import DEFAULT_MIN_WORDS, extract_article
from newscrawl.extraction.rules import REGISTRY, disabled

Extractor = Callable[[str, str], str]
OURS = "newscrawl"
TRAFILATURA = "trafilatura"
READABILITY = "readability"


class Ours:
    """extract_article as an Extractor, keeping each Article for the metadata score."""

    def __init__(self, min_words: int) -> None:
        self.min_words = min_words
        self.failures: Counter[str] = Counter()
        self.failed: dict[str, str] = {}
        # keyed by the page's text: URLs repeat or are missing in some sets
        self.articles: dict[str, Article] = {}

    def __call__(self, html: str, url: str) -> str:
        result = extract_article(html, url, min_words=self.min_words)
        if isinstance(result, ExtractionFailed):
            self.failures[result.reason] += 1
            self.failed[url or html[:40]] = f"{result.reason}: {result.detail[:160]}"
            return ""
        self.articles[html] = result
        return result.text


def run_interleaved(
    extractors: list[tuple[str, Extractor]], data: Dataset, repeat: int
) -> tuple[dict[str, dict[str, str]], dict[str, float]]:
    """Every extractor on each page in turn; the median of ``repeat`` passes is kept."""
    predictions: dict[str, dict[str, str]] = {name: {} for name, _ in extractors}
    passes: dict[str, list[float]] = {name: [] for name, _ in extractors}
    for attempt in range(repeat):
        spent = dict.fromkeys(passes, 0.0)
        for index, (page_id, html) in enumerate(data.pages.items()):
            # Rotate the order so no extractor always runs first on a cold cache.
            shift = index % len(extractors)
            for name, extractor in extractors[shift:] + extractors[:shift]:
                start = time.process_time()
                text = extractor(html, data.urls[page_id] or "")
                spent[name] += time.process_time() - start
                if attempt == 0:
                    predictions[name][page_id] = text
        for name, seconds in spent.items():
            passes[name].append(seconds)
    return predictions, {name: statistics.median(values) for name, values in passes.items()}


def row(name: str, score: CorpusScore, seconds: float, pages: int) -> dict[str, Any]:
    return {
        "extractor": name,
        "precision": round(score.precision, 4),
        "recall": round(score.recall, 4),
        "f1": round(score.f1, 4),
        "empty": score.empty,
        "pages_per_s": round(pages / seconds, 2) if seconds else None,
    }


def worst_pages(score: CorpusScore, count: int) -> list[dict[str, Any]]:
    return [
        {"id": s.page_id, "f1": round(s.f1, 3), "p": s.precision, "r": s.recall}
        for s in sorted(score.pages, key=lambda s: s.f1)[:count]
    ]


def metadata_table(data: Dataset, ours: Ours) -> dict[str, dict[str, float | None]]:
    if not data.meta:
        return {}
    mine: dict[str, dict[str, str | None]] = {}
    theirs: dict[str, dict[str, str | None]] = {}
    for page_id in data.meta:
        url, html = data.urls[page_id] or "", data.pages[page_id]
        article = ours.articles.get(html)
        if article is not None:
            mine[page_id] = {
                "title": article.title,
                "author": article.author,
                "date": article.published_at,
            }
        doc = trafilatura_metadata(html, url)
        theirs[page_id] = {k: doc.get(k) for k in ("title", "author", "date")}
    table: dict[str, dict[str, float | None]] = {}
    for name, predicted in ((OURS, mine), (TRAFILATURA, theirs)):
        for field_name, score in score_metadata(data.meta, predicted).items():
            table.setdefault(field_name, {})[name] = score.rate()
            table[field_name]["pages"] = score.total
    return table


def evaluate(data: Dataset, repeat: int, min_words: int, worst: int) -> dict[str, Any]:
    ours = Ours(min_words)
    extractors: list[tuple[str, Extractor]] = [
        (TRAFILATURA, plain_trafilatura),
        (OURS, ours),
        (READABILITY, readability_lxml),
    ]
    outputs, seconds = run_interleaved(extractors, data, repeat)
    result = summarize(data, outputs, seconds, worst)
    result["failures"] = {k: v // repeat for k, v in ours.failures.items()}
    result["failed_pages"] = ours.failed
    result["metadata"] = metadata_table(data, ours)
    return result


def summarize(
    data: Dataset, outputs: dict[str, dict[str, str]], seconds: dict[str, float], worst: int
) -> dict[str, Any]:
    golds = {"": data.gold}
    if data.gold_nohead is not None:
        golds = {" (with headline)": data.gold, " (no headline)": data.gold_nohead}
    result: dict[str, Any] = {"dataset": data.name, "pages": len(data.pages), "gold": {}}
    for label, gold in golds.items():
        scores = {name: score_corpus(gold, outputs[name]) for name in outputs}
        result["gold"][label.strip(" ()") or "gold"] = {
            "rows": [row(n, scores[n], seconds[n], len(data.pages)) for n in outputs],
            "worst_newscrawl": worst_pages(scores[OURS], worst),
        }
    result["speed_ratio"] = round(seconds[TRAFILATURA] / seconds[OURS], 3)
    result["seconds"] = seconds
    result["predictions"] = outputs
    return result


def merge_halves(data: Dataset, halves: list[dict[str, Any]], worst: int) -> dict[str, Any]:
    """The whole set from its two halves' texts and times (nothing is run again)."""
    outputs: dict[str, dict[str, str]] = {}
    seconds: dict[str, float] = {}
    for half in halves:
        for name, texts in half["predictions"].items():
            outputs.setdefault(name, {}).update(texts)
            seconds[name] = seconds.get(name, 0.0) + half["seconds"][name]
    result = summarize(data, outputs, seconds, worst)
    failures: Counter[str] = Counter()
    for half in halves:
        failures.update(half["failures"])
    result["failures"] = dict(failures)
    result["metadata"] = {}
    for field_name in halves[0]["metadata"]:
        rates: dict[str, float | None] = {}
        pages = sum(h["metadata"][field_name]["pages"] for h in halves)
        for name in (OURS, TRAFILATURA):
            right = sum(
                (h["metadata"][field_name][name] or 0) * h["metadata"][field_name]["pages"]
                for h in halves
            )
            rates[name] = right / pages if pages else None
        rates["pages"] = pages
        result["metadata"][field_name] = rates
    return result


def print_result(result: dict[str, Any]) -> None:
    print(f"\n== {result['dataset']} ({result['pages']} pages)")
    for label, block in result["gold"].items():
        print(f"  gold: {label}")
        print(f"  {'extractor':<12} {'F1':>6} {'P':>6} {'R':>6} {'empty':>6} {'pages/s':>8}")
        for r in block["rows"]:
            print(
                f"  {r['extractor']:<12} {r['f1']:6.3f} {r['precision']:6.3f} "
                f"{r['recall']:6.3f} {r['empty']:6d} {r['pages_per_s']:8.1f}"
            )
    print(f"  speed ratio newscrawl / trafilatura: {result['speed_ratio']:.2f}")
    print(f"  newscrawl failures: {result['failures']}")
    for field_name, rates in result["metadata"].items():
        shown = ", ".join(
            f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in rates.items()
        )
        print(f"  metadata {field_name}: {shown}")


def ablation(data: Dataset, min_words: int, full_f1: float) -> dict[str, float]:
    """F1 change with each rule off: what every rule contributes on this set."""
    print(f"\nablation on {data.name} (rule off -> F1 change):")
    table = {}
    for name in sorted(REGISTRY):
        with disabled(name):
            ours = Ours(min_words)
            predictions = {k: ours(html, data.urls[k]) for k, html in data.pages.items()}
        delta = score_corpus(data.gold, predictions).f1 - full_f1
        table[name] = round(delta, 4)
        print(f"  {name:<28} {delta:+.4f}")
    with disabled(*REGISTRY):
        ours = Ours(min_words)
        predictions = {k: ours(html, data.urls[k]) for k, html in data.pages.items()}
    table["ALL RULES"] = round(score_corpus(data.gold, predictions).f1 - full_f1, 4)
    print(f"  {'ALL RULES':<28} {table['ALL RULES']:+.4f}")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.extraction", description=__doc__)
    parser.add_argument("--dataset", type=Path, action="append", required=True)
    parser.add_argument("--split", choices=("all", "cross", "dev", "holdout"), default="all")
    parser.add_argument("--out", type=Path, help="write results as JSON here")
    parser.add_argument("--repeat", type=int, default=1, help="timing passes (median kept)")
    parser.add_argument("--worst", type=int, default=10, help="worst pages kept per set")
    parser.add_argument("--min-words", type=int, default=DEFAULT_MIN_WORDS)
    parser.add_argument("--ablate", action="store_true", help="each rule switched off (slow)")
    parser.add_argument("--predictions", type=Path, help="folder for every extractor's texts")
    args = parser.parse_args(argv)

    results = []
    for folder in args.dataset:
        data = load_dataset(folder)
        parts = [data]
        if args.split != "all":
            dev, holdout = split_by_site(data)
            parts = {"cross": [dev, holdout], "dev": [dev], "holdout": [holdout]}[args.split]
        done = []
        for part in parts:
            result = evaluate(part, max(1, args.repeat), args.min_words, args.worst)
            print_result(result)
            done.append(result)
            if args.ablate:
                f1 = next(iter(result["gold"].values()))["rows"][1]["f1"]
                result["ablation"] = ablation(part, args.min_words, f1)
            if args.predictions:
                args.predictions.mkdir(parents=True, exist_ok=True)
                for name, texts in result["predictions"].items():
                    path = args.predictions / f"{part.name.replace('/', '-')}-{name}.json"
                    wrapped = {k: {"articleBody": v} for k, v in texts.items()}
                    path.write_text(json.dumps(wrapped, ensure_ascii=False), encoding="utf-8")
        if args.split == "cross":
            whole = merge_halves(data, done, args.worst)
            print_result(whole)
            done.append(whole)
        for result in done:
            del result["predictions"]
            results.append(result)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "python": platform.python_version(),
            "trafilatura": trafilatura.__version__,
            "repeat": args.repeat,
            "split": args.split,
            "results": results,
        }
        args.out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
