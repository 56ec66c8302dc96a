"""URL rules: the identity of an article's address, and which links are worth following.

Pure functions, no Scrapy. The rules are documented one by one in docs/urls.md; each rule
has its own test in tests/test_urls.py.
"""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache
from typing import Final
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

from courlan import extract_domain

# Query parameters that track the reader (campaign, referrer, click ids), never select the
# content. Each entry is named by the system that adds it in docs/urls.md. Names that some
# sites use to select content (``feed``, ``rss``, ``output``, ``page``, ``id``, ``src``) are
# deliberately absent: dropping them would turn a feed URL into its home page.
TRACKING_PARAMS: Final = frozenset(
    {
        # advertising click ids
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "ttclid", "li_fat_id", "igshid", "srsltid",
        # Google Analytics cross-domain linker
        "_ga", "_gl",
        # Facebook share plumbing
        "fb_action_ids", "fb_action_types", "fb_source", "fb_ref", "action_object_map",
        "action_type_map", "action_ref_map",
        # mail and marketing automation (Mailchimp, HubSpot, Marketo, Vero)
        "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok",
        # publishers' own campaign and referrer tags
        "ocid", "cmpid", "cmp", "ito", "icid", "xtor", "smid", "smtyp", "sr_share", "taid",
        "ftag", "soc_src", "soc_trk", "ref", "ref_src", "ref_url", "share", "__twitter_impression",
        "obOrigUrl",
        # comScore
        "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee",
        # Yahoo consent redirect
        "guccounter", "guce_referrer", "guce_referrer_sig",
    }
)  # fmt: skip
TRACKING_PARAMS_LOWER: Final = frozenset(name.lower() for name in TRACKING_PARAMS)
# Prefixes of whole tracking families: Google/Matomo/Piwik/HubSpot/Vero/Omeda/AT Internet.
TRACKING_PREFIXES: Final = ("utm_", "pk_", "piwik_", "mtm_", "hsa_", "vero_", "oly_", "at_")
# Parameters that only ask for the AMP rendering of the same article, recognised by value so
# that ``output=xml`` or ``amp=story-2`` (which may select content) are kept.
AMP_PARAM_VALUES: Final = {
    "amp": frozenset({"", "1", "true", "yes"}),
    "outputtype": frozenset({"amp"}),
    "output": frozenset({"amp"}),
}
DEFAULT_PORTS: Final = {"http": 80, "https": 443}
# One or more trailing index files: "/index.html/index.html" names the same page twice over.
INDEX_FILES: Final = re.compile(r"(/(index|default)\.(html?|php|aspx?|shtml))+/*$", re.IGNORECASE)
# Google's AMP cache serves publisher pages under /c/<host>/<path> (https when /s/ follows).
AMP_CACHE: Final = re.compile(r"^/[cv]/(?:(s)/)?([^/]+)(/.*)?$")
# Characters kept as they are in a path; everything else is percent-encoded (RFC 3986).
ENCODED_SLASH: Final = re.compile("%2F", re.IGNORECASE)
PATH_SAFE: Final = "/:@!$&'()*+,;=-._~"
QUERY_SAFE: Final = "/:@!$'()*,;-._~?"


def is_tracking_param(name: str, value: str | None = None) -> bool:
    """Whether a query parameter tracks the reader (or asks for AMP) rather than the content."""
    lowered = name.lower()
    if lowered in TRACKING_PARAMS_LOWER or lowered.startswith(TRACKING_PREFIXES):
        return True
    amp_values = AMP_PARAM_VALUES.get(lowered)
    return amp_values is not None and value is not None and value.lower() in amp_values


def _host(hostname: str) -> str:
    host = hostname.lower().rstrip(".")
    try:
        # Internationalised names have one ASCII spelling; links use either.
        return host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return host


def _netloc(scheme: str, hostname: str | None, port: int | None, user: str | None = None) -> str:
    host = _host(hostname or "")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port and port != DEFAULT_PORTS.get(scheme) else host
    return f"{user}@{netloc}" if user else netloc


