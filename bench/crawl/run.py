"""Running crawls as a user runs them, and measuring each child process.

``crawl`` runs ``python -m scrapy crawl <spider>`` in a child process into a fresh store and
reads the run's stats from ``crawl_runs``; ``run_child`` gives the child's exit code, peak RSS
and CPU time from ``os.wait4``; ``extraction_baseline`` times ``extract_article`` alone.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.crawl.children import run_group
from bench.crawl.counting import SiteServer
from newscrawl.extraction.article import Article
from newscrawl.extraction.extract import extract_article

REPO = Path(__file__).resolve().parents[2]
FAST = {
    "AUTOTHROTTLE_ENABLED": "0",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "LOG_LEVEL": "INFO",
}


class BenchError(RuntimeError):
    """A run failed; the message says which and why."""


@dataclass(slots=True)
class RunResult:
    name: str
    spider: str
    articles_expected: int
    pages_fetched: int = 0
    articles_stored: int = 0
    duplicates_stored: int = 0
    requests: int = 0
    extracted_ok: int = 0
    elapsed_s: float = 0.0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    pages_per_s: float = 0.0
    peak_rss_mb: float = 0.0
    article_hits: int = 0
    deltafetch_skipped: int = 0
    status: str = ""
    extraction_share: float | None = None  # of the elapsed time
    extraction_share_cpu: float | None = None  # of the CPU time beyond start-up
    load_1m: float = 0.0  # the machine's load average when the run started
    elapsed_rounds: list[float] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)


def run_child(
    cmd: list[str], env: dict[str, str], log: Path, timeout: float
) -> tuple[int, float, float]:
    """Run ``cmd``: its exit code, peak RSS in MiB and CPU seconds (``os.wait4``, this child).

    CPU time (user + system) barely moves when other work shares the machine, unlike the
    elapsed time; it includes the ~1.5 s of Python and Scrapy start-up.
    """
    try:
        group = run_group([cmd], env, [log], timeout, set(), REPO)
    except TimeoutError:
        raise BenchError(
            f"{' '.join(cmd[2:5])} did not finish in {timeout:.0f}s; see {log}"
        ) from None
    done = group.finished[0]
    return done.code, done.peak_rss_mb, group.cpu_s


def read_store(db: Path) -> tuple[dict[str, Any], str, int, int]:
    with sqlite3.connect(db) as conn:
        newest = "SELECT status, stats FROM crawl_runs ORDER BY id DESC LIMIT 1"
        row = conn.execute(newest).fetchone()
        if row is None:
            raise BenchError(f"no crawl_runs row in {db}")
        stored, dups = conn.execute("SELECT COUNT(*), COUNT(duplicate_of) FROM articles").fetchone()
    return json.loads(row[1] or "{}"), row[0], stored, dups


def crawl(
    site: SiteServer,
    name: str,
    spider: str,
    args: dict[str, str],
    db: Path,
    expected: int,
    settings: dict[str, str],
    timeout: float,
) -> RunResult:
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, "--verbose"]  # full log to `log`
    for key, value in args.items():
        cmd += ["-a", f"{key}={value}"]
    for key, value in settings.items():
        cmd += ["-s", f"{key}={value}"]
    env = {**os.environ, "NEWSCRAWL_DB": f"sqlite:///{db}"}
    log = db.with_name(f"{name}.log")
    site.hits.reset()
    load = os.getloadavg()[0]
    started = time.perf_counter()
    code, rss, cpu = run_child(cmd, env, log, timeout)
    wall = time.perf_counter() - started
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
    if code != 0:
        raise BenchError(f"{name}: `scrapy crawl {spider}` exited {code}; log {log}:\n{tail}")
    stats, status, stored, dups = read_store(db)
    fetched = int(stats.get("newscrawl/pages/fetched", 0))
    elapsed = float(stats.get("elapsed_time_seconds") or 0.0)
    story_paths = {p for p in site.hits.snapshot() if p.endswith(".html") and p[1:5].isdigit()}
    return RunResult(
        name=name,
        spider=spider,
        articles_expected=expected,
        pages_fetched=fetched,
        articles_stored=stored,
        duplicates_stored=dups,
        requests=int(stats.get("downloader/request_count", 0)),
        extracted_ok=int(stats.get("newscrawl/extract/ok", 0)),
        elapsed_s=round(elapsed, 2),
        wall_s=round(wall, 2),
        cpu_s=round(cpu, 2),
        pages_per_s=round(fetched / elapsed, 1) if elapsed else 0.0,
        peak_rss_mb=round(rss, 1),
        article_hits=sum(site.hits[p] for p in story_paths),
        deltafetch_skipped=int(stats.get("newscrawl/deltafetch/skipped", 0)),
        status=status,
        load_1m=round(load, 2),
        elapsed_rounds=[round(elapsed, 2)],
        settings=settings,
    )


def extraction_baseline(root: Path, base: str, repeat: int) -> dict[str, float]:
    """Seconds per page (elapsed and CPU) for extract_article, article and listing pages."""
    articles: list[tuple[str, str]] = []
    listings: list[tuple[str, str]] = []
    for file in sorted(root.rglob("*.html")):
        path = "/" + file.relative_to(root).as_posix().removesuffix("index.html")
        html = file.read_text(encoding="utf-8").replace("{{BASE}}", base)
        (articles if path[1:5].isdigit() else listings).append((html, base + path))
    result: dict[str, float] = {"article_pages": len(articles), "listing_pages": len(listings)}
    for kind, pages in (("article", articles), ("listing", listings)):
        times, cpu_times, ok = [], [], 0
        for _ in range(repeat):
            ok = 0
            started, cpu_started = time.perf_counter(), time.process_time()
            for html, url in pages:
                ok += isinstance(extract_article(html, url), Article)
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu_started)
        per_page = statistics.median(times) / max(len(pages), 1)
        result[f"{kind}_s_per_page"] = per_page
        result[f"{kind}_cpu_s_per_page"] = statistics.median(cpu_times) / max(len(pages), 1)
        result[f"{kind}_pages_per_s"] = round(1 / per_page, 1) if per_page else 0.0
        result[f"{kind}_extracted_ok"] = ok
    return result
