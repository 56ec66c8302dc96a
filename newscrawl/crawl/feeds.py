"""Feed and sitemap parsing: RSS 2.0, Atom, RDF, sitemaps, sitemap indexes, Google News.

Pure functions over bytes, no Scrapy. The XML parser never resolves entities, loads DTDs
or touches the network, so hostile documents (entity bombs, external entities) are inert.
"""

from __future__ import annotations

import gzip
import io
import logging
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final
from urllib.parse import urljoin

from lxml import etree

logger = logging.getLogger(__name__)

MAX_XML_BYTES: Final = 50 * 1024 * 1024  # the sitemap protocol's own limit
GZIP_MAGIC: Final = b"\x1f\x8b"


class FeedError(ValueError):
    """The document is not a feed or sitemap this module understands; says why."""


@dataclass(frozen=True, slots=True)
class Entry:
    url: str
    published: datetime | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Feed:
    entries: list[Entry]
    unusable: int = 0  # entries whose address is not an http(s) URL that can be read


@dataclass(frozen=True, slots=True)
class Sitemap:
    kind: str  # "urlset" or "sitemapindex"
    entries: list[Entry]
    unusable: int = 0  # as in Feed


def absolute_url(base_url: str, link: str) -> str | None:
    """``link`` made absolute against ``base_url``; None unless it is an http(s) URL that
    urllib can split (``http://[bad`` raises in urljoin, and would again in every later step).
    """
    try:
        url = urljoin(base_url, link)
    except ValueError:
        return None
    return url if url.startswith(("http://", "https://")) else None


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=True,
        remove_comments=True,
        remove_pis=True,
    )


def maybe_gunzip(body: bytes, max_bytes: int = MAX_XML_BYTES) -> bytes:
    """Decompress a gzip body, refusing anything that inflates past ``max_bytes``."""
    if not body.startswith(GZIP_MAGIC):
        return body
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as handle:
            while chunk := handle.read(1 << 16):
                out.write(chunk)
                if out.tell() > max_bytes:
                    raise FeedError(f"gzip body inflates past {max_bytes} bytes")
    except (OSError, EOFError, zlib.error) as exc:
        if out.tell() == 0:
            raise FeedError(f"broken gzip data: {exc}") from exc
        # A truncated tail still leaves the entries read so far usable.
        logger.debug("truncated gzip body, using the %d bytes read", out.tell())
    return out.getvalue()


def _root(body: bytes) -> etree._Element:
    body = maybe_gunzip(body)
    if len(body) > MAX_XML_BYTES:
        raise FeedError(f"document larger than {MAX_XML_BYTES} bytes")
    stripped = body.lstrip()
    if not stripped.startswith(b"<"):
        raise FeedError("not XML")
    try:
        root = etree.fromstring(stripped, _parser())
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"unparsable XML: {exc}") from exc
    if root is None:
        raise FeedError("empty or unparsable XML")
    return root


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: etree._Element, *names: str) -> str | None:
    for name in names:
        for child in _children(element, name):
            value = (child.text or "").strip()
            if value:
                return value
    return None


def parse_date(value: str | None) -> datetime | None:
    """RFC 822 (RSS) or ISO 8601 (Atom, sitemaps) dates, as aware UTC datetimes."""
    if not value:
        return None
    value = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_feed(body: bytes, base_url: str) -> Feed:
    """Entries of an RSS 2.0, RSS 1.0 (RDF) or Atom feed, with absolute URLs."""
    root = _root(body)
    kind = _local(root.tag)
    if kind == "feed":
        items = [e for e in root.iter() if _local(e.tag) == "entry"]
    elif kind in {"rss", "rdf"}:
        items = [e for e in root.iter() if _local(e.tag) == "item"]
    else:
        raise FeedError(f"not a feed (root element <{kind}>)")
    entries, unusable = [], 0
    for item in items:
        link = _entry_link(item)
        if not link:
            continue
        url = absolute_url(base_url, link)
        if url is None:
            unusable += 1
            continue
        published = parse_date(_text(item, "pubdate", "published", "updated", "date", "issued"))
        entries.append(Entry(url=url, published=published, title=_text(item, "title")))
    return Feed(entries, unusable)


def _entry_link(item: etree._Element) -> str | None:
    for link in _children(item, "link"):
        href = link.get("href")
        if href and link.get("rel", "alternate") == "alternate":
            return str(href).strip()
        if not href and link.text and link.text.strip():
            return str(link.text).strip()
    about = item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
    if about:
        return str(about).strip()
    guid = _children(item, "guid")
    if guid and guid[0].get("isPermaLink", "true") != "false":
        return (guid[0].text or "").strip() or None
    return None


def parse_sitemap(body: bytes, base_url: str) -> Sitemap:
    """A sitemap (urlset, with Google News dates) or a sitemap index."""
    root = _root(body)
    kind = _local(root.tag)
    if kind not in {"urlset", "sitemapindex"}:
        raise FeedError(f"not a sitemap (root element <{kind}>)")
    child = "url" if kind == "urlset" else "sitemap"
    entries, unusable = [], 0
    for element in _children(root, child):
        loc = _text(element, "loc")
        if not loc:
            continue
        url = absolute_url(base_url, loc)
        if url is None:
            unusable += 1
            continue
        news = _children(element, "news")
        published = parse_date(_text(news[0], "publication_date")) if news else None
        title = _text(news[0], "title") if news else None
        lastmod = parse_date(_text(element, "lastmod"))
        entries.append(Entry(url=url, published=published or lastmod, title=title))
    return Sitemap(kind=kind, entries=entries, unusable=unusable)


SITEMAP_LINE: Final = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def sitemaps_from_robots(text: str, base_url: str) -> list[str]:
    found = (absolute_url(base_url, m.group(1)) for m in SITEMAP_LINE.finditer(text))
    return [url for url in found if url is not None]


FEED_LINK: Final = re.compile(
    rb"<link[^>]+type=[\"']application/(?:rss|atom|rdf)\+xml[\"'][^>]*>", re.IGNORECASE
)
HREF: Final = re.compile(rb"href=[\"']([^\"']+)[\"']", re.IGNORECASE)


def discover_feeds(html: bytes, base_url: str) -> list[str]:
    """Feed addresses an HTML page advertises with <link rel="alternate" type="...+xml">."""
    found = []
    for tag in FEED_LINK.findall(html[:200_000]):
        href = HREF.search(tag)
        if href:
            url = absolute_url(base_url, href.group(1).decode("utf-8", "replace").strip())
            if url is not None:
                found.append(url)
    return found
