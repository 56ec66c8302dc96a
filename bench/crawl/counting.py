"""The demo's static server, counting requests per path: the benchmark checks what was fetched."""

from __future__ import annotations

import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

from newscrawl.demo import server

if TYPE_CHECKING:
    from email.message import Message


class Hits:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def record(self, path: str) -> None:
        with self._lock:
            self._counts[path] += 1

    def __getitem__(self, path: str) -> int:
        with self._lock:
            return self._counts[path]

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class SiteServer(server.SiteServer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hits = Hits()

    def answer(self, path: str, request: Message[str, str]) -> Any:
        self.hits.record(path.split("?", 1)[0])
        return super().answer(path, request)
