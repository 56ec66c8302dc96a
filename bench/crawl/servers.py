"""Throwaway Redis and PostgreSQL servers on 127.0.0.1 for ``bench.crawl scale``.

Each lives in a temporary folder, listens on a free port, keeps nothing on disk it does not
need (Redis saves no snapshot) and is stopped, folder removed, when the ``with`` block ends.
PostgreSQL refuses to run as root, so as root its programs run as the ``postgres`` user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


class ServerError(RuntimeError):
    """A server could not be started; the message says which and why."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], name: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(f"{name} exited {proc.returncode}: {log.read_text()[-500:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise ServerError(f"{name} did not listen on port {port} in 30 s; see {log}")


class _Server:
    def __init__(self, name: str) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=f"newscrawl-bench-{name}-"))
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


class Redis(_Server):
    def __init__(self) -> None:
        super().__init__("redis")
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> Redis:
        if shutil.which("redis-server") is None:
            raise ServerError("redis-server is not installed (apt install redis-server)")
        log = self.folder / "redis.log"
        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(self.folder), "--logfile", str(log)]  # fmt: skip
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(self.port, self.proc, "redis-server", log)
        return self


def redis_flush(url: str) -> None:
    """Empty the Redis database of ``url`` (redis://host:port/db), so a run starts clean."""
    hostport, _, db = url.removeprefix("redis://").partition("/")
    host, _, port = hostport.rpartition(":")
    with socket.create_connection((host.rpartition("@")[2], int(port)), timeout=10) as s:
        s.sendall(f"SELECT {db or 0}\r\nFLUSHDB\r\n".encode())
        answer = b""
        while answer.count(b"\r\n") < 2:
            chunk = s.recv(1024)
            if not chunk:
                break
            answer += chunk
    if answer != b"+OK\r\n+OK\r\n":
        raise ServerError(f"FLUSHDB on {url} answered {answer!r}")


class Postgres(_Server):
    """``url(db)`` is the SQLAlchemy URL of database ``db``; ``create(db)`` makes it."""

    user = "newscrawl"

    def __init__(self) -> None:
        super().__init__("pg")
        self.data = self.folder / "data"

    def _as_owner(self) -> dict[str, Any]:
        return {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}

    def __enter__(self) -> Postgres:
        if not (PG_BIN / "initdb").exists():
            raise ServerError(f"no PostgreSQL in {PG_BIN} (apt install postgresql; or PG_BIN=)")
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        log = self.folder / "postgres.log"
        init = [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust"]
        done = subprocess.run(init, capture_output=True, text=True, **self._as_owner())
        if done.returncode:
            raise ServerError(f"initdb failed: {done.stderr.strip()[-500:]}")
        cmd = [str(PG_BIN / "postgres"), "-D", str(self.data), "-p", str(self.port),
               "-k", str(self.folder), "-c", "listen_addresses=127.0.0.1"]  # fmt: skip
        with log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=out, **self._as_owner())
        _wait_for_port(self.port, self.proc, "postgres", log)
        return self

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{db}"

    def create(self, db: str) -> str:
        cmd = [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
               "-U", self.user, db]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            raise ServerError(f"createdb {db} failed: {done.stderr.strip()}")
        return self.url(db)
