"""Where a crawler process spends its CPU outside extraction: py-spy over one crawl.

py-spy samples the crawl (and any extraction workers) ``RATE`` times a second and writes the
stacks in its raw (collapsed) form. A sample is extraction when a frame of
``newscrawl/extraction/`` or trafilatura is on its stack, start-up when an import is; the
rest is attributed twice: to the innermost frame of newscrawl's own code (``newscrawl/``,
``pipelines/``), which says which of our functions to look at, and to the library the
sample's own (leaf) frame is in.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

RATE = 100
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]*)(?::\d+)?\)$")
_EXTRACTION = ("newscrawl/extraction/", "trafilatura/", "justext/", "htmldate/", "courlan/")
_OURS = ("newscrawl/", "pipelines/")


def py_spy_command(out: Path) -> list[str]:
    exe = shutil.which("py-spy") or str(Path(__file__).parents[2] / ".venv" / "bin" / "py-spy")
    if not Path(exe).exists():
        raise FileNotFoundError("py-spy is not installed: .venv/bin/pip install py-spy")
    return [exe, "record", "--format", "raw", "--rate", str(RATE), "--subprocesses",
            "--output", str(out), "--"]  # fmt: skip


def _library(path: str) -> str:
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0]
    for ours in _OURS:
        if ours in path:
            return ours.rstrip("/")
    return "python" if "/lib/python3" in path else path


def analyse(raw: Path, pages: int, top: int = 15) -> dict[str, Any]:
    """Milliseconds of CPU per page: extraction, the rest, and the rest's largest parts."""
    total = extraction = imports = 0
    ours: Counter[str] = Counter()
    library: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [m.groupdict() for f in stack.split(";") if (m := _FRAME.match(f))]
        total += count
        if any(any(e in f["file"] for e in _EXTRACTION) for f in frames):
            extraction += count
            continue
        if any("importlib._bootstrap" in f["file"] for f in frames):
            imports += count  # start-up, paid once a process whatever the pages
            continue
        own = [f for f in frames if any(o in f["file"] for o in _OURS)]
        where = f"{own[-1]['func']} ({_short(own[-1]['file'])})" if own else "(no newscrawl frame)"
        ours[where] += count
        library[_library(frames[-1]["file"]) if frames else "?"] += count

    def ms(samples: int) -> float:
        return round(1000 * samples / RATE / max(pages, 1), 2)

    return {
        "samples": total,
        "rate_hz": RATE,
        "pages": pages,
        "ms_per_page": ms(total),
        "extraction_ms_per_page": ms(extraction),
        "imports_ms_per_page": ms(imports),
        "outside_ms_per_page": ms(total - extraction - imports),
        "outside_by_our_function": [(k, ms(v)) for k, v in ours.most_common(top)],
        "outside_by_library": [(k, ms(v)) for k, v in library.most_common(top)],
    }


def _short(path: str) -> str:
    for ours in _OURS:
        if ours in path:
            return ours + path.split(ours, 1)[1]
    return path


def report(found: dict[str, Any]) -> str:
    lines = [
        f"profile (py-spy, {found['rate_hz']} Hz, {found['pages']} pages): "
        f"{found['ms_per_page']} ms CPU a page sampled, "
        f"extraction {found['extraction_ms_per_page']}, "
        f"imports {found['imports_ms_per_page']}, the rest {found['outside_ms_per_page']}",
        "outside extraction, by the innermost newscrawl function (ms a page):",
    ]
    lines += [f"  {ms:6.2f}  {name}" for name, ms in found["outside_by_our_function"]]
    lines.append("outside extraction, by the library running (ms a page):")
    lines += [f"  {ms:6.2f}  {name}" for name, ms in found["outside_by_library"]]
    return "\n".join(lines)
