"""A guard for crawling URL lists you did not choose: only public addresses are fetched.

With ``NEWSCRAWL_PUBLIC_ADDRESSES_ONLY`` on, a request whose host is, or resolves to, a
private, loopback, link-local or other non-global address (RFC 1918, 127/8, 169.254/16,
100.64/10, fc00::/7, fe80::/10, multicast, reserved ...) is refused before any connection
is made and counted as ``newscrawl/skipped/private_address``. Redirects and robots.txt
requests pass through the downloader middlewares like any request, so they are checked too.
A host that answers differently between the check and the connection (DNS rebinding) is
caught afterwards by the address the response came from: that answer is dropped. See
docs/settings.md and docs/faults.md.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from newscrawl.config import Config

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Verdicts per host for the crawl; the post-connection check covers answers that change.
MAX_CACHED_HOSTS = 10_000


class PrivateAddressError(IgnoreRequest):
    """The request's host is, or resolves to, an address that is not public."""


def is_public(address: Address, allowed: tuple[Network, ...] = ()) -> bool:
    if any(address in network for network in allowed):
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 reaches 127.0.0.1
    return address.is_global and not address.is_multicast


def parse_networks(values: list[str]) -> tuple[Network, ...]:
    """CIDR networks; a wrong one stops the crawl (NotConfigured would drop the guard)."""
    try:
        return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())
    except ValueError as exc:
        raise ValueError(f"NEWSCRAWL_ALLOWED_NETWORKS: {exc}") from None


def resolve(host: str) -> list[Address]:
    """Every address the host resolves to (IPv4 and IPv6); empty when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []  # the download fails on its own and the spider counts the DNS error
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


class AddressGuard:
    def __init__(self, crawler: Crawler, allowed: tuple[Network, ...] = ()) -> None:
        self.crawler = crawler
        self.allowed = allowed
        self.refused: dict[str, str | None] = {}  # host -> the refused address, None: public

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = Config.of(crawler)
        if not config.public_addresses_only:
            raise NotConfigured  # off by default: a reason would be a warning on every run
        return cls(crawler, parse_networks(list(config.allowed_networks)))

    async def process_request(self, request: Request) -> None:
        host = urlsplit(request.url).hostname
        if not host:
            return
        if host not in self.refused:
            if len(self.refused) >= MAX_CACHED_HOSTS:
                self.refused.clear()
            self.refused[host] = await self._check(host)
        address = self.refused[host]
        if address is not None:
            self._refuse(request, host, address)

    def process_response(self, request: Request, response: Response) -> Response:
        address = response.ip_address
        if address is not None and not is_public(address, self.allowed):
            self._refuse(request, urlsplit(request.url).hostname or "", str(address))
        return response

    async def _check(self, host: str) -> str | None:
        """The first non-public address of ``host``, or None when all are public."""
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            addresses = await maybe_deferred_to_future(deferToThread(resolve, host))
        for address in addresses:
            if not is_public(address, self.allowed):
                return str(address)
        return None

    def _refuse(self, request: Request, host: str, address: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("newscrawl/skipped/private_address")
        logger.warning(
            "Refused %s: %s is not a public address (%s) and NEWSCRAWL_PUBLIC_ADDRESSES_ONLY "
            "is on", request.url, host, address, extra={"spider": self.crawler.spider},
        )  # fmt: skip
        raise PrivateAddressError(f"not a public address: {host} ({address})")
