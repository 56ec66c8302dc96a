"""Each named boilerplate rule, on a page of our own that has the boilerplate it targets.

Every rule in newscrawl.extraction.rules.REGISTRY must have a case here
(test_every_rule_has_a_case), so a new rule cannot land untested.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from newscrawl.extraction import metadata
from newscrawl.extraction.article import Article
from newscrawl.extraction.body import anchor_texts, main_text
from newscrawl.extraction.decoding import parse_document
from newscrawl.extraction.extract import extract_article
from newscrawl.extraction.lines import clean_lines
from newscrawl.extraction.rules import REGISTRY, disabled

ARTICLE_URL = "https://www.example-gazette.com/news/2024/05/01/harbour-bridge-repairs-begin"

PARAGRAPHS = (
    "Repairs on the old harbour bridge began on Monday morning, three years after engineers "
    "first warned that the steel deck was corroding faster than the city had expected.",
    "The works will close one lane in each direction until the end of September, and the "
    "council has asked commuters to use the ferry or the northern ring road where possible.",
    "Engineers will replace more than four hundred bolts and repaint the whole structure with "
    "a coating that should protect it from salt spray for at least twenty-five years.",
    "Local shop owners said they feared losing customers during the summer, although the "
    "mayor promised a fund to compensate businesses that can show a drop in their takings.",
    "The bridge carries about forty thousand vehicles a day and is the only direct link "
    "between the old town and the container port on the other side of the estuary.",
    "A second phase, planned for next spring, will widen the footpaths and add a protected "
    "cycle lane, which campaigners have requested for more than a decade.",
)


def article_page(
    *,
    inside: str = "",
    before: str = "",
    after: str = "",
    head: str = "",
    title: str = "Harbour bridge repairs begin | The Example Gazette",
    headline: str = "Harbour bridge repairs begin",
    paragraphs: tuple[str, ...] = PARAGRAPHS,
    middle: str = "",
) -> str:
    """An article page; ``inside`` goes after the last paragraph, ``middle`` after the third."""
    body = [f"<p>{text}</p>" for text in paragraphs]
    body.insert(3, middle)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{title}</title>
<meta property="og:type" content="article">
<meta property="og:site_name" content="The Example Gazette">
{head}
</head><body>
<header><a href="/">The Example Gazette</a>
<nav><ul><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li>
<li><a href="/culture">Culture</a></li></ul></nav></header>
{before}
<main><article>
<h1>{headline}</h1>
{"".join(body)}
{inside}
</article></main>
{after}
<footer><p>The Example Gazette, 1 Quay Street.</p></footer>
</body></html>"""


@dataclass(frozen=True)
class Case:
    html: str
    gone: tuple[str, ...]  # must not be in the text
    kept: tuple[str, ...] = ()  # must be in the text (besides the article paragraphs)


def run_rules(html: str, url: str = ARTICLE_URL):
    tree = parse_document(html)
    page = metadata.read_page_meta(tree)
    anchors = anchor_texts(tree, url)
    return main_text(tree, html, url, page, anchors, 50)


def extract_ok(html: str, url: str = ARTICLE_URL) -> Article:
    result = extract_article(html, url)
    assert isinstance(result, Article), result
    return result


