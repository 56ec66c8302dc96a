"""Crawl throughput: every spider against a synthetic news site on 127.0.0.1.

    .venv/bin/python -m bench.crawl                      # 300 articles, all spiders
    .venv/bin/python -m bench.crawl --rounds 3 --workers 2   # as in docs/performance.md
    .venv/bin/python -m bench.crawl scale --help         # real pages, 1/2/4 processes (issue 10)

Writes a site of N distinct articles (plus home, section pages, an RSS feed, a sitemap index,
robots.txt) to a temporary folder, serves it with ``newscrawl.demo.server.SiteServer`` and runs
``python -m scrapy crawl <spider>`` in a child process per spider, each into a fresh SQLite
store, as a user would. Per run it reads the run's stats from ``crawl_runs`` and the stored
count from ``articles``, and the child's peak RSS from ``os.wait4``. A second feed run on the
same store measures the incremental path; an in-process loop over ``extract_article`` gives the
extraction-only baseline. Results: a table on stdout and ``bench/results/crawl.json``.
See docs/performance.md for a reading of the figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from bench.crawl.counting import SiteServer
from bench.crawl.report import checks, finish, machine, median_run, table
from bench.crawl.run import FAST, REPO, BenchError, RunResult, crawl, extraction_baseline
from bench.crawl.site import make_stories, write_site

RESULTS = REPO / "bench" / "results" / "crawl.json"


def run_all(opts: argparse.Namespace, work: Path) -> tuple[list[RunResult], dict[str, float]]:
    stories = make_stories(opts.pages, opts.seed)
    write_site(work / "site", stories)
    words = [s.words for s in stories]
    print(f"site: {len(stories)} articles of {min(words)}-{max(words)} words, in {work}")
    n = len(stories)
    runs: list[RunResult] = []
    with SiteServer(work / "site") as site:
        base = site.base_url
        (work / "urls.txt").write_text("".join(f"{base}{s.path}\n" for s in stories))
        feed = {"url": f"{base}/feed.xml"}
        plan: list[tuple[str, str, dict[str, str], dict[str, str]]] = [
            ("feed", "feed", feed, FAST),
            ("sitemap", "sitemap", {"url": f"{base}/robots.txt"}, FAST),
            ("site", "site", {"url": f"{base}/", "max_pages": str(4 * n + 100)}, FAST),
            ("urls", "urls", {"file": str(work / "urls.txt")}, FAST),
        ]
        # One page, not an article: what every run pays to start, open the store and stop.
        plan.append(("startup", "urls", {"url": f"{base}/about.html"}, FAST))
        if opts.workers:
            workers = {**FAST, "NEWSCRAWL_EXTRACT_WORKERS": str(opts.workers)}
            plan.append((f"feed-workers-{opts.workers}", "feed", feed, workers))
        for name, spider, args, settings in plan:
            rounds = []
            for k in range(1, opts.rounds + 1):
                print(f"running {name} (round {k}/{opts.rounds}) ...", flush=True)
                db = work / f"{name}-{k}.db"
                expected = 0 if name == "startup" else n
                rounds.append(crawl(site, name, spider, args, db, expected, settings, opts.timeout))
            runs.append(median_run(rounds))
            if name == "feed":
                # Again on the store the last feed round filled: every article is known.
                print("running feed-incremental ...", flush=True)
                db = work / f"feed-{opts.rounds}.db"
                runs.append(
                    crawl(site, "feed-incremental", "feed", feed, db, n, FAST, opts.timeout)
                )
        baseline = extraction_baseline(work / "site", base, opts.repeat)
    if not opts.no_polite:
        small = make_stories(opts.polite_pages, opts.seed + 1)
        write_site(work / "small", small)
        with SiteServer(work / "small") as site:
            print("running feed-polite (shipped settings) ...", flush=True)
            args = {"url": f"{site.base_url}/feed.xml"}
            db = work / "polite.db"
            runs.append(crawl(site, "feed-polite", "feed", args, db, len(small), {}, opts.timeout))
    startup_cpu = next(r.cpu_s for r in runs if r.name == "startup")
    for r in runs:
        if r.name in ("startup", "feed-incremental") or r.name.startswith("feed-workers"):
            continue  # nothing extracted, or extracted in processes not measured here
        # Listing pages (home, sections) are extracted too, then followed or skipped.
        listings = max(r.pages_fetched - r.extracted_ok, 0)
        spent = r.extracted_ok * baseline["article_s_per_page"]
        spent += listings * baseline["listing_s_per_page"]
        cpu = r.extracted_ok * baseline["article_cpu_s_per_page"]
        cpu += listings * baseline["listing_cpu_s_per_page"]
        if r.elapsed_s:
            r.extraction_share = round(spent / r.elapsed_s, 3)
        if r.cpu_s > startup_cpu:
            r.extraction_share_cpu = round(cpu / (r.cpu_s - startup_cpu), 3)
    return runs, baseline


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["scale"]:
        from bench.crawl.scale import main as scale_main

        return scale_main(args[1:])
    parser = argparse.ArgumentParser(prog="python -m bench.crawl", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--pages", type=int, default=300, help="articles in the site (300)")
    parser.add_argument("--polite-pages", type=int, default=30, help="articles, polite run (30)")
    parser.add_argument("--no-polite", action="store_true", help="skip the polite run")
    parser.add_argument("--seed", type=int, default=20240501, help="text generator seed")
    parser.add_argument("--rounds", type=int, default=1, help="runs per spider, median (1)")
    parser.add_argument("--workers", type=int, default=0, help="also a feed run with N workers")
    parser.add_argument("--repeat", type=int, default=3, help="extraction passes, median (3)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per crawl (900)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    opts = parser.parse_args(args)

    work = Path(tempfile.mkdtemp(prefix="newscrawl-bench-"))
    load_before = os.getloadavg()
    try:
        runs, baseline = run_all(opts, work)
    except BenchError as exc:
        print(f"bench.crawl: FAILED: {exc}\n(files kept in {work})", file=sys.stderr)
        return 1
    print()
    print(table(runs))
    print(
        f"\nextraction only, in process (median of {opts.repeat} passes): "
        f"{baseline['article_pages_per_s']} article pages/s "
        f"({baseline['article_extracted_ok']:.0f}/{baseline['article_pages']:.0f} extracted), "
        f"{baseline['listing_pages_per_s']} listing pages/s "
        f"({baseline['listing_pages']:.0f} pages)"
    )
    info = machine(load_before)
    print(f"machine: {info}")
    report = {
        "argv": args,
        "machine": info,
        "pages": opts.pages,
        "polite_pages": opts.polite_pages,
        "seed": opts.seed,
        "rounds": opts.rounds,
        "fast_settings": FAST,
        "runs": [asdict(r) for r in runs],
        "extraction_baseline": baseline,
    }
    return finish("bench.crawl", opts.out, report, checks(runs), work, opts.keep)


if __name__ == "__main__":
    raise SystemExit(main())
