"""Crawl throughput: every spider against a synthetic news site on 127.0.0.1.

    .venv/bin/python -m bench.crawl                      # 300 articles, all spiders
    .venv/bin/python -m bench.crawl --rounds 3 --workers 2   # as in docs/performance.md

Writes a site of N distinct articles (plus home, section pages, an RSS feed, a sitemap index,
robots.txt) to a temporary folder, serves it with ``newscrawl.demo.server.SiteServer`` and runs
``python -m scrapy crawl <spider>`` in a child process per spider, each into a fresh SQLite
store, as a user would. Per run it reads the run's stats from ``crawl_runs`` and the stored
count from ``articles``, and the child's peak RSS from ``os.wait4``. A second feed run on the
same store measures the incremental path; an in-process loop over ``extract_article`` gives the
extraction-only baseline. Results: a table on stdout and ``bench/results/crawl.json``.
See docs/performance.md for a reading of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

from newscrawl.demo.server import SiteServer
from newscrawl.extraction.article import Article
from newscrawl.extraction.extract import extract_article

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "crawl.json"
FAST = {
    "AUTOTHROTTLE_ENABLED": "0",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "LOG_LEVEL": "INFO",
}
SITE_NAME = "The Lowmoor Herald"
SECTIONS = ("world", "politics", "business", "science", "sport")
PER_PAGE = 20  # teasers per section page
PER_SITEMAP = 200  # urls per child sitemap, so the index has several

# --- text ------------------------------------------------------------------------------------
NOUNS = """council harbour bridge budget school hospital railway ferry festival election union
factory museum library reservoir vineyard orchard quarry airport tramline stadium market mill
lighthouse estuary pipeline warehouse clinic court charity theatre observatory shipyard depot
refinery brewery fishery canal tunnel orchestra laboratory archive bakery pharmacy cathedral
garrison prison academy newsroom hostel farmhouse marina""".split()
ADJS = """ambitious delayed controversial modest costly temporary historic overdue crowded
fragile ageing popular unexpected cautious revised disputed generous remote rural coastal
northern southern eastern western sprawling tiny vacant flooded restored rival interim
seasonal regional local national private public""".split()
VERBS = """approved rejected postponed expanded reviewed questioned funded challenged defended
closed reopened surveyed inspected criticised welcomed blocked audited mapped rebuilt
relocated suspended doubled halved praised opposed debated""".split()
PLACES = """Lowmoor Ashby Kelderwick Penhallow Stranmere Oxcombe Bridgeford Thornley Caldmouth
Vessingham Harrowgate Elmstead Rookhaven Marlow Tidebury Westerleigh Greywater Fenwick
Sandholm Quarryton Dunmere Hollins Brackenfold Cullerton""".split()
FIRST = """Ada Bram Celia Dev Elin Farid Greta Hugo Imani Jonas Kira Lars Mona Niall Orla
Pavel Quinn Rosa Saul Tamsin Umar Vera Wyn Yusuf Zara""".split()
LAST = """Abbott Bellamy Carrow Dunmore Ellery Farrant Gossage Hartigan Ibbotson Jarrow
Kettering Lomax Mabbott Nightingale Oakes Pennock Quayle Rudd Sallis Tregear Underhill
Varley Whitlock Yeoman""".split()
ROLES = """councillor engineer treasurer headteacher surgeon skipper economist
historian spokesperson director inspector trustee curator chairwoman planner""".split()
MONTHS = """January February March April May June July August September October November
December""".split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
TEMPLATES = (
    "{Name}, the {role} who {verb} the {noun} plan in {place}, said the {adj} scheme would "
    "cost {num} million pounds by {month}.",
    "Residents of {place} {verb} the {adj} {noun} on {day}, and {num} of them signed a letter "
    "to the {role}.",
    "According to {Name}, a {role} in {place}, the {noun} had been {adj} since {month} and "
    "needed {num} more staff.",
    "The {noun} in {place} was {verb} after a {adj} report found {num} faults in its {noun2}.",
    "{Name} told the {paper} that the {adj} {noun} was never meant to replace the {noun2} "
    "at {place}.",
    "On {day} the {role} {verb} a {adj} proposal to link the {noun} with the {noun2} near {place}.",
    "Figures seen by the {paper} show that {num} families in {place} rely on the {noun}, "
    "which the {role} {verb} in {month}.",
    "{Name} said: “We {verb} the {noun} because the {adj} {noun2} left us no choice.”",
    "Work on the {adj} {noun} at {place} is expected to take {num} weeks, {Name} said.",
    "Critics in {place} argue the {noun} is {adj}, while the {role} insists the {noun2} "
    "budget of {num} thousand pounds is fair.",
    "A {adj} survey of the {noun} by {Name} counted {num} visitors on a single {day}.",
    "The {role} for {place}, {Name}, {verb} the decision and promised a {adj} review of "
    "the {noun2} before {month}.",
)


def _fill(rng: random.Random, template: str) -> str:
    values = {
        "Name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        "role": rng.choice(ROLES),
        "verb": rng.choice(VERBS),
        "noun": rng.choice(NOUNS),
        "noun2": rng.choice(NOUNS),
        "adj": rng.choice(ADJS),
        "place": rng.choice(PLACES),
        "num": str(rng.randint(2, 980)),
        "month": rng.choice(MONTHS),
        "day": rng.choice(DAYS),
        "paper": SITE_NAME.removeprefix("The "),
    }
    return _AN.sub(r"\1n \2", template.format(**values))


_AN = re.compile(r"\b([Aa]) ([aeiou])")  # "a unexpected" -> "an unexpected"


def article_text(rng: random.Random, words: int) -> list[str]:
    """Paragraphs of templated sentences, about ``words`` words in all."""
    paragraphs: list[str] = []
    total = 0
    while total < words:
        sentences = [_fill(rng, rng.choice(TEMPLATES)) for _ in range(rng.randint(2, 4))]
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        total += len(paragraph.split())
    return paragraphs


# --- the site --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Story:
    index: int
    path: str
    title: str
    standfirst: str
    section: str
    author: str
    published: datetime
    paragraphs: tuple[str, ...]

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


def make_stories(n: int, seed: int) -> list[Story]:
    rng = random.Random(seed)
    start = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)
    stories = []
    for i in range(n):
        place, noun, verb = rng.choice(PLACES), rng.choice(NOUNS), rng.choice(VERBS)
        title = f"{place} {noun} {verb} as {rng.choice(ADJS)} {rng.choice(NOUNS)} row grows"
        published = start + timedelta(minutes=97 * i)
        slug = "-".join(title.lower().split()[:6]) + f"-{i}"
        stories.append(
            Story(
                index=i,
                path=f"/{published:%Y/%m/%d}/{slug}.html",
                title=title,
                standfirst=_fill(rng, rng.choice(TEMPLATES)),
                section=SECTIONS[i % len(SECTIONS)],
                author=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                published=published,
                paragraphs=tuple(article_text(rng, rng.randint(300, 640))),
            )
        )
    return stories


def _nav() -> str:
    links = "".join(f'<li><a href="/{s}/">{s.title()}</a></li>' for s in SECTIONS)
    return f"""<header class="site-header">
  <a class="logo" href="/">{SITE_NAME}</a>
  <form class="site-search" action="/search" method="get" role="search">
    <label for="q">What are you searching for ?</label>
    <input id="q" name="q" type="search"> <button type="submit">Search</button>
  </form>
  <nav class="main-nav"><ul><li><a href="/">Home</a></li>{links}</ul></nav>
