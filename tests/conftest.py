"""Shared fixtures: the sample news sites served on 127.0.0.1 and a fresh database path."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings

from newscrawl.demo.server import SiteServer, load_manifest, serve_demo, stop_all

# the throwaway redis-server fixture, `redis_url`
pytest_plugins = ["redis_server"]

# CI runs the property tests on a fixed sequence of examples, so a run's verdict can be
# reproduced; locally each run explores new ones (and keeps failures in .hypothesis/).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="session")
def demo_sites() -> Iterator[dict[str, SiteServer]]:
    servers = serve_demo()
    yield servers
    stop_all(servers)


@pytest.fixture
def sites(demo_sites: dict[str, SiteServer]) -> dict[str, SiteServer]:
    """The demo outlets with their hit counters reset for this test."""
    for server in demo_sites.values():
        server.hits.reset()
    return demo_sites


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    return load_manifest()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "news.db"
