"""Scrapy settings for newscrawl; every NEWSCRAWL_* setting is described in docs/settings.md.

Override any of them per run with ``scrapy crawl ... -s NAME=VALUE`` or ``newscrawl crawl -s``.
"""

from __future__ import annotations

import os

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"
# `scrapy crawl` is newscrawl's own: it checks settings, store and lock first, and exits with
# the run's status (docs/operations.md), like `newscrawl crawl`.
COMMANDS_MODULE = "newscrawl.commands"

# --- newscrawl -----------------------------------------------------------------------------
# Where articles are stored: any SQLAlchemy URL or a file path. Empty means the environment
# variable NEWSCRAWL_DB, else sqlite:///<project>/data/news.db.
NEWSCRAWL_DB = os.environ.get("NEWSCRAWL_DB", "")
# A page where site owners can read what this crawler is and how to reach its operator.
NEWSCRAWL_CONTACT_URL = os.environ.get(
    "NEWSCRAWL_CONTACT_URL", "https://github.com/newscrawl/newscrawl"
)
# The sources file read by the `news` spider (`-a sources=PATH` overrides it per run).
NEWSCRAWL_SOURCES = ""
# Keep the fetched page of every stored article, Zstandard-compressed (table article_pages), so
# `newscrawl reextract` can re-run extraction without crawling again.
NEWSCRAWL_KEEP_PAGES = True
# Articles are written in one transaction per this many items (and at spider close).
NEWSCRAWL_STORE_BATCH_SIZE = 100
# Seconds a write waits for another process's write lock on the store (an analyst's
# long transaction, another crawl) before it gives up; what is not written is fetched again
# by the next run.
NEWSCRAWL_BUSY_TIMEOUT = 30.0
# Pages whose main text has fewer words are skipped as too_short.
NEWSCRAWL_MIN_WORDS = 50
# Pages larger than this many bytes are not downloaded: the add-on makes it Scrapy's
# DOWNLOAD_MAXSIZE (unless that is set itself), which cancels the download.
NEWSCRAWL_MAX_PAGE_BYTES = 5 * 1024 * 1024
# Sitemap and feed entries older than this many days are not followed (0: no limit).
NEWSCRAWL_SINCE_DAYS = 0
# The `site` spider stops scheduling pages after this many (per start URL / source).
NEWSCRAWL_MAX_PAGES = 500
# Sitemap entries are handed to Scrapy's scheduler this many at a time, whenever it runs
# empty; the rest wait as bare addresses, a tenth of a request's memory (0: all at once).
# Not used with JOBDIR or NEWSCRAWL_REDIS_URL, whose queues are not in memory.
NEWSCRAWL_SCHEDULE_AHEAD = 200
# The `site` spider follows links at most this many hops from its start page.
NEWSCRAWL_MAX_DEPTH = 4
# Skip article pages whose address is already in the store (incremental crawls).
NEWSCRAWL_DELTAFETCH_ENABLED = True
# Send feeds' and sitemaps' stored ETag / Last-Modified back; an unchanged one answers 304.
NEWSCRAWL_CONDITIONAL_ENABLED = True
# Extract pages in this many worker processes; "auto": one per core, at most 4 (none on one
# core), 0: in the crawl's own process.
NEWSCRAWL_EXTRACT_WORKERS = "auto"
# Python's cyclic garbage collector runs after this many net new container objects in the
# crawl's process (Python's default: 700; 0 leaves it so): newscrawl/crawl/gc_threshold.py.
NEWSCRAWL_GC_THRESHOLD = 10000
# Record each run in the crawl_runs table.
NEWSCRAWL_RUNS_ENABLED = True
# The store pipeline (off: nothing is written) and the fingerprinting before it.
NEWSCRAWL_STORE_ENABLED = True
NEWSCRAWL_DEDUPE_ENABLED = True
# The full log of every `newscrawl crawl` / `scrapy crawl` run goes to <folder>/<run id>.log.
# Empty means a `logs` folder beside the SQLite store (data/logs), else data/logs.
NEWSCRAWL_LOG_DIR = ""
# Run logs older than this many days, and all but the newest this many, are deleted at the
# end of each run (0: keep all).
NEWSCRAWL_LOG_KEEP_DAYS = 30
NEWSCRAWL_LOG_KEEP_COUNT = 1000
# Refuse hosts that are or resolve to private, loopback, link-local or other non-public
# addresses, redirects included: turn on when crawling URL lists you did not choose.
NEWSCRAWL_PUBLIC_ADDRESSES_ONLY = False
# Networks (CIDR) the address guard lets through all the same, e.g. an intranet mirror.
NEWSCRAWL_ALLOWED_NETWORKS: list[str] = []
# Near-duplicate detection (docs/dedupe.md): the share of the shorter text's 5-word shingles
# found in the longer one from which it is a syndicated copy, the least length ratio of the
# two, the shortest text judged by similarity, and the most stored texts checked a lookup.
NEWSCRAWL_NEAR_DUP_THRESHOLD = 0.7
NEWSCRAWL_NEAR_DUP_MIN_LENGTH_RATIO = 0.4
NEWSCRAWL_NEAR_DUP_MIN_WORDS = 30
NEWSCRAWL_NEAR_DUP_MAX_CANDIDATES = 20
# A shared frontier (docs/deployment.md, extra `cluster`): with a Redis URL, every crawl
# process of the same spider and frontier name shares one request queue and one request
# filter, on one machine or many. Empty: each process has its own, in memory.
NEWSCRAWL_REDIS_URL = os.environ.get("NEWSCRAWL_REDIS_URL", "")
# The prefix of the frontier's Redis keys: two deployments or jobs on one Redis need two names.
NEWSCRAWL_FRONTIER_NAME = os.environ.get("NEWSCRAWL_FRONTIER_NAME", "newscrawl")

