"""A site of real news pages on 127.0.0.1, for ``python -m bench.crawl scale``.

The pages are a benchmark folder's ``html/<id>.html.gz`` (the ScrapingHub set: 181 pages of
real outlets). Page ``n`` of the site is source page ``n % len(sources)`` with one line of its
own put before the first paragraph, so no two pages are identical and a site can have more
pages than the set (a 20,000-page site repeats each page about 110 times). Nothing is written
to disk: a threaded HTTP/1.1 server builds each page from the sources in memory, so the
bench's own memory does not grow with the site. ``/robots.txt`` names a sitemap index whose
child sitemaps list the pages.
"""

from __future__ import annotations

import gzip
import re
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.crawl.site import sitemaps

PER_SITEMAP = 1_000
_FIRST_PARAGRAPH = re.compile(rb"<p[\s>]", re.IGNORECASE)
_BODY = re.compile(rb"<body[^>]*>", re.IGNORECASE)


def load_sources(dataset: Path) -> list[bytes]:
    """The pages of a benchmark folder, as fetched (bytes), in file-name order."""
    files = sorted((dataset / "html").glob("*.html.gz"))
    if not files:
        raise ValueError(f"no html/*.html.gz pages in {dataset}")
    return [gzip.decompress(f.read_bytes()) for f in files]


def unique_line(n: int) -> bytes:
    return f"<p>Bench page {n}: this line makes the page unlike every other.</p>\n".encode()


def page(sources: list[bytes], n: int) -> bytes:
    """Page ``n``: a source page with its own line before the first paragraph."""
    html = sources[n % len(sources)]
    if paragraph := _FIRST_PARAGRAPH.search(html):
        at = paragraph.start()
    else:
        body = _BODY.search(html)
        at = body.end() if body else 0
    return html[:at] + unique_line(n) + html[at:]


def page_path(n: int) -> str:
    return f"/news/{n}.html"


class RealSite:
    """Serve ``pages`` pages made from ``sources`` on an ephemeral port of 127.0.0.1.

    ``hits`` counts requests per path (for the check that each page was fetched once).
    """

    def __init__(self, sources: list[bytes], pages: int) -> None:
        self.sources = sources
        self.pages = pages
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.site = self  # type: ignore[attr-defined]
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        entries = [(self.base_url + page_path(n), "2024-05-01") for n in range(pages)]
        files = sitemaps(entries, "/sitemap.xml", "sitemap-news", PER_SITEMAP)
        self.files = {p: t.replace("{{BASE}}", self.base_url).encode() for p, t in files.items()}
        self.files["/robots.txt"] = (
            f"User-agent: *\nSitemap: {self.base_url}/sitemap.xml\n".encode()
        )
        self.files["/about.html"] = b"<html><body><h1>About</h1><p>A bench site.</p></body></html>"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> RealSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def body(self, path: str) -> bytes | None:
        with self._lock:
            self.hits[path] += 1
        if path in self.files:
            return self.files[path]
        match = re.fullmatch(r"/news/(\d+)\.html", path)
        if match and int(match[1]) < self.pages:
            return page(self.sources, int(match[1]))
        return None

    def page_hits(self) -> Counter[str]:
        with self._lock:
            return Counter({p: n for p, n in self.hits.items() if p.startswith("/news/")})


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)
        # a crawler closing its idle keep-alive connections at the end is no error


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Scrapy's connection pool expects

    def do_GET(self) -> None:
        site: RealSite = self.server.site  # type: ignore[attr-defined]
        body = site.body(self.path.split("?", 1)[0])
        if body is None:
            self.send_error(404)
            return
        kind = "text/plain" if self.path.endswith(".txt") else "text/html"
        if self.path.endswith(".xml"):
            kind = "application/xml"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would swamp the bench's output
