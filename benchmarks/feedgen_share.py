"""What feedgen costs an archive entry, against the same elements built with lxml directly.

The question behind it (issue 5): how much of a cold build would replacing feedgen's entry
building save? The lxml builder here covers only what the benchmark's archive entries hold
(summary-only: title, link, summary, guid, categories, dates, authors by name); it is checked
byte for byte against `feeds.render.xml` on every entry before anything is timed, and is a
measuring stick, not a renderer: `feeds` renders with feedgen.

    python benchmarks/feedgen_share.py            # from the repository's root

Prints microseconds per entry and format for both, and the ratio, measured in the same run.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from feeds.model import Author, Entry, FeedFormat
from feeds.render import xml as rendering
from tests.conftest import make_entry

DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"


def entries(count: int) -> list[Entry]:
    """Archive entries shaped like the benchmark's: a summary with markup to escape, topics, one author."""
    start = datetime(2022, 1, 1, tzinfo=UTC)
    return [
        make_entry(
            n,
            start + timedelta(hours=n),
            summary="Grain & <b>power</b> return to the region. " * 6,
            tags=("energy", "Kharkiv Oblast", "war"),
            categories=("news",),
            authors=(Author("Olena Marchuk"),),
            content_html="",
        )
        for n in range(1, count + 1)
    ]


def _child(parent: Any, tag: str, text: str | None = None, attributes: dict[str, str] | None = None) -> Any:
    element = etree.SubElement(parent, tag, attributes or {})
    if text is not None:
        element.text = text
    return element


def lxml_rss_item(entry: Entry) -> Any:
    item = etree.Element("item")
    _child(item, "title", entry.title)
    _child(item, "link", entry.url)
    _child(item, "description", escape(entry.summary))
    _child(item, "guid", entry.id, {"isPermaLink": "true" if entry.id == entry.url else "false"})
    for term in rendering._terms(entry):
        _child(item, "category", term)
    _child(item, "pubDate", format_datetime(entry.published))
    for name in rendering._dc_creators(entry):
        _child(item, DC_CREATOR, name)
    return item


def lxml_atom_entry(entry: Entry) -> Any:
    element = etree.Element("entry")
    _child(element, "id", entry.id)
    _child(element, "title", entry.title)
    _child(element, "link", None, {"href": entry.url, "rel": "alternate", "type": "text/html"})
    _child(element, "updated", entry.updated.isoformat())
    for author in entry.authors:
        _child(_child(element, "author"), "name", author.name)
    _child(element, "summary", entry.summary)
    for term in rendering._terms(entry):
        _child(element, "category", None, {"term": term, "label": term})
    _child(element, "published", entry.published.isoformat())
    return element


def by_feedgen(entry: Entry, fmt: FeedFormat) -> Any:
    return rendering._make_entry_element(entry, fmt, full_content=False)


def by_lxml(entry: Entry, fmt: FeedFormat) -> Any:
    return lxml_rss_item(entry) if fmt == "rss" else lxml_atom_entry(entry)


def per_entry_format(build: Any, sample: list[Entry], repeats: int = 5) -> float:
    """Best of `repeats`: CPU microseconds to build one entry's element in one format."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        for entry in sample:
            build(entry, "rss")
            build(entry, "atom")
        best = min(best, time.process_time() - started)
    return best / (2 * len(sample)) * 1e6


def main() -> int:
    sample = entries(3000)
    for entry in sample:
        for fmt in ("rss", "atom"):
            ours, theirs = (etree.tostring(build(entry, fmt)) for build in (by_lxml, by_feedgen))
            if ours != theirs:
                print(f"the lxml builder differs from feeds' rendering ({fmt}):\n{ours!r}\n{theirs!r}")
                return 1
    feedgen = per_entry_format(by_feedgen, sample)
    direct = per_entry_format(by_lxml, sample)
    print(f"feedgen (as feeds renders): {feedgen:.1f} us an entry and format")
    print(f"lxml directly:              {direct:.1f} us an entry and format")
    print(
        f"feedgen/lxml: {feedgen / direct:.2f}; at 100,000 archive entries in RSS and Atom, "
        f"{(feedgen - direct) * 2e5 / 1e6:.1f} CPU-seconds saved"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
