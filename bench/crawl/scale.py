"""Real pages, 1, 2 and 4 crawler processes, SQLite and PostgreSQL (issue 10).

    .venv/bin/python -m bench.crawl scale --dataset /work/shared/bench/extraction/scrapinghub
    .venv/bin/python -m bench.crawl scale --dataset PATH --memory      # peak RSS, 2,000 vs 20,000
    .venv/bin/python -m bench.crawl scale --dataset PATH --stores none --memory --jobdir
    .venv/bin/python -m bench.crawl scale --dataset PATH --profile     # py-spy, one process

Serves a site of real news pages (``bench.crawl.realsite``: each page with a line of its own,
listed in a sitemap) and crawls it end to end with ``python -m scrapy crawl sitemap`` as a user
runs it, with the shipped settings except AutoThrottle off, no download delay and 8 requests
per domain: first one process alone (no frontier), then 1, 2 and 4 processes started together
sharing a Redis frontier (``NEWSCRAWL_REDIS_URL``), each into a fresh SQLite file and a fresh
PostgreSQL database. Redis and PostgreSQL are started as throwaway servers unless
``--redis-url``/``--postgres-url`` name running ones. In this process, before the runs and
again right after each one, plain trafilatura's ``bare_extraction`` and newscrawl's
``extract_article`` go over the same pages: the extraction-only rate and the extraction CPU
per page each run is set against. Checks: every run finished,
every article page was downloaded once (by one process) and every page that extracts is
stored once. Results: a table on stdout and ``bench/results/scale.json``.
See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.crawl.children import Group, become_subreaper, run_group, tree_cpu_s
from bench.crawl.profile import analyse, py_spy_command
from bench.crawl.profile import report as profile_report
from bench.crawl.realsite import RealSite, load_sources, page, page_path
from bench.crawl.report import finish, machine, scale_checks, scale_table
from bench.crawl.run import REPO
from bench.crawl.servers import Postgres, Redis, ServerError, redis_flush
from bench.extraction.reference import trafilatura_metadata
from newscrawl.extraction.article import Article
from newscrawl.extraction.decoding import decode_html
from newscrawl.extraction.extract import extract_article

RESULTS = REPO / "bench" / "results" / "scale.json"
SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "0",
    "DOWNLOAD_DELAY": "0",  # the shipped 0.5 s would measure the delay, not the crawler
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
}


class ScaleError(RuntimeError):
    """A run failed; the message says which and why."""


@dataclass
class ScaleRun:
    name: str
    store: str
    processes: int
    frontier: bool
    site_pages: int
    articles_expected: int
    pages_fetched: int = 0
    extracted_ok: int = 0
    articles_stored: int = 0
    distinct_urls: int = 0
    judged_duplicates: int = 0  # copies of the same source page, told apart by one line
    pages_downloaded_twice: int = 0
    pages_never_downloaded: int = 0
    elapsed_s: float = 0.0  # the longest process's spider open to close
    wall_s: float = 0.0
    cpu_s: float = 0.0  # every process of the run, extraction workers included
    pages_per_s: float = 0.0
    cpu_ms_per_page: float = 0.0
    outside_extraction_ms_per_page: float | None = None
    # The figure above in forms that move less with the machine's speed: the cores' speed
    # drifts by 2x within an hour here, and milliseconds hold only where they were measured.
    outside_vs_bare_extraction: float | None = None  # over bare_extraction's CPU a page, same run
    outside_beyond_plain_scrapy_ms: float | None = None  # less plain Scrapy's CPU a page
    vs_extraction_only: float | None = None
    # the extraction-only figures measured right after this run (the machine's speed drifts)
    extraction_only_pages_per_s: float | None = None
    extract_article_cpu_ms: float | None = None
    # extraction's CPU inside the crawl (its workers' own count, newscrawl/extract/cpu_ms)
    crawl_extraction_cpu_ms: float = 0.0
    # the database server's CPU during the run (PostgreSQL started by the bench), a page:
    # on one machine it competes with the crawl for the same cores
    server_cpu_ms_per_page: float | None = None
    peak_rss_mb: list[float] = field(default_factory=list)
    worker_peak_rss_mb: list[float] = field(default_factory=list)  # the largest worker's
    pages_per_process: list[int] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    load_1m: float = 0.0


@dataclass
class Baseline:
    pages: int
    bare_extraction_pages_per_s: float
    bare_extraction_cpu_ms: float
    extract_article_pages_per_s: float
    extract_article_cpu_ms: float
    extract_article_ok: int


def baseline(sources: list[bytes], pages: int, base_url: str) -> tuple[Baseline, set[int]]:
    """Extraction alone over the site's pages, decoded once first: rates, CPU, the ok set."""
    docs = [(decode_html(page(sources, n)) or "", base_url + page_path(n)) for n in range(pages)]
    t0, c0 = time.perf_counter(), time.process_time()
    for html, url in docs:
        trafilatura_metadata(html, url)
    t1, c1 = time.perf_counter(), time.process_time()
    ok = {
        n for n, (html, url) in enumerate(docs) if isinstance(extract_article(html, url), Article)
    }
    t2, c2 = time.perf_counter(), time.process_time()
    return Baseline(
        pages=pages,
        bare_extraction_pages_per_s=round(pages / (t1 - t0), 1),
        bare_extraction_cpu_ms=round(1000 * (c1 - c0) / pages, 2),
        extract_article_pages_per_s=round(pages / (t2 - t1), 1),
        extract_article_cpu_ms=round(1000 * (c2 - c1) / pages, 2),
        extract_article_ok=len(ok),
    ), ok


