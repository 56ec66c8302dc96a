"""The synthetic news site of ``python -m bench.crawl``: articles, sections, feed, sitemaps.

N distinct articles of made-up text (``bench.texts``) in a realistic template, a home page,
five paginated sections, an RSS feed, a sitemap index and robots.txt, written to a folder
with ``{{BASE}}`` where the server's address goes (``newscrawl.demo.server.SiteServer``).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

from bench.texts import ADJS, FIRST, LAST, NOUNS, PAPER, PLACES, VERBS, article_text, sentence

SITE_NAME = f"The {PAPER}"
SECTIONS = ("world", "politics", "business", "science", "sport")
PER_PAGE = 20  # teasers per section page
PER_SITEMAP = 200  # urls per child sitemap, so the index has several


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
                standfirst=sentence(rng),
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
    entries = [(f"{{{{BASE}}}}{s.path}", s.published.isoformat()) for s in newest]
    for path, text in sitemaps(entries, "/sitemap.xml", "sitemap-articles", PER_SITEMAP).items():
        _write(root, path, text)


def sitemaps(
    entries: list[tuple[str, str]], index: str, prefix: str, per_file: int
) -> dict[str, str]:
    """A sitemap index at ``index`` and its child sitemaps ``/<prefix>-<n>.xml``: path -> XML.

    ``entries`` are ``(loc, lastmod)``; a loc may start with ``{{BASE}}``.
    """
    files: dict[str, str] = {}
    children = []
    for n, i in enumerate(range(0, len(entries), per_file), 1):
        urls = "\n".join(
            f"<url><loc>{loc}</loc><lastmod>{lastmod}</lastmod></url>"
            for loc, lastmod in entries[i : i + per_file]
        )
        files[f"/{prefix}-{n}.xml"] = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}\n</urlset>\n'
        )
        children.append(f"<sitemap><loc>{{{{BASE}}}}/{prefix}-{n}.xml</loc></sitemap>")
    files[index] = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(children)
        + "\n</sitemapindex>\n"
    )
    return files
