"""Page metadata from markup: JSON-LD, meta tags, canonical links, titles and authors.

Structured data is preferred over trafilatura's heuristics because publishers write it for
search engines and keep it right; trafilatura's values are the fallback.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Final
from urllib.parse import urlsplit

from lxml import html as lxml_html

from newscrawl.extraction.dates import normalize_date

logger = logging.getLogger(__name__)

ARTICLE_TYPES: Final = frozenset(
    {
        "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
        "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "scholarlyarticle",
        "techarticle", "liveblogposting", "socialmediaposting", "posting", "report",
        "satiricalarticle", "askpublicnewsarticle", "review",
    }
)  # fmt: skip
LISTING_TYPES: Final = frozenset(
    {"collectionpage", "itemlist", "searchresultspage", "profilepage", "sitenavigationelement"}
)
_PUBLISHED_META: Final = (
    "article:published_time", "og:article:published_time", "datepublished", "pubdate",
    "publishdate", "publish-date", "publish_date", "article.published", "parsely-pub-date",
    "sailthru.date", "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.date",
    "date", "article_date_original", "og:published_time", "cxenseparse:recs:publishtime",
    "original-publish-date", "datecreated", "article:published", "og:article:published",
    "date_published", "publication_date", "publication-date", "pubdate_time", "pdate",
    "dc.date.created", "dcterms.created", "release_date",
)  # fmt: skip
_MODIFIED_META: Final = (
    "article:modified_time", "og:updated_time", "og:article:modified_time", "datemodified",
    "last-modified", "lastmod", "dcterms.modified", "dc.date.modified", "article.updated",
    "updated_time", "article:modified", "date_modified", "lastmodified", "dc.date.updated",
)  # fmt: skip
_TITLE_SEPARATORS: Final = re.compile(r"\s+(?:[|\-–—·•:»/~]|::)\s+")
_BYLINE: Final = re.compile(r"^\s*(?:by|von|par|por|di|door|av|af)\s*[:\s]\s*", re.IGNORECASE)
# A comma-separated part that names a role or a desk, not a person ("TOM KRISHER, AP Auto
# Writer").
_AUTHOR_ROLE: Final = re.compile(
    r"\b(?:writer|editor|correspondent|reporter|contributor|columnist|staff|desk|bureau|"
    r"photographer|producer|analyst|journalist|redakteur|redaktion|rédaction|redacción)\b",
    re.IGNORECASE,
)
_AUTHOR_NOISE: Final = re.compile(
    r"\b(?:staff writer|staff reporter|correspondent|reporter|editor|contributor|"
    r"updated|published|posted|follow)\b.*$",
    re.IGNORECASE,
)


@dataclass(slots=True)
class PageMeta:
    """Everything we read from the page head and structured data."""

    jsonld: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    canonical: str | None = None
    html_lang: str | None = None
    h1s: list[str] = field(default_factory=list)  # the visible headlines, in page order
    html_title: str | None = None
    tags: list[str] = field(default_factory=list)  # every article:tag, in order


def read_page_meta(tree: lxml_html.HtmlElement) -> PageMeta:
    page = PageMeta()
    for script in tree.iterfind(".//script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        page.jsonld.extend(_parse_jsonld(script.text or ""))
    for element in tree.iterfind(".//meta"):
        key = element.get("property") or element.get("name") or element.get("itemprop")
        content = element.get("content")
        if key and content and content.strip():
            key = key.strip().lower()
            page.meta.setdefault(key, content.strip())
            if key == "article:tag":
                page.tags.append(content.strip())
    for element in tree.iterfind(".//meta[@http-equiv]"):
        content = element.get("content")
        if content and element.get("http-equiv", "").lower() == "last-modified":
            page.meta.setdefault("last-modified", content.strip())
    for link in tree.iterfind(".//link[@rel]"):
        if "canonical" in link.get("rel", "").lower().split() and link.get("href"):
            page.canonical = link.get("href", "").strip() or None
            break
    if page.canonical is None:
        page.canonical = page.meta.get("og:url")
    page.html_title = tree.findtext(".//title")
    for h1 in tree.iterfind(".//body//h1"):
        text = " ".join(h1.text_content().split())
        if text:
            page.h1s.append(text)
    lang = tree.get("lang") or tree.get("xml:lang") or page.meta.get("og:locale")
    page.html_lang = lang.strip() if lang else None
    return page


def _parse_jsonld(raw: str) -> list[dict[str, Any]]:
    text = raw.strip()
    if text.startswith("<!--"):
        text = text.strip("<!->\n\t ")
    try:
        data = json.loads(text, strict=False)
    except ValueError:
        # Trailing commas and stray control characters are the usual breakage.
        try:
            data = json.loads(re.sub(r",\s*([}\]])", r"\1", text), strict=False)
        except ValueError:
            logger.debug("unreadable JSON-LD block skipped")
            return []
    return list(_walk(data))


def _walk(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _walk(item)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if graph is not None:
            yield from _walk(graph)
        main = data.get("mainEntity")
        if isinstance(main, dict | list):
            yield from _walk(main)


def ld_types(obj: dict[str, Any]) -> set[str]:
    raw = obj.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {v.lower().rsplit("/", 1)[-1] for v in values if isinstance(v, str)}


def article_ld(page: PageMeta) -> dict[str, Any] | None:
    """The page's own article object in JSON-LD, if it declares one."""
    for obj in page.jsonld:
        if ld_types(obj) & ARTICLE_TYPES:
            return obj
    return None


