"""One crawl at a time per store: cron may start a run while the last one still works.

An advisory lock (flock) beside the database; the kernel releases it when the process
ends, however it ends, so a killed run never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from newscrawl.store.schema import project_dir, sqlite_path

if TYPE_CHECKING:
    from collections.abc import Iterator


class AlreadyRunningError(RuntimeError):
    """Another crawl holds the lock; the message names its pid."""


class LockError(RuntimeError):
    """The lock file cannot be created (its folder is missing or not writable)."""


def lock_path(db_url: str) -> Path:
    path = sqlite_path(db_url)
    return path.with_name(path.name + ".lock") if path else project_dir() / "data" / "crawl.lock"


@contextmanager
def crawl_lock(db_url: str, *, wait: bool = False) -> Iterator[Path]:
    """Held for the block; ``wait``: until the holder lets go instead of refusing at once."""
    path = lock_path(db_url)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+")
    except OSError as exc:
        raise LockError(
            f"cannot take the crawl lock {path} ({exc.strerror or exc}): "
            "the store's folder must be a writable folder"
        ) from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise AlreadyRunningError(
                f"another crawl is running on this store (pid {holder}, lock {path})"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield path
        finally:
            handle.seek(0)
            handle.truncate()
