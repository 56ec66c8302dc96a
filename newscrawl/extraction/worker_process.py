"""One extraction worker process and the two pipes between it and the crawl's event loop.

The crawl writes each page to the worker's request pipe and reads the answers from its
result pipe through asyncio transports, so handing a page over costs the event loop one
pickle and a non-blocking write, and no thread. Through ``concurrent.futures``' process pool
each page also went through a queue-feeding thread and a result-collecting thread in the
crawl's process: about 1.2 ms of CPU a page, with the thread switches they cost the event
loop (docs/performance.md). The worker answers in the order it was asked, so answers need no
ids. Messages are framed as :class:`multiprocessing.connection.Connection` frames them, which
is what the worker reads and writes with.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import struct
import sys
import threading
import time
from collections import deque
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, Final

from newscrawl.extraction.article import Article, ExtractionFailed
from newscrawl.extraction.extract import extract_article

if sys.platform == "linux":
    import fcntl

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from multiprocessing.connection import Connection
    from multiprocessing.context import SpawnContext
    from multiprocessing.process import BaseProcess

Answer = tuple[Article | ExtractionFailed, float]  # the result and its CPU seconds
_SIZE: Final = struct.Struct("!i")  # multiprocessing's frame header
_LARGE_SIZE: Final = struct.Struct("!Q")  # after a -1 header, for messages of 2 GiB and more
PIPE_BYTES: Final = 1 << 20  # Linux's default ceiling for an unprivileged process


class WorkerDiedError(Exception):
    """The worker process ended with pages in it (killed, out of memory, crashed)."""


def exit_with_parent(parent: int) -> None:
    """In each worker: exit when the crawl's process, ``parent``, is gone. A crawl killed with
    SIGKILL cannot stop its workers, and a worker left waiting on its pipe would live on,
    holding the crawl's stderr open.

    The pid comes from the crawl rather than from ``os.getppid()`` here: a crawl killed while
    its workers were still importing has already left them to init, and a worker that took
    init for its parent waited for ever (the hang behind a flaky kill test).
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def timed_extract(
    html: str | bytes, url: str, *, min_words: int, max_bytes: int, http_charset: str | None
) -> Answer:
    """:func:`extract_article` and the CPU seconds it took in the process that ran it."""
    started = time.process_time()
    result = extract_article(
        html, url, min_words=min_words, max_bytes=max_bytes, http_charset=http_charset
    )
    return result, time.process_time() - started


@contextmanager
def sigint_ignored() -> Iterator[None]:
    """SIGINT ignored while a worker is started, which it keeps from its first instruction.

    Ctrl-C in a terminal reaches the whole process group; the crawl decides how to stop (it
    finishes the pages in hand), so its workers must not stop on it, not even while they
    import. An ignored signal stays ignored across exec, and Python then leaves it so.
    """
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: nothing to do from here
        yield
        return
    try:
        yield
    finally:
        # None: the handler was not set from Python, and cannot be put back from it.
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)


def serve(requests: Connection, answers: Connection, parent: int) -> None:
    """A worker's life: extract each page sent, in order, until the crawl closes the pipe."""
    exit_with_parent(parent)
    while True:
        try:
            html, url, options = pickle.loads(requests.recv_bytes())
        except EOFError:
            return
        answer = timed_extract(html, url, **options)
        answers.send_bytes(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))


def frame(message: bytes) -> bytes:
    """The header :meth:`Connection.recv_bytes` expects before ``message``."""
    if len(message) > 0x7FFFFFFF:
        return _SIZE.pack(-1) + _LARGE_SIZE.pack(len(message))
    return _SIZE.pack(len(message))


