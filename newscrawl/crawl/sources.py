"""What a crawl starts from: named news outlets read from a TOML file, or the URLs given
with ``-a url=``; both are a :class:`Source`.

A source has a name, a kind (feed, sitemap, site; urls for single pages), its URLs and its
limits, resolved once: the source's own, else the crawl's settings. See data/sources.toml
and docs/sources.md.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NamedTuple

from newscrawl.config import Config
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
    """Carried in request meta from a start page to each article it leads to."""

    name: str  # the sources file's name, else the start URL (see ``named``)
    kind: str
    urls: tuple[str, ...]
    since_days: int
    max_pages: int
    max_depth: int
    homepage: str | None = None
    # Regexes on the URL: links to follow must match one of `allow` and none of `deny`.
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    # False for a URL given on the command line: its articles are filed under their domain.
    named: bool = True

    @classmethod
    def of_url(
        cls,
        url: str,
        kind: str,
        config: Config,
        *,
        since_days: int | None = None,
        max_pages: int | None = None,
        max_depth: int | None = None,
    ) -> Source:
        return cls(
            name=url,
            kind=kind,
            urls=(url,),
            named=False,
            **limits(config, since_days=since_days, max_pages=max_pages, max_depth=max_depth),
        )


class Limits(NamedTuple):
    since_days: int
    max_pages: int
    max_depth: int


def limits(
    config: Config,
    *,
    since_days: int | None = None,
    max_pages: int | None = None,
    max_depth: int | None = None,
) -> dict[str, Any]:
    """A source's limits, as keyword arguments: those given, the crawl's settings for the
    others."""
    return Limits(
        config.since_days if since_days is None else since_days,
        config.max_pages if max_pages is None else max_pages,
        config.max_depth if max_depth is None else max_depth,
    )._asdict()


def default_sources_path() -> Path:
    return project_dir() / "data" / "sources.toml"


def load_sources(path: str | Path | None = None, config: Config | None = None) -> list[Source]:
    """The sources of ``path`` (default data/sources.toml), limits resolved from ``config``
    (default: the project's settings)."""
    file = Path(path) if path else default_sources_path()
    config = config or Config.defaults()
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SourcesError(f"sources file not found: {file}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{file}: not valid TOML: {exc}") from exc
    entries = raw.get("source")
    if not isinstance(entries, list) or not entries:
        raise SourcesError(f"{file}: no [[source]] entries")
    sources = [_parse(entry, f"{file}: source #{i + 1}", config) for i, entry in enumerate(entries)]
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


def _parse(entry: Any, where: str, config: Config) -> Source:
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
        **limits(
            config, **{key: entry.get(key) for key in ("since_days", "max_pages", "max_depth")}
        ),
        allow=patterns["allow"],
        deny=patterns["deny"],
    )
