"""`newscrawl demo` is repeatable and `demo --serve` stops on Ctrl-C, in real processes."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from crawling import REPO, WARNINGS_AS_ERRORS, free_ports

from newscrawl.cli import cli
from newscrawl.demo.outlets import load_manifest

NEWSCRAWL = [sys.executable, "-c", "from newscrawl.cli import main; main()"]
ENV = {**os.environ, **WARNINGS_AS_ERRORS}
MANIFEST = load_manifest()


def stored(db: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, url FROM articles ORDER BY id").fetchall()


def test_second_demo_finds_the_same_articles_and_serve_stops_on_ctrl_c(tmp_path: Path) -> None:
    db, port = tmp_path / "news.db", free_ports(2)
    demo = [*NEWSCRAWL, "demo", "--db", str(db), "--port", str(port)]
    first = subprocess.run(
        demo, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=180, check=False
    )
    assert first.returncode == 0, first.stderr
    articles = stored(db)
    assert len(articles) == sum(len(site["articles"]) for site in MANIFEST["sites"].values())
    assert {url.split("/")[2] for _, url in articles} == {
        f"127.0.0.1:{port}",
        f"127.0.0.1:{port + 1}",
    }

    with subprocess.Popen(
        [*demo, "--serve"], cwd=REPO, env=ENV, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stderr is not None
        lines = []
        while not lines or lines[-1] != "Serving until Ctrl-C":
            line = proc.stderr.readline()
            assert line, f"demo --serve ended early:\n{''.join(lines)}"
            lines.append(line.strip())
        summary = next(line for line in lines if line.startswith("Run "))
        assert "finished" in summary
        assert "new 0," in summary
        # Still serving after the crawl, at the same addresses.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/feed.xml", timeout=10) as page:
            assert page.status == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
        assert proc.stderr.read().strip() == "Stopped serving"
    assert stored(db) == articles
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass  # nothing serves there any more


def test_a_taken_port_is_one_clear_line(tmp_path: Path) -> None:
    port = free_ports(2)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port + 1))
        taken.listen()
        result = CliRunner().invoke(
            cli, ["demo", "--db", str(tmp_path / "n.db"), "--port", str(port)]
        )
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: cannot serve the demo outlet courier on 127.0.0.1:{port + 1}: "
    )
    assert "--port N" in result.output
    assert not (tmp_path / "n.db").exists()
    # The gazette's server, started before the courier's failed, was stopped.
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass
