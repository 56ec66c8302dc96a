"""python -m bench.store: search latency and export speed and memory on a large store.

Builds a store of N synthetic articles (default 100,000; English-like templated text from
bench/crawl.py) through the real schema with bulk inserts (the FTS triggers index every
row), then measures, on that one machine and run:

* search latency: each query of QUERIES through ``newscrawl.query.reads.search`` (the code
  ``newscrawl search`` runs, read-only engine, 20 rows read), ``--repeat`` times;
  median and p95 over all timings;
* export: ``newscrawl export --all --FORMAT -o FILE`` in a child process for every format,
  once over the first tenth of the rows (``--until``) and once over all of them; peak RSS
  from ``os.wait4``. Rows/s is given per run (start-up included) and over the rows the
  larger run added (start-up cancels out). Memory that does not grow with the rows shows
  as a peak-RSS ratio (all / tenth) near 1.

Results: a table on stdout and ``bench/results/store.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bench.crawl.report import git_state
from bench.crawl.run import REPO, run_child
from bench.texts import article_text
from newscrawl.query import reads as queries
from newscrawl.store.engine import make_engine
from newscrawl.store.schema import ArticleRow

RESULTS = REPO / "bench" / "results" / "store.json"
FORMATS = ("jsonl", "csv", "json", "parquet")
SOURCES = tuple(f"outlet{n:02d}" for n in range(20))
START = datetime(2024, 1, 1, tzinfo=UTC)
BATCH = 5_000
QUERIES = (
    "harbour",  # common word
    "observatory",  # rarer word
    "council budget",  # two words (AND)
    '"railway bridge"',  # phrase
    "refin*",  # prefix
    "ferry NOT festival",
    "Lowmoor AND (vineyard OR orchard)",
    "lighthouse",
)
NEWSCRAWL = [sys.executable, "-c", "from newscrawl.cli import main; main()"]


def published(n: int) -> datetime:
    """Article n's publication: one every 5 minutes, so ``--until`` picks exact prefixes."""
    return START + timedelta(minutes=5 * n)


def build(db: Path, articles: int, seed: int) -> float:
    """Fill a fresh store with ``articles`` rows; returns the seconds it took."""
    rng = random.Random(seed)
    engine = make_engine(f"sqlite:///{db}")
    began = time.perf_counter()
    seen = datetime.now(UTC)
    for first in range(0, articles, BATCH):
        rows = []
        for n in range(first, min(first + BATCH, articles)):
            text = "\n".join(article_text(rng, rng.randint(250, 450)))
            words = text.split()
            rows.append(
                {
                    "id": n + 1, "url": f"https://news.example/{n}", "canonical_url": None,
                    "source": SOURCES[n % len(SOURCES)], "domain": "news.example",
                    "title": " ".join(words[:9]).capitalize(), "author": "Bench Writer",
                    "published_at": published(n), "language": "en",
                    "categories": ["News"], "tags": rng.sample(["local", "politics", "sport",
                                                                "business", "weather"], 2),
                    "text": text, "word_count": len(words),
                    "content_hash": hashlib.sha256(text.encode()).hexdigest(),
                    "first_seen_at": seen, "last_seen_at": seen,
                }
            )  # fmt: skip
        with engine.begin() as conn:
            conn.execute(insert(ArticleRow), rows)
    elapsed = time.perf_counter() - began
    engine.dispose()
    return elapsed


