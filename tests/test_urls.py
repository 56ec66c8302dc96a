"""URL identity rules, one test per rule of docs/urls.md."""

from __future__ import annotations

import pytest

from newscrawl.crawl.urls import (
    TRACKING_PARAMS,
    identity_url,
    is_tracking_param,
    normalize_url,
    request_url,
    same_site,
    site_of,
)


def test_rule_scheme_and_host_case():
    assert normalize_url("HTTPS://News.Example.COM/World/Story") == (
        "https://news.example.com/World/Story"
    )  # the path keeps its case: servers may treat /World and /world differently


def test_rule_scheme_is_not_merged():
    # http and https are kept apart; a redirect between them is resolved as an alias instead.
    assert normalize_url("http://example.com/a") != normalize_url("https://example.com/a")


def test_rule_trailing_dot_in_host():
    assert normalize_url("https://example.com./a") == "https://example.com/a"


def test_rule_internationalised_host():
    assert normalize_url("https://bücher.example/a") == normalize_url(
        "https://xn--bcher-kva.example/a"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://127.0.0.1:8080/a", "http://127.0.0.1:8080/a"),
    ],
)
def test_rule_default_ports(url, expected):
    assert normalize_url(url) == expected


def test_rule_userinfo_dropped():
    assert normalize_url("https://bob:secret@example.com/a") == "https://example.com/a"


@pytest.mark.parametrize(
    "url",
    ["https://example.com/news/a/", "https://example.com/news/a//", "https://example.com/news/a"],
)
def test_rule_trailing_slash(url):
    assert normalize_url(url) == "https://example.com/news/a"


def test_rule_root_keeps_its_slash():
    assert normalize_url("https://example.com") == "https://example.com/"
    assert normalize_url("https://example.com/") == "https://example.com/"


@pytest.mark.parametrize(
    "name", ["index.html", "index.htm", "INDEX.HTML", "default.aspx", "index.php", "index.shtml"]
)
def test_rule_index_files(name):
    assert normalize_url(f"https://example.com/news/{name}") == "https://example.com/news"


def test_rule_index_file_with_trailing_slashes():
    # found by tests/test_properties.py: normalising twice gave another answer
    assert normalize_url("http://Example.COM/index.html///") == "http://example.com/"
    assert normalize_url("http://example.com/a/index.html/index.php") == "http://example.com/a"


def test_rule_index_file_only_as_last_segment():
    assert normalize_url("https://example.com/index.html/a") == "https://example.com/index.html/a"
    assert normalize_url("https://example.com/news/my-index.html") == (
        "https://example.com/news/my-index.html"
    )


def test_rule_duplicate_slashes_and_dot_segments():
    assert normalize_url("https://example.com//news/./a/../b") == "https://example.com/news/b"


def test_rule_percent_encoding():
    assert normalize_url("https://example.com/caf%c3%a9/%7Euser") == normalize_url(
        "https://example.com/café/~user"
    )
    assert normalize_url("https://example.com/café") == "https://example.com/caf%C3%A9"


def test_rule_encoded_slash_stays_encoded():
    assert normalize_url("https://example.com/a%2fb") == "https://example.com/a%2Fb"
    assert normalize_url("https://example.com/a%2Fb") != normalize_url("https://example.com/a/b")


def test_rule_fragment_dropped():
    assert normalize_url("https://example.com/a#comments") == "https://example.com/a"
    assert request_url("https://example.com/a#comments") == "https://example.com/a"


@pytest.mark.parametrize(
    "query",
    [
        "utm_source=rss&utm_medium=feed&utm_campaign=x",
        "fbclid=IwAR0abc",
        "gclid=abc",
        "mc_cid=1&mc_eid=2",
        "at_medium=social&at_campaign=x",
        "ref=hp",
        "smid=tw-share",
        "ocid=msn",
        "CMP=share_btn_tw",
        "xtor=RSS-1",
        "share=facebook",
        "_ga=2.1.2.3",
        "pk_campaign=x&mtm_source=y",
    ],
)
def test_rule_tracking_parameters_dropped(query):
    assert normalize_url(f"https://example.com/a?{query}") == "https://example.com/a"
    assert request_url(f"https://example.com/a/?{query}") == "https://example.com/a/"


