"""Run our extractor and plain trafilatura side by side on a benchmark folder.

    python -m bench.extraction --dataset /path/to/scrapinghub --out bench/results/extraction.json

The folder holds ``html/<id>.html.gz`` (utf-8) and ``ground-truth.json``
(``{id: {"articleBody": str, "url": str}}``). Pages are decoded to str before timing and
both extractors get the same str, as the upstream benchmark's runners do. Timing is the
wall clock of the extraction loop only; with ``--repeat N`` the median pass is reported.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import trafilatura

from bench.extraction.scoring import CorpusScore, score_corpus
from newscrawl.article import ExtractionFailed
from newscrawl.extract import DEFAULT_MIN_WORDS, extract_article
from newscrawl.extraction.rules import REGISTRY, disabled

Extractor = Callable[[str, str], str]


def load_dataset(folder: Path) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    gold = {k: (v.get("articleBody") or "") for k, v in truth.items()}
    urls = {k: (v.get("url") or "") for k, v in truth.items()}
    pages = {}
    for page_id in sorted(truth):
        path = folder / "html" / f"{page_id}.html.gz"
        with gzip.open(path) as handle:
            pages[page_id] = handle.read().decode("utf-8", errors="replace")
    return gold, urls, pages


def plain_trafilatura(html: str, url: str) -> str:
    # Exactly the reference call of the shared benchmark README (no url, no options).
    return trafilatura.extract(html, include_comments=False) or ""


def make_ours(min_words: int, failures: Counter[str]) -> Extractor:
    def run(html: str, url: str) -> str:
        result = extract_article(html, url, min_words=min_words)
        if isinstance(result, ExtractionFailed):
            failures[result.reason] += 1
            return ""
        return result.text

    return run


def run_interleaved(
    extractors: list[tuple[str, Extractor]],
    pages: dict[str, str],
    urls: dict[str, str],
    repeat: int,
) -> tuple[dict[str, dict[str, str]], dict[str, float]]:
    """Run every extractor on each page in turn, so that load from other processes on a
    shared machine falls on all of them alike; the median pass is kept."""
    predictions: dict[str, dict[str, str]] = {name: {} for name, _ in extractors}
    passes: dict[str, list[float]] = {name: [] for name, _ in extractors}
    for attempt in range(repeat):
        spent = dict.fromkeys(passes, 0.0)
        for index, (page_id, html) in enumerate(pages.items()):
            # Alternate the order so neither extractor always runs on a warm cache.
            order = extractors if index % 2 == 0 else extractors[::-1]
            for name, extractor in order:
                start = time.perf_counter()
                text = extractor(html, urls[page_id])
                spent[name] += time.perf_counter() - start
                if attempt == 0:
                    predictions[name][page_id] = text
        for name, seconds in spent.items():
            passes[name].append(seconds)
    return predictions, {name: statistics.median(values) for name, values in passes.items()}


def summary(name: str, score: CorpusScore, seconds: float, pages: int, worst: int) -> dict:
    ranked = sorted(score.pages, key=lambda s: s.f1)[:worst]
    return {
        "extractor": name,
        "precision": round(score.precision, 4),
        "recall": round(score.recall, 4),
        "f1": round(score.f1, 4),
        "empty_predictions": score.empty,
        "seconds": round(seconds, 3),
        "pages_per_s": round(pages / seconds, 2) if seconds else None,
        "worst_pages": [
            {
                "id": s.page_id,
                "f1": round(s.f1, 3),
                "precision": None if s.precision is None else round(s.precision, 3),
                "recall": None if s.recall is None else round(s.recall, 3),
                "gold_tokens": s.gold_tokens,
                "pred_tokens": s.pred_tokens,
            }
            for s in ranked
        ],
        "per_page": {s.page_id: round(s.f1, 4) for s in score.pages},
    }


def print_table(rows: list[dict], ratio: float) -> None:
    print(f"{'extractor':<22} {'P':>6} {'R':>6} {'F1':>6} {'empty':>6} {'pages/s':>8}")
    for row in rows:
        print(
            f"{row['extractor']:<22} {row['precision']:6.3f} {row['recall']:6.3f} "
            f"{row['f1']:6.3f} {row['empty_predictions']:6d} {row['pages_per_s']:8.1f}"
        )
    print(f"speed ratio newscrawl / trafilatura: {ratio:.2f}")
    for row in rows:
        print(f"\nworst pages, {row['extractor']}:")
        for page in row["worst_pages"]:
            print(
                f"  {page['id'][:16]}  F1 {page['f1']:.3f}  P {page['precision']}  "
                f"R {page['recall']}  gold {page['gold_tokens']} pred {page['pred_tokens']}"
            )


def ablation(
    gold: dict[str, str],
    pages: dict[str, str],
    urls: dict[str, str],
    min_words: int,
    full_f1: float,
) -> dict[str, dict[str, float]]:
    """Scores with each rule off: what every rule contributes on this dataset."""
    print("\nablation (rule off -> P, R, F1, F1 change):")
    table = {}
    for name in sorted(REGISTRY):
        with disabled(name):
            extractor = make_ours(min_words, Counter())
            predictions = {k: extractor(html, urls[k]) for k, html in pages.items()}
        score = score_corpus(gold, predictions)
        delta = score.f1 - full_f1
        table[name] = {
            "precision": round(score.precision, 4),
            "recall": round(score.recall, 4),
            "f1": round(score.f1, 4),
            "f1_change_when_off": round(delta, 4),
        }
        print(f"  {name:<28} {score.precision:.4f} {score.recall:.4f} {score.f1:.4f} {delta:+.4f}")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.extraction", description=__doc__)
    parser.add_argument("--dataset", type=Path, required=True, help="benchmark folder")
    parser.add_argument("--out", type=Path, help="write results as JSON here")
    parser.add_argument("--repeat", type=int, default=1, help="timing passes (median kept)")
    parser.add_argument("--worst", type=int, default=8, help="worst pages listed per extractor")
    parser.add_argument("--min-words", type=int, default=DEFAULT_MIN_WORDS)
    parser.add_argument(
        "--ablate",
        action="store_true",
        help="also score ours with each named rule switched off (slow: one pass per rule)",
    )
    parser.add_argument(
        "--predictions",
        type=Path,
        help="folder for the texts of both extractors, in the benchmark's prediction format",
    )
    args = parser.parse_args(argv)

    gold, urls, pages = load_dataset(args.dataset)
    failures: Counter[str] = Counter()
    extractors: list[tuple[str, Extractor]] = [
        ("trafilatura (plain)", plain_trafilatura),
        ("newscrawl", make_ours(args.min_words, failures)),
    ]
    repeat = max(1, args.repeat)
    outputs, seconds = run_interleaved(extractors, pages, urls, repeat)
    rows = [
        summary(name, score_corpus(gold, outputs[name]), seconds[name], len(pages), args.worst)
        for name, _ in extractors
    ]
    rows[1]["failures"] = {k: v // repeat for k, v in failures.items()}
    ratio = rows[1]["pages_per_s"] / rows[0]["pages_per_s"]
    print_table(rows, ratio)
    print(f"\nnewscrawl failures: {rows[1]['failures']}")
    result = {
        "dataset": str(args.dataset),
        "pages": len(pages),
        "repeat": args.repeat,
        "min_words": args.min_words,
        "python": platform.python_version(),
        "trafilatura": trafilatura.__version__,
        "speed_ratio": round(ratio, 3),
        "results": rows,
    }
    if args.ablate:
        result["ablation"] = ablation(gold, pages, urls, args.min_words, rows[1]["f1"])
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    if args.predictions:
        args.predictions.mkdir(parents=True, exist_ok=True)
        for name, file_name in (("newscrawl", "newscrawl"), ("trafilatura (plain)", "trafilatura")):
            wrapped = {k: {"articleBody": v} for k, v in outputs[name].items()}
            path = args.predictions / f"{file_name}.json"
            path.write_text(json.dumps(wrapped, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
