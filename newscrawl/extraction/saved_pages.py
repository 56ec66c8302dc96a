"""Extraction of saved HTML files, for ``newscrawl extract`` and re-extraction jobs."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree
from lxml import html as lxml_html

from newscrawl.extraction.article import Article
from newscrawl.extraction.extract import extract_article

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


def declared_url(html: bytes) -> str | None:
    """The absolute http(s) address the page declares for itself (canonical, else og:url).

    Only the head is parsed when there is one: the declaration lives there, and a saved
    page's body can be large.
    """
    end = html.lower().find(b"</head>")
    head = html[: end + len(b"</head>")] if end >= 0 else html
    try:
        tree = lxml_html.document_fromstring(head)
    except (etree.ParserError, ValueError):
        return None
    links = [
        link.get("href")
        for link in tree.iterfind(".//link[@rel]")
        if "canonical" in (link.get("rel") or "").lower().split()
    ]
    metas = [
        meta.get("content")
        for meta in tree.iterfind(".//meta[@property]")
        if (meta.get("property") or "").strip().lower() == "og:url"
    ]
    for value in (*links, *metas):
        candidate = (value or "").strip()
        if candidate.startswith(("http://", "https://")):
            return candidate
    return None


def extract_files(paths: Iterable[Path], url: str | None = None) -> Iterator[dict[str, Any]]:
    """One record per file: the article's fields, or the reason there is none.

    Without ``url``, a page is extracted at the address it declares for itself, so a saved
    home or tag page is judged as the listing it is; a page declaring none gets its
    ``file://`` address.
    """
    for path in page_files(paths):
        try:
            html = read_page(path)
        except (OSError, EOFError, zlib.error) as exc:
            yield {"file": str(path), "error": "unreadable", "detail": str(exc)}
            continue
        page_url = url or declared_url(html) or path.resolve().as_uri()
        result = extract_article(html, page_url)
        if isinstance(result, Article):
            yield {"file": str(path), **result.as_dict()}
        else:
            yield {"file": str(path), "error": result.reason, "detail": result.detail}
