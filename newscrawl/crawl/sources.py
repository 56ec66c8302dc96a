"""The sources registry: named news outlets as data, read from a TOML file.

A source has a name, a kind (feed, sitemap or site), its URLs and optional per-source
settings. See data/sources.toml and docs/sources.md.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from newscrawl.crawl.urls import is_http_url
from newscrawl.store.engine import project_dir

KINDS: Final = ("feed", "sitemap", "site")
NAME_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
REQUIRED_KEYS: Final = {"name", "kind", "urls"}
OPTIONAL_KEYS: Final = {"max_pages", "max_depth", "allow", "deny", "since_days", "homepage"}


class SourcesError(ValueError):
    """The sources file is missing or malformed; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    kind: str
    urls: tuple[str, ...]
    homepage: str | None = None
    max_pages: int | None = None
    max_depth: int | None = None
    since_days: int | None = None
    # Regexes on the URL: links to follow must match one of `allow` and none of `deny`.
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


def default_sources_path() -> Path:
    return project_dir() / "data" / "sources.toml"


def load_sources(path: str | Path | None = None) -> list[Source]:
    file = Path(path) if path else default_sources_path()
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SourcesError(f"sources file not found: {file}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{file}: not valid TOML: {exc}") from exc
    entries = raw.get("source")
    if not isinstance(entries, list) or not entries:
        raise SourcesError(f"{file}: no [[source]] entries")
    sources = [_parse(entry, f"{file}: source #{i + 1}") for i, entry in enumerate(entries)]
    names = [s.name for s in sources]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SourcesError(f"{file}: duplicate source names: {', '.join(dupes)}")
    return sources


def select_sources(sources: list[Source], only: str | None) -> list[Source]:
    if not only:
        return sources
    wanted = [n.strip() for n in only.split(",") if n.strip()]
    known = {s.name for s in sources}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise SourcesError(
            f"unknown source(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return [s for s in sources if s.name in wanted]


def _parse(entry: Any, where: str) -> Source:
    if not isinstance(entry, dict):
        raise SourcesError(f"{where}: must be a table")
    name = entry.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise SourcesError(f"{where}: 'name' must be lowercase letters, digits, . _ -")
    known = sorted(REQUIRED_KEYS | OPTIONAL_KEYS)
    for key in entry:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else f" (keys: {', '.join(known)})"
            raise SourcesError(f"{where} ({name}): unknown key '{key}'{hint}")
    kind = entry.get("kind")
    if kind not in KINDS:
        raise SourcesError(f"{where} ({name}): 'kind' must be one of {', '.join(KINDS)}")
    urls = entry.get("urls")
    if isinstance(urls, str):
        urls = [urls]
    if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
        raise SourcesError(f"{where} ({name}): 'urls' must be a list of http(s) URLs")
    bad = [u for u in urls if not is_http_url(u)]
    if bad:
        listed = ", ".join(bad)
        raise SourcesError(f"{where} ({name}): 'urls' must be http(s) URLs with a host: {listed}")
    for key in ("max_pages", "max_depth", "since_days"):
        if key in entry and (not isinstance(entry[key], int) or entry[key] < 0):
            raise SourcesError(f"{where} ({name}): '{key}' must be a whole number >= 0")
    patterns = {}
    for key in ("allow", "deny"):
        values = entry.get(key, [])
        if isinstance(values, str):
            values = [values]
        try:
            for value in values:
                re.compile(value)
        except (re.error, TypeError) as exc:
            raise SourcesError(f"{where} ({name}): bad regex in '{key}': {exc}") from exc
        patterns[key] = tuple(values)
    return Source(
        name=name,
        kind=kind,
        urls=tuple(urls),
        homepage=entry.get("homepage"),
        max_pages=entry.get("max_pages"),
        max_depth=entry.get("max_depth"),
        since_days=entry.get("since_days"),
        allow=patterns["allow"],
        deny=patterns["deny"],
    )
