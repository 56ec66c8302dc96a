"""Download failures: a short stable name for each (stats keys), and one-line logging.

Dead hosts, refused connections and timeouts are the normal weather of crawling; they are
counted and logged as one line each, not as tracebacks.
"""

from __future__ import annotations

import logging
from typing import Final

from scrapy import exceptions as scrapy_errors
from twisted.internet import error as twisted_errors
from twisted.web._newclient import ResponseNeverReceived

# Scrapy 2.19 wraps Twisted's errors in its own; older releases raise Twisted's.
_KINDS: Final = (
    ("CannotResolveHostError", "dns"),
    ("DownloadConnectionRefusedError", "connection_refused"),
    ("DownloadTimeoutError", "timeout"),
    ("DownloadCancelledError", "cancelled"),  # mostly DOWNLOAD_MAXSIZE exceeded
    ("DownloadFailedError", "download_failed"),
    ("ResponseDataLossError", "data_loss"),
    ("UnsupportedURLSchemeError", "unsupported_scheme"),
)
NETWORK_ERRORS: Final[tuple[tuple[type[BaseException], str], ...]] = (
    *((getattr(scrapy_errors, n), k) for n, k in _KINDS if hasattr(scrapy_errors, n)),
    (twisted_errors.DNSLookupError, "dns"),
    (twisted_errors.ConnectionRefusedError, "connection_refused"),
    (twisted_errors.TimeoutError, "timeout"),
    (twisted_errors.ConnectError, "connect_failed"),
    (twisted_errors.ConnectionLost, "connection_lost"),
    (ResponseNeverReceived, "no_response"),
)


def error_kind(error: BaseException | None) -> str:
    """``dns``, ``timeout``, ``http_404`` ...: the name counted under newscrawl/errors/."""
    for cls, kind in NETWORK_ERRORS:
        if isinstance(error, cls):
            return kind
    response = getattr(error, "response", None)
    if response is not None:
        return f"http_{response.status}"
    return type(error).__name__


class OneLineNetworkErrors(logging.Filter):
    """Drops the traceback from log records about network failures; keeps the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and any(isinstance(error, cls) for cls, _ in NETWORK_ERRORS):
            record.msg = f"{record.msg} [{error_kind(error)}]"
            record.exc_info = None
            record.exc_text = None
        return True


def install_log_filter() -> None:
    """Attach the filter to the Scrapy loggers that log network failures with tracebacks."""
    for name in ("scrapy.downloadermiddlewares.robotstxt", "scrapy.core.scraper",
                 "scrapy.downloadermiddlewares.retry", "scrapy.core.engine"):  # fmt: skip
        log = logging.getLogger(name)
        if not any(isinstance(f, OneLineNetworkErrors) for f in log.filters):
            log.addFilter(OneLineNetworkErrors())
