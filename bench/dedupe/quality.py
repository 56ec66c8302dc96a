"""Precision and recall of the duplicate decision on labelled pairs of real article text."""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from newscrawl.dedupe.decide import find_original
from newscrawl.dedupe.index import NearDuplicateIndex, compare
from newscrawl.dedupe.minhash import shingles, tokens
from newscrawl.store.engine import make_engine

from .common import store, write_result
from .corpus import Pair, build_pairs, load_docs


def judge_pairs(index: NearDuplicateIndex, pairs: list[Pair], db: Path) -> list[dict[str, Any]]:
    """Each pair in its own rolled-back transaction: store a, then ask the index about b."""
    engine = make_engine(f"sqlite:///{db}")
    rows = []
    with engine.connect() as conn:
        for pair in pairs:
            trans = conn.begin()
            a_id, _ = store(
                conn, index, pair.a.url or f"https://a.example/{pair.a.id}", pair.a.text
            )
            found = find_original(conn, index, index.fingerprint(pair.b_text))
            trans.rollback()
            size = index.shingle_size
            sim = compare(shingles(tokens(pair.a.text), size), shingles(tokens(pair.b_text), size))
            rows.append({
                "kind": pair.kind, "label": pair.label, "a": pair.a.id,
                "predicted": found is not None and found.original_id == a_id,
                "decision": found.kind if found else None,
                "containment": round(sim.containment, 4),
                "length_ratio": round(sim.length_ratio, 4), "jaccard": round(sim.jaccard, 4),
            })  # fmt: skip
    engine.dispose()
    return rows


def store_run(index: NearDuplicateIndex, pairs: list[Pair], db: Path) -> dict[str, Any]:
    """All originals into one store, then every copy: false merges and copies found."""
    engine = make_engine(f"sqlite:///{db}")
    originals: dict[str, int] = {}
    story_of: dict[int, str] = {}  # row id -> the real article it is a copy of
    false_merges = []
    with engine.begin() as conn:
        for pair in pairs:
            if pair.a.id in originals or pair.kind == "same_template":
                continue
            row_id, found = store(conn, index, pair.a.url, pair.a.text)
            originals[pair.a.id] = row_id
            story_of[row_id] = pair.a.id
            if found is not None:
                false_merges.append((pair.a.id, found.original_id))
        to_original = to_copy = missed = wrong = 0
        for n, pair in enumerate(p for p in pairs if p.label):
            row_id, found = store(conn, index, f"https://copy.example/{n}", pair.b_text)
            story_of[row_id] = pair.a.id
            if found is None:
                missed += 1  # stored as an original of its own: the story is split, not merged
            elif found.original_id == originals[pair.a.id]:
                to_original += 1
            elif story_of[found.original_id] == pair.a.id:
                to_copy += 1  # linked to an earlier copy of the same story that was missed
            else:
                wrong += 1  # linked to a different story: a false merge
    engine.dispose()
    return {"originals": len(originals), "originals_merged": len(false_merges),
            "copies": to_original + to_copy + missed + wrong,
            "copies_linked_to_their_original": to_original,
            "copies_linked_to_an_earlier_copy_of_their_story": to_copy,
            "copies_not_linked": missed, "copies_linked_to_another_story": wrong}  # fmt: skip


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    tp = sum(r["label"] and r["predicted"] for r in rows)
    fp = sum(not r["label"] and r["predicted"] for r in rows)
    fn = sum(r["label"] and not r["predicted"] for r in rows)
    by_kind: dict[str, dict[str, Any]] = defaultdict(lambda: {"pairs": 0, "judged_duplicate": 0})
    for r in rows:
        by_kind[r["kind"]]["pairs"] += 1
        by_kind[r["kind"]]["judged_duplicate"] += int(r["predicted"])
        by_kind[r["kind"]]["label"] = "copy" if r["label"] else "different"
    for kind, entry in by_kind.items():
        sims = [r["containment"] for r in rows if r["kind"] == kind]
        entry["containment_min"], entry["containment_max"] = min(sims), max(sims)
    return {
        "pairs": len(rows), "positives": tp + fn, "negatives": len(rows) - tp - fn,
        "true_positives": tp, "false_positives": fp, "false_negatives": fn,
        "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
        "by_kind": dict(by_kind),
    }  # fmt: skip


def run(dataset: Path, index: NearDuplicateIndex) -> dict[str, Any]:
    started = time.perf_counter()
    docs = load_docs(dataset)
    pairs = build_pairs(docs)
    with tempfile.TemporaryDirectory() as tmp:
        rows = judge_pairs(index, pairs, Path(tmp) / "pairs.db")
        whole = store_run(index, pairs, Path(tmp) / "store.db")
    summary = summarise(rows)
    result = {
        "dataset": str(dataset), "articles": len(docs),
        "parameters": {k: getattr(index, k) for k in (
            "threshold", "min_length_ratio", "min_words", "shingle_size", "num_perm",
            "band_rows", "max_candidates")},
        **summary, "store_run": whole, "seconds": round(time.perf_counter() - started, 1),
        "misjudged": [r for r in rows if r["label"] != r["predicted"]],
    }  # fmt: skip
    path = write_result("dedupe_quality", result)
    print_report(result)
    print(f"\nwritten to {path}")
    return result


def print_report(result: dict[str, Any]) -> None:
    print(f"articles: {result['articles']}  pairs: {result['pairs']} "
          f"({result['positives']} copies, {result['negatives']} different)")  # fmt: skip
    print(f"precision: {result['precision']:.4f}  recall: {result['recall']:.4f}  "
          f"(tp {result['true_positives']}, fp {result['false_positives']}, "
          f"fn {result['false_negatives']})")  # fmt: skip
    header = ("pair kind", "label", "pairs", "judged dup", "containment min-max")
    print(f"\n{header[0]:<20} {header[1]:<10} {header[2]:>6} {header[3]:>11} {header[4]:>20}")
    for kind, e in result["by_kind"].items():
        print(f"{kind:<20} {e['label']:<10} {e['pairs']:>6} {e['judged_duplicate']:>11} "
              f"{e['containment_min']:>9.3f}-{e['containment_max']:.3f}")  # fmt: skip
    s = result["store_run"]
    print(f"\none store, all {s['originals']} originals then all {s['copies']} copies:")
    print(f"  originals merged with another story: {s['originals_merged']}")
    print(f"  copies linked to their original: {s['copies_linked_to_their_original']}")
    print(
        f"  copies linked to an earlier copy of their story: "
        f"{s['copies_linked_to_an_earlier_copy_of_their_story']}"
    )
    print(f"  copies not linked: {s['copies_not_linked']}")
    print(f"  copies linked to another story (false merge): {s['copies_linked_to_another_story']}")
    for r in result["misjudged"]:
        print(f"misjudged: {r['kind']} {r['a'][:12]} containment {r['containment']:.3f} "
              f"length ratio {r['length_ratio']:.3f} jaccard {r['jaccard']:.3f}")  # fmt: skip