class _Answers(asyncio.Protocol):
    """The crawl's end of a worker's result pipe: whole frames, each handed to the worker."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= _SIZE.size:
            (size,) = _SIZE.unpack_from(self.buffer)
            start = _SIZE.size
            if size == -1:
                if len(self.buffer) < _SIZE.size + _LARGE_SIZE.size:
                    return
                (size,) = _LARGE_SIZE.unpack_from(self.buffer, _SIZE.size)
                start += _LARGE_SIZE.size
            if len(self.buffer) < start + size:
                return
            message = bytes(self.buffer[start : start + size])
            del self.buffer[: start + size]
            self.worker.answered(pickle.loads(message))

    def connection_lost(self, exc: Exception | None) -> None:
        self.worker.ended()


class Worker:
    """One worker process, fed through pipes from the running event loop."""

    def __init__(self, context: SpawnContext, on_death: Callable[[list[str]], None]) -> None:
        requests_out, requests_in = context.Pipe(duplex=False)
        answers_out, answers_in = context.Pipe(duplex=False)
        self.process: BaseProcess = context.Process(
            target=serve,
            args=(requests_out, answers_in, os.getpid()),
            name="newscrawl-extract",
            daemon=True,
        )
        with sigint_ignored():
            self.process.start()
        # The worker's ends, now duplicated into it: closed here, so that the worker's death
        # shows as the end of its result pipe.
        requests_out.close()
        answers_in.close()
        self.waiting: deque[tuple[asyncio.Future[Answer], str]] = deque()  # and their URLs
        self.alive = True
        self.closing = False
        # Called with the URLs that were in the worker when it ended unasked.
        self._on_death: Callable[[list[str]], None] = on_death
        self._requests: asyncio.WriteTransport | None = None
        self._answers: asyncio.ReadTransport | None = None
        self.ready = asyncio.ensure_future(self._connect(requests_in, answers_out))

    async def _connect(self, requests: Connection, answers: Connection) -> None:
        loop = asyncio.get_running_loop()
        self._requests, _ = await loop.connect_write_pipe(asyncio.Protocol, _file(requests, "wb"))
        self._answers, _ = await loop.connect_read_pipe(
            lambda: _Answers(self), _file(answers, "rb")
        )

    @property
    def pid(self) -> int | None:
        return self.process.pid

    async def extract(self, html: str | bytes, url: str, options: dict[str, Any]) -> Answer:
        await self.ready
        if not self.alive or self._requests is None:
            raise WorkerDiedError
        message = pickle.dumps((html, url, options), protocol=pickle.HIGHEST_PROTOCOL)
        answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self.waiting.append((answer, url))
        self._requests.writelines([frame(message), message])
        return await answer

    def answered(self, answer: Answer) -> None:
        waiting, _url = self.waiting.popleft()
        if not waiting.done():
            waiting.set_result(answer)

    def ended(self) -> None:
        """The result pipe closed: the worker exited, on its own or because it was closed."""
        if not self.alive:
            return
        self.alive = False
        if not self.closing:
            self._on_death([url for _answer, url in self.waiting])
        while self.waiting:
            waiting, _url = self.waiting.popleft()
            if not waiting.done():
                waiting.set_exception(WorkerDiedError())
        self._close_pipes()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker now; pages still in it are lost (the crawl is over). Called while
        the event loop runs, which then closes the pipes' transports."""
        self.closing = True
        self._close_pipes()
        self.process.terminate()
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout)

    def transports(self) -> list[asyncio.BaseTransport]:
        """The crawl's ends of the request and the result pipes, once connected."""
        return [t for t in (self._requests, self._answers) if t is not None]

    def _close_pipes(self) -> None:
        for transport in self.transports():
            if not transport.is_closing():
                try:
                    transport.close()
                except RuntimeError:  # its event loop is closed already (tests, shutdown)
                    pipe = transport.get_extra_info("pipe")
                    if pipe is not None:
                        pipe.close()


def _file(connection: Connection, mode: str) -> Any:
    """A file over ``connection``'s pipe, which asyncio can watch; the connection is closed."""
    fd = os.dup(connection.fileno())
    connection.close()
    _widen(fd)
    return os.fdopen(fd, mode, buffering=0)


def _widen(fd: int) -> None:
    # A pipe holds 64 KiB by default, and a page (175 KB on average) then goes through the
    # event loop in several writes as the worker drains it, each moving the rest of the
    # transport's buffer; a pipe that holds a few whole pages takes each page in one write.
    # Linux only, and refused beyond /proc/sys/fs/pipe-max-size: the default then stands.
    if sys.platform == "linux":
        with suppress(OSError):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
