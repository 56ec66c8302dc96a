"""The crawl benchmark's report: the table, the checks a run must pass, the commit."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.crawl.run import REPO, RunResult

if TYPE_CHECKING:
    from bench.crawl.scale import ScaleRun

COLUMNS = (
    ("run", "name", "{}"), ("pages", "pages_fetched", "{}"), ("stored", "articles_stored", "{}"),
    ("dups", "duplicates_stored", "{}"), ("requests", "requests", "{}"),
    ("elapsed s", "elapsed_s", "{:.2f}"), ("wall s", "wall_s", "{:.2f}"),
    ("CPU s", "cpu_s", "{:.2f}"), ("pages/s", "pages_per_s", "{:.1f}"),
    ("peak RSS MiB", "peak_rss_mb", "{:.0f}"), ("article hits", "article_hits", "{}"),
    ("deltafetch skipped", "deltafetch_skipped", "{}"),
    ("extract/elapsed", "extraction_share", "{:.0%}"),
    ("extract/CPU", "extraction_share_cpu", "{:.0%}"),
)  # fmt: skip


def table(runs: Sequence[object], columns: tuple[tuple[str, str, str], ...] = COLUMNS) -> str:
    head = [c[0] for c in columns]
    rows = [
        [fmt.format(v) if (v := getattr(r, attr)) is not None else "-" for _, attr, fmt in columns]
        for r in runs
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def checks(runs: list[RunResult]) -> list[str]:
    problems = []
    for r in runs:
        if r.status != "finished":
            problems.append(f"{r.name}: run status {r.status!r}, not 'finished'")
        if r.articles_stored != r.articles_expected:
            problems.append(
                f"{r.name}: {r.articles_stored} articles stored, expected {r.articles_expected}"
            )
        if r.duplicates_stored:
            problems.append(f"{r.name}: {r.duplicates_stored} articles judged duplicates")
        if r.name == "feed-incremental" and r.article_hits:
            problems.append(f"{r.name}: {r.article_hits} article pages downloaded again")
    return problems


def median_run(results: list[RunResult]) -> RunResult:
    """The round with the median elapsed time, carrying every round's elapsed time."""
    ordered = sorted(results, key=lambda r: r.elapsed_s)
    chosen = ordered[(len(ordered) - 1) // 2]
    chosen.elapsed_rounds = [r.elapsed_s for r in results]
    return chosen


def git_state() -> str:
    """The commit the code was run at, with "+dirty" when the work tree has changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
    except OSError:
        return "unknown"
    return (head or "unknown") + ("+dirty" if dirty else "")


def scale_checks(runs: list[ScaleRun]) -> list[str]:
    problems = []
    for r in runs:
        if len(r.status) != r.processes or any(s != "finished" for s in r.status):
            problems.append(f"{r.name}: run statuses {r.status}, not {r.processes} x finished")
        if r.pages_downloaded_twice or r.pages_never_downloaded:
            problems.append(
                f"{r.name}: {r.pages_downloaded_twice} pages downloaded more than once, "
                f"{r.pages_never_downloaded} never"
            )
        if r.articles_stored != r.articles_expected or r.distinct_urls != r.articles_stored:
            problems.append(
                f"{r.name}: {r.articles_stored} articles stored ({r.distinct_urls} URLs), "
                f"expected {r.articles_expected}, each once"
            )
        if r.processes > 1 and min(r.pages_per_process) == 0:
            problems.append(f"{r.name}: a process fetched no page: {r.pages_per_process}")
    return problems


SCALE_COLUMNS = (
    ("run", "name", "{}"), ("procs", "processes", "{}"), ("pages", "pages_fetched", "{}"),
    ("per process", "pages_per_process", "{}"), ("stored", "articles_stored", "{}"),
    ("near-dups", "judged_duplicates", "{}"), ("elapsed s", "elapsed_s", "{:.1f}"),
    ("pages/s", "pages_per_s", "{:.1f}"),
    ("extraction-only pages/s", "extraction_only_pages_per_s", "{:.1f}"),
    ("x extraction-only", "vs_extraction_only", "{:.2f}"),
    ("CPU s", "cpu_s", "{:.1f}"), ("CPU ms/page", "cpu_ms_per_page", "{:.1f}"),
    ("extract_article ms", "extract_article_cpu_ms", "{:.1f}"),
    ("extraction in crawl ms/page", "crawl_extraction_cpu_ms", "{:.1f}"),
    ("outside extraction ms/page", "outside_extraction_ms_per_page", "{:.1f}"),
    ("outside / bare_extraction", "outside_vs_bare_extraction", "{:.3f}"),
    ("outside beyond plain Scrapy ms/page", "outside_beyond_plain_scrapy_ms", "{:.1f}"),
    ("database server ms/page", "server_cpu_ms_per_page", "{:.1f}"),
    ("peak RSS MiB", "peak_rss_mb", "{}"), ("worker peak RSS MiB", "worker_peak_rss_mb", "{}"),
    ("load", "load_1m", "{:.1f}"),
)  # fmt: skip


def scale_table(runs: list[ScaleRun]) -> str:
    return table(runs, SCALE_COLUMNS)


def machine(load_before: tuple[float, float, float]) -> dict[str, Any]:
    """The commit, the machine and its load average before and after the runs."""
    return {
        "commit": git_state(),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_before": [round(x, 2) for x in load_before],
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
    }


def finish(prog: str, out: Path, report: dict[str, Any], problems: list[str], work: Path,
           keep: bool) -> int:  # fmt: skip
    """Write the JSON report, say every failed check, remove ``work`` unless kept: the exit code."""
    report = {"created": datetime.now(UTC).isoformat(timespec="seconds"), **report}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    for problem in problems:
        print(f"{prog}: CHECK FAILED: {problem}", file=sys.stderr)
    if problems or keep:
        print(f"(files kept in {work})", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if problems else 0
