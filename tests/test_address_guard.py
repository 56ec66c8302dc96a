"""The guard for untrusted URL lists: no request reaches a non-public address when it is on.

The test sites live on 127.0.0.1 and 127.0.0.2, which are loopback addresses: exactly what
the guard must refuse. ``NEWSCRAWL_ALLOWED_NETWORKS`` lets one of them through so that a
crawl can get going and be redirected to the other.
"""

from __future__ import annotations

import ipaddress
import urllib.request
from typing import TYPE_CHECKING

import pytest
from crawling import run_crawl
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler
from sites import SiteServer, redirect_route, static_route
from texts import article_page, rss

from newscrawl.crawl.addressguard import AddressGuard, PrivateAddressError, is_public

if TYPE_CHECKING:
    from pathlib import Path

ON = {"NEWSCRAWL_PUBLIC_ADDRESSES_ONLY": "1"}


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::6810:84e5", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata services
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.251", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


def test_allowed_networks_pass() -> None:
    allowed = (ipaddress.ip_network("10.0.0.0/8"),)
    assert is_public(ipaddress.ip_address("10.1.2.3"), allowed)
    assert not is_public(ipaddress.ip_address("10.1.2.3"))


def test_off_by_default() -> None:
    with pytest.raises(NotConfigured):
        build_from_crawler(AddressGuard, get_crawler(settings_dict={}))


def test_a_wrong_allowed_network_stops_the_crawl_rather_than_the_guard() -> None:
    settings = {**ON, "NEWSCRAWL_ALLOWED_NETWORKS": "10.0.0.0/8,intranet"}
    with pytest.raises(ValueError, match="NEWSCRAWL_ALLOWED_NETWORKS"):
        build_from_crawler(AddressGuard, get_crawler(settings_dict=settings))


def feed_site(root: Path, host: str = "127.0.0.1") -> SiteServer:
    site = SiteServer(root, host=host).start()
    site.routes["/a/1.html"] = static_route(article_page(1))
    return site


def test_a_name_resolving_to_loopback_is_refused_before_any_request(
    tmp_path: Path, db: Path
) -> None:
    site = feed_site(tmp_path)
    try:
        site.routes["/feed.xml"] = static_route(rss([site.url("/a/1.html")]))
        feed = f"http://localhost:{site.port}/feed.xml"
        result = run_crawl("feed", db, settings=ON, url=feed)
    finally:
        site.stop()
    assert site.hits.total == 0, site.hits
    assert result.stats["newscrawl/skipped/private_address"] >= 1
    assert "Refused http://localhost:" in result.log
    assert "127.0.0.1 is not a public address" not in result.log  # the name, then its address
    assert "localhost is not a public address (127.0.0.1)" in result.log


def test_a_redirect_to_a_private_address_is_refused(tmp_path: Path, db: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    allowed = feed_site(tmp_path / "one")
    private = feed_site(tmp_path / "two", host="127.0.0.2")
    try:
        allowed.routes["/feed.xml"] = static_route(
            rss([allowed.url("/a/1.html"), allowed.url("/a/2.html")])
        )
        allowed.routes["/a/2.html"] = redirect_route(private.url("/a/1.html"))
        settings = {**ON, "NEWSCRAWL_ALLOWED_NETWORKS": "127.0.0.1/32"}
        result = run_crawl("feed", db, settings=settings, url=allowed.url("/feed.xml"))
        assert allowed.hits["/a/2.html"] == 1  # followed as far as the redirect
        assert private.hits.total == 0, private.hits
        with urllib.request.urlopen(private.url("/a/1.html"), timeout=10) as answer:
            assert answer.status == 200  # the refused site was there to be reached
        assert result.stats["newscrawl/skipped/private_address"] == 1
        stored = [r["url"] for r in result.rows("SELECT url FROM articles")]
        assert stored == [allowed.url("/a/1.html")]
    finally:
        allowed.stop()
        private.stop()


def test_an_answer_from_a_private_address_is_dropped() -> None:
    """A name that resolved to a public address at the check, then to a private one."""
    crawler = get_crawler(settings_dict=ON)
    crawler.stats.open_spider()
    guard = build_from_crawler(AddressGuard, crawler)
    request = Request("http://news.example/a.html")
    public = Response(request.url, request=request, ip_address=ipaddress.ip_address("8.8.8.8"))
    assert guard.process_response(request, public) is public
    private = Response(request.url, request=request, ip_address=ipaddress.ip_address("10.0.0.7"))
    with pytest.raises(PrivateAddressError, match=r"news\.example \(10\.0\.0\.7\)"):
        guard.process_response(request, private)
    assert crawler.stats.get_value("newscrawl/skipped/private_address") == 1
