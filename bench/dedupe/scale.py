"""Time per dedupe decision and peak memory as the store grows (synthetic text).

One store is filled to each size in turn (1,000, then 10,000, then 100,000 articles); at
each size the same kinds of decisions are timed: a near copy of a stored article, an exact
copy, and a new article. Each decision runs in a transaction that is rolled back, so the
probes do not change the store. Ratios are taken within one run, on one machine.
"""

from __future__ import annotations

import random
import resource
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select

from bench.texts import ZipfText as TextMaker
from newscrawl.dedupe.decide import find_original
from newscrawl.dedupe.fingerprint import content_hash
from newscrawl.dedupe.index import NearDuplicateIndex
from newscrawl.store.engine import make_engine
from newscrawl.store.schema import ArticleRow, LshBucketRow, utcnow

from .common import write_result

SEED = 7
SAMPLE = 2_000
ROUNDS = 3


def fill(conn: Any, index: NearDuplicateIndex, maker: TextMaker, start: int, stop: int,
         sample: list[str], rng: random.Random) -> None:  # fmt: skip
    """Bulk-load originals start..stop: the same rows and index keys the store writes.

    Only a uniform sample of the texts is kept in memory (reservoir sampling), to make the
    copies that are probed, so the process's memory is the store's, not the bench's.
    """
    now = utcnow()
    for n in range(start, stop):
        body = maker.article()
        row_id = conn.execute(
            insert(ArticleRow).values(
                url=f"https://site{n % 100}.example/{n}", domain=f"site{n % 100}.example",
                text=body, word_count=len(body.split()), content_hash=content_hash(body),
                first_seen_at=now, last_seen_at=now,
            )
        ).inserted_primary_key[0]  # fmt: skip
        index.add(conn, row_id, index.signature(body))
        if len(sample) < SAMPLE:
            sample.append(body)
        elif (slot := rng.randrange(n + 1)) < SAMPLE:
            sample[slot] = body


def probes(maker: TextMaker, stored: list[str], count: int, size: int) -> list[tuple[str, str]]:
    rng = random.Random(SEED + size)
    out = []
    for n in range(count):
        kind = ("near", "exact", "new")[n % 3]
        if kind == "near":
            out.append((kind, maker.near_copy(rng.choice(stored))))
        elif kind == "exact":
            out.append((kind, rng.choice(stored)))
        else:
            out.append((kind, maker.article()))
    return out


def time_decisions(
    engine: Any, index: NearDuplicateIndex, cases: list[tuple[str, str]], rounds: int = ROUNDS
) -> dict[str, Any]:
    """Time every case ``rounds`` times; the machine is shared, so the best round counts."""
    prepared = [(kind, index.fingerprint(body)) for kind, body in cases]
    round_means: list[float] = []
    times: dict[str, list[float]] = {"near": [], "exact": [], "new": []}
    correct = 0
    with engine.connect() as conn:
        for _ in range(rounds):
            this_round: list[float] = []
            for kind, fingerprint in prepared:
                trans = conn.begin()
                started = time.perf_counter()
                found = find_original(conn, index, fingerprint)
                elapsed = time.perf_counter() - started
                trans.rollback()
                this_round.append(elapsed)
                times[kind].append(elapsed)
                correct += (found.kind if found else "new") == kind
            round_means.append(statistics.fmean(this_round))
    every = [t for ts in times.values() for t in ts]
    return {
        "decisions": len(prepared), "rounds": rounds, "right_kind": correct // rounds,
        # The mean over an even mix of near copies, exact copies and new articles is the
        # time per decision of a crawl (best of the rounds: other load on the machine only
        # ever adds time); per-kind medians over all rounds show where it goes.
        "mean_ms": round(min(round_means) * 1000, 3),
        "p95_ms": round(statistics.quantiles(every, n=20)[-1] * 1000, 3),
        **{f"median_ms_{k}": round(statistics.median(v) * 1000, 3) for k, v in times.items()},
    }  # fmt: skip


