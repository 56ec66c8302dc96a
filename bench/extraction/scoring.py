"""The article-extraction-benchmark metric (scrapinghub/article-extraction-benchmark).

* tokens: runs of Unicode word characters (``\\w+``), case kept;
* shingles: word 4-grams as a multiset; a text of 1-3 tokens is one shingle;
* per page: tp = multiset intersection, fp = prediction surplus, fn = gold surplus,
  P = tp / (tp + fp), R = tp / (tp + fn);
* corpus P = mean over pages with a non-empty prediction (empty predictions are left out),
  corpus R = mean over pages with a non-empty gold (an empty prediction counts 0);
* corpus F1 = harmonic mean of corpus P and corpus R (not the mean of page F1s).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

NGRAM = 4
WORD = re.compile(r"\w+")


def tokens(text: str | None) -> list[str]:
    return WORD.findall(text or "")


def shingles(words: list[str], n: int = NGRAM) -> Counter[tuple[str, ...]]:
    if not words:
        return Counter()
    if len(words) < n:
        return Counter([tuple(words)])
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


@dataclass(frozen=True)
class PageScore:
    page_id: str
    precision: float | None
    recall: float | None
    f1: float
    gold_tokens: int
    pred_tokens: int


def score_page(page_id: str, gold: str, pred: str | None) -> PageScore:
    g = shingles(tokens(gold))
    p = shingles(tokens(pred))
    tp = sum((g & p).values())
    fp = sum((p - g).values())
    fn = sum((g - p).values())
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    denominator = 2 * tp + fp + fn
    f1 = 1.0 if denominator == 0 else 2 * tp / denominator
    return PageScore(page_id, precision, recall, f1, len(tokens(gold)), len(tokens(pred)))


@dataclass(frozen=True)
class CorpusScore:
    precision: float
    recall: float
    f1: float
    empty: int
    pages: list[PageScore]


def score_corpus(gold: dict[str, str], pred: dict[str, str]) -> CorpusScore:
    pages = [score_page(i, gold[i], pred.get(i)) for i in sorted(gold)]
    precisions = [s.precision for s in pages if s.precision is not None]
    recalls = [s.recall for s in pages if s.recall is not None]
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    empty = sum(1 for s in pages if s.pred_tokens == 0)
    return CorpusScore(p, r, f1, empty, pages)