</header>"""


def _sidebar(latest: list[Story]) -> str:
    items = "".join(
        f'<li><a href="{s.path}">{escape(s.title)}</a><p class="teaser">'
        f"{escape(s.standfirst[:90])}..</p></li>"
        for s in latest
    )
    return f"""<aside class="sidebar"><section class="latest-news"><h2>Latest News</h2>
<ul>{items}</ul></section>
<div class="ad-slot"><span class="ad-label">Advertisement</span></div></aside>"""


FOOTER = f"""<aside class="newsletter-signup"><h2>Get the Herald newsletter</h2>
<p>The day's top stories in your inbox every morning.</p>
<form action="/newsletter" method="post"><input type="email" name="email">
<button type="submit">Sign me up</button></form></aside>
<footer class="site-footer"><ul><li><a href="/about.html">About us</a></li>
<li><a href="/feed.xml">RSS</a></li><li><a href="/about.html#privacy">Privacy</a></li></ul>
<p class="copyright">© 2024 {SITE_NAME} Ltd. All rights reserved.</p></footer>"""


def _page(title: str, head: str, body: str, latest: list[Story]) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(title)} | {SITE_NAME}</title>
<link rel="alternate" type="application/rss+xml" href="{{{{BASE}}}}/feed.xml">
{head}</head>
<body>
<div id="cookie-banner" class="cookie-consent"><p>We use cookies to improve your experience.
</p><button type="button">Accept all</button></div>
{_nav()}
<main id="content">{body}</main>
{_sidebar(latest)}
{FOOTER}
</body></html>
"""


