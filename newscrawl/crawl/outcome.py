"""What a run's outcome means to its caller: the exit status table and the one-line summary.

``newscrawl crawl`` and ``scrapy crawl`` share both (docs/operations.md lists the statuses).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1  # nothing could be fetched, or the arguments or settings were wrong
EXIT_SOURCES_FAILED: Final = 3  # the run finished, but some sources failed
EXIT_LOCKED: Final = 75  # EX_TEMPFAIL: another run holds the store; try again later
EXIT_INTERRUPTED: Final = 130  # Ctrl-C or SIGTERM: stopped cleanly, what was fetched is kept

EXIT_STATUS: Final = {
    "finished": EXIT_OK,
    "partial": EXIT_SOURCES_FAILED,
    "failed": EXIT_FAILED,
    "interrupted": EXIT_INTERRUPTED,
    # A run only reads this of another run; a row is never abandoned by its own process.
    "abandoned": EXIT_FAILED,
}

# Stats keys counting entries or pages passed over, by the reason shown in the summary.
SKIP_KEYS: Final = {
    "newscrawl/deltafetch/skipped": "known",
    "newscrawl/feeds/entries_too_old": "too_old",
    "newscrawl/sitemaps/entries_too_old": "too_old",
    "newscrawl/feeds/entries_invalid": "invalid_url",
    "newscrawl/sitemaps/entries_invalid": "invalid_url",
    "robotstxt/forbidden": "robots_txt",
}


def exit_status(status: str) -> int:
    return EXIT_STATUS.get(status, EXIT_FAILED)


def _count(stats: dict[str, Any], key: str) -> int:
    value = stats.get(key, 0)
    return value if isinstance(value, int) else 0


def skipped_by_reason(stats: dict[str, Any]) -> dict[str, int]:
    reasons: dict[str, int] = {}
    for key, value in stats.items():
        if key.startswith("newscrawl/skipped/") and isinstance(value, int):
            reason = key.removeprefix("newscrawl/skipped/")
            reasons[reason] = reasons.get(reason, 0) + value
    for key, reason in SKIP_KEYS.items():
        if _count(stats, key):
            reasons[reason] = reasons.get(reason, 0) + _count(stats, key)
    return dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))


def failed_sources(stats: dict[str, Any]) -> dict[str, str]:
    """Each source that failed, with why: ``{"bbc": "http_404 https://.../rss.xml"}``."""
    failed = stats.get("newscrawl/failed_sources")
    return {str(k): str(v) for k, v in failed.items()} if isinstance(failed, dict) else {}


def summarize_run(stats: dict[str, Any]) -> dict[str, Any]:
    """The few numbers a cron log needs, from a run's full stats."""

    def total(prefix: str) -> int:
        return sum(v for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int))

    skipped = skipped_by_reason(stats)
    return {
        "fetched": _count(stats, "newscrawl/pages/fetched"),
        "new": _count(stats, "newscrawl/store/inserted"),
        "updated": _count(stats, "newscrawl/store/updated"),
        "unchanged": _count(stats, "newscrawl/store/unchanged"),
        "duplicates": total("newscrawl/dedupe/"),
        "skipped": sum(skipped.values()),
        "errors": total("newscrawl/errors/") + _count(stats, "newscrawl/store/failed"),
        "sources": _count(stats, "newscrawl/sources/total"),
        "failed_sources": len(failed_sources(stats)),
    }


def duration(stats: dict[str, Any]) -> str:
    seconds = stats.get("elapsed_time_seconds")
    if not isinstance(seconds, int | float):
        return "?"
    return str(timedelta(seconds=round(seconds)))


def summary_line(run_id: object, status: str, stats: dict[str, Any]) -> str:
    """``Run 12 partial in 0:00:41: fetched 30, new 12, ...; 1 of 3 sources failed: ...``."""
    counts = summarize_run(stats)
    skipped = skipped_by_reason(stats)
    reasons = ", ".join(f"{reason} {n}" for reason, n in skipped.items())
    parts = [
        f"{name} {counts[name]}"
        for name in ("fetched", "new", "updated", "unchanged", "duplicates")
    ]
    parts.append(f"skipped {counts['skipped']}" + (f" ({reasons})" if reasons else ""))
    parts.append(f"errors {counts['errors']}")
    line = f"Run {run_id} {status} in {duration(stats)}: " + ", ".join(parts)
    failed = failed_sources(stats)
    sources = f"{counts['sources']} source" + ("" if counts["sources"] == 1 else "s")
    if failed:
        listed = ", ".join(f"{name} ({why})" for name, why in failed.items())
        line += f"; {len(failed)} of {sources} failed: {listed}"
    elif counts["sources"]:
        line += f"; {sources} ok"
    return line
