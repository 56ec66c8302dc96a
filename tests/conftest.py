"""Shared fixtures: the sample news sites served on 127.0.0.1 and a fresh database path."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings
from pg_server import fresh_database, postgres_server, postgres_url
from sites import SiteServer

from newscrawl.demo.outlets import load_manifest, serve_demo, stop_all

__all__ = ["postgres_server", "postgres_url"]  # fixtures, used by name
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
    servers = serve_demo(server=SiteServer)
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


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store's URL, once per backend: the store tests run on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'news.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(scope="module", params=BACKENDS)
def module_store_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Like ``store_url``, shared by a module's tests (for stores they only read)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'news.db'}"
        return
    with fresh_database(request.getfixturevalue("postgres_server")) as url:
        yield url
