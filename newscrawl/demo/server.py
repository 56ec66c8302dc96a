"""A small loopback web server for the bundled demo news sites and for tests.

It serves a directory of static files on 127.0.0.1 the way a plain news site's web server
would, with a few conveniences for crawling offline:

* ``{{BASE}}`` in text files (HTML, XML, feeds, robots.txt) becomes ``http://127.0.0.1:PORT``,
  so feeds, sitemaps and canonical links carry absolute URLs for whatever port was chosen;
* ``/x.xml.gz`` is gzipped on the fly when only ``x.xml`` exists on disk;
* ``routes`` maps extra paths to callables, for pages that tests want to misbehave
  (a 500, a redirect, a binary body, a huge page) without any file;
* every request is counted per path in :attr:`SiteServer.hits`;
* with ``validators=("etag", "last-modified")`` files carry an ETag and a Last-Modified
  header and conditional requests (If-None-Match, If-Modified-Since) get ``304 Not
  Modified``, counted in :attr:`SiteServer.not_modified`.

The demo outlets live in ``newscrawl/demo/site/<name>/``; their ground truth is
``newscrawl/demo/site/manifest.json``. Standard library only.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import http.server
import json
import logging
import mimetypes
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from email.message import Message
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from typing import Final, Literal
from urllib.parse import unquote, urlsplit

logger = logging.getLogger(__name__)

Route = Callable[[], tuple[int, dict[str, str], bytes]]
"""A callable answering one path: ``() -> (status, headers, body)``, called per request."""
Validator = Literal["etag", "last-modified"]

DEMO_ROOT: Final = Path(__file__).resolve().parent / "site"
MANIFEST_PATH: Final = DEMO_ROOT / "manifest.json"
DEMO_SITES: Final = ("gazette", "courier")
BASE_PLACEHOLDER: Final = b"{{BASE}}"
DATED_PATH: Final = r"/20\d\d[/-]"  # article links of both outlets carry the year
# The demo's fixed port (gazette; the courier gets the next one). Article addresses include
# the port, so a fixed one is what makes a second `newscrawl demo` find the articles it
# stored the first time instead of storing them again under new addresses.
DEMO_PORT: Final = 8470

# How the demo crawls each outlet: (source kind, entry path). Both kinds get exercised.
DEMO_SOURCES: Final[Mapping[str, tuple[str, str]]] = {
    "gazette": ("feed", "/feed.xml"),
    "courier": ("sitemap", "/sitemap.xml"),
}

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


class HitCounter:
    """Thread-safe count of requests per path (the path without its query string)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def record(self, path: str) -> None:
        with self._lock:
            self._counts[path] += 1

    def __getitem__(self, path: str) -> int:
        with self._lock:
            return self._counts[path]

    def get(self, path: str) -> int:
        return self[path]

    def __contains__(self, path: object) -> bool:
        with self._lock:
            return path in self._counts

    def __len__(self) -> int:
        """How many distinct paths were requested."""
        with self._lock:
            return len(self._counts)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def snapshot(self) -> dict[str, int]:
        """A copy of the counts, safe to keep while the server goes on counting."""
        with self._lock:
            return dict(self._counts)

    def matching(self, predicate: Callable[[str], bool]) -> dict[str, int]:
        """The counts of the paths for which ``predicate(path)`` is true."""
        return {path: n for path, n in self.snapshot().items() if predicate(path)}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def __repr__(self) -> str:
        return f"HitCounter({self.snapshot()!r})"


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
        site = self.server.site
        path = request_path(self.path)
        site.hits.record(path)
        route = site.routes.get(path)
        if route is None:
            status, headers, body = site.resolve(path)
            if status == 200 and site.unchanged_for(self.headers, headers):
                site.not_modified.record(path)
                status, body = 304, b""
        else:
            try:
                status, headers, body = route()
            except Exception:
                logger.warning("Route %s failed; answering 500", path, exc_info=True)
                status, headers, body = 500, {"Content-Type": "text/plain"}, b"route failed"
            headers = {k: site.substitute(v) for k, v in headers.items()}
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
            assert site.hits["/feed.xml"] == 1

    :param root: the directory to serve; ``/`` and ``/dir/`` answer with ``index.html``.
    :param routes: extra ``path -> Route`` answers, checked before files; :attr:`routes` can
        also be changed while the server runs. ``{{BASE}}`` in route header values (a
        redirect's ``Location``) is replaced like in files.
    """

    def __init__(
        self,
        root: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        routes: dict[str, Route] | None = None,
        validators: tuple[Validator, ...] = (),
    ) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise ValueError(f"Not a directory: {self.root}")
        self.host = host
        self.port = port
        self.routes: dict[str, Route] = dict(routes or {})
        self.hits = HitCounter()
        self.validators = validators
        self.not_modified = HitCounter()
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

    def add_route(self, path: str, route: Route) -> None:
        self.routes[path] = route

    # -- files -----------------------------------------------------------------------------
    def file_for(self, path: str) -> Path | None:
        """The file under root that answers URL ``path``, or None (missing or outside root)."""
        decoded = unquote(path)
        if "\x00" in decoded or "\\" in decoded:
            return None
        parts = [p for p in decoded.split("/") if p not in ("", ".")]
        if ".." in parts:
            return None
        candidate = self.root.joinpath(*parts).resolve() if parts else self.root
        if not candidate.is_relative_to(self.root):
            return None
        if candidate.is_dir():
            if not decoded.endswith("/"):
                return None  # see resolve(): redirected to the slash form
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None

    def resolve(self, path: str) -> tuple[int, dict[str, str], bytes]:
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
        headers = {"Content-Type": content_type_for(file, body)}
        if "etag" in self.validators:
            headers["ETag"] = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if "last-modified" in self.validators:
            headers["Last-Modified"] = formatdate(int(file.stat().st_mtime), usegmt=True)
        return 200, headers, body

    def unchanged_for(self, request: Message[str, str], answer: Mapping[str, str]) -> bool:
        """Whether a conditional request's validators match the answer's (RFC 9110 13.2.2)."""
        etag = answer.get("ETag")
        if_none_match = request.get("If-None-Match")
        if etag and if_none_match:
            return etag in {tag.strip() for tag in if_none_match.split(",")}
        modified, since = answer.get("Last-Modified"), request.get("If-Modified-Since")
        if not modified or not since:
            return False
        try:
            return parsedate_to_datetime(modified) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False

    def _is_dir(self, path: str) -> bool:
        parts = [p for p in unquote(path).split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            return False
        candidate = self.root.joinpath(*parts).resolve()
        return candidate.is_relative_to(self.root) and candidate.is_dir()

    def _read(self, file: Path) -> bytes:
        body = file.read_bytes()
        if file.suffix.lower() in TEXT_SUFFIXES and BASE_PLACEHOLDER in body:
            body = body.replace(BASE_PLACEHOLDER, self.base_url.encode())
        return body

    def __repr__(self) -> str:
        where = self.base_url if self.running else "stopped"
        return f"SiteServer({str(self.root)!r}, {where})"


# -- route helpers ---------------------------------------------------------------------------
def static_route(
    body: bytes | str,
    *,
    status: int = 200,
    content_type: str = "text/html; charset=utf-8",
    headers: Mapping[str, str] | None = None,
) -> Route:
    """A route that always answers the same thing (a ``str`` body is sent as UTF-8)."""
    data = body.encode() if isinstance(body, str) else body
    all_headers = {"Content-Type": content_type, **(headers or {})}

    def route() -> tuple[int, dict[str, str], bytes]:
        return status, dict(all_headers), data

    return route


def redirect_route(location: str, *, status: int = 301) -> Route:
    """A redirect; ``location`` may start with ``{{BASE}}`` or be a path."""
    return static_route(b"", status=status, headers={"Location": location})


# -- the demo outlets ------------------------------------------------------------------------
def load_manifest(path: Path = MANIFEST_PATH) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return data


class PortInUseError(RuntimeError):
    """A demo outlet's port cannot be bound; the message says which and what to do."""


def serve_demo(
    root: Path = DEMO_ROOT,
    sites: tuple[str, ...] = DEMO_SITES,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
) -> dict[str, SiteServer]:
    """Start one server per outlet and return them by name; the caller stops them.

    ``port=0`` gives each an ephemeral port. With a fixed ``port`` each outlet gets
    ``port`` plus its place in :data:`DEMO_SITES`, so an outlet served alone has the same
    address as when served with the others; a port already taken raises
    :class:`PortInUseError`.
    """
    servers: dict[str, SiteServer] = {}
    try:
        for index, name in enumerate(sites):
            offset = DEMO_SITES.index(name) if name in DEMO_SITES else index
            site_port = port + offset if port else 0
            try:
                servers[name] = SiteServer(root / name, host=host, port=site_port).start()
            except OSError as exc:
                raise PortInUseError(
                    f"cannot serve the demo outlet {name} on {host}:{site_port}: "
                    f"{exc.strerror or exc}. Is another `newscrawl demo --serve` running? "
                    "Choose other ports with --port N (the articles then get new addresses)."
                ) from exc
    except BaseException:
        stop_all(servers)
        raise
    return servers


def stop_all(servers: Mapping[str, SiteServer]) -> None:
    for server in servers.values():
        server.stop()


@contextmanager
def demo_servers(
    root: Path = DEMO_ROOT, sites: tuple[str, ...] = DEMO_SITES, *, port: int = 0
) -> Iterator[dict[str, SiteServer]]:
    """``with demo_servers() as servers:`` the demo outlets, stopped on exit."""
    servers = serve_demo(root, sites, port=port)
    try:
        yield servers
    finally:
        stop_all(servers)


@contextmanager
def stop_signals() -> Iterator[threading.Event]:
    """An event set by Ctrl-C or SIGTERM while the block runs, whatever handlers were before.

    Scrapy's shutdown handlers outlive its crawl and only ask the (stopped) reactor to stop,
    so after a crawl Ctrl-C would be swallowed; these handlers replace them. Install them
    before saying "serving", so a signal sent on reading that line is never missed.
    """
    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def wait_until(stop: threading.Event) -> None:
    # Short waits: signal handlers run in the main thread between them.
    while not stop.wait(1.0):
        pass


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string without control characters is a TOML basic string


def demo_sources_toml(servers: Mapping[str, SiteServer]) -> str:
    """A sources file (TOML) for running servers: gazette by feed, courier by sitemap.

    An outlet not in :data:`DEMO_SOURCES` is crawled as a ``site`` from its home page.
    """
    blocks = ["# Demo sources, generated for servers on 127.0.0.1; valid while they run.\n"]
    for name, server in servers.items():
        kind, entry = DEMO_SOURCES.get(name, ("site", "/"))
        lines = [
            "[[source]]",
            f"name = {_toml_string(name)}",
            f"kind = {_toml_string(kind)}",
            f"homepage = {_toml_string(server.url('/'))}",
            f"urls = [{_toml_string(server.url(entry))}]",
            "since_days = 0  # the demo news is from May 2024: keep every entry",
        ]
        if kind == "site":
            lines += ["max_pages = 200", f"allow = [{_toml_string(DATED_PATH)}]"]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newscrawl.demo.server",
        description="Serve the bundled demo news sites on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("site", nargs="?", choices=DEMO_SITES, help="one outlet (default: all)")
    parser.add_argument(
        "--port",
        type=int,
        default=DEMO_PORT,
        help="port of the gazette, the courier gets the next one (default: %(default)s, the "
        "addresses `newscrawl demo` stores; 0: any free ports)",
    )
    parser.add_argument(
        "--sources",
        action="store_true",
        help="print a sources.toml for the servers on stdout (the server lines go to stderr)",
    )
    args = parser.parse_args(argv)
    sites = (args.site,) if args.site else DEMO_SITES
    with stop_signals() as stop:
        try:
            servers = serve_demo(sites=sites, port=args.port)
        except PortInUseError as exc:
            parser.exit(1, f"error: {exc}\n")
        try:
            for name, server in servers.items():
                print(f"{name}: {server.base_url}/", file=sys.stderr, flush=True)  # noqa: T201
            if args.sources:
                print(demo_sources_toml(servers), end="", flush=True)  # noqa: T201
            wait_until(stop)
        finally:
            stop_all(servers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