CASES: dict[str, Case] = {
    "hidden_elements": Case(
        article_page(
            middle='<div style="display: none"><p>Send this story to a friend by email now '
            'please.</p></div><span class="sr-only">Opens in a new window for you</span>'
        ),
        gone=("Send this story to a friend", "Opens in a new window"),
    ),
    "print_only": Case(
        article_page(
            before='<div class="print-header"><p>This copy is printed from the Example Gazette '
            "website for personal use only.</p></div>"
        ),
        gone=("This copy is printed",),
    ),
    "hover_cards": Case(
        article_page(
            paragraphs=(
                'The mayor, <span class="rollover-people"><a href="/people/ann-lee">Ann Lee'
                '</a><span class="rollover-people-block"><span class="rollover-block">Ann Lee '
                "latest: Budget row deepens as councillors walk out</span></span></span>, said "
                "the repairs were overdue and "
                "would be paid for from the transport budget approved last year.",
                *PARAGRAPHS[1:],
            )
        ),
        gone=("Budget row deepens",),
        kept=("The mayor, Ann Lee, said the repairs were overdue",),
    ),
    "subscription_boxes": Case(
        article_page(
            inside='<div class="newsletter-signup"><h3>The Morning Brief</h3><p>Get the '
            "stories that matter delivered every weekday at seven o'clock.</p></div>"
            '<div id="cookie-consent"><p>We and our partners store data to personalise '
            "content and measure audiences across the site.</p></div>"
        ),
        gone=("The Morning Brief", "stories that matter delivered", "store data to personalise"),
    ),
    "comment_sections": Case(
        article_page(
            after='<section id="comments"><h3>12 comments</h3><ol class="comment-list">'
            '<li class="comment"><b>harbourwatcher</b><p>About time, the rust has been '
            "visible from the ferry for years.</p><a href='#reply'>Reply</a></li></ol>"
            "</section>"
        ),
        gone=("12 comments", "harbourwatcher", "rust has been visible"),
    ),
    "share_boxes": Case(
        article_page(
            middle='<div class="share-tools"><a href="/share/fb">Post to your wall</a> '
            '<a href="/share/mail">Send it to a friend</a></div>'
        ),
        gone=("Post to your wall", "Send it to a friend"),
    ),
    "teaser_sections": Case(
        article_page(
            after='<section class="related-stories"><h2>Elsewhere in the paper</h2>'
            '<div><h3><a href="/news/2024/05/01/ferry-timetable">Ferry timetable extended '
            "for the summer season</a></h3><p>Extra sailings start in June on the estuary "
            "line.</p></div></section>"
        ),
        gone=("Elsewhere in the paper", "Ferry timetable extended", "Extra sailings start"),
    ),
    "captions_and_credits": Case(
        article_page(
            middle='<figure><img src="/img/bridge.jpg" alt=""><figcaption>Workers on the '
            "deck of the bridge at dawn on Monday</figcaption></figure>"
            '<div class="image-credit">Picture agency north photographers</div>'
        ),
        gone=("Workers on the deck", "Picture agency north"),
    ),
    "search_forms": Case(
        article_page(
            before='<form role="search" action="/search"><label>Looking for something in '
            'our archive today</label><input type="search" name="q"></form>'
        ),
        gone=("Looking for something in our archive",),
    ),
    "nested_articles": Case(
        article_page(
            inside='<article class="card"><h3><a href="/news/2024/04/30/tram-strike">Tram '
            "drivers vote for a strike in June</a></h3><p>The union said talks had failed "
            "after six weeks of negotiations with the operator.</p></article>"
        ),
        gone=("Tram drivers vote", "talks had failed after six weeks"),
    ),
    "story_header": Case(
        article_page().replace(
            "<h1>Harbour bridge repairs begin</h1>",
            '<header class="story-header"><p class="kicker">Transport</p>'
            '<h1>Harbour bridge repairs begin</h1><p class="standfirst">Lane closures until '
            "September as engineers replace corroded bolts on the deck.</p>"
            '<div class="byline">By Jane Roe, transport correspondent</div></header>',
        ),
        gone=("Transport", "Lane closures until September", "By Jane Roe"),
    ),
    "link_lists": Case(
        article_page(
            inside='<ul><li><a href="/news/a">Council approves new parking charges in the '
            'centre</a></li><li><a href="/news/b">School meals to cost more from '
            'September</a></li><li><a href="/news/c">Lifeboat crew rescues two '
            "kayakers off the point</a></li></ul>"
        ),
        gone=("new parking charges", "School meals", "Lifeboat crew"),
    ),
    "leading_headline": Case(
        article_page(
            headline="Harbour bridge repairs begin",
            paragraphs=("Harbour bridge repairs begin", *PARAGRAPHS),
        ),
        gone=("Harbour bridge repairs begin",),
    ),
    "read_more_pointers": Case(
        article_page(
            middle='<p>Read more: <a href="/news/bridge-history">Why the bridge was built '
            "in a hurry in 1961</a></p><p>RELATED Coastal road to close for a "
            "week of resurfacing</p>"
        ),
        gone=("Why the bridge was built", "Coastal road to close"),
    ),
    "read_more_lines": Case(
        article_page(inside="<p>Continue reading</p>"),
        gone=("Continue reading",),
    ),
    "calls_to_action": Case(
        article_page(
            inside="<p>Follow us on Twitter and Facebook for the latest updates.</p>"
            "<p>Have a tip? Write to Jane Roe at jane.roe@example-gazette.com.</p>"
        ),
        gone=("Follow us on Twitter", "Write to Jane Roe"),
    ),
    "cookie_and_paywall_notices": Case(
        article_page(
            inside="<p>This website uses cookies to improve your experience.</p>"
            "<p>Already a subscriber? Log in to continue reading.</p>"
        ),
        gone=("uses cookies", "Already a subscriber"),
    ),
    "share_lines": Case(
        article_page(inside="<p>Share | Tweet | Email | Print</p>"),
        gone=("Share | Tweet",),
    ),
    "search_prompts": Case(
        article_page(middle="<p>What are you searching for ?</p>"),
        gone=("What are you searching for",),
    ),
    "image_credits": Case(
        article_page(middle="<p>(AP Photo/John Smith)</p><p>Photo: Getty Images</p>"),
        gone=("AP Photo", "Getty Images"),
    ),
    "tag_lines": Case(
        article_page(inside="<p>Tags: bridge, harbour, roadworks, council</p>"),
        gone=("Tags: bridge",),
    ),
    "machine_timestamps": Case(
        article_page(inside="<p>2024-05-01T09:30:00+02:00</p>"),
        gone=("2024-05-01T09:30:00",),
    ),
    "dateline_stubs": Case(
        article_page(middle="<p>Published May 1, 2024 at 9:30 am</p><p>Updated 2 hours ago</p>"),
        gone=("Published May 1, 2024", "Updated 2 hours ago"),
    ),
    "teaser_blocks": Case(
        article_page(
            inside='<p>Latest News</p><p><a href="/news/2024/05/01/pier">Pier reopens '
            'after winter storms damage</a></p><p><a href="/news/2024/05/01/market">'
            "Market traders win fight over rent rise</a></p>"
        ),
        gone=("Latest News", "Pier reopens", "Market traders win"),
    ),
    "truncated_teasers": Case(
        article_page(
            inside="<p>Around the region</p>"
            "<p>Farmers in the valley say the dry spring has cut the first hay harvest by ..</p>"
            "<p>The county's oldest cinema will show films again after a two-year ..</p>"
            "<p>Volunteers planted four thousand trees along the old railway line in ..</p>"
        ),
        gone=("Around the region", "dry spring", "oldest cinema", "Volunteers planted"),
    ),
    "link_lines": Case(
        article_page(
            middle='<p><a href="/news/2024/04/29/ferry">FERRY FARES TO RISE BY TEN PER CENT '
            'IN JULY</a></p><p><a href="/news/2024/04/28/tide">Record tide floods the quay '
            "car park overnight</a> [VIDEO]</p>"
        ),
        gone=("FERRY FARES", "Record tide floods"),
    ),
}


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == set(REGISTRY)


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_removes_its_boilerplate(name: str) -> None:
    case = CASES[name]
    main = run_rules(case.html)
    assert main.removed[name] >= 1, f"rule {name} did not fire: {dict(main.removed)}"
    for snippet in case.gone:
        assert snippet not in main.text
    for snippet in (*case.kept, *(p[:60] for p in PARAGRAPHS[1:])):
        assert snippet in main.text


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_pages_extract_as_articles(name: str) -> None:
    article = extract_ok(CASES[name].html)
    for snippet in CASES[name].gone:
        assert snippet not in article.text