def article_html(story: Story, latest: list[Story], related: list[Story]) -> str:
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.title,
        "description": story.standfirst,
        "mainEntityOfPage": "{{BASE}}" + story.path,
        "articleSection": story.section.title(),
        "author": {"@type": "Person", "name": story.author},
        "publisher": {"@type": "Organization", "name": SITE_NAME},
        "datePublished": story.published.isoformat(),
    }
    head = f"""<meta name="description" content="{escape(story.standfirst)}">
<link rel="canonical" href="{{{{BASE}}}}{story.path}">
<meta property="og:type" content="article">
<meta property="og:title" content="{escape(story.title)}">
<meta property="article:published_time" content="{story.published.isoformat()}">
<script type="application/ld+json">{json.dumps(ld)}</script>
"""
    paragraphs = "\n".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
    shared = "{{BASE}}" + story.path
    rel = "".join(f'<li><a href="{s.path}">{escape(s.title)}</a></li>' for s in related)
    body = f"""<article class="story"><header><h1>{escape(story.title)}</h1>
<p class="standfirst">{escape(story.standfirst)}</p>
<div class="byline">By {escape(story.author)} · <time datetime="{story.published.isoformat()}">
{story.published:%d %B %Y, %H:%M}</time></div></header>
<div class="share-bar"><a href="https://www.facebook.com/sharer/sharer.php?u={shared}">Share</a>
<a href="https://twitter.com/intent/tweet?url={shared}">Tweet</a>
<button type="button">Copy link</button></div>
<div class="story-body">
{paragraphs}
</div>
<aside class="related"><h2>Related</h2><ul>{rel}</ul></aside></article>"""
    return _page(story.title, head, body, latest)


