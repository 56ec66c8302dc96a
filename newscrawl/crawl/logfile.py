"""Where a run's log goes: all of it to ``<log dir>/<run id>.log``, little of it to stderr.

Under cron (stderr not a terminal) stderr gets warnings and the one-line summary only; on a
terminal a progress line is redrawn in place as well; ``--verbose`` or a log level given on
the command line puts the full log on stderr too. Old run logs are pruned by age and count.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from newscrawl.config import Config
from newscrawl.store.engine import project_dir, sqlite_path

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from twisted.internet.task import LoopingCall

CLEAR_LINE = "\r\x1b[K"


class RunLogError(OSError):
    """The log folder cannot be created or written; the message names it."""


def log_dir(settings: BaseSettings, db_url: str) -> Path:
    configured = Config.from_settings(settings).log_dir
    if configured:
        return Path(configured).expanduser()
    db_file = sqlite_path(db_url)
    # Run ids count per store, so each store keeps its logs beside it.
    return (db_file.parent if db_file else project_dir() / "data") / "logs"


class ConsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """stderr; on a terminal it first clears the progress line the record would overwrite."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.tty = stream.isatty()

    def emit(self, record: logging.LogRecord) -> None:
        if self.tty:
            self.stream.write(CLEAR_LINE)
        super().emit(record)


class RunLog:
    """Installs the run's log handlers; a context manager around the whole run."""

    def __init__(self, settings: BaseSettings, db_url: str, *, verbose: bool) -> None:
        self.dir = log_dir(settings, db_url)
        self.level = logging.getLevelName(str(settings.get("LOG_LEVEL", "INFO")).upper())
        self.verbose = verbose
        self.enabled = settings.getbool("LOG_ENABLED", True)
        config = Config.from_settings(settings)
        self.keep_days = config.log_keep_days
        self.keep_count = config.log_keep_count
        self.formatter = logging.Formatter(
            settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT")
        )
        self.stream = sys.stderr
        self.log_file = settings.get("LOG_FILE")
        self.log_file_append = settings.getbool("LOG_FILE_APPEND", True)
        self.path = self.dir / f"pending-{os.getpid()}.log"
        self.handlers: list[logging.Handler] = []
        self.progress_line: ProgressLine | None = None
        self.previous_level = logging.root.level

    def __enter__(self) -> RunLog:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            paths = [self.path, *([Path(self.log_file)] if self.log_file else [])]
            if self.log_file and not self.log_file_append:
                paths[-1].write_bytes(b"")
            self.path.write_bytes(b"")
            # Append mode: Scrapy's logging setup closes existing handlers, and a closed
            # FileHandler reopens on the next record only in append mode. LOG_FILE
            # (--logfile) gets the full log as well, as in Scrapy.
            files: list[logging.Handler] = [
                logging.FileHandler(path, mode="a", encoding="utf-8") for path in paths
            ]
        except OSError as exc:
            raise RunLogError(
                f"cannot write the run log in {exc.filename or self.dir} ({exc.strerror or exc}); "
                "set NEWSCRAWL_LOG_DIR (or LOG_FILE) to a writable place"
            ) from exc
        for handler in files:
            handler.setLevel(self.level)
        console = ConsoleHandler(self.stream)
        console.setLevel(self.level if self.verbose else max(self.level, logging.WARNING))
        if not self.enabled:
            console.setLevel(logging.CRITICAL + 1)
        self.handlers = [*files, console]
        for handler in self.handlers:
            handler.setFormatter(self.formatter)
            logging.root.addHandler(handler)
        logging.root.setLevel(logging.NOTSET)
        return self

    def __exit__(self, *exc: object) -> None:
        for handler in self.handlers:
            logging.root.removeHandler(handler)
            handler.close()
        logging.root.setLevel(self.previous_level)
        if self.path.name.startswith("pending-"):  # never recorded (NEWSCRAWL_RUNS_ENABLED off)
            self.name_after(time.strftime("run-%Y%m%dT%H%M%SZ", time.gmtime()))
        self.prune()

    def name_after(self, run_id: object, **_: Any) -> None:
        """Renames the log to ``<run id>.log`` once the run is recorded (an open file keeps
        being written after a rename), so a killed run's log still carries its id."""
        target = self.dir / f"{run_id}.log"
        try:
            self.path.replace(target)
        except OSError:
            logging.getLogger(__name__).warning("Could not name the run log %s", target)
            return
        self.path = target

    def prune(self) -> None:
        logs = sorted(self.dir.glob("*.log"), key=_mtime, reverse=True)
        cutoff = time.time() - timedelta(days=self.keep_days).total_seconds()
        for index, path in enumerate(logs):
            too_old = self.keep_days and _mtime(path) < cutoff
            too_many = self.keep_count and index >= self.keep_count
            if path != self.path and (too_old or too_many):
                path.unlink(missing_ok=True)

    def show_progress(self, crawler: Crawler) -> None:
        """A live progress line when stderr is a terminal and the full log is not shown."""
        if self.verbose or not self.stream.isatty() or not self.enabled:
            return
        # Kept here: Scrapy's signals hold their receivers by weak reference.
        self.progress_line = ProgressLine(crawler, self.stream)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


class ProgressLine:
    """``pages 120, stored 45, 3.1 pages/s, elapsed 0:00:39``, redrawn every second."""

    def __init__(self, crawler: Crawler, stream: TextIO, interval: float = 1.0) -> None:
        from scrapy import signals

        self.crawler = crawler
        self.stream = stream
        self.started = time.monotonic()
        self.loop: LoopingCall | None = None
        self.interval = interval
        crawler.signals.connect(self.start, signal=signals.spider_opened)
        crawler.signals.connect(self.stop, signal=signals.spider_closed)

    def start(self) -> None:
        # Imported here: LoopingCall picks the installed reactor, which Scrapy installs late.
        from twisted.internet.task import LoopingCall

        self.started = time.monotonic()
        self.loop = LoopingCall(self.draw)
        self.loop.start(self.interval, now=True)

    def stop(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.stream.write(CLEAR_LINE)
        self.stream.flush()

    def text(self) -> str:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        pages = int(stats.get("downloader/response_count", 0))
        stored = int(stats.get("newscrawl/store/inserted", 0)) + int(
            stats.get("newscrawl/store/updated", 0)
        )
        elapsed = time.monotonic() - self.started
        rate = pages / elapsed if elapsed > 0 else 0.0
        clock = timedelta(seconds=round(elapsed))
        return f"pages {pages}, stored {stored}, {rate:.1f} pages/s, elapsed {clock}"

    def draw(self) -> None:
        self.stream.write(CLEAR_LINE + self.text())
        self.stream.flush()