def test_link_lines_keeps_links_out_of_the_site() -> None:
    # A product or source linked out of the site is content, not a promo for another story.
    text = "\n".join((PARAGRAPHS[0], "Acme Steel Kettle 1.7 litre", "Ferry fares rise in July"))
    anchors = {"acme steel kettle 1 7 litre": False, "ferry fares rise in july": True}
    cleaned, removed = clean_lines(text, headlines=set(), anchors=anchors)
    assert "Acme Steel Kettle" in cleaned
    assert "Ferry fares" not in cleaned
    assert removed == {"link_lines": 1}


def test_a_wrapper_with_a_boilerplate_class_keeps_the_article() -> None:
    # "paywall" marks the gated body on some sites: the text-share guard keeps it.
    html = article_page().replace("<main><article>", '<main><article class="paywall-body">')
    article = extract_ok(html)
    assert PARAGRAPHS[2][:50] in article.text


def test_json_ld_article_body_is_a_fallback_for_script_loaded_bodies() -> None:
    # The page shows the first half; the structured copy has the whole story.
    full = " ".join(PARAGRAPHS)
    html = article_page(
        paragraphs=PARAGRAPHS[:3],
        head='<script type="application/ld+json">{"@context": "https://schema.org", '
        f'"@type": "NewsArticle", "headline": "Harbour bridge repairs begin", '
        f'"articleBody": "{full}"}}</script>',
    )
    main = run_rules(html)
    assert main.source == "json_ld_article_body"
    assert PARAGRAPHS[4][:50] in main.text


