"""RFC 5005 archives: walk from the head to the oldest article, meeting every id once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
from lxml import etree

from feeds.model import Entry
from feeds.select import Topic, paged_feeds
from tests.conftest import NOW, Build, site_config

FH_ARCHIVE = "{http://purl.org/syndication/history/1.0}archive"
ATOM_LINK = "{http://www.w3.org/2005/Atom}link"


def _write_articles(site: Path, count: int, start: int = 0) -> None:
    first = datetime(2020, 1, 1, 8, 0, tzinfo=UTC)
    for number in range(start, start + count):
        published = (first + timedelta(hours=number)).isoformat()
        (site / "articles" / f"a{number:04}.md").write_text(
            f"---\ntitle: Article {number}\ndate: {published}\ntags: [t{number % 3}]\n---\nText {number}.\n",
            encoding="utf-8",
        )


def _config(site: Path, **keys: object) -> None:
    lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in keys.items())
    path = site / "feeds.toml"
    path.write_text(path.read_text(encoding="utf-8") + lines, encoding="utf-8")


def _walk(public: Path, start: str, base: str = "https://example.org/") -> tuple[list[str], int]:
    """Follow prev-archive links from `start` as an aggregator would; ids met, documents read."""
    ids: list[str] = []
    documents = 0
    url: str | None = base + start
    while url is not None:
        parsed = feedparser.parse((public / url.removeprefix(base)).read_bytes())
        assert parsed.bozo == 0
        documents += 1
        ids += [entry.id for entry in parsed.entries]
        url = next((link.href for link in parsed.feed.links if link.rel == "prev-archive"), None)
    return ids, documents


def test_walking_the_archive_meets_every_id_exactly_once(empty_site: Path, build: Build) -> None:
    _config(empty_site, feed_limit=50, archive_page_size=40)
    _write_articles(empty_site, 300)
    outcome = build(empty_site, NOW)
    public = empty_site / "public"
    everything = {entry.id for entry in outcome.result.entries}
    assert len(everything) == 300
    for start in ("atom.xml", "rss.xml"):
        ids, documents = _walk(public, start)
        assert len(ids) == len(set(ids)) == 300
        assert set(ids) == everything
        assert documents == 1 + 7  # head (50) + 6 full pages of 40 (240) + a partial page of 10
    # Newest first: the walk goes back in time.
    ids, _ = _walk(public, "atom.xml")
    assert ids[0] == "tag:example.org,2020-01-13:a0299" and ids[-1] == "tag:example.org,2020-01-01:a0000"


def test_full_pages_never_change_when_articles_arrive(empty_site: Path, build: Build) -> None:
    _config(empty_site, feed_limit=10, archive_page_size=10)
    _write_articles(empty_site, 45)
    build(empty_site, NOW)
    public = empty_site / "public"
    before = {p: p.read_bytes() for p in public.glob("archive/*/*")}
    assert len(before) == 4 * 3  # pages 1-3 full, page 4 holds 5
    _write_articles(empty_site, 3, start=45)
    outcome = build(empty_site, NOW + timedelta(hours=1))
    assert outcome.written is not None
    changed = set(outcome.written.changed)
    assert {p for p in changed if p.startswith("archive/")} == {
        "archive/4/rss.xml",
        "archive/4/atom.xml",
        "archive/4/feed.json",
    }
    for path, data in before.items():
        if "/4/" not in str(path):
            assert path.read_bytes() == data


def test_a_full_last_page_links_to_an_empty_next_page(empty_site: Path, build: Build) -> None:
    _config(empty_site, feed_limit=5, archive_page_size=5)
    _write_articles(empty_site, 15)
    build(empty_site, NOW)
    public = empty_site / "public"
    page2 = etree.fromstring((public / "archive/2/atom.xml").read_bytes())
    links = {link.get("rel"): link.get("href") for link in page2.iter("{http://www.w3.org/2005/Atom}link")}
    assert links["next-archive"] == "https://example.org/archive/3/atom.xml"
    assert links["prev-archive"] == "https://example.org/archive/1/atom.xml"
    assert links["current"] == "https://example.org/atom.xml"
    assert page2.find(FH_ARCHIVE) is not None
    page3 = feedparser.parse((public / "archive/3/atom.xml").read_bytes())
    assert page3.entries == [] and page3.bozo == 0
    head = feedparser.parse((public / "atom.xml").read_bytes())
    assert [link.href for link in head.feed.links if link.rel == "prev-archive"] == [
        "https://example.org/archive/3/atom.xml"
    ]
    assert etree.fromstring((public / "atom.xml").read_bytes()).find(FH_ARCHIVE) is None


def test_a_lone_partial_page_links_to_an_empty_next_page(empty_site: Path, build: Build) -> None:
    _write_articles(empty_site, 70)  # default sizes: 50 in the head, 20 on one archive page
    build(empty_site, NOW)
    public = empty_site / "public"
    ids, documents = _walk(public, "atom.xml")
    assert len(ids) == len(set(ids)) == 70
    assert documents == 1 + 2  # head, the empty page 2, page 1 (20)
    page1 = feedparser.parse((public / "archive/1/atom.xml").read_bytes())
    assert len(page1.entries) == 20
    assert [link.href for link in page1.feed.links if link.rel == "next-archive"] == [
        "https://example.org/archive/2/atom.xml"
    ]
    # What the W3C validator asks of every archive document: a neighbour, or fh:complete.
    pages = sorted(public.glob("**/archive/*/*.xml"))
    assert len(pages) == 2 * 2  # pages 1 and 2, RSS and Atom
    for path in pages:
        rels = {link.get("rel") for link in etree.fromstring(path.read_bytes()).iter(ATOM_LINK)}
        assert rels & {"prev-archive", "next-archive"}, path


def test_json_feed_pages_chain_with_next_url(empty_site: Path, build: Build) -> None:
    _config(empty_site, feed_limit=4, archive_page_size=3)
    _write_articles(empty_site, 10)
    build(empty_site, NOW)
    public = empty_site / "public"
    ids: list[str] = []
    url: str | None = "https://example.org/feed.json"
    while url:
        document = json.loads((public / url.removeprefix("https://example.org/")).read_bytes())
        ids += [item["id"] for item in document["items"]]
        url = document.get("next_url")
    assert len(ids) == len(set(ids)) == 10


def test_paging_is_pure_and_sized_by_the_config() -> None:
    entries = [
        Entry(
            id=f"e{n}",
            key=f"k{n}",
            source=f"s{n}",
            slug=f"e{n}",
            title=f"E{n}",
            url=f"https://example.org/{n}",
            published=NOW - timedelta(days=n),
            updated=NOW - timedelta(days=n),
            summary="s",
            content_html="<p>c</p>",
        )
        for n in range(7)
    ]
    feeds = paged_feeds(Topic("site", "Site", ""), entries, site_config(feed_limit=3, archive_page_size=2))
    assert [[e.id for e in f.entries] for f in feeds] == [["e0", "e1", "e2"], ["e5", "e6"], ["e3", "e4"], []]
    assert [f.files.atom for f in feeds] == [
        "atom.xml",
        "archive/1/atom.xml",
        "archive/2/atom.xml",
        "archive/3/atom.xml",
    ]
