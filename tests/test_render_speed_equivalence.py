"""The renderers' bytes, pinned: rendering may get faster, never different.

The files in tests/render_golden/ are what the renderers give (feedgen's string, parsed again
and corrected), for a feed with an entry for each branch; a change of output that is meant
regenerates them:
`python -m tests.test_render_speed_equivalence`.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.model import FORMATS, Author, Enclosure, Entry, Feed, FeedFiles, FeedFormat, Origin
from feeds.render import render
from tests.conftest import make_entry

GOLDEN = Path(__file__).parent / "render_golden"
WHEN = datetime(2022, 9, 13, 14, 5, tzinfo=UTC)


def _entries() -> tuple[Entry, ...]:
    """One entry for each branch of the renderers."""
    return (
        make_entry(
            1,
            authors=(Author("Olena Marchuk", "olena@example.org", "https://example.org/olena"),),
            categories=("war",),
            tags=("izyum", "war", "demining"),
            image="https://example.org/i.jpg",
            lang="uk",
            summary="Plain <b>text</b> & more",
            content_html="<p>a ]]> b &amp; <em>c</em></p>",
        ),
        make_entry(
            2,
            authors=(Author("Taras Hnatiuk"),),
            enclosure=Enclosure("https://example.org/a.mp3", "audio/mpeg", 1234),
            origin=Origin("Ukrinform", "https://www.ukrinform.net/x"),
        ),
        make_entry(
            3,
            authors=(Author("Ann", "ann@example.org"), Author("Bob", uri="https://bob.example.org/")),
            origin=Origin("A wire, no URL"),
            updated=datetime(2022, 10, 1, 8, 0, tzinfo=UTC),
        ),
        make_entry(4, summary="", content_html=""),
        make_entry(5, id="https://example.org/e5/", title="  spaced\ttitle\n", summary=" "),
    )


def _feed(*, archive: bool) -> Feed:
    entries = _entries()
    files = FeedFiles(rss="rss.xml", atom="atom.xml", json="feed.json")
    page = FeedFiles(rss="archive/2/rss.xml", atom="archive/2/atom.xml", json="archive/2/feed.json")
    older = FeedFiles(rss="archive/1/rss.xml", atom="archive/1/atom.xml", json="archive/1/feed.json")
    return Feed(
        id="https://example.org/",
        title="Site & <Co>",
        description="About the site",
        home_url="https://example.org/",
        base_url="https://example.org/",
        files=page if archive else files,
        language="en",
        authors=(Author("Desk", "desk@example.org"), Author("Name Only")),
        entries=entries,
        updated=max(e.updated for e in entries),
        prev_archive=older,
        next_archive=files if archive else None,
        current=files if archive else None,
        hubs=("https://hub.example.org/",),
        full_content=not archive,
    )


CASES = [(kind, fmt) for kind in ("head", "archive") for fmt in FORMATS]


@pytest.mark.parametrize(("kind", "fmt"), CASES)
def test_rendered_bytes_are_the_pinned_bytes(kind: str, fmt: FeedFormat) -> None:
    expected = (GOLDEN / f"{kind}.{fmt}").read_bytes()
    feed = _feed(archive=kind == "archive")
    assert render(feed, fmt) == expected


def _write_golden() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for kind, fmt in CASES:
        (GOLDEN / f"{kind}.{fmt}").write_bytes(render(_feed(archive=kind == "archive"), fmt))


if __name__ == "__main__":
    _write_golden()
    sys.exit(0)
