"""The tests' web server: the package's static server plus what tests need to see and steer.

On top of :class:`newscrawl.demo.server.SiteServer` (files, ``{{BASE}}``, gzip on the fly):

* ``routes`` maps extra paths to callables, for pages that tests want to misbehave
  (a 500, a redirect, a binary body, a huge page) without any file;
* every request is counted per path in :attr:`SiteServer.hits`;
* with ``validators=("etag", "last-modified")`` files carry an ETag and a Last-Modified
  header and conditional requests (If-None-Match, If-Modified-Since) get ``304 Not
  Modified``, counted in :attr:`SiteServer.not_modified`.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Mapping
from email.utils import formatdate, parsedate_to_datetime
from typing import TYPE_CHECKING, Literal

from newscrawl.demo import server as static

if TYPE_CHECKING:
    from email.message import Message
    from pathlib import Path

logger = logging.getLogger(__name__)

Route = Callable[[], static.Answer]
"""A callable answering one path: ``() -> (status, headers, body)``, called per request."""
Validator = Literal["etag", "last-modified"]
# Seconds a test waits for an event it expects: only so that a broken crawl fails the test
# instead of hanging it, never a measure of speed.
WAIT_LIMIT = 60


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


class SiteServer(static.SiteServer):
    """The static server with routes, hit counters and conditional requests.

    :param routes: extra ``path -> Route`` answers, checked before files; :attr:`routes` can
        also be changed while the server runs. ``{{BASE}}`` in route header values (a
        redirect's ``Location``) is replaced like in files.
    :param validators: the validators files carry; a conditional request that matches them
        gets ``304 Not Modified``.
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
        super().__init__(root, host=host, port=port)
        self.routes: dict[str, Route] = dict(routes or {})
        self.hits = HitCounter()
        self.validators = validators
        self.not_modified = HitCounter()

    def add_route(self, path: str, route: Route) -> None:
        self.routes[path] = route

    def answer(self, path: str, request: Message[str, str]) -> static.Answer:
        self.hits.record(path)
        route = self.routes.get(path)
        if route is not None:
            try:
                status, headers, body = route()
            except Exception:
                logger.warning("Route %s failed; answering 500", path, exc_info=True)
                status, headers, body = 500, {"Content-Type": "text/plain"}, b"route failed"
            return status, {k: self.substitute(v) for k, v in headers.items()}, body
        status, headers, body = self.resolve(path)
        file = self.file_for(path)
        if status != 200 or file is None:
            return status, headers, body
        if "etag" in self.validators:
            headers["ETag"] = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if "last-modified" in self.validators:
            headers["Last-Modified"] = formatdate(int(file.stat().st_mtime), usegmt=True)
        if self.unchanged_for(request, headers):
            self.not_modified.record(path)
            return 304, headers, b""
        return status, headers, body

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

    def route() -> static.Answer:
        return status, dict(all_headers), data

    return route


def redirect_route(location: str, *, status: int = 301) -> Route:
    """A redirect; ``location`` may start with ``{{BASE}}`` or be a path."""
    return static_route(b"", status=status, headers={"Location": location})


def fetch(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """``(status, headers, body)`` of a request, error statuses included."""
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def held_route(body: str, arrived: threading.Event, release: threading.Event) -> Route:
    """A page that signals its request arrived, then answers only once released."""
    answer_now = static_route(body)

    def answer() -> static.Answer:
        arrived.set()
        release.wait(WAIT_LIMIT)
        return answer_now()

    return answer
