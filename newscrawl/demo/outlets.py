"""The bundled demo outlets: where they live, how they are served and crawled.

The outlets live in ``newscrawl/demo/site/<name>/``; their ground truth is
``newscrawl/demo/site/manifest.json``. ``newscrawl demo`` serves them with
:func:`serve_demo` and crawls them from :func:`demo_sources_toml`; ``python -m newscrawl.demo``
serves them until Ctrl-C.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from newscrawl.demo.server import SiteServer

DEMO_ROOT: Final = Path(__file__).resolve().parent / "site"
MANIFEST_PATH: Final = DEMO_ROOT / "manifest.json"
DEMO_SITES: Final = ("gazette", "courier")
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
    server: type[SiteServer] = SiteServer,
) -> dict[str, SiteServer]:
    """Start one server per outlet and return them by name; the caller stops them.

    ``port=0`` gives each an ephemeral port. With a fixed ``port`` each outlet gets
    ``port`` plus its place in :data:`DEMO_SITES`, so an outlet served alone has the same
    address as when served with the others; a port already taken raises
    :class:`PortInUseError`. ``server`` is the class to serve them with.
    """
    servers: dict[str, SiteServer] = {}
    try:
        for index, name in enumerate(sites):
            offset = DEMO_SITES.index(name) if name in DEMO_SITES else index
            site_port = port + offset if port else 0
            try:
                servers[name] = server(root / name, host=host, port=site_port).start()
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