def _ld_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        return _ld_text(value.get("name") or value.get("@value"))
    if isinstance(value, list):
        for item in value:
            text = _ld_text(item)
            if text:
                return text
    return None


def ld_names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        text = _ld_text(item)
        if text:
            names.append(text)
    return names


def published_date(page: PageMeta, tree: lxml_html.HtmlElement) -> str | None:
    return _first_date(page, tree, "datePublished", _PUBLISHED_META, pubdate=True)


def modified_date(page: PageMeta, tree: lxml_html.HtmlElement) -> str | None:
    return _first_date(page, tree, "dateModified", _MODIFIED_META, pubdate=False)


def _first_date(
    page: PageMeta,
    tree: lxml_html.HtmlElement,
    ld_key: str,
    meta_keys: tuple[str, ...],
    *,
    pubdate: bool,
) -> str | None:
    ld = article_ld(page)
    # Lazily: the tree is searched only when the head has no date.
    candidates: Iterable[str | None] = chain(
        [_ld_text(ld.get(ld_key))] if ld is not None else [],
        (page.meta.get(key) for key in meta_keys),
        _itemprop_dates(tree, ld_key),
        _time_elements(tree) if pubdate else [],
    )
    for value in candidates:
        normalized = normalize_date(value)
        if normalized:
            return normalized
    return None


def _itemprop_dates(tree: lxml_html.HtmlElement, prop: str) -> Iterator[str | None]:
    for element in tree.xpath(f'//*[@itemprop="{prop}"]'):
        yield element.get("datetime") or element.get("content") or element.text_content()


def _time_elements(tree: lxml_html.HtmlElement) -> Iterator[str | None]:
    # <time pubdate> and times inside the article beat the first <time> of the page, which
    # is often a clock in the header or the date of a teaser.
    preferred = tree.xpath("//time[@pubdate][@datetime] | //article//time[@datetime]")
    rest = tree.xpath("//time[@datetime]")
    for element in [*preferred, *rest]:
        yield element.get("datetime")