def teaser(text: str, limit: int = 110) -> str:
    """The first words of a standfirst, as section pages show them."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def listing_html(title: str, stories: list[Story], pages: list[str], latest: list[Story]) -> str:
    teasers = "\n".join(
        f'<article class="teaser"><h3><a href="{s.path}">{escape(s.title)}</a></h3>'
        f"<p>{escape(teaser(s.standfirst))}</p></article>"
        for s in stories
    )
    pager = " ".join(f'<a href="{p}">{n}</a>' for n, p in enumerate(pages, 1))
    body = f'<h1>{escape(title)}</h1>\n{teasers}\n<nav class="pager">{pager}</nav>'
    return _page(title, "", body, latest)


def _write(root: Path, path: str, text: str) -> None:
    target = root / path.lstrip("/")
    if path.endswith("/"):
        target = target / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def write_site(root: Path, stories: list[Story]) -> None:
    newest = sorted(stories, key=lambda s: s.published, reverse=True)
    latest = newest[:5]
    for story in stories:
        peers = [s for s in stories if s.section == story.section and s is not story]
        related = peers[story.index % max(len(peers), 1) :][:2]
        _write(root, story.path, article_html(story, latest, related))
    for section in SECTIONS:
        mine = [s for s in newest if s.section == section]
        chunks = [mine[i : i + PER_PAGE] for i in range(0, len(mine), PER_PAGE)] or [[]]
        pages = [f"/{section}/"] + [f"/{section}/page/{n}/" for n in range(2, len(chunks) + 1)]
        for path, chunk in zip(pages, chunks, strict=True):
            _write(root, path, listing_html(section.title(), chunk, pages, latest))
    _write(root, "/", listing_html("Top stories", newest[:PER_PAGE], ["/"], latest))
    _write(root, "/about.html", _page("About us", "", "<h1>About us</h1>", latest))
    robots = "User-agent: *\nDisallow: /search\n\nSitemap: {{BASE}}/sitemap.xml\n"
    _write(root, "/robots.txt", robots)
    items = "\n".join(
        f"<item><title>{escape(s.title)}</title><link>{{{{BASE}}}}{s.path}</link>"
        f'<guid isPermaLink="true">{{{{BASE}}}}{s.path}</guid>'
        f"<pubDate>{format_datetime(s.published)}</pubDate>"
        f"<description>{escape(s.standfirst)}</description></item>"
        for s in newest
    )
    _write(
        root,
        "/feed.xml",
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{SITE_NAME}</title><link>{{{{BASE}}}}/</link>"
        f"<description>News</description>\n{items}\n</channel></rss>\n",
    )
    children = []
    for n, i in enumerate(range(0, len(newest), PER_SITEMAP), 1):
        urls = "\n".join(
            f"<url><loc>{{{{BASE}}}}{s.path}</loc><lastmod>{s.published.isoformat()}</lastmod></url>"
            for s in newest[i : i + PER_SITEMAP]
        )
        _write(
            root,
            f"/sitemap-articles-{n}.xml",
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}\n</urlset>\n',
        )
        children.append(f"<sitemap><loc>{{{{BASE}}}}/sitemap-articles-{n}.xml</loc></sitemap>")
    _write(
        root,
        "/sitemap.xml",
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(children)
        + "\n</sitemapindex>\n",
    )


# --- runs ------------------------------------------------------------------------------------
class BenchError(RuntimeError):
    """A run failed; the message says which and why."""


@dataclass(slots=True)
class RunResult:
    name: str
    spider: str
    articles_expected: int
    pages_fetched: int = 0
    articles_stored: int = 0
    duplicates_stored: int = 0
    requests: int = 0
    extracted_ok: int = 0
    elapsed_s: float = 0.0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    pages_per_s: float = 0.0
    peak_rss_mb: float = 0.0
    article_hits: int = 0
    deltafetch_skipped: int = 0
    status: str = ""
    extraction_share: float | None = None  # of the elapsed time
    extraction_share_cpu: float | None = None  # of the CPU time beyond start-up
    load_1m: float = 0.0  # the machine's load average when the run started
    elapsed_rounds: list[float] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)


def run_child(
    cmd: list[str], env: dict[str, str], log: Path, timeout: float
) -> tuple[int, float, float]:
    """Run ``cmd``: its exit code, peak RSS in MiB and CPU seconds (``os.wait4``, this child).

    CPU time (user + system) barely moves when other work shares the machine, unlike the
    elapsed time; it includes the ~1.5 s of Python and Scrapy start-up.
    """
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            cpu = usage.ru_utime + usage.ru_stime
            return proc.returncode, usage.ru_maxrss / 1024, cpu  # ru_maxrss: KiB on Linux
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise BenchError(f"{' '.join(cmd[2:5])} did not finish in {timeout:.0f}s; see {log}")
        time.sleep(0.05)


def read_store(db: Path) -> tuple[dict[str, Any], str, int, int]:
    with sqlite3.connect(db) as conn:
        newest = "SELECT status, stats FROM crawl_runs ORDER BY id DESC LIMIT 1"
        row = conn.execute(newest).fetchone()
        if row is None:
            raise BenchError(f"no crawl_runs row in {db}")
        stored, dups = conn.execute("SELECT COUNT(*), COUNT(duplicate_of) FROM articles").fetchone()
    return json.loads(row[1] or "{}"), row[0], stored, dups


def crawl(
    site: SiteServer,
    name: str,
    spider: str,
    args: dict[str, str],
    db: Path,
    expected: int,
    settings: dict[str, str],
    timeout: float,
) -> RunResult:
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, "--verbose"]  # full log to `log`
    for key, value in args.items():
        cmd += ["-a", f"{key}={value}"]
    for key, value in settings.items():
        cmd += ["-s", f"{key}={value}"]
    env = {**os.environ, "NEWSCRAWL_DB": f"sqlite:///{db}"}
    log = db.with_name(f"{name}.log")
    site.hits.reset()
    load = os.getloadavg()[0]
    started = time.perf_counter()
    code, rss, cpu = run_child(cmd, env, log, timeout)
    wall = time.perf_counter() - started
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
    if code != 0:
        raise BenchError(f"{name}: `scrapy crawl {spider}` exited {code}; log {log}:\n{tail}")
    stats, status, stored, dups = read_store(db)
    fetched = int(stats.get("newscrawl/pages/fetched", 0))
    elapsed = float(stats.get("elapsed_time_seconds") or 0.0)
    story_paths = {p for p in site.hits.snapshot() if p.endswith(".html") and p[1:5].isdigit()}
    return RunResult(
        name=name,
        spider=spider,
        articles_expected=expected,
        pages_fetched=fetched,
        articles_stored=stored,
        duplicates_stored=dups,
        requests=int(stats.get("downloader/request_count", 0)),
        extracted_ok=int(stats.get("newscrawl/extract/ok", 0)),
        elapsed_s=round(elapsed, 2),
        wall_s=round(wall, 2),
        cpu_s=round(cpu, 2),
        pages_per_s=round(fetched / elapsed, 1) if elapsed else 0.0,
        peak_rss_mb=round(rss, 1),
        article_hits=sum(site.hits[p] for p in story_paths),
        deltafetch_skipped=int(stats.get("newscrawl/deltafetch/skipped", 0)),
        status=status,
        load_1m=round(load, 2),
        elapsed_rounds=[round(elapsed, 2)],
        settings=settings,
    )


def extraction_baseline(root: Path, base: str, repeat: int) -> dict[str, float]:
    """Seconds per page (elapsed and CPU) for extract_article, article and listing pages."""
    articles: list[tuple[str, str]] = []
    listings: list[tuple[str, str]] = []
    for file in sorted(root.rglob("*.html")):
        path = "/" + file.relative_to(root).as_posix().removesuffix("index.html")
        html = file.read_text(encoding="utf-8").replace("{{BASE}}", base)
        (articles if path[1:5].isdigit() else listings).append((html, base + path))
    result: dict[str, float] = {"article_pages": len(articles), "listing_pages": len(listings)}
    for kind, pages in (("article", articles), ("listing", listings)):
        times, cpu_times, ok = [], [], 0
        for _ in range(repeat):
            ok = 0
            started, cpu_started = time.perf_counter(), time.process_time()
            for html, url in pages:
                ok += isinstance(extract_article(html, url), Article)
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu_started)
        per_page = statistics.median(times) / max(len(pages), 1)
        result[f"{kind}_s_per_page"] = per_page
        result[f"{kind}_cpu_s_per_page"] = statistics.median(cpu_times) / max(len(pages), 1)
        result[f"{kind}_pages_per_s"] = round(1 / per_page, 1) if per_page else 0.0
        result[f"{kind}_extracted_ok"] = ok
    return result


# --- report ----------------------------------------------------------------------------------
COLUMNS = (
    ("run", "name", "{}"), ("pages", "pages_fetched", "{}"), ("stored", "articles_stored", "{}"),
    ("dups", "duplicates_stored", "{}"), ("requests", "requests", "{}"),
    ("elapsed s", "elapsed_s", "{:.2f}"), ("wall s", "wall_s", "{:.2f}"),
    ("CPU s", "cpu_s", "{:.2f}"), ("pages/s", "pages_per_s", "{:.1f}"),
    ("peak RSS MiB", "peak_rss_mb", "{:.0f}"), ("article hits", "article_hits", "{}"),
    ("deltafetch skipped", "deltafetch_skipped", "{}"),
    ("extract/elapsed", "extraction_share", "{:.0%}"),
    ("extract/CPU", "extraction_share_cpu", "{:.0%}"),
)  # fmt: skip


def table(runs: list[RunResult]) -> str:
    head = [c[0] for c in COLUMNS]
    rows = [
        [fmt.format(v) if (v := getattr(r, attr)) is not None else "-" for _, attr, fmt in COLUMNS]
        for r in runs
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def checks(runs: list[RunResult]) -> list[str]:
    problems = []
    for r in runs:
        if r.status != "finished":
            problems.append(f"{r.name}: run status {r.status!r}, not 'finished'")
        if r.articles_stored != r.articles_expected:
            problems.append(
                f"{r.name}: {r.articles_stored} articles stored, expected {r.articles_expected}"
            )
        if r.duplicates_stored:
            problems.append(f"{r.name}: {r.duplicates_stored} articles judged duplicates")
        if r.name == "feed-incremental" and r.article_hits:
            problems.append(f"{r.name}: {r.article_hits} article pages downloaded again")
    return problems


def median_run(results: list[RunResult]) -> RunResult:
    """The round with the median elapsed time, carrying every round's elapsed time."""
    ordered = sorted(results, key=lambda r: r.elapsed_s)
    chosen = ordered[(len(ordered) - 1) // 2]
    chosen.elapsed_rounds = [r.elapsed_s for r in results]
    return chosen


def run_all(opts: argparse.Namespace, work: Path) -> tuple[list[RunResult], dict[str, float]]:
    stories = make_stories(opts.pages, opts.seed)
    write_site(work / "site", stories)
    words = [s.words for s in stories]
    print(f"site: {len(stories)} articles of {min(words)}-{max(words)} words, in {work}")
    n = len(stories)
    runs: list[RunResult] = []
    with SiteServer(work / "site") as site:
        base = site.base_url
        (work / "urls.txt").write_text("".join(f"{base}{s.path}\n" for s in stories))
        feed = {"url": f"{base}/feed.xml"}
        plan: list[tuple[str, str, dict[str, str], dict[str, str]]] = [
            ("feed", "feed", feed, FAST),
            ("sitemap", "sitemap", {"url": f"{base}/robots.txt"}, FAST),
            ("site", "site", {"url": f"{base}/", "max_pages": str(4 * n + 100)}, FAST),
            ("urls", "urls", {"file": str(work / "urls.txt")}, FAST),
        ]
        # One page, not an article: what every run pays to start, open the store and stop.
        plan.append(("startup", "urls", {"url": f"{base}/about.html"}, FAST))
        if opts.workers:
            workers = {**FAST, "NEWSCRAWL_EXTRACT_WORKERS": str(opts.workers)}
            plan.append((f"feed-workers-{opts.workers}", "feed", feed, workers))
        for name, spider, args, settings in plan:
            rounds = []
            for k in range(1, opts.rounds + 1):
                print(f"running {name} (round {k}/{opts.rounds}) ...", flush=True)
                db = work / f"{name}-{k}.db"
                expected = 0 if name == "startup" else n
                rounds.append(crawl(site, name, spider, args, db, expected, settings, opts.timeout))
            runs.append(median_run(rounds))
            if name == "feed":
                # Again on the store the last feed round filled: every article is known.
                print("running feed-incremental ...", flush=True)
                db = work / f"feed-{opts.rounds}.db"
                runs.append(
                    crawl(site, "feed-incremental", "feed", feed, db, n, FAST, opts.timeout)
                )
        baseline = extraction_baseline(work / "site", base, opts.repeat)
    if not opts.no_polite:
        small = make_stories(opts.polite_pages, opts.seed + 1)
        write_site(work / "small", small)
        with SiteServer(work / "small") as site:
            print("running feed-polite (shipped settings) ...", flush=True)
            args = {"url": f"{site.base_url}/feed.xml"}
            db = work / "polite.db"
            runs.append(crawl(site, "feed-polite", "feed", args, db, len(small), {}, opts.timeout))
    startup_cpu = next(r.cpu_s for r in runs if r.name == "startup")
    for r in runs:
        if r.name in ("startup", "feed-incremental") or r.name.startswith("feed-workers"):
            continue  # nothing extracted, or extracted in processes not measured here
        # Listing pages (home, sections) are extracted too, then followed or skipped.
        listings = max(r.pages_fetched - r.extracted_ok, 0)
        spent = r.extracted_ok * baseline["article_s_per_page"]
        spent += listings * baseline["listing_s_per_page"]
        cpu = r.extracted_ok * baseline["article_cpu_s_per_page"]
        cpu += listings * baseline["listing_cpu_s_per_page"]
        if r.elapsed_s:
            r.extraction_share = round(spent / r.elapsed_s, 3)
        if r.cpu_s > startup_cpu:
            r.extraction_share_cpu = round(cpu / (r.cpu_s - startup_cpu), 3)
    return runs, baseline


def git_state() -> str:
    """The commit the code was run at, with "+dirty" when the work tree has changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
    except OSError:
        return "unknown"
    return (head or "unknown") + ("+dirty" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crawl", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--pages", type=int, default=300, help="articles in the site (300)")
    parser.add_argument("--polite-pages", type=int, default=30, help="articles, polite run (30)")
    parser.add_argument("--no-polite", action="store_true", help="skip the polite run")
    parser.add_argument("--seed", type=int, default=20240501, help="text generator seed")
    parser.add_argument("--rounds", type=int, default=1, help="runs per spider, median (1)")
    parser.add_argument("--workers", type=int, default=0, help="also a feed run with N workers")
    parser.add_argument("--repeat", type=int, default=3, help="extraction passes, median (3)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per crawl (900)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    opts = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="newscrawl-bench-"))
    load_before = os.getloadavg()
    try:
        runs, baseline = run_all(opts, work)
    except BenchError as exc:
        print(f"bench.crawl: FAILED: {exc}\n(files kept in {work})", file=sys.stderr)
        return 1
    print()
    print(table(runs))
    print(
        f"\nextraction only, in process (median of {opts.repeat} passes): "
        f"{baseline['article_pages_per_s']} article pages/s "
        f"({baseline['article_extracted_ok']:.0f}/{baseline['article_pages']:.0f} extracted), "
        f"{baseline['listing_pages_per_s']} listing pages/s "
        f"({baseline['listing_pages']:.0f} pages)"
    )
    machine = {
        "commit": git_state(),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_before": [round(x, 2) for x in load_before],
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(f"machine: {machine}")
    report = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "argv": sys.argv[1:] if argv is None else argv,
        "machine": machine,
        "pages": opts.pages,
        "polite_pages": opts.polite_pages,
        "seed": opts.seed,
        "rounds": opts.rounds,
        "fast_settings": FAST,
        "runs": [asdict(r) for r in runs],
        "extraction_baseline": baseline,
    }
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    opts.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {opts.out}")
    problems = checks(runs)
    for problem in problems:
        print(f"bench.crawl: CHECK FAILED: {problem}", file=sys.stderr)
    if problems or opts.keep:
        print(f"(files kept in {work})", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
