"""Our own checks on rendered feeds (feeds/check.py), and a build whose feed fails them replaces nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import feeds.render
from feeds.check import check_feed
from feeds.cli import main
from feeds.model import FORMATS, Feed, FeedFormat
from feeds.render import render
from feeds.select import select_feeds
from tests.conftest import make_entry, site_config

WHEN = "<updated>2022-01-01T00:00:00Z</updated>"
ATOM_HEAD = f"<id>x</id><title>T</title>{WHEN}"
RSS_CHANNEL = "<title>T</title><link>https://e.org/</link><description>D</description>"


def _atom(*ids: str, head: str = ATOM_HEAD, extra: str = "") -> bytes:
    entries = "".join(f"<entry><id>{i}</id><title>T</title>{WHEN}</entry>" for i in ids)
    return f'<feed xmlns="http://www.w3.org/2005/Atom">{head}{entries}{extra}</feed>'.encode()


def _rss(*guids: str, channel: str = RSS_CHANNEL, extra: str = "") -> bytes:
    items = "".join(f"<item><title>I</title><guid>{g}</guid></item>" for g in guids)
    return f'<rss version="2.0"><channel>{channel}{items}{extra}</channel></rss>'.encode()


def _json(*ids: str) -> bytes:
    items = ", ".join(f'{{"id": "{i}", "content_text": "c"}}' for i in ids)
    return f'{{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [{items}]}}'.encode()


def test_what_we_render_passes() -> None:
    entries = [make_entry(n, tags=("t",)) for n in range(1, 4)]
    for feed in select_feeds(entries, site_config(feed_limit=2, archive_page_size=1)):
        for fmt in FORMATS:
            assert check_feed(fmt, render(feed, fmt)) == [], feed.files.path(fmt)
    # The hand-made documents the tests below break, unbroken.
    assert check_feed("atom", _atom("a", "b")) == check_feed("rss", _rss("a", "b")) == []
    assert check_feed("json", _json("a", "b")) == []


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("data", [b"", b"<feed", b"{", b"<rss><channel></rss>", b"\xff\xfe"])
def test_a_feed_that_is_not_well_formed_fails(fmt: FeedFormat, data: bytes) -> None:
    problems = check_feed(fmt, data)
    assert problems and problems[0].startswith("not well-formed: ")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            b"<rss/>",
            [
                "the root element is not an Atom feed",
                *(f"the feed has no <{p}>" for p in ("id", "title", "updated")),
            ],
        ),
        (_atom(head=f"<title>T</title>{WHEN}"), ["the feed has no <id>"]),
        (_atom(head=f"<id>x</id>{WHEN}"), ["the feed has no <title>"]),
        (_atom(head="<id>x</id><title>T</title>"), ["the feed has no <updated>"]),
        (
            _atom("a", extra="<entry><title>T</title></entry>"),
            ["an entry has no <id>", "an entry has no <updated>"],
        ),
        (_atom("a", extra=f"<entry><id>b</id>{WHEN}</entry>"), ["an entry has no <title>"]),
        (_atom("a", "b", "a"), ["the id 'a' appears 2 times"]),
    ],
)
def test_atom_checks(data: bytes, expected: list[str]) -> None:
    assert check_feed("atom", data) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            b'<feed xmlns="http://www.w3.org/2005/Atom"/>',
            ["the root element is not an RSS 2.0 <rss> with a <channel>"],
        ),
        (b"<rss/>", ["the root element is not an RSS 2.0 <rss> with a <channel>"]),
        (_rss(channel="<link>l</link><description>D</description>"), ["the channel has no <title>"]),
        (_rss(channel="<title>T</title><description>D</description>"), ["the channel has no <link>"]),
        (_rss(channel="<title>T</title><link>l</link>"), ["the channel has no <description>"]),
        (_rss("a", extra="<item><title>I</title></item>"), ["an item has no <guid>"]),
        (_rss("g", "g", "g"), ["the id 'g' appears 3 times"]),
    ],
)
def test_rss_checks(data: bytes, expected: list[str]) -> None:
    assert check_feed("rss", data) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"[]", ["not a JSON Feed document"]),
        (b'{"version": "1.1", "items": []}', ["not a JSON Feed document"]),
        (b'{"version": "https://jsonfeed.org/version/1.1"}', ["the feed has no items list"]),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}', ["the feed has no items list"]),
        (_json("a", "b", "a"), ["the id 'a' appears 2 times"]),
    ],
)
def test_json_feed_checks(data: bytes, expected: list[str]) -> None:
    assert check_feed("json", data) == expected


def test_empty_ids_count_as_ids() -> None:
    atom = _atom(extra=f"<entry><id/><title>T</title>{WHEN}</entry>" * 2)
    assert check_feed("atom", atom) == ["the id '' appears 2 times"]
    assert check_feed("rss", _rss("", "")) == ["the id '' appears 2 times"]


def test_json_is_judged_as_json_reads_it() -> None:
    # orjson reads first; integers past 64 bits become floats there (these two, the same one),
    # and a byte order mark is refused: json, which reads both, has the last word.
    items = '[{"id": 18446744073709551617}, {"id": 18446744073709551616}]'
    big = f'{{"version": "https://jsonfeed.org/version/1.1", "items": {items}}}'.encode()
    assert check_feed("json", big) == []
    assert check_feed("json", b"\xef\xbb\xbf" + _json("a", "b")) == []
    assert check_feed("json", b"\xef\xbb\xbf" + _json("a", "a")) == ["the id 'a' appears 2 times"]


def test_a_feed_failing_our_checks_replaces_nothing(
    sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(sample_site)
    now = ["--now", "2026-11-25T12:00:00Z"]
    assert main(["build", *now]) == 0
    for path in sample_site.rglob("*"):  # an old mtime, so that any rewrite would show
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    # A new article, so that the next build has feeds to render and files to replace.
    (sample_site / "articles/new.md").write_text(
        "---\ntitle: New\ndate: 2026-11-01\n---\nNew.\n", encoding="utf-8"
    )
    before = {
        path: (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(sample_site.rglob("*"))
        if path.is_file()
    }
    capsys.readouterr()

    def broken(feed: Feed, fmt: FeedFormat) -> bytes:
        data = render(feed, fmt)
        return data.replace(b"</feed>", b"") if fmt == "atom" and feed.files.atom == "atom.xml" else data

    monkeypatch.setattr(feeds.render, "render", broken)  # what the build renders with
    status = main(["build", *now])
    out, err = capsys.readouterr()
    assert status == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(
        "feeds: error: build failed: atom.xml: the rendered feed fails our checks: not well-formed: "
    )
    after = {
        path: (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(sample_site.rglob("*"))
        if path.is_file()
    }
    assert after == before
