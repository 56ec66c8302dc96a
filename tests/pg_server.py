"""A throwaway PostgreSQL server for the tests, and a fresh database per test.

The session starts its own server from Debian's ``postgresql`` package (``initdb`` and
``pg_ctl`` on PATH or in /usr/lib/postgresql/*/bin) in a temporary folder, on a free
127.0.0.1 port, without fsync, and removes it at the end. ``NEWSCRAWL_TEST_POSTGRES_URL``
points the tests at an existing server instead (its user must be allowed CREATE DATABASE).
Without either, PostgreSQL tests are skipped with the reason, except under ``CI``, where
they fail: CI installs the package (README, Set up) and must never skip them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from collections.abc import Iterator

URL_VARIABLE = "NEWSCRAWL_TEST_POSTGRES_URL"
SERVER_SETTINGS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
    "-c full_page_writes=off -c max_connections=200"
)


class NoServerError(RuntimeError):
    """No PostgreSQL server can be had here; the message says why."""


def find_program(name: str) -> str:
    # Debian keeps the server's programs off PATH, one folder per major version.
    packaged = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    found = shutil.which(name) or (str(packaged[0]) if packaged else None)
    if found is None:
        raise NoServerError(f"no {name} (apt-get install -y postgresql, or set {URL_VARIABLE})")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ThrowawayServer:
    """initdb + pg_ctl in a temporary folder; as the ``postgres`` user when run by root."""

    def __init__(self) -> None:
        self.initdb, self.pg_ctl = find_program("initdb"), find_program("pg_ctl")
        self.folder = Path(tempfile.mkdtemp(prefix="newscrawl-pg-"))
        self.data = self.folder / "data"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            # The server refuses to run as root.
            shutil.chown(self.folder, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()

    def run(self, *command: str) -> None:
        done = subprocess.run(
            [*self.as_user, *command], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode:
            log = self.folder / "server.log"
            detail = log.read_text(errors="replace") if log.exists() else ""
            raise NoServerError(f"{Path(command[0]).name} failed: {done.stderr.strip()} {detail}")

    def start(self) -> str:
        self.run(self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self.folder} {SERVER_SETTINGS}"
        log = str(self.folder / "server.log")
        self.run(self.pg_ctl, "-D", str(self.data), "-l", log, "-o", options, "-w", "start")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run(
                [*self.as_user, self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"],
                capture_output=True, timeout=60, check=False,
            )  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)


def unavailable(reason: str) -> None:
    message = f"PostgreSQL tests need a server: {reason}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must run them)")
    pytest.skip(message)


def execute(base_url: str, statement: str) -> None:
    """One statement outside a transaction (CREATE/DROP DATABASE need that)."""
    import psycopg

    url = make_url(base_url)
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password,
        dbname=url.database or "postgres", autocommit=True, connect_timeout=10,
    ) as conn:  # fmt: skip
        conn.execute(statement)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a server's maintenance database, with a user allowed CREATE DATABASE."""
    given = os.environ.get(URL_VARIABLE)
    if given:
        yield given
        return
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("the psycopg driver is not installed (pip install -e '.[test]')")
    try:
        server = ThrowawayServer()
    except NoServerError as exc:
        unavailable(str(exc))
    try:
        url = server.start()
    except (NoServerError, OSError, subprocess.TimeoutExpired) as exc:
        server.stop()
        unavailable(str(exc))
    try:
        yield url
    finally:
        server.stop()


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server, dropped afterwards: its URL."""
    name = f"newscrawl_test_{uuid.uuid4().hex[:12]}"
    execute(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database for one test."""
    with fresh_database(postgres_server) as url:
        yield url
