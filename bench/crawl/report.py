"""The crawl benchmark's report: the table, the checks a run must pass, the commit."""

from __future__ import annotations

import subprocess

from bench.crawl.run import REPO, RunResult

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


def table(runs: list[RunResult]) -> str:
    head = [c[0] for c in COLUMNS]
    rows = [
        [fmt.format(v) if (v := getattr(r, attr)) is not None else "-" for _, attr, fmt in COLUMNS]
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