def expected_articles(sources: list[bytes], pages: int, base_url: str) -> int:
    """For a site too big to extract twice: what extracts among the sources, repeated."""
    ok = []
    for n in range(len(sources)):
        html = decode_html(page(sources, n)) or ""
        ok.append(isinstance(extract_article(html, base_url + page_path(n)), Article))
    return sum(ok[n % len(sources)] for n in range(pages))


def read_store(url: str) -> tuple[list[tuple[str, dict[str, Any]]], tuple[int, int, int]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT status, stats FROM crawl_runs ORDER BY id")).all()
            counts = conn.execute(
                text("SELECT COUNT(*), COUNT(DISTINCT url), COUNT(duplicate_of) FROM articles")
            ).one()
    finally:
        engine.dispose()
    runs = [(r[0], r[1] if isinstance(r[1], dict) else json.loads(r[1] or "{}")) for r in rows]
    return runs, (int(counts[0]), int(counts[1]), int(counts[2]))


@dataclass
class Plan:
    name: str
    store: str
    processes: int
    frontier: bool
    settings: dict[str, str] = field(default_factory=dict)


class Bench:
    def __init__(self, opts: argparse.Namespace, work: Path, site: RealSite) -> None:
        self.opts, self.work, self.site = opts, work, site
        self.redis_url: str | None = opts.redis_url
        self.postgres: Postgres | None = None
        self.postgres_url: str | None = opts.postgres_url
        self.keep: set[int] = set()  # server processes: not orphans of a run
        self.serial = 0

    def new_store(self, store: str, name: str) -> str:
        self.serial += 1
        if store == "sqlite":
            return f"sqlite:///{self.work / f'{name}-{self.serial}.db'}"
        if self.postgres is not None:
            return self.postgres.create(f"bench_{self.serial}")
        if self.postgres_url:  # a server of the user's: one database, emptied by the user
            return self.postgres_url
        raise ScaleError("no PostgreSQL")

    def command(
        self, spider_args: list[str], frontier: bool, extra: dict[str, str] | None = None
    ) -> list[str]:
        cmd = [sys.executable, "-m", "scrapy", "crawl", *spider_args]
        settings = {**SETTINGS, **dict(s.split("=", 1) for s in self.opts.set), **(extra or {})}
        # Run logs beside the stores, not in the project's data/logs (a PostgreSQL store has
        # no folder to put them beside).
        settings.setdefault("NEWSCRAWL_LOG_DIR", str(self.work / "logs"))
        if frontier:
            settings["NEWSCRAWL_REDIS_URL"] = self.redis_url or ""
        for key, value in settings.items():
            cmd += ["-s", f"{key}={value}"]
        return cmd

    def startup_cpu(self, store: str) -> float:
        """CPU of a one-page run (no article): what each process pays to start and stop."""
        db = self.new_store(store, "startup")
        cmd = self.command(["urls", "-a", f"url={self.site.base_url}/about.html"], False)
        env = {**os.environ, "NEWSCRAWL_DB": db}
        group = run_group([cmd], env, [self.work / f"startup-{store}.log"], 300, self.keep, REPO)
        if group.finished[0].code:
            log = (self.work / f"startup-{store}.log").read_text(errors="replace")
            raise ScaleError(f"{store} start-up run exited {group.finished[0].code}: {log[-300:]}")
        return group.cpu_s

    def plain_scrapy_cpu_ms(self, pages: int) -> float:
        """CPU a page of plain Scrapy over the site (bench/crawl/plain_spider.py), start-up out."""
        spider = Path(__file__).with_name("plain_spider.py")
        settings = {k: v for k, v in SETTINGS.items() if k != "AUTOTHROTTLE_ENABLED"}
        cpu = []
        for name, url in (("plain-startup", "/about.html"), ("plain", "/robots.txt")):
            cmd = [sys.executable, "-m", "scrapy", "runspider", str(spider)]
            cmd += ["-a", f"url={self.site.base_url}{url}"]
            for key, value in settings.items():
                cmd += ["-s", f"{key}={value}"]
            log = self.work / f"{name}.log"
            # Run from the work folder: the project's scrapy.cfg would bring its settings.
            group = run_group([cmd], dict(os.environ), [log], 600, self.keep, self.work)
            if group.finished[0].code:
                tail = log.read_text(errors="replace")[-300:]
                raise ScaleError(f"{name} exited {group.finished[0].code}: {tail}")
            cpu.append(group.cpu_s)
        return round(1000 * (cpu[1] - cpu[0]) / pages, 2)

    def run(self, plan: Plan, expected: int, pages: int, prefix: tuple[str, ...] = ()) -> ScaleRun:
        db = self.new_store(plan.store, plan.name)
        if plan.frontier:
            if not self.redis_url:
                raise ScaleError("no Redis")
            redis_flush(self.redis_url)
        args = ["sitemap", "-a", f"url={self.site.base_url}/robots.txt"]
        cmds = []
        for k in range(plan.processes):
            extra = dict(plan.settings)
            if self.opts.jobdir:  # each process its own, new: a used one would resume a crawl
                extra["JOBDIR"] = str(self.work / f"jobdir-{self.serial}-{k}")
            cmds.append([*prefix, *self.command(args, plan.frontier, extra)])
        logs = [self.work / f"{plan.name}-{k}.log" for k in range(plan.processes)]
        env = {**os.environ, "NEWSCRAWL_DB": db}
        self.site.hits.clear()
        load = os.getloadavg()[0]
        print(f"running {plan.name} ...", flush=True)
        proc = self.postgres.proc if self.postgres and plan.store == "postgresql" else None
        server = proc.pid if proc else None
        server_before = tree_cpu_s(server) if server else 0.0
        try:
            group = run_group(cmds, env, logs, self.opts.timeout, self.keep, REPO)
        except TimeoutError as exc:
            raise ScaleError(f"{plan.name}: {exc}") from None
        server_cpu = tree_cpu_s(server) - server_before if server else None
        for log, done in zip(logs, group.finished, strict=True):
            if done.code:
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-12:])
                raise ScaleError(f"{plan.name}: a crawl exited {done.code}; {log}:\n{tail}")
        run = self.measure(plan, expected, pages, db, group, load)
        if server_cpu is not None and run.pages_fetched:
            run.server_cpu_ms_per_page = round(1000 * server_cpu / run.pages_fetched, 2)
        return run

    def measure(
        self, plan: Plan, expected: int, pages: int, db: str, group: Group, load: float
    ) -> ScaleRun:
        runs, (stored, distinct, dups) = read_store(db)
        hits = self.site.page_hits()
        fetched = [int(s.get("newscrawl/pages/fetched", 0)) for _, s in runs]
        elapsed = max(float(s.get("elapsed_time_seconds") or 0) for _, s in runs)
        total = sum(fetched)
        return ScaleRun(
            name=plan.name, store=plan.store, processes=plan.processes, frontier=plan.frontier,
            site_pages=pages, articles_expected=expected, pages_fetched=total,
            extracted_ok=sum(int(s.get("newscrawl/extract/ok", 0)) for _, s in runs),
            crawl_extraction_cpu_ms=round(
                sum(int(s.get("newscrawl/extract/cpu_ms", 0)) for _, s in runs) / (total or 1), 2
            ),
            articles_stored=stored, distinct_urls=distinct, judged_duplicates=dups,
            pages_downloaded_twice=sum(1 for n in hits.values() if n > 1),
            pages_never_downloaded=pages - len(hits),
            elapsed_s=round(elapsed, 2), wall_s=round(max(f.wall_s for f in group.finished), 2),
            cpu_s=round(group.cpu_s, 2),
            pages_per_s=round(total / elapsed, 1) if elapsed else 0.0,
            cpu_ms_per_page=round(1000 * group.cpu_s / total, 2) if total else 0.0,
            peak_rss_mb=[round(f.peak_rss_mb, 1) for f in group.finished],
            worker_peak_rss_mb=[round(f.descendants_peak_rss_mb, 1) for f in group.finished],
            pages_per_process=fetched, status=[s for s, _ in runs], load_1m=round(load, 2),
        )  # fmt: skip


