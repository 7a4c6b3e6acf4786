"""index.html, the page for people: escaping, subscribe fields, topics, newest entries, no outside loads.

The page is parsed as a browser would (html5lib, strictly, when installed; lxml.html
otherwise) and read through its DOM, never by string matching alone.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import lxml.html
import pytest
from lxml import etree

from feeds.model import Author, Entry, Feed, FeedFiles
from feeds.render.page import CONTENT_SECURITY_POLICY, OPEN_GROUP_LIMIT, render_index
from tests.conftest import make_entry

SITE = "https://example.org/news/"
HOSTILE = "<script>alert('x')</script> & \"quotes\" </textarea><!--"
KYIV = timezone(timedelta(hours=3))
WHEN = datetime(2022, 9, 13, 14, 5, tzinfo=KYIV)

html5lib: Any
try:
    import html5lib
except ImportError:  # pragma: no cover - depends on the environment
    html5lib = None


def parse(data: bytes) -> etree._Element:
    """The page's `<html>` element, parsed by html5lib in strict mode if installed (any parse error fails)."""
    if html5lib is not None:
        parser = html5lib.HTMLParser(
            strict=True, tree=html5lib.getTreeBuilder("lxml"), namespaceHTMLElements=False
        )
        document = parser.parse(data)
        return document.getroot()  # type: ignore[no-any-return]
    return lxml.html.document_fromstring(data)


def _entry(n: int, **overrides: object) -> Entry:
    values: dict[str, object] = {"url": f"{SITE}e{n}/", "summary": f"Summary {n}."}
    values.update(overrides)
    when = WHEN + timedelta(hours=n)
    values.setdefault("updated", values.get("published", when))
    return make_entry(n, **{"published": when, **values})  # type: ignore[arg-type]


def _feed(
    entries: tuple[Entry, ...],
    *,
    kind: str = "site",
    folder: str = "",
    title: str = "Site",
    archive: bool = False,
) -> Feed:
    def files(at: str) -> FeedFiles:
        return FeedFiles(rss=f"{at}rss.xml", atom=f"{at}atom.xml", json=f"{at}feed.json")

    return Feed(
        id=SITE + folder,
        title=title,
        description="About the site",
        home_url=SITE,
        base_url=SITE,
        files=files(folder + ("archive/1/" if archive else "")),
        language="en",
        authors=(Author("Desk"),),
        entries=entries,
        updated=max((e.updated for e in entries), default=WHEN),
        kind=kind,
        current=files(folder) if archive else None,
    )


def _newest_first(count: int) -> tuple[Entry, ...]:
    return tuple(_entry(n) for n in range(count, 0, -1))


def _site(*feeds: Feed, entries: tuple[Entry, ...] | None = None) -> list[Feed]:
    return [_feed(_newest_first(3) if entries is None else entries), *feeds]


def _page(feeds: list[Feed], **options: Any) -> etree._Element:
    return parse(render_index(feeds, "Site", "About the site", "en", **options))


def _texts(root: etree._Element, path: str) -> list[str]:
    return ["".join(element.itertext()) for element in root.xpath(path)]  # type: ignore[union-attr]


def test_the_page_is_html5_with_language_charset_and_viewport() -> None:
    data = render_index(_site(), "Site", "About the site", "uk-UA")
    assert data.startswith(b"<!doctype html>\n")
    root = parse(data)
    assert root.tag == "html"
    assert root.get("lang") == "uk-UA"
    assert root.xpath("/html/head/meta[@charset='utf-8']")
    assert root.xpath("/html/head/meta[@name='viewport']/@content") == ["width=device-width, initial-scale=1"]
    assert _texts(root, "/html/head/title") == ["Site"]
    assert _texts(root, "//h1") == ["Site"]
    assert root.xpath("//meta[@name='description']/@content") == ["About the site"]


def test_hostile_text_is_shown_as_text_never_run() -> None:
    entry = _entry(
        1,
        title=HOSTILE,
        summary=HOSTILE,
        authors=(Author(HOSTILE),),
        url=SITE + "x/?a=1&b=<2>",
    )
    topic = _feed((entry,), kind="tags", folder="tags/t/", title=f"{HOSTILE}: tag {HOSTILE}")
    site = _feed((entry,), title=HOSTILE)
    data = render_index([site, topic], HOSTILE, HOSTILE, 'en" onload="x')
    root = parse(data)
    assert len(root.xpath("//script")) == 1  # ours, at the end of body
    assert "alert" not in root.xpath("string(//script)")
    assert not root.xpath("//textarea") and not root.xpath("//comment()")
    assert not [name for element in root.iter() for name in element.attrib if name.startswith("on")]
    assert root.get("lang") == 'en" onload="x'
    assert _texts(root, "//h1") == [HOSTILE]
    assert _texts(root, "/html/head/title") == [HOSTILE]
    assert _texts(root, "//p[@class='lead']") == [HOSTILE]
    assert _texts(root, "//ol[@class='entries']//h3/a") == [HOSTILE]
    assert _texts(root, "//p[@class='summary']") == [HOSTILE]
    assert HOSTILE in root.xpath("string(//p[@class='meta'])")
    assert _texts(root, "//details[@id='tags']//a") == [HOSTILE]
    assert root.xpath("//ol[@class='entries']//h3/a/@href") == [SITE + "x/?a=1&b=<2>"]
    assert root.xpath("//link[@rel='alternate']/@title")[0] == f"{HOSTILE} (RSS)"