# --- politeness ----------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_TIMES = 2
COOKIES_ENABLED = False
# Sitemaps written by CMSs are often wrapped in alternates; keep only what the site lists.
SITEMAP_ALTERNATE_LINKS = False
# What one response's callback yields is handed on one at a time: an article page yields one
# item, a listing yields requests that are only scheduled, so more gains nothing; and Scrapy
# starts this many asyncio tasks for every response (its default, 100, cost milliseconds of
# CPU a page; docs/performance.md). Responses are still processed side by side.
CONCURRENT_ITEMS = 1

# --- components ----------------------------------------------------------------------------
# Derives USER_AGENT (from NEWSCRAWL_CONTACT_URL) and DOWNLOAD_MAXSIZE (from
# NEWSCRAWL_MAX_PAGE_BYTES) when the crawler starts; setting them yourself wins.
ADDONS = {
    "newscrawl.crawl.addon.NewscrawlAddon": 0,
    # Only with NEWSCRAWL_REDIS_URL set: the shared frontier (docs/deployment.md).
    "newscrawl.crawl.frontier.SharedFrontier": 10,
}
# --- components ----------------------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    # First, so that nothing (robots.txt included) reaches a refused address.
    "newscrawl.crawl.addressguard.AddressGuard": 40,
    "newscrawl.crawl.deltafetch.DeltaFetch": 50,
    "newscrawl.crawl.conditional.ConditionalRequests": 60,
    # Scrapy's meta-refresh redirects, at Scrapy's place, without decoding the whole page.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "newscrawl.crawl.meta_refresh.HeadMetaRefreshMiddleware": 580,
}
ITEM_PIPELINES = {
    "pipelines.dedupe.DedupePipeline": 200,
    "pipelines.store.StorePipeline": 800,
}
EXTENSIONS = {
    # The crawl's one store engine, shared by the components below and above.
    "newscrawl.store.extension.StoreExtension": 0,
    "newscrawl.store.run_records.RunRecorder": 0,
    "newscrawl.crawl.gc_threshold.GcThreshold": 0,
}
# Turns the shared frontier on when NEWSCRAWL_REDIS_URL is set, as each crawler starts.
# A crawler run from cron needs no remote shells into the process.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

LOG_LEVEL = os.environ.get("NEWSCRAWL_LOG_LEVEL", "INFO")
FEED_EXPORT_ENCODING = "utf-8"
