"""Extraction of saved HTML files, for ``newscrawl extract`` and re-extraction jobs."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscrawl.article import Article
from newscrawl.extract import extract_article

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

PAGE_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")


def page_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The files given, and every HTML file (plain or gzipped) inside folders given."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(PAGE_SUFFIXES)
            )
        else:
            yield path


def read_page(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.lower().endswith(".gz") or data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    return data


def extract_files(paths: Iterable[Path], url: str | None = None) -> Iterator[dict[str, Any]]:
    for path in page_files(paths):
        try:
            html = read_page(path)
        except (OSError, EOFError, zlib.error) as exc:
            yield {"file": str(path), "error": "unreadable", "detail": str(exc)}
            continue
        page_url = url or path.resolve().as_uri()
        result = extract_article(html, page_url)
        if isinstance(result, Article):
            yield {"file": str(path), **result.as_dict()}
        else:
            yield {"file": str(path), "error": result.reason, "detail": result.detail}
