"""Runs whose process is gone: a ``running`` row left by a crawl killed with SIGKILL, a crash
or a power cut is marked ``abandoned`` by the next run that opens the store.

Each run records its pid, its host and when its process started (``process_start``, the
boot id and start time from /proc on Linux). A ``running`` row of this host is abandoned
when its pid no longer exists, is a zombie, or now belongs to another process (pids are
reused). Rows of other hosts are left alone: their processes cannot be seen from here.
See docs/faults.md.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from newscrawl.store.schema import CrawlRunRow

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.engine import Connection

logger = logging.getLogger(__name__)

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True, slots=True)
class ProcessIdentity:
    pid: int
    hostname: str
    process_start: str | None  # None where /proc is not there (macOS): the pid alone is used


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()


def process_start(pid: int) -> str | None:
    """When the process started, as ``<boot id>:<clock ticks since boot>``, or None."""
    fields = _proc_stat(pid)
    try:
        boot = BOOT_ID.read_text().strip()
    except OSError:
        return None
    # starttime is field 22 of stat; the list starts at field 3 (state)
    return f"{boot}:{fields[19]}" if fields and len(fields) > 19 else None


def this_process() -> ProcessIdentity:
    pid = os.getpid()
    return ProcessIdentity(pid, socket.gethostname(), process_start(pid))


def is_gone(pid: int, started: str | None) -> bool:
    """Whether the process recorded as ``pid`` started at ``started`` has ended."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, another user's: the start time tells whether it is ours
    fields = _proc_stat(pid)
    if fields and fields[0] == "Z":
        return True  # killed, not yet reaped by its parent
    now_started = process_start(pid)
    return started is not None and now_started is not None and now_started != started


def mark_abandoned(conn: Connection, found_at: datetime, me: ProcessIdentity) -> list[int]:
    """Mark this host's ``running`` runs whose process is gone; returns their ids."""
    rows = conn.execute(
        select(CrawlRunRow.id, CrawlRunRow.pid, CrawlRunRow.process_start).where(
            CrawlRunRow.status == "running",
            CrawlRunRow.hostname == me.hostname,
            CrawlRunRow.pid.is_not(None),
        )
    ).all()
    # Another crawler of this very process (same pid and start) is running, not abandoned.
    gone = [row.id for row in rows if is_gone(row.pid, row.process_start)]
    if gone:
        conn.execute(
            update(CrawlRunRow)
            .where(CrawlRunRow.id.in_(gone), CrawlRunRow.status == "running")
            .values(status="abandoned", finished_at=found_at, finish_reason="process_gone")
        )
    for row in rows:
        if row.id in gone:
            logger.warning(
                "Run %d was abandoned: its process (pid %d on %s) is gone; marked now",
                row.id, row.pid, me.hostname,
            )  # fmt: skip
    return gone