def test_json_ld_article_body_of_another_story_is_ignored() -> None:
    other = "A completely different story about a village fete " * 20
    html = article_page(
        head='<script type="application/ld+json">{"@type": "NewsArticle", '
        f'"articleBody": "{other}"}}</script>',
    )
    main = run_rules(html)
    assert main.source != "json_ld_article_body"
    assert "village fete" not in main.text


def test_a_disabled_rule_does_not_fire() -> None:
    case = CASES["share_lines"]
    with disabled("share_lines"):
        main = run_rules(case.html)
    assert main.removed["share_lines"] == 0
    assert "Share | Tweet" in main.text
    with pytest.raises(KeyError):
        disabled("no_such_rule").__enter__()


def test_every_rule_is_documented() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "extraction.md").read_text(encoding="utf-8")
    missing = [name for name in REGISTRY if f"| `{name}` |" not in docs]
    assert not missing, f"rules missing from docs/extraction.md: {missing}"


def split_body_page() -> str:
    # The body cut into three blocks, each in its own grid cell between ad slots.
    blocks = [PARAGRAPHS[0:2], PARAGRAPHS[2:4], PARAGRAPHS[4:6]]
    cells = "".join(
        '<div class="grid"><div class="body__container article__body">'
        + "".join(f"<p>{text}</p>" for text in block)
        + '</div><div class="ad-rail">Advertisement</div></div>'
        for block in blocks
    )
    comments = "".join(
        f'<div class="comment-body"><p>{PARAGRAPHS[i][::-1]}</p><p>{PARAGRAPHS[i][::-1]}</p></div>'
        for i in range(3)
    )
    return (
        '<html lang="en"><head><title>Harbour bridge repairs begin</title>'
        '<meta property="og:type" content="article"></head><body><main><article>'
        f"<h1>Harbour bridge repairs begin</h1>{cells}</article>"
        f'<section id="comments">{comments}</section></main></body></html>'
    )


def test_a_body_split_around_ads_is_merged() -> None:
    main = run_rules(split_body_page())
    assert main.source == "merged_split_body"
    for text in PARAGRAPHS:
        assert text[:60] in main.text
    # Comments repeat per comment, not per part of the story: never merged into the body.
    assert PARAGRAPHS[0][::-1][:40] not in main.text


@pytest.mark.parametrize(
    "sentence",
    [
        "More households now subscribe to two or more streaming services, the survey found.",
        "The new law restricts the use of cookies by advertising networks across Europe.",
        "MORE than 100 people were evacuated from the flats on Tuesday night.",
        "Topics, such as climate and housing, dominated the debate in the chamber.",
        "Phishing emails that land in your inbox are getting harder to spot, experts warn.",
        "Get the kettle on: forecasters expect the coldest night of the year.",
        "Published in 1851, the newspaper is the oldest in the region.",
        "2019",
        "Related research by the university found the same effect in older patients.",
    ],
)
def test_reporting_sentences_are_kept(sentence: str) -> None:
    # Words that rules look for ("subscribe to", "cookies", "MORE", "Topics") inside
    # ordinary reporting: the line rules must leave these alone.
    text = "\n".join((PARAGRAPHS[0], sentence, PARAGRAPHS[1]))
    cleaned, removed = clean_lines(text, headlines=set(), anchors={})
    assert sentence in cleaned, removed


def test_links_inside_sentences_are_never_cut() -> None:
    sentence = (
        'The figures match <a class="related-article-link" href="/news/2024/04/01/report">'
        "a report by the port authority</a> published last week, officials said."
    )
    main = run_rules(article_page(middle=f"<p>{sentence}</p>"))
    assert "The figures match a report by the port authority published last week" in main.text
