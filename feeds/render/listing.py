"""Files that point at the feeds: an OPML 2.0 list of every feed, and `<link>` tags for a site's `<head>`."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from feeds.model import FORMATS, MEDIA_TYPES, Feed

OPML_FILE = "feeds.opml"
HEAD_LINKS_FILE = "feed-links.html"
_GROUPS = {"categories": "Categories", "tags": "Tags", "authors": "Authors"}
_FORMAT_NAMES = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}


def render_opml(feeds: Sequence[Feed], title: str) -> bytes:
    """OPML 2.0 listing every head feed (archives are reached from them), by its Atom URL."""
    from email.utils import format_datetime  # as lxml: loaded by a build that renders (20 ms)

    from lxml import etree

    heads = [feed for feed in feeds if not feed.is_archive]
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = f"{title}: feeds"
    if heads:
        newest = max(feed.updated for feed in heads)
        etree.SubElement(head, "dateModified").text = format_datetime(newest)
    body = etree.SubElement(root, "body")
    groups: dict[str, etree._Element] = {}
    for feed in heads:
        parent = body
        if feed.kind in _GROUPS:
            if feed.kind not in groups:
                groups[feed.kind] = etree.SubElement(body, "outline", text=_GROUPS[feed.kind])
            parent = groups[feed.kind]
        etree.SubElement(
            parent,
            "outline",
            text=feed.title,
            title=feed.title,
            type="rss",
            xmlUrl=feed.url("atom"),
            htmlUrl=feed.home_url,
        )
    return bytes(etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8"))


def render_head_links(feed: Feed) -> bytes:
    """`<link rel="alternate">` tags for the site feed in each format, to paste into `<head>`."""
    lines = [f"<!-- Feed autodiscovery for {escape(feed.title)}: paste into your pages' <head>. -->"]
    for fmt in FORMATS:
        label = escape(f"{feed.title} ({_FORMAT_NAMES[fmt]})")
        lines.append(
            f'<link rel="alternate" type="{MEDIA_TYPES[fmt]}" title="{label}" href="{escape(feed.url(fmt))}">'
        )
    return ("\n".join(lines) + "\n").encode()