def test_an_entry_url_that_is_not_a_web_address_is_not_linked() -> None:
    entries = (_entry(1, url="javascript:alert(1)"), _entry(2, url="data:text/html,x"))
    root = _page(_site(entries=entries))
    assert _texts(root, "//ol[@class='entries']//h3") == ["Entry 1", "Entry 2"]
    assert not root.xpath("//ol[@class='entries']//a")


def test_subscribe_shows_the_three_site_feeds_with_their_absolute_urls() -> None:
    root = _page(_site())
    urls = [SITE + "rss.xml", SITE + "atom.xml", SITE + "feed.json"]
    fields = root.xpath("//section[h2[@id='subscribe']]//input")
    assert [field.get("value") for field in fields] == urls
    assert all(field.get("readonly") is not None and field.get("type") == "text" for field in fields)
    assert [field.get("aria-label") for field in fields] == [
        "RSS feed address",
        "Atom feed address",
        "JSON Feed feed address",
    ]
    links = root.xpath("//section[h2[@id='subscribe']]//li/a")
    assert ["".join(link.itertext()) for link in links] == ["RSS", "Atom", "JSON Feed"]
    assert [link.get("href") for link in links] == ["rss.xml", "atom.xml", "feed.json"]
    # A Copy button per field, naming it; hidden until the script shows it (no JavaScript, no dead button).
    buttons = root.xpath("//button")
    assert [button.get("data-copy") for button in buttons] == [field.get("id") for field in fields]
    assert all(button.get("hidden") is not None and button.text == "Copy" for button in buttons)
    assert "feed reader" in root.xpath("string(//section[h2[@id='subscribe']]/p[1])")


def test_autodiscovery_links_for_the_three_site_feeds_in_the_head() -> None:
    root = _page(_site(_feed((_entry(1),), kind="tags", folder="tags/t/", title="Site: tag t")))
    links = root.xpath("/html/head/link[@rel='alternate']")
    assert [(link.get("type"), link.get("href"), link.get("title")) for link in links] == [
        ("application/rss+xml", SITE + "rss.xml", "Site (RSS)"),
        ("application/atom+xml", SITE + "atom.xml", "Site (Atom)"),
        ("application/feed+json", SITE + "feed.json", "Site (JSON Feed)"),
    ]


def test_topic_feeds_are_listed_by_kind_and_name_with_their_atom_links() -> None:
    one = (_entry(1),)
    topics = [
        _feed(one, kind="tags", folder="tags/war/", title="Site: tag war"),
        _feed(one, kind="tags", folder="tags/war/", title="Site: tag war", archive=True),
        _feed(one, kind="authors", folder="authors/ann-lee/", title="Site: author Ann Lee"),
        _feed(one, kind="tags", folder="tags/izyum/", title="Site: tag Izyum"),
        _feed(one, kind="categories", folder="categories/news/", title="Site: category News"),
        _feed(one, kind="site", folder="", title="Site (archive, page 1)", archive=True),
    ]
    root = _page(_site(*topics))
    assert root.xpath("//details/@id") == ["categories", "tags", "authors"]
    assert _texts(root, "//details/summary") == ["Categories (1)", "Tags (2)", "Authors (1)"]
    assert _texts(root, "//details[@id='tags']//a") == ["Izyum", "war"]  # by name, archives left out
    assert root.xpath("//details//a/@href") == [
        "categories/news/atom.xml",
        "tags/izyum/atom.xml",
        "tags/war/atom.xml",
        "authors/ann-lee/atom.xml",
    ]
    assert set(root.xpath("//details//a/@type")) == {"application/atom+xml"}
    assert all(details.get("open") is not None for details in root.xpath("//details"))


def test_a_long_topic_list_starts_folded_and_none_means_no_section() -> None:
    many = [
        _feed((_entry(1),), kind="tags", folder=f"tags/t{n:03d}/", title=f"Site: tag t{n:03d}")
        for n in range(OPEN_GROUP_LIMIT + 1)
    ]
    root = _page(_site(*many))
    (tags,) = root.xpath("//details[@id='tags']")
    assert tags.get("open") is None
    assert len(tags.xpath(".//li")) == OPEN_GROUP_LIMIT + 1
    bare = _page(_site())
    assert not bare.xpath("//h2[@id='topics']") and not bare.xpath("//details")


def test_a_topic_title_of_another_shape_is_shown_whole() -> None:
    root = _page(_site(_feed((_entry(1),), kind="authors", folder="authors/x/", title="Someone else's feed")))
    assert _texts(root, "//details[@id='authors']//a") == ["Someone else's feed"]


def test_the_opml_file_is_linked() -> None:
    root = _page(_site())
    assert root.xpath("//a[@href='feeds.opml']/@type") == ["text/x-opml"]