def clean_title(title: str | None, sitename: str | None) -> str | None:
    """The headline without the site name glued to it (" | The Gazette", "BBC News - ")."""
    if not title:
        return None
    # og:title is sometimes escaped twice ("&#8216;The Medium&#8217;").
    title = " ".join(html.unescape(title).split())
    site = _norm(sitename) if sitename else ""
    # "Forbes.com: Headline": a colon glued to the site name separates it too.
    label, colon, rest = title.partition(": ")
    if site and colon and rest and _is_site_part(label, site):
        title = rest
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    if site:
        kept = [p for p in parts if not _is_site_part(p, site)]
        if kept and len(kept) < len(parts):
            return _join_like(title, kept)
    # No known site name: drop a short last (or first) segment when the rest is a headline.
    last, first = parts[-1], parts[0]
    rest_last = " ".join(parts[:-1])
    if len(last.split()) <= 4 and len(rest_last.split()) >= 3:
        return _join_like(title, parts[:-1])
    if len(first.split()) <= 3 and len(" ".join(parts[1:]).split()) >= 4 and first.istitle():
        return _join_like(title, parts[1:])
    return title


def _norm(text: str) -> str:
    return re.sub(r"[^\w]+", "", text.lower().removeprefix("www."))


def _is_site_part(part: str, site: str) -> bool:
    candidate = _norm(part)
    if not candidate:
        return False
    return candidate == site or (len(candidate) >= 3 and (candidate in site or site in candidate))


def _join_like(original: str, kept: list[str]) -> str:
    # Rejoin with the separator the title used so "Q&A - part 2" style headlines survive.
    match = _TITLE_SEPARATORS.search(original)
    separator = match.group(0) if match else " - "
    return separator.join(kept).strip()


def clean_author(author: str | None, sitename: str | None) -> str | None:
    """Author names without "By", job titles or the site name; ``; `` between names."""
    if not author:
        return None
    names: list[str] = []
    site = _norm(sitename) if sitename else ""
    author = html.unescape(author)
    parts = re.split(r"\s*(?:;|\||,\s*and\s+|\s+and\s+|\s+&\s+|\s+und\s+|\s+et\s+)\s*", author)
    # "Name, Role" keeps the name; "Name One, Name Two" keeps both.
    parts = [
        piece
        for part in parts
        for index, piece in enumerate(part.split(","))
        if index == 0 or not _AUTHOR_ROLE.search(piece)
    ]
    for raw in parts:
        name = _BYLINE.sub("", raw)
        name = _AUTHOR_NOISE.sub("", name).strip(" ,-–—:|")
        name = " ".join(name.split())
        if not name or name.startswith(("http://", "https://", "@")):
            continue
        if site and _is_site_part(name, site):
            continue
        if len(name.split()) > 6 or not re.search(r"[^\W\d_]", name):
            continue
        if name.isupper():
            # Shouted bylines ("TOM KRISHER") read better, and dedupe better, in title case.
            name = name.title()
        if name.lower() not in (n.lower() for n in names):
            names.append(name)
    return "; ".join(names) or None


def structured_title(page: PageMeta) -> str | None:
    ld = article_ld(page)
    if ld is not None:
        headline = _ld_text(ld.get("headline") or ld.get("name"))
        if headline:
            return headline
    return page.meta.get("og:title") or page.meta.get("twitter:title")


def structured_sitename(page: PageMeta) -> str | None:
    site = page.meta.get("og:site_name") or page.meta.get("application-name")
    if site:
        site = html.unescape(site).strip()
        if site.startswith(("http://", "https://")):
            # An address where a name belongs: its host is the best name there is.
            try:
                site = urlsplit(site).netloc.removeprefix("www.") or site
            except ValueError:
                logger.debug("malformed og:site_name %r", site)
        return site
    ld = article_ld(page)
    if ld is not None:
        return _ld_text(ld.get("publisher"))
    return None


def article_body(page: PageMeta) -> str | None:
    ld = article_ld(page)
    if ld is None:
        return None
    body = ld.get("articleBody")
    return body.strip() if isinstance(body, str) and body.strip() else None


def normalize_language(value: str | None) -> str | None:
    if not value:
        return None
    match = re.match(r"^\s*([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]+)?\s*$", value)
    return match.group(1).lower() if match else None
