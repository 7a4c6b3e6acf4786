"""Every feed of the sample site, read back by feedparser: valid, and saying what the articles say."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest

from tests.conftest import NOW

# What the sample articles say, worked out by hand from articles/ (newest first).
EXPECTED = [
    (
        "tag:news.example.org,2022-09-20:how-we-publish",
        "How we publish: feeds, corrections & updates",
        "https://news.example.org/articles/2022/how-we-publish/",
        "2022-09-20T09:00:00+03:00",
    ),
    (
        "tag:news.example.org,2022-09-16:demining-explained",
        "Demining, explained: why liberated land stays dangerous",
        "https://news.example.org/articles/2022/demining-explained/",
        "2022-09-16T18:30:00+03:00",
    ),
    (
        "urn:uuid:7d9e2c4b-5a6f-4b8c-9d0e-1f2a3b4c5d6e",
        "Wire: sappers begin clearing Izyum's centre",
        "https://news.example.org/articles/2022/wire-sappers-begin-clearing-izyum-s-centre/",
        "2022-09-16T18:00:00+03:00",  # Unix time 1663340400 is 15:00 UTC
    ),
    (
        "urn:uuid:0b8e3f5a-1c2d-4e6f-8a9b-7c6d5e4f3a21",
        "Wire: humanitarian convoy leaves for Izyum",
        "https://news.example.org/articles/2022/wire-humanitarian-convoy-leaves-for-izyum/",
        "2022-09-15T07:30:00+03:00",
    ),
    (
        "urn:uuid:6c1f4b2e-8a0d-4f5e-9b7a-3d2c1e0f9a87",
        "Morning briefing: power returns to parts of Kharkiv Oblast",
        "https://news.example.org/articles/2022/briefing-2022-09-14/",  # one-record file: slug from its name
        "2022-09-14T08:00:00+03:00",
    ),
    (
        "tag:news.example.org,2022-09-13:kharkiv-oblast-after-the-retreat",
        "Devastation and evidence of war crimes found in wake of Russian retreat from Kharkiv Oblast",
        "https://news.example.org/articles/2022/kharkiv-oblast-after-the-retreat/",
        "2022-09-13T14:05:00+03:00",
    ),
]
SUMMARIES = {
    "tag:news.example.org,2022-09-20:how-we-publish": (
        "Every report on this site is published as RSS, Atom and JSON Feed. "
        "Here is what a feed reader will see when we correct a story."
    ),
    "urn:uuid:6c1f4b2e-8a0d-4f5e-9b7a-3d2c1e0f9a87": "Crews restored power to several villages overnight; "
    "Izyum is still dark.",
    "urn:uuid:7d9e2c4b-5a6f-4b8c-9d0e-1f2a3b4c5d6e": "Sappers began sweeping the centre of Izyum for mines "
    "and unexploded shells on Friday, the mayor said.",
}


@pytest.fixture
def public(sample_site: Path, build) -> Path:
    build(sample_site, NOW)
    return sample_site / "public"


@pytest.mark.parametrize("name", ["rss.xml", "atom.xml"])
def test_xml_feeds_parse_cleanly_and_round_trip(public: Path, name: str) -> None:
    parsed = feedparser.parse((public / name).read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == ("rss20" if name == "rss.xml" else "atom10")
    got = [(e.id, e.title, e.link) for e in parsed.entries]
    assert got == [(i, t, u) for i, t, u, _ in EXPECTED]
    for entry in parsed.entries:
        if entry.id in SUMMARIES:
            assert entry.summary == SUMMARIES[entry.id]


def test_json_feed_round_trips(public: Path) -> None:
    document = json.loads((public / "feed.json").read_bytes())
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["feed_url"] == "https://news.example.org/feed.json"
    got = [(i["id"], i["title"], i["url"], i["date_published"]) for i in document["items"]]
    assert got == EXPECTED
    assert list(document["items"][0]) == [
        "id",
        "url",
        "title",
        "content_html",
        "summary",
        "image",
        "date_published",
        "date_modified",
        "authors",
        "tags",
    ]


def test_draft_is_not_published(public: Path) -> None:
    for name in ("rss.xml", "atom.xml", "feed.json"):
        assert "corrections policy" not in (public / name).read_text(encoding="utf-8").lower()


def test_feed_metadata(public: Path) -> None:
    atom = feedparser.parse((public / "atom.xml").read_bytes()).feed
    assert atom.title == "Frontline Desk"
    assert atom.updated == "2022-09-20T09:00:00+03:00"  # the newest entry's time, not the clock
    assert atom.language == "en"
    assert atom.author_detail.name == "Frontline Desk"
    links = {(link.rel, link.href) for link in atom.links}
    assert ("self", "https://news.example.org/atom.xml") in links
    assert ("alternate", "https://news.example.org/") in links
    rss = feedparser.parse((public / "rss.xml").read_bytes()).feed
    assert rss.link == "https://news.example.org/"
    assert rss.updated == "Tue, 20 Sep 2022 09:00:00 +0300"


def test_edited_article_has_its_own_updated_time(public: Path) -> None:
    atom = feedparser.parse((public / "atom.xml").read_bytes())
    demining = next(e for e in atom.entries if "demining-explained" in e.id)
    assert demining.published == "2022-09-16T18:30:00+03:00"
    assert demining.updated == "2022-09-18T10:15:00+03:00"


def test_authors_with_and_without_email(public: Path) -> None:
    rss = (public / "rss.xml").read_text(encoding="utf-8")
    assert "<author>olena@news.example.org (Olena Marchuk)</author>" in rss
    assert "<dc:creator>Taras Hnatiuk</dc:creator>" in rss


def test_relative_links_and_images_are_absolute(public: Path) -> None:
    atom = feedparser.parse((public / "atom.xml").read_bytes())
    publish = atom.entries[0]
    html = publish.content[0].value
    assert 'src="https://news.example.org/articles/2022/how-we-publish/images/newsroom.jpg"' in html
    assert 'href="https://news.example.org/rss.xml"' in html
    assert 'src="images/' not in html and 'href="/' not in html
