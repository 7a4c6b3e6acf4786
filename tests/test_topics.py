"""Per category, tag and author feeds; the OPML list; head links; hubs; stale files; size warnings."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
from lxml import etree

import feeds.select
from feeds.errors import BuildError
from feeds.select import select_feeds, topic_slug
from tests.conftest import NOW, Build, make_entry, site_config


def _article(site: Path, name: str, front: str) -> None:
    (site / "articles" / name).write_text(f"---\n{front}\n---\nBody.\n", encoding="utf-8")


def test_topic_slugs_are_stable_and_safe() -> None:
    assert topic_slug("Kharkiv Oblast") == "kharkiv-oblast"
    assert topic_slug("war") == "war"
    assert topic_slug("C++") != topic_slug("C") == "c"
    assert topic_slug("C++").startswith("c-")
    assert topic_slug("Київ").startswith("kiiv-")  # transliterated, plus a hash
    for tricky in ("../etc", "a/b", "/root", "..", "🚀🚀"):
        slug = topic_slug(tricky)
        assert "/" not in slug and ".." not in slug and slug
    assert topic_slug("a/b") != topic_slug("a b")


LONG = "w" * 100


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Kharkiv Oblast", "Kharkiv-Oblast"),  # a space and a hyphen
        ("Alpha Beta", "alpha-beta"),
        ("a b", "a-b"),
        ("a b", "a  b"),  # one space or two
        (LONG + "a", LONG + "b"),  # the same first 60 characters
        ("x" * 60, "x" * 61),
        ("c 3ce177", "C++"),  # a plain name spelling another's hashed slug
    ],
)
def test_distinct_names_never_share_a_slug(one: str, other: str) -> None:
    assert topic_slug(one) != topic_slug(other)


def test_plain_names_keep_their_plain_slugs() -> None:
    assert topic_slug("Kharkiv Oblast") == topic_slug("kharkiv oblast") == "kharkiv-oblast"
    assert topic_slug("x" * 60) == "x" * 60
    assert topic_slug("Kharkiv-Oblast").startswith("kharkiv-oblast-")
    assert topic_slug(LONG + "a").startswith("w" * 60 + "-")


def test_every_distinct_name_gets_its_own_folder(empty_site: Path, build: Build) -> None:
    names = ["Kharkiv Oblast", "Kharkiv-Oblast", "Alpha Beta", "alpha-beta", LONG + "a", LONG + "b"]
    for number, name in enumerate(names):
        (empty_site / "articles" / f"a{number}.json").write_text(
            json.dumps({"title": f"A{number}", "date": f"2022-01-0{number + 1}", "tags": [name]}),
            encoding="utf-8",
        )
    _article(empty_site, "k.md", "title: K\ndate: 2022-02-01\ntags: [kharkiv oblast]")
    build(empty_site, NOW)
    public = empty_site / "public"
    for number, name in enumerate(names):
        tag = json.loads((public / f"tags/{topic_slug(name)}/feed.json").read_bytes())
        titles = [item["title"] for item in tag["items"]]
        assert titles == (["K", "A0"] if number == 0 else [f"A{number}"]), name
    opml = etree.fromstring((public / "feeds.opml").read_bytes())
    urls = [o.get("xmlUrl") for o in opml.iter("outline") if o.get("xmlUrl")]
    assert len(urls) == len(set(urls)) == 1 + len(names)


def test_two_feeds_with_the_same_files_stop_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds.select, "topic_slug", lambda name: "same")
    entries = [make_entry(1, tags=("Alpha",)), make_entry(2, tags=("Beta",))]
    shared = r"^tags/same/rss\.xml: both '.*' and '.*' would be written there$"
    with pytest.raises(BuildError, match=shared) as error:
        select_feeds(entries, site_config())
    assert "tag Alpha" in str(error.value) and "tag Beta" in str(error.value)


def test_topic_feeds_in_three_formats(empty_site: Path, build: Build) -> None:
    _article(
        empty_site,
        "a.md",
        "title: A\ndate: 2022-01-01\ntags: [Київ, War]\ncategories: [News]\nauthor: Ann Lee",
    )
    _article(empty_site, "b.md", "title: B\ndate: 2022-01-02\ntags: [war]\nauthor: Bob")
    outcome = build(empty_site, NOW)
    public = empty_site / "public"
    kyiv = f"tags/{topic_slug('Київ')}/"
    expected = ["", "categories/news/", "tags/war/", kyiv, "authors/ann-lee/", "authors/bob/"]
    for folder in expected:
        for name in ("rss.xml", "atom.xml", "feed.json"):
            assert (public / folder / name).is_file(), folder + name
    war = feedparser.parse((public / "tags/war/atom.xml").read_bytes())
    assert [e.title for e in war.entries] == ["B", "A"]  # 'War' and 'war' are one tag
    assert war.feed.title == "Test Site: tag War"
    assert [link.href for link in war.feed.links if link.rel == "self"] == [
        "https://example.org/tags/war/atom.xml"
    ]
    bob = feedparser.parse((public / "authors/bob/rss.xml").read_bytes())
    assert [e.title for e in bob.entries] == ["B"]
    assert len(outcome.result.feeds) == len(expected)


def test_topics_can_be_switched_off(empty_site: Path, build: Build) -> None:
    (empty_site / "feeds.toml").write_text(
        (empty_site / "feeds.toml").read_text(encoding="utf-8") + 'topics = ["tags"]\n', encoding="utf-8"
    )
    _article(empty_site, "a.md", "title: A\ndate: 2022-01-01\ntags: [x]\ncategories: [c]\nauthor: Ann")
    build(empty_site, NOW)
    assert (empty_site / "public/tags/x/atom.xml").is_file()
    assert not (empty_site / "public/categories").exists()
    assert not (empty_site / "public/authors").exists()


def test_opml_lists_every_head_feed(empty_site: Path, build: Build) -> None:
    _article(empty_site, "a.md", "title: A\ndate: 2022-01-01\ntags: [x, y]\nauthor: Ann")
    build(empty_site, NOW)
    opml = etree.fromstring((empty_site / "public/feeds.opml").read_bytes())
    assert opml.get("version") == "2.0"
    urls = [o.get("xmlUrl") for o in opml.iter("outline") if o.get("xmlUrl")]
    assert urls == [
        "https://example.org/atom.xml",
        "https://example.org/tags/x/atom.xml",
        "https://example.org/tags/y/atom.xml",
        "https://example.org/authors/ann/atom.xml",
    ]
    assert [o.get("text") for o in opml.find("body")] == ["Test Site", "Tags", "Authors"]


def test_head_links_snippet(empty_site: Path, build: Build) -> None:
    build(empty_site, NOW)
    snippet = (empty_site / "public/feed-links.html").read_text(encoding="utf-8")
    assert (
        '<link rel="alternate" type="application/rss+xml" title="Test Site (RSS)" href="https://example.org/rss.xml">'
        in snippet
    )
    assert 'type="application/atom+xml"' in snippet and 'type="application/feed+json"' in snippet


def test_hub_is_announced_in_every_format(empty_site: Path, build: Build) -> None:
    (empty_site / "feeds.toml").write_text(
        (empty_site / "feeds.toml").read_text(encoding="utf-8") + 'hub = "https://hub.example.org/"\n',
        encoding="utf-8",
    )
    _article(empty_site, "a.md", "title: A\ndate: 2022-01-01\ntags: [x]")
    build(empty_site, NOW)
    public = empty_site / "public"
    for path in ("atom.xml", "rss.xml", "tags/x/atom.xml"):
        links = {(link.rel, link.href) for link in feedparser.parse((public / path).read_bytes()).feed.links}
        assert ("hub", "https://hub.example.org/") in links
        assert ("self", f"https://example.org/{path}") in links
    assert json.loads((public / "feed.json").read_bytes())["hubs"] == [
        {"type": "WebSub", "url": "https://hub.example.org/"}
    ]


def test_a_topic_that_goes_away_leaves_no_files(empty_site: Path, build: Build) -> None:
    _article(empty_site, "a.md", "title: A\ndate: 2022-01-01\ntags: [gone]")
    (empty_site / "public").mkdir()
    (empty_site / "public/robots.txt").write_text("mine\n", encoding="utf-8")
    build(empty_site, NOW)
    assert (empty_site / "public/tags/gone/atom.xml").is_file()
    _article(empty_site, "a.md", "title: A\ndate: 2022-01-01")
    outcome = build(empty_site, NOW)
    assert outcome.written is not None
    assert set(outcome.written.removed) == {"tags/gone/rss.xml", "tags/gone/atom.xml", "tags/gone/feed.json"}
    assert not (empty_site / "public/tags").exists()
    assert (empty_site / "public/robots.txt").read_text(encoding="utf-8") == "mine\n"  # never ours to remove


def test_a_feed_over_the_size_limit_is_a_warning(empty_site: Path, build: Build) -> None:
    (empty_site / "feeds.toml").write_text(
        (empty_site / "feeds.toml").read_text(encoding="utf-8") + "max_feed_bytes = 2000\ntopics = []\n",
        encoding="utf-8",
    )
    (empty_site / "articles/big.md").write_text(
        "---\ntitle: Big\ndate: 2022-01-01\n---\n" + "word " * 1000, encoding="utf-8"
    )
    outcome = build(empty_site, NOW)
    warnings = [str(p) for p in outcome.result.problems]
    assert len(warnings) == 3  # rss, atom, json
    assert all(": warning: is " in w and "more than max_feed_bytes (2,000)" in w for w in warnings)
    assert outcome.result.rejected == 0
    assert (empty_site / "public/atom.xml").is_file()
