"""A small loopback web server for static news sites: the demo outlets, benchmark sites.

It serves a directory of files on 127.0.0.1 the way a plain news site's web server would,
with a few conveniences for crawling offline:

* ``{{BASE}}`` in text files (HTML, XML, feeds, robots.txt) becomes ``http://127.0.0.1:PORT``,
  so feeds, sitemaps and canonical links carry absolute URLs for whatever port was chosen;
* ``/x.xml.gz`` is gzipped on the fly when only ``x.xml`` exists on disk;
* HTML pages are put together from the shared blocks of their outlet
  (:mod:`newscrawl.demo.pages`); the blocks themselves (``_blocks/``) are not served.

Subclasses answer differently by overriding :meth:`SiteServer.answer` (the tests' server
in ``tests/sites.py`` adds routes, hit counters and conditional requests). Standard library
only.
"""

from __future__ import annotations

import gzip
import http.server
import logging
import mimetypes
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Final
from urllib.parse import unquote, urlsplit

from newscrawl.demo.pages import BLOCKS_DIR, read_page

if TYPE_CHECKING:
    from email.message import Message

logger = logging.getLogger(__name__)

Answer = tuple[int, dict[str, str], bytes]
"""What a server sends for one request: ``(status, headers, body)``."""

BASE_PLACEHOLDER: Final = b"{{BASE}}"

CONTENT_TYPES: Final[Mapping[str, str]] = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".rdf": "application/rdf+xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".css": "text/css; charset=utf-8",
    ".gz": "application/gzip",
}
# Files whose ``{{BASE}}`` placeholders are replaced when served.
TEXT_SUFFIXES: Final = frozenset(
    {".html", ".htm", ".xml", ".rss", ".atom", ".rdf", ".txt", ".json", ".css"}
)


def _xml_content_type(body: bytes) -> str:
    """RSS and Atom documents saved as ``.xml`` get their feed media type, as real sites send."""
    head = body[:1024]
    if b"<rss" in head:
        return "application/rss+xml; charset=utf-8"
    if b"<feed" in head:
        return "application/atom+xml; charset=utf-8"
    if b"<rdf:RDF" in head:
        return "application/rdf+xml; charset=utf-8"
    return CONTENT_TYPES[".xml"]


def content_type_for(path: Path, body: bytes = b"") -> str:
    suffix = path.suffix.lower()
    if suffix == ".xml":
        return _xml_content_type(body)
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def request_path(target: str) -> str:
    """The path of a request target, without query or fragment (``//x`` stays a path)."""
    if target.startswith(("http://", "https://")):
        return urlsplit(target).path or "/"
    return target.split("#", 1)[0].split("?", 1)[0] or "/"


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    site: SiteServer

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up mid-response (a crawler over its size limit) is normal here;
        # socketserver would print the traceback to stderr. Called inside its except block.
        logger.debug("Error while answering %s", client_address, exc_info=sys.exc_info())


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    server_version = "newscrawl-demo/1"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _respond(self, *, send_body: bool) -> None:
        status, headers, body = self.server.site.answer(request_path(self.path), self.headers)
        self.send_response(status)
        lowered = {k.lower() for k in headers}
        for name, value in headers.items():
            self.send_header(name, value)
        if "content-length" not in lowered:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


class SiteServer:
    """Serve ``root`` on ``host:port`` (``port=0``: an ephemeral port) from a daemon thread.

    Use as a context manager, or call :meth:`start` and :meth:`stop`::

        with SiteServer(DEMO_ROOT / "gazette") as site:
            urllib.request.urlopen(site.url("/feed.xml"))

    :param root: the directory to serve; ``/`` and ``/dir/`` answer with ``index.html``.
    """

    def __init__(
        self,
        root: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise ValueError(f"Not a directory: {self.root}")
        self.host = host
        self.port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> SiteServer:
        if self._httpd is not None:
            return self
        httpd = _Server((self.host, self.port), _Handler)
        httpd.site = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"SiteServer:{self.root.name}:{self.port}",
            daemon=True,
        )
        self._thread.start()
        logger.debug("Serving %s on %s", self.root, self.base_url)
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = self._thread = None
        logger.debug("Stopped serving %s", self.root)

    @property
    def running(self) -> bool:
        return self._httpd is not None

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, without a trailing slash (valid once started)."""
        if self._httpd is None:
            raise RuntimeError("SiteServer is not started")
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + ("" if path.startswith("/") else "/") + path

    def substitute(self, text: str) -> str:
        return text.replace(BASE_PLACEHOLDER.decode(), self.base_url)

    # -- answers ---------------------------------------------------------------------------
    def answer(self, path: str, request: Message[str, str]) -> Answer:
        """What to send for a request of ``path`` with ``request`` headers: the file's answer."""
        return self.resolve(path)

    def file_for(self, path: str) -> Path | None:
        """The file under root that answers URL ``path``, or None (missing or outside root)."""
        decoded = unquote(path)
        if "\x00" in decoded or "\\" in decoded:
            return None
        parts = [p for p in decoded.split("/") if p not in ("", ".")]
        if ".." in parts or BLOCKS_DIR in parts:
            return None
        candidate = self.root.joinpath(*parts).resolve() if parts else self.root
        if not candidate.is_relative_to(self.root):
            return None
        if candidate.is_dir():
            if not decoded.endswith("/"):
                return None  # see resolve(): redirected to the slash form
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None

    def resolve(self, path: str) -> Answer:
        """Answer a request for ``path`` from the files under root."""
        file = self.file_for(path)
        if file is None and not path.endswith("/") and self._is_dir(path):
            return 301, {"Location": self.base_url + path + "/"}, b""
        if file is None and path.endswith(".xml.gz"):
            plain = self.file_for(path.removesuffix(".gz"))
            if plain is not None:
                body = gzip.compress(self._read(plain), mtime=0)
                return 200, {"Content-Type": CONTENT_TYPES[".gz"]}, body
        if file is None:
            body = b"<!DOCTYPE html><html><head><title>404 Not Found</title></head>"
            body += b"<body><h1>Not Found</h1></body></html>"
            return 404, {"Content-Type": CONTENT_TYPES[".html"]}, body
        body = self._read(file)
        return 200, {"Content-Type": content_type_for(file, body)}, body

    def _is_dir(self, path: str) -> bool:
        parts = [p for p in unquote(path).split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            return False
        candidate = self.root.joinpath(*parts).resolve()
        return candidate.is_relative_to(self.root) and candidate.is_dir()

    def _read(self, file: Path) -> bytes:
        body = read_page(file)
        if file.suffix.lower() in TEXT_SUFFIXES and BASE_PLACEHOLDER in body:
            body = body.replace(BASE_PLACEHOLDER, self.base_url.encode())
        return body

    def __repr__(self) -> str:
        where = self.base_url if self.running else "stopped"
        return f"SiteServer({str(self.root)!r}, {where})"