def decision_memory(engine: Any, index: NearDuplicateIndex, cases: list[tuple[str, str]]) -> float:
    """Peak Python memory (MiB) allocated while deciding, signatures included (tracemalloc)."""
    tracemalloc.start()
    with engine.connect() as conn:
        for _, body in cases:
            trans = conn.begin()
            find_original(conn, index, index.fingerprint(body))
            trans.rollback()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return round(peak / 2**20, 2)


def with_pragmas(engine: Any, pragmas: list[str]) -> None:
    """Extra per-connection pragmas on top of the store's own, to compare store settings."""

    def apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    event.listen(engine, "connect", apply)


def run(
    sizes: list[int], probe_count: int, index: NearDuplicateIndex, pragmas: list[str] | None = None
) -> dict[str, Any]:
    maker = TextMaker(SEED)
    sample: list[str] = []
    rng = random.Random(SEED)
    filled = 0
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "scale.db"
        engine = make_engine(f"sqlite:///{db}")
        if pragmas:
            with_pragmas(engine, pragmas)
            engine.dispose()  # reconnect so the pragmas apply to every connection
        for size in sorted(sizes):
            started = time.perf_counter()
            with engine.begin() as conn:
                fill(conn, index, maker, filled, size, sample, rng)
            filled = size
            fill_s = time.perf_counter() - started
            cases = probes(maker, sample, probe_count, size)
            time_decisions(engine, index, cases[:100], rounds=1)  # warm up, as a running crawl is
            timing = time_decisions(engine, index, cases)
            with engine.connect() as conn:
                buckets = conn.execute(select(func.count()).select_from(LshBucketRow)).scalar()
            entry = {
                "stored_articles": size, "lsh_rows": buckets,
                "db_mib": round(sum(p.stat().st_size for p in Path(tmp).iterdir()) / 2**20, 1),
                "fill_seconds": round(fill_s, 1), **timing,
                "decision_peak_python_mib": decision_memory(engine, index, cases[:60]),
                "process_peak_rss_mib": round(
                    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }  # fmt: skip
            results.append(entry)
            print_row(entry, first=len(results) == 1)
        engine.dispose()
    for entry in results:
        for key in ("mean_ms", "median_ms_near", "median_ms_exact", "median_ms_new"):
            ratio = entry[key] / results[0][key]
            entry[f"{key.removesuffix('_ms').replace('_ms', '')}_ratio"] = round(ratio, 2)
    result = {
        "parameters": {k: getattr(index, k) for k in ("threshold", "num_perm", "band_rows",
                                                      "max_candidates", "shingle_size")},
        "extra_pragmas": pragmas or [], "probes_per_size": probe_count, "sizes": results,
    }  # fmt: skip
    print("\ntime per decision relative to the smallest store (mean; median near/exact/new):")
    for e in results:
        print(f"  {e['stored_articles']:>8,}: {e['mean_ratio']}x; {e['median_near_ratio']}x / "
              f"{e['median_exact_ratio']}x / {e['median_new_ratio']}x")  # fmt: skip
    suffix = "_pragmas" if pragmas else ""
    path = write_result(f"dedupe_scale{suffix}", result)
    print(f"written to {path}")
    return result


def print_row(e: dict[str, Any], *, first: bool) -> None:
    if first:
        print(f"{'stored':>8} {'lsh rows':>10} {'db MiB':>7} {'mean ms':>10} {'p95 ms':>8} "
              f"{'near':>7} {'exact':>7} {'new':>7} {'right':>7} {'py peak MiB':>12} "
              f"{'rss MiB':>8}")  # fmt: skip
    print(f"{e['stored_articles']:>8,} {e['lsh_rows']:>10,} {e['db_mib']:>7} {e['mean_ms']:>10} "
          f"{e['p95_ms']:>8} {e['median_ms_near']:>7} {e['median_ms_exact']:>7} "
          f"{e['median_ms_new']:>7} {e['right_kind']:>3}/{e['decisions']:<3} "
          f"{e['decision_peak_python_mib']:>12} {e['process_peak_rss_mib']:>8}",
          flush=True)  # fmt: skip
