"""URL rules: the identity of an article's address, and which links are worth following.

Pure functions, no Scrapy. The rules are documented one by one in docs/urls.md.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from courlan import extract_domain

# Query parameters that track the reader, not select the content.
TRACKING_PARAMS: Final = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
        "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "ocid", "cmpid", "cmp", "ito",
        "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "__twitter_impression",
        "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4",
        "smid", "smtyp", "sr_share", "share", "ref", "ref_src", "ref_url", "taid", "ftag",
        "guccounter", "guce_referrer", "guce_referrer_sig", "soc_src", "soc_trk", "rss", "feed",
        "outputtype", "amp", "output",
    }
)  # fmt: skip
TRACKING_PREFIXES: Final = ("utm_", "pk_", "piwik_", "mtm_", "hsa_", "vero_", "oly_", "at_")
DEFAULT_PORTS: Final = {"http": 80, "https": 443}
INDEX_FILES: Final = re.compile(r"/(index|default)\.(html?|php|aspx?|shtml)$", re.IGNORECASE)


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def normalize_url(url: str) -> str:
    """The normal form of an address: what two links to the same page have in common."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "http"
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port if parts.port and parts.port != DEFAULT_PORTS.get(scheme) else None
    netloc = f"{host}:{port}" if port else host
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    path = INDEX_FILES.sub("/", path)
    if len(path) > 1:
        path = path.rstrip("/")
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
               if not is_tracking_param(k))
    )  # fmt: skip
    return urlunsplit((scheme, netloc, path, query, ""))


@lru_cache(maxsize=4096)
def site_of(url: str) -> str:
    """The registrable domain (``bbc.co.uk``), or the bare host for IPs and local names."""
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return ""
    if re.fullmatch(r"[\d.]+|\[?[0-9a-f:]+\]?", host) or "." not in host:
        return host
    return extract_domain(url) or host


def same_site(url: str, other: str) -> bool:
    return bool(site_of(url)) and site_of(url) == site_of(other)


def identity_url(page_url: str, declared: str | None = None) -> str:
    """The article's identity: its declared canonical when that is on the same site.

    A canonical pointing to another site (syndication partners, aggregators) is not trusted
    as identity: the copy stays its own row and content dedupe links it to the original.
    """
    if declared:
        absolute = urljoin(page_url, declared.strip())
        if absolute.startswith(("http://", "https://")) and same_site(absolute, page_url):
            return normalize_url(absolute)
    return normalize_url(page_url)