def test_newest_entries_in_the_feeds_order_up_to_the_limit() -> None:
    entries = _newest_first(30)
    root = _page(_site(entries=entries))
    assert _texts(root, "//ol[@class='entries']//h3/a") == [f"Entry {n}" for n in range(30, 10, -1)]
    assert root.xpath("//ol[@class='entries']//h3/a/@href") == [f"{SITE}e{n}/" for n in range(30, 10, -1)]
    assert _texts(root, "//p[@class='summary']") == [f"Summary {n}." for n in range(30, 10, -1)]
    three = _page(_site(entries=entries), newest=3)
    assert _texts(three, "//ol[@class='entries']//h3/a") == ["Entry 30", "Entry 29", "Entry 28"]
    everything = _page(_site(entries=entries), newest=100)
    assert len(everything.xpath("//ol[@class='entries']/li")) == 30
    # The page follows the feed's order; it does not re-sort.
    shuffled = (_entry(2), _entry(5), _entry(1))
    assert _texts(_page(_site(entries=shuffled)), "//h3/a") == ["Entry 2", "Entry 5", "Entry 1"]


def test_no_entries_and_a_bad_limit() -> None:
    root = _page(_site(entries=()))
    assert not root.xpath("//ol[@class='entries']")
    assert "No entries yet." in _texts(root, "//section[h2[@id='newest']]/p")
    assert not _page(_site(), newest=0).xpath("//ol[@class='entries']")
    with pytest.raises(ValueError, match="newest"):
        render_index(_site(), "Site", "", "en", newest=-1)


def test_the_site_head_feed_must_come_first() -> None:
    topic = _feed((_entry(1),), kind="tags", folder="tags/t/")
    archive = _feed((_entry(1),), archive=True)
    for feeds in ([], [topic, *_site()], [archive, *_site()]):
        with pytest.raises(ValueError, match="site's head feed"):
            render_index(feeds, "Site", "", "en")


def test_dates_are_times_in_the_entrys_own_offset() -> None:
    kyiv = _entry(1, published=WHEN, updated=WHEN)
    edited = _entry(
        2,
        published=datetime(2022, 9, 16, 18, 30, tzinfo=UTC),
        updated=datetime(2022, 9, 18, 10, 15, 30, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
        authors=(Author("Ann Lee"), Author("Bob")),
    )
    root = _page(_site(entries=(kyiv, edited)))
    times = root.xpath("//ol[@class='entries']//time")
    assert [(time.get("datetime"), time.text) for time in times] == [
        ("2022-09-13T14:05:00+03:00", "2022-09-13 14:05 +03:00"),
        ("2022-09-16T18:30:00+00:00", "2022-09-16 18:30 UTC"),
        ("2022-09-18T10:15:30-05:30", "2022-09-18 10:15 -05:30"),
    ]
    metas = _texts(root, "//p[@class='meta']")
    assert metas == [
        "2022-09-13 14:05 +03:00",
        "2022-09-16 18:30 UTC · updated 2022-09-18 10:15 -05:30 · by Ann Lee, Bob",
    ]


def test_the_same_feeds_give_the_same_bytes() -> None:
    feeds = _site(_feed((_entry(1),), kind="tags", folder="tags/t/", title="Site: tag t"))
    first = render_index(feeds, "Сайт", "Про сайт", "uk")
    assert isinstance(first, bytes)
    assert render_index(list(feeds), "Сайт", "Про сайт", "uk") == first
    assert "Сайт".encode() in first  # UTF-8, as the meta says
    assert first.endswith(b"</html>\n")


def test_nothing_is_loaded_from_elsewhere() -> None:
    """No src at all, no stylesheet or script from a URL; every href is relative or the site's own."""
    root = _page(_site(_feed((_entry(1),), kind="tags", folder="tags/t/", title="Site: tag t")))
    assert not root.xpath("//@src")
    assert not root.xpath("//link[@rel!='alternate']")
    assert not root.xpath("//img | //iframe | //object | //embed | //video | //audio | //source | //form")
    for href in root.xpath("//@href"):
        assert href.startswith(SITE) or not re.match(r"^([a-z][a-z0-9+.-]*:|//)", href, re.IGNORECASE), href
    style = root.xpath("string(//style)")
    assert "url(" not in style and "@import" not in style and "http" not in style
    assert "http" not in root.xpath("string(//script)")


def test_the_content_security_policy_allows_exactly_the_inline_style_and_script() -> None:
    root = _page(_site())
    (policy,) = root.xpath("/html/head/meta[@http-equiv='Content-Security-Policy']/@content")
    assert policy == CONTENT_SECURITY_POLICY
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))

    def sha256(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert directives["default-src"] == "'none'"
    # The browser hashes the element's text exactly as parsed: a mismatch would block it.
    assert directives["style-src"] == sha256(root.xpath("string(//style)"))
    assert directives["script-src"] == sha256(root.xpath("string(//script)"))
    head = root.xpath("/html/head/*")
    position = [element.get("http-equiv") for element in head].index("Content-Security-Policy")
    assert position < [element.tag for element in head].index("style")  # in force before the style