def _port(url: str) -> int | None:
    try:
        return urlsplit(url).port
    except ValueError:  # a port out of range or not a number: treat as absent
        return None


def _normal_path(path: str) -> str:
    # Decode then re-encode, so %7E and ~, %c3%a9 and é all end up spelt one way; %2F stays
    # encoded because a decoded slash would change the path's structure.
    segments = [quote(unquote(segment), safe=PATH_SAFE) for segment in ENCODED_SLASH.split(path)]
    path = "%2F".join(segments)
    # A path is absolute in an address; a relative one ("host/../x" with no scheme) would
    # let dot segments climb above the root and normalise differently a second time.
    path = re.sub(r"/{2,}", "/", path if path.startswith("/") else "/" + path)
    if "/." in path:
        trailing = path.endswith("/")
        path = posixpath.normpath(path)
        path = "/" if path in {".", "//"} else path
        if trailing and not path.endswith("/"):
            path += "/"
    path = INDEX_FILES.sub("/", path)
    return path.rstrip("/") or "/"


def _unwrap_amp_cache(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host.endswith(".cdn.ampproject.org"):
        return url
    # Duplicate slashes are collapsed later; collapse them here too, so that the link is
    # unwrapped on the first pass, not the second.
    match = AMP_CACHE.match(re.sub(r"/{2,}", "/", parts.path))
    if not match:
        return url
    scheme = "https" if match.group(1) else "http"
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{match.group(2)}{match.group(3) or '/'}{query}"


def _query(query: str, *, sort: bool) -> str:
    pairs = [
        (k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not is_tracking_param(k, v)
    ]
    return urlencode(sorted(pairs) if sort else pairs, safe=QUERY_SAFE)


# Cached: a crawled page's address is normalised by DeltaFetch before the download and again
# by the store for its aliases and its kept page, 43 us each time.
@lru_cache(maxsize=4096)
def normalize_url(url: str) -> str:
    """The normal form of an address: what two links to the same page have in common.

    Rules, in order (docs/urls.md): unwrap Google AMP-cache links; lowercase scheme and host;
    drop userinfo, the default port and the fragment; normalise percent-encoding, dot
    segments, duplicate slashes, ``index.html`` and the trailing slash; drop tracking and
    AMP parameters and sort the rest.
    """
    url = _unwrap_amp_cache(url.strip())
    parts = urlsplit(url)
    scheme = parts.scheme.lower() or "http"
    netloc = _netloc(scheme, parts.hostname, _port(url))
    path = _normal_path(parts.path)
    return urlunsplit((scheme, netloc, path, _query(parts.query, sort=True), ""))


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
    A canonical pointing to the site's home page, from a page that is not the home page, is
    a template mistake (every article would become one) and is ignored too.
    """
    page = normalize_url(page_url)
    if declared:
        absolute = urljoin(page_url, declared.strip())
        if absolute.startswith(("http://", "https://")) and same_site(absolute, page_url):
            canonical = normalize_url(absolute)
            if urlsplit(canonical).path != "/" or urlsplit(page).path == "/":
                return canonical
    return page


def request_url(url: str) -> str:
    """The address to fetch: tracking parameters and fragment dropped, host lowercased.

    Unlike :func:`normalize_url` the path and the parameter order are kept as written, since
    ``/a`` and ``/a/`` may redirect to each other and the scheduler would then drop the
    redirect as a duplicate, and some servers read parameters in order.
    """
    url = _unwrap_amp_cache(url.strip())
    parts = urlsplit(url)
    if not parts.hostname:
        # Nothing to fetch (http:////a): rebuilt, its path would become the host next time.
        return url
    scheme = parts.scheme.lower()
    netloc = _netloc(scheme, parts.hostname, _port(url), parts.username)
    query = _query(parts.query, sort=False) if parts.query else ""
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def is_http_url(url: str) -> bool:
    """An absolute http(s) URL with a host and a valid port: something a crawl can start from."""
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