def plans(opts: argparse.Namespace) -> list[Plan]:
    out = []
    for store in opts.stores:
        out.append(Plan(f"{store}-1", store, 1, False))
        if opts.workers is not None:
            workers = {"NEWSCRAWL_EXTRACT_WORKERS": str(opts.workers)}
            out.append(Plan(f"{store}-1-workers-{opts.workers}", store, 1, False, workers))
        out += [Plan(f"{store}-{n}-redis", store, n, True) for n in opts.processes]
    return out


def run_all(opts: argparse.Namespace, work: Path) -> dict[str, Any]:
    sources = load_sources(opts.dataset)
    result: dict[str, Any] = {"runs": [], "failed": []}
    with ExitStack() as stack:
        site = stack.enter_context(RealSite(sources, opts.pages))
        bench = Bench(opts, work, site)
        todo = plans(opts)
        redis = None
        if any(p.frontier for p in todo) and not bench.redis_url:
            redis = stack.enter_context(Redis())
            bench.redis_url = redis.url
        if "postgresql" in opts.stores and not bench.postgres_url:
            bench.postgres = stack.enter_context(Postgres())
        servers = (bench.postgres, redis)
        bench.keep = {s.proc.pid for s in servers if s is not None and s.proc is not None}
        print(f"site: {opts.pages} pages from {len(sources)} real ones at {site.base_url}")
        print("extraction only, in this process ...", flush=True)
        base, ok = baseline(sources, opts.pages, site.base_url)
        result["baseline"] = asdict(base)
        startup: dict[str, float] = {}
        for store in opts.stores:
            try:
                startup[store] = bench.startup_cpu(store)
            except (ScaleError, ServerError) as exc:  # this store cannot run: say so, go on
                print(f"bench.crawl scale: {exc}", file=sys.stderr)
                result["failed"].append(f"{store}: {exc}")
        result["startup_cpu_s"] = startup
        try:
            result["plain_scrapy_cpu_ms"] = bench.plain_scrapy_cpu_ms(opts.pages)
        except ScaleError as exc:
            print(f"bench.crawl scale: {exc}", file=sys.stderr)
            result["failed"].append(f"plain Scrapy: {exc}")
        for plan in (p for p in todo if p.store in startup):
            try:
                run = bench.run(plan, len(ok), opts.pages)
            except (ScaleError, ServerError) as exc:
                print(f"bench.crawl scale: {exc}", file=sys.stderr)
                result["failed"].append(f"{plan.name}: {exc}")
                continue
            # Extraction alone again, right after the run: on a shared machine the speed of
            # the cores drifts by 2x within an hour, so each run is set against its own.
            after, _ = baseline(sources, opts.pages, site.base_url)
            run.extraction_only_pages_per_s = after.bare_extraction_pages_per_s
            run.extract_article_cpu_ms = after.extract_article_cpu_ms
            crawl_cpu = run.cpu_s - plan.processes * startup[plan.store]
            if run.pages_fetched:
                # Extraction's CPU as the crawl's workers counted it in the same run: not
                # the baseline's, measured at another minute on cores of another speed.
                per_page = 1000 * crawl_cpu / run.pages_fetched - run.crawl_extraction_cpu_ms
                run.outside_extraction_ms_per_page = round(per_page, 2)
                if after.bare_extraction_cpu_ms:
                    run.outside_vs_bare_extraction = round(
                        per_page / after.bare_extraction_cpu_ms, 3
                    )
                if "plain_scrapy_cpu_ms" in result:
                    run.outside_beyond_plain_scrapy_ms = round(
                        per_page - result["plain_scrapy_cpu_ms"], 2
                    )
            run.vs_extraction_only = round(run.pages_per_s / after.bare_extraction_pages_per_s, 2)
            result["runs"].append(run)
        if opts.profile:
            raw = work / "profile.txt"
            plan = Plan("sqlite-1-profiled", "sqlite", 1, False)
            try:
                run = bench.run(plan, len(ok), opts.pages, tuple(py_spy_command(raw)))
            except (ScaleError, FileNotFoundError) as exc:
                result["failed"].append(f"{plan.name}: {exc}")
            else:
                result["runs"].append(run)
                result["profile"] = analyse(raw, run.pages_fetched)
    if opts.memory:
        for size in opts.memory:
            with RealSite(sources, size) as site:
                bench = Bench(opts, work, site)
                expected = expected_articles(sources, size, site.base_url)
                try:
                    run = bench.run(Plan(f"memory-{size}", "sqlite", 1, False), expected, size)
                except ScaleError as exc:
                    result["failed"].append(f"memory-{size}: {exc}")
                    continue
                result["runs"].append(run)
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crawl scale", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add = parser.add_argument
    add("--dataset", type=Path, required=True, help="a folder with html/<id>.html.gz")
    add("--pages", type=int, default=500, help="pages in the site (500)")
    add(
        "--processes",
        type=_ints,
        default=[1, 2, 4],
        help="processes sharing the Redis frontier, a run each (1,2,4)",
    )
    add("--stores", type=lambda v: [s for s in v.split(",") if s not in ("", "none")],
        default=["sqlite", "postgresql"], help="sqlite,postgresql (none: --memory only)",
    )  # fmt: skip
    add("--redis-url", help="a running Redis (default: start one)")
    add("--postgres-url", help="a running PostgreSQL database (default: start a server)")
    add("--memory", nargs="?", type=_ints, const=[2000, 20000], default=[],
        help="also one process at these site sizes, for peak RSS (2000,20000)")  # fmt: skip
    add("--workers", help="also one process with NEWSCRAWL_EXTRACT_WORKERS=this")
    add("--profile", action="store_true", help="also one process under py-spy")
    add("--jobdir", action="store_true",
        help="give each crawl process a new JOBDIR: Scrapy's request queue on disk")  # fmt: skip
    add("--set", action="append", default=[], metavar="NAME=VALUE", help="a Scrapy setting")
    add("--timeout", type=float, default=3600, help="seconds per run (3600)")
    add("--out", type=Path, default=RESULTS, help="JSON results file")
    add("--keep", action="store_true", help="keep the temporary folder (stores, logs)")
    opts = parser.parse_args(argv)

    subreaper = become_subreaper()
    work = Path(tempfile.mkdtemp(prefix="newscrawl-bench-scale-"))
    load_before = os.getloadavg()
    try:
        result = run_all(opts, work)
    except (ScaleError, ServerError, ValueError) as exc:
        print(f"bench.crawl scale: FAILED: {exc}\n(files kept in {work})", file=sys.stderr)
        return 1
    runs: list[ScaleRun] = result["runs"]
    base = result["baseline"]
    print()
    print(scale_table(runs))
    print(
        f"\nextraction only, this process, {base['pages']} pages: trafilatura bare_extraction "
        f"{base['bare_extraction_pages_per_s']} pages/s ({base['bare_extraction_cpu_ms']} ms CPU "
        f"a page); newscrawl extract_article {base['extract_article_pages_per_s']} pages/s "
        f"({base['extract_article_cpu_ms']} ms), {base['extract_article_ok']} articles"
    )
    print(f"start-up CPU s per process: {result['startup_cpu_s']}")
    if "plain_scrapy_cpu_ms" in result:
        print(
            f"plain Scrapy over the same site (bench/crawl/plain_spider.py): "
            f"{result['plain_scrapy_cpu_ms']} ms CPU a page beyond start-up"
        )
    memory = {r.site_pages: max(r.peak_rss_mb) for r in runs if r.name.startswith("memory-")}
    if len(memory) >= 2:
        small, large = min(memory), max(memory)
        result["memory_ratio"] = round(memory[large] / memory[small], 3)
        print(f"peak RSS at {large} pages / at {small}: {result['memory_ratio']}")
        workers = {
            r.site_pages: max(r.worker_peak_rss_mb) for r in runs if r.name.startswith("memory-")
        }
        if workers[small]:
            result["worker_memory_ratio"] = round(workers[large] / workers[small], 3)
            print(f"extraction worker, the same: {result['worker_memory_ratio']}")
    if "profile" in result:
        print(profile_report(result["profile"]))
    info = {**machine(load_before), "subreaper": subreaper}
    print(f"machine: {info}")
    result |= {
        "argv": argv,
        "machine": info,
        "settings": SETTINGS,
        "runs": [asdict(r) for r in runs],
    }
    problems = scale_checks(runs) + result["failed"]
    return finish("bench.crawl scale", opts.out, result, problems, work, opts.keep)


def _ints(value: str) -> list[int]:
    return [int(v) for v in value.split(",")]
