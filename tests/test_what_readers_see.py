"""What a real feed reader sees over time: each article once, edits as updates, ids that never move.

Drives the `reader` library (a feed reader that stores entries in SQLite) and
feedparser against a site in a temporary folder, rebuilt between steps.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from reader import Reader, make_reader

from tests.conftest import NOW, Build

FEEDS = ("atom.xml", "rss.xml")


def _article(site: Path, name: str, title: str, body: str, **meta: str) -> Path:
    lines = [f"title: {json.dumps(title)}", *(f"{key}: {json.dumps(value)}" for key, value in meta.items())]
    path = site / "articles" / name
    path.write_text("---\n" + "\n".join(lines) + "\n---\n" + body + "\n", encoding="utf-8")
    return path


@pytest.fixture
def site(empty_site: Path) -> Path:
    for number in range(1, 11):
        _article(
            empty_site,
            f"story-{number:02}.md",
            f"Story {number}",
            f"Body of story {number}.",
            date=f"2022-09-{number:02}T10:00:00+03:00",
            tags="news, story",
            author="Ann",
        )
    _article(empty_site, "undated.md", "An undated note", "No date here.")
    return empty_site


@pytest.fixture
def readers(site: Path) -> Iterator[dict[str, Reader]]:
    """One reader per format, each subscribed to the site's head feed on disk."""
    opened = {}
    for name in FEEDS:
        subscriber = make_reader(":memory:", feed_root=str(site / "public"))
        subscriber.add_feed(f"file:{name}")
        opened[name] = subscriber
    yield opened
    for subscriber in opened.values():
        subscriber.close()


def _update(subscriber: Reader) -> tuple[int, int]:
    """(new, modified) entries the reader found in this update."""
    new = modified = 0
    for result in subscriber.update_feeds_iter(scheduled=False):
        assert not isinstance(result.value, Exception), result.value
        if result.value is not None:
            new += result.value.new
            modified += result.value.modified
    return new, modified


def _ids(subscriber: Reader) -> list[str]:
    ids = [entry.id for entry in subscriber.get_entries()]
    assert len(ids) == len(set(ids)), "duplicate entries"
    return ids


def test_the_six_scenarios(site: Path, build: Build, readers: dict[str, Reader]) -> None:
    first = build(site, NOW)
    assert first.result.problems == ()
    for subscriber in readers.values():
        assert _update(subscriber) == (11, 0)

    # 1. A rebuild with no change rewrites nothing; readers see nothing new or updated.
    again = build(site, NOW + timedelta(hours=1))
    assert again.written is not None and again.written.changed == () and not again.registry_written
    for subscriber in readers.values():
        assert _update(subscriber) == (0, 0)

    # 2. One new article: exactly one new entry, nothing else updated.
    _article(site, "story-11.md", "Story 11", "Brand new.", date="2022-09-11T10:00:00+03:00", tags="news")
    build(site, NOW + timedelta(hours=2))
    for subscriber in readers.values():
        assert _update(subscriber) == (1, 0)
        assert len(_ids(subscriber)) == 12

    # 3. A body edit: same id, updated moves to the edit's build, published stays; one update.
    edit_time = NOW + timedelta(hours=3)
    _article(
        site,
        "story-05.md",
        "Story 5",
        "Corrected body.",
        date="2022-09-05T10:00:00+03:00",
        tags="news, story",
        author="Ann",
    )
    build(site, edit_time)
    for subscriber in readers.values():
        assert _update(subscriber) == (0, 1)
    atom = feedparser.parse((site / "public" / "atom.xml").read_bytes())
    story5 = next(e for e in atom.entries if e.title == "Story 5")
    assert story5.id == "tag:example.org,2022-09-05:story-05"
    assert story5.published == "2022-09-05T10:00:00+03:00"
    assert story5.updated == "2026-11-25T17:00:00+02:00"  # the edit's build, 15:00 UTC, in Kyiv
    site_json = json.loads((site / "public" / "feed.json").read_bytes())
    item5 = next(i for i in site_json["items"] if i["id"] == story5.id)
    assert item5["date_modified"] == "2026-11-25T17:00:00+02:00"  # 15:00 UTC in Kyiv's winter time
    assert item5["date_published"] == "2022-09-05T10:00:00+03:00"

    # 4. Title, slug and URL changed, and the site moved to https on a new domain: ids stay.
    ids_before = {name: sorted(_ids(r)) for name, r in readers.items()}
    _article(
        site,
        "story-03.md",
        "Story 3, retitled",
        "Body of story 3.",
        date="2022-09-03T10:00:00+03:00",
        slug="third",
        url="/moved/third/",
        tags="news, story",
        author="Ann",
    )
    config = site / "feeds.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("https://example.org/", "https://news.example.net/"),
        encoding="utf-8",
    )
    build(site, NOW + timedelta(hours=4))
    for name, subscriber in readers.items():
        new, _ = _update(subscriber)
        assert new == 0
        assert sorted(_ids(subscriber)) == ids_before[name]

    # 5. An article removed leaves every feed, and its id is never given to another.
    removed_id = "tag:example.org,2022-09-07:story-07"
    (site / "articles" / "story-07.md").unlink()
    build(site, NOW + timedelta(hours=5))
    for path in (site / "public").rglob("*"):
        if path.is_file():
            assert removed_id not in path.read_text(encoding="utf-8"), path
    _article(site, "story-07.md", "A different story", "Other text.", date="2022-09-07T10:00:00+03:00")
    build(site, NOW + timedelta(hours=6))
    reborn = json.loads((site / "public" / "feed.json").read_bytes())
    other = next(i for i in reborn["items"] if i["title"] == "A different story")
    assert other["id"] != removed_id
    assert other["id"] == "tag:news.example.net,2022-09-07:story-07"  # minted on the site's new domain

    # 6. The undated article keeps its first published time across rebuilds, and in a fresh
    #    copy of the site (no output folder) that carries the registry.
    undated = next(i for i in reborn["items"] if i["title"] == "An undated note")
    assert undated["date_published"] == "2026-11-25T14:00:00+02:00"  # the first build's NOW, in Kyiv
    assert undated["id"] == "tag:example.org,2026-11-25:undated"
    clone = site.parent / "clone"
    shutil.copytree(site, clone, ignore=shutil.ignore_patterns("public"))
    build(clone, NOW + timedelta(days=30))
    cloned = json.loads((clone / "public" / "feed.json").read_bytes())
    assert next(i for i in cloned["items"] if i["title"] == "An undated note") == undated