@pytest.mark.parametrize(
    "query", ["feed=rss2", "rss=1", "output=xml", "page=2", "id=1234", "p=567", "src=home"]
)
def test_rule_content_parameters_kept(query):
    # These select content on some sites (WordPress ?feed=rss2, ?p=567): never dropped.
    assert normalize_url(f"https://example.com/?{query}") == f"https://example.com/?{query}"
    assert request_url(f"https://example.com/?{query}") == f"https://example.com/?{query}"


def test_rule_tracking_list_is_lowercase_insensitive():
    assert is_tracking_param("UTM_Source")
    assert is_tracking_param("FBCLID")
    assert "obOrigUrl" in TRACKING_PARAMS
    assert is_tracking_param("oborigurl")


def test_rule_remaining_parameters_sorted():
    assert normalize_url("https://example.com/a?b=2&a=1&utm_source=x") == (
        "https://example.com/a?a=1&b=2"
    )
    assert normalize_url("https://example.com/a?") == "https://example.com/a"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a?amp", "https://example.com/a"),
        ("https://example.com/a?amp=1", "https://example.com/a"),
        ("https://example.com/a?outputType=amp", "https://example.com/a"),
        ("https://example.com/a?output=amp", "https://example.com/a"),
        ("https://example.com/a?amp=story-2", "https://example.com/a?amp=story-2"),
    ],
)
def test_rule_amp_parameters(url, expected):
    assert normalize_url(url) == expected


def test_rule_amp_cache_unwrapped():
    cached = "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/news/a.amp?amp=1"
    assert normalize_url(cached) == "https://www.example.com/news/a.amp"
    assert request_url(cached) == "https://www.example.com/news/a.amp"
    assert normalize_url("https://x.cdn.ampproject.org/c/example.com/a") == "http://example.com/a"


def test_rule_amp_and_mobile_variants_resolve_through_canonical():
    canonical = "https://www.example.com/news/a"
    assert identity_url("https://amp.example.com/news/a", canonical) == canonical
    assert identity_url("https://m.example.com/news/a?utm_source=x", canonical) == canonical
    assert identity_url("https://www.example.com/news/a/amp/", "/news/a") == canonical


def test_rule_canonical_on_another_site_is_not_identity():
    # A syndication partner declaring the original: the copy keeps its own identity.
    page = "https://courier.example.org/wire/a"
    assert identity_url(page, "https://gazette.example.com/a") == page


def test_rule_canonical_to_home_page_ignored():
    page = "https://www.example.com/news/a"
    assert identity_url(page, "https://www.example.com/") == page
    assert identity_url("https://www.example.com/?utm_source=x", "/") == "https://www.example.com/"


def test_rule_canonical_that_is_not_http_ignored():
    page = "https://www.example.com/news/a"
    assert identity_url(page, "javascript:void(0)") == page
    assert identity_url(page, "   ") == page
    assert identity_url(page, None) == page


def test_request_url_keeps_path_and_order():
    # The fetched address stays as written apart from tracking, fragment and host case.
    assert request_url("HTTPS://Example.com:443/News/a/?b=2&a=1&utm_medium=x#top") == (
        "https://example.com/News/a/?b=2&a=1"
    )
    assert request_url("https://bob@example.com/a") == "https://bob@example.com/a"


def test_tracking_link_and_feed_link_share_identity():
    feed = "https://example.com/2024/05/story/?utm_source=rss&utm_medium=rss"
    link = "https://Example.com/2024/05/story#comments"
    sitemap = "https://example.com:443/2024/05/story/index.html"
    assert len({normalize_url(u) for u in (feed, link, sitemap)}) == 1


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://www.bbc.co.uk/news/a", "bbc.co.uk"),
        ("https://m.example.com/a", "example.com"),
        ("http://127.0.0.1:8000/a", "127.0.0.1"),
        ("http://localhost:8000/a", "localhost"),
    ],
)
def test_site_of(url, site):
    assert site_of(url) == site


def test_same_site():
    assert same_site("https://amp.example.com/a", "https://www.example.com/b")
    assert not same_site("https://example.com/a", "https://example.org/a")
    assert not same_site("", "")