def build_apart(db: Path, articles: int, seed: int) -> float:
    """``build`` in a fresh process. On Linux a child's peak RSS starts at its
    parent's RSS when it forks and survives exec, so a parent grown by the build would
    show up as every export's peak; this one stays small."""
    code = (
        "import sys; from pathlib import Path; from bench.store.__main__ import build; "
        "print(build(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(db), str(articles), str(seed)],
        cwd=REPO, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return float(done.stdout.split()[-1])


def search_latency(db: Path, repeat: int) -> dict[str, Any]:
    engine = make_engine(f"sqlite:///{db}", create=False, readonly=True)
    timings: list[float] = []
    per_query = {}
    for query in QUERIES:
        mine = []
        for _ in range(repeat):
            began = time.perf_counter()
            rows = list(queries.search(engine, query, limit=20).rows)
            mine.append(time.perf_counter() - began)
        timings += mine
        per_query[query] = {
            "median_ms": round(statistics.median(mine) * 1000, 2),
            "hits": len(rows),
        }
    engine.dispose()
    timings.sort()
    return {
        "median_ms": round(statistics.median(timings) * 1000, 2),
        "p95_ms": round(timings[max(0, round(0.95 * len(timings)) - 1)] * 1000, 2),
        "timings": len(timings),
        "per_query": per_query,
    }


def export_run(db: Path, fmt: str, rows: int, total: int, work: Path) -> dict[str, Any]:
    out = work / f"export.{fmt}"
    cmd = [*NEWSCRAWL, "export", "--db", str(db), "--all", f"--{fmt}", "-o", str(out)]
    if rows < total:
        cmd += ["--until", published(rows - 1).isoformat()]
    began = time.perf_counter()
    env = {**os.environ, "PYTHONWARNINGS": "error,ignore:SOCKS support in urllib3"}
    code, rss_mib, cpu = run_child(cmd, env, work / "export.log", 3600)
    elapsed = time.perf_counter() - began
    if code != 0:
        sys.exit(f"export --{fmt} failed ({code}): {(work / 'export.log').read_text()[-2000:]}")
    size = out.stat().st_size
    out.unlink()
    return {
        "format": fmt, "rows": rows, "seconds": round(elapsed, 2), "cpu_seconds": round(cpu, 2),
        "rows_per_s": round(rows / elapsed), "peak_rss_mib": round(rss_mib, 1),
        "output_mib": round(size / 2**20, 1),
    }  # fmt: skip


def summarize_export(tenth: dict[str, Any], full: dict[str, Any]) -> dict[str, Any]:
    """The rate over the rows the larger run added (start-up cancels out), and how much
    the peak memory grew with ten times the rows."""
    extra_seconds = max(full["seconds"] - tenth["seconds"], 1e-3)
    return {
        "runs": [tenth, full],
        "marginal_rows_per_s": round((full["rows"] - tenth["rows"]) / extra_seconds),
        "rss_ratio": round(full["peak_rss_mib"] / tenth["peak_rss_mib"], 2),
    }


def report(result: dict[str, Any]) -> str:
    s = result["search"]
    lines = [
        f"store: {result['articles']:,} articles, {result['store_mib']} MiB, "
        f"built in {result['build_seconds']} s",
        f"search: median {s['median_ms']} ms, p95 {s['p95_ms']} ms "
        f"({s['timings']} timings, {len(s['per_query'])} queries)",
        "",
        f"{'format':<8} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'peak RSS MiB':>13}",
    ]
    for fmt in FORMATS:
        for run in result["exports"][fmt]["runs"]:
            lines.append(
                f"{fmt:<8} {run['rows']:>8,} {run['seconds']:>8} {run['rows_per_s']:>9,} "
                f"{run['peak_rss_mib']:>13}"
            )
    lines += ["", f"{'format':<8} {'rows/s without start-up':>24} {'peak RSS all/tenth':>19}"]
    for fmt in FORMATS:
        e = result["exports"][fmt]
        lines.append(f"{fmt:<8} {e['marginal_rows_per_s']:>24,} {e['rss_ratio']:>19}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.store", description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="timings per search query")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--db", type=Path, help="reuse (or keep) the store at this path")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        work = Path(tmp)
        db = opts.db or work / "news.db"
        build_seconds = 0.0
        if not db.exists():
            print(f"building {opts.articles:,} articles in {db} ...", flush=True)
            build_seconds = build_apart(db, opts.articles, opts.seed)
        print("timing searches ...", flush=True)
        search = search_latency(db, opts.repeat)
        exports = {}
        for fmt in FORMATS:
            print(f"exporting {fmt} ...", flush=True)
            tenth = export_run(db, fmt, opts.articles // 10, opts.articles, work)
            full = export_run(db, fmt, opts.articles, opts.articles, work)
            exports[fmt] = summarize_export(tenth, full)
        result = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"), "commit": git_state(),
            "python": platform.python_version(), "machine": platform.machine(),
            "articles": opts.articles, "build_seconds": round(build_seconds, 1),
            "store_mib": round(db.stat().st_size / 2**20, 1), "search": search,
            "exports": exports,
        }  # fmt: skip
    print(report(result))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten: {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
