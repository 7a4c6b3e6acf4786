"""Our own checks on rendered bytes: a feed that fails them never replaces the old one."""

from __future__ import annotations

import json
from collections import Counter

from lxml import etree

from feeds.model import FeedFormat

ATOM = "{http://www.w3.org/2005/Atom}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def check_feed(fmt: FeedFormat, data: bytes) -> list[str]:
    """What is wrong with a rendered feed (nothing, we hope): well-formed, required parts, unique ids."""
    try:
        if fmt == "json":
            return _check_json(data)
        root = etree.fromstring(data, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        return [f"not well-formed: {exc}"]
    if fmt == "atom":
        return _check_atom(root)
    return _check_rss(root)


def _check_atom(root: etree._Element) -> list[str]:
    problems = []
    if root.tag != f"{ATOM}feed":
        problems.append("the root element is not an Atom feed")
    for part in ("id", "title", "updated"):
        if root.find(f"{ATOM}{part}") is None:
            problems.append(f"the feed has no <{part}>")
    ids = []
    for entry in root.iterfind(f"{ATOM}entry"):
        for part in ("id", "title", "updated"):
            if entry.find(f"{ATOM}{part}") is None:
                problems.append(f"an entry has no <{part}>")
        ids.append(entry.findtext(f"{ATOM}id"))
    return problems + _duplicates(ids)


def _check_rss(root: etree._Element) -> list[str]:
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        return ["the root element is not an RSS 2.0 <rss> with a <channel>"]
    problems = [
        f"the channel has no <{part}>"
        for part in ("title", "link", "description")
        if channel.find(part) is None
    ]
    ids = [item.findtext("guid") for item in channel.iterfind("item")]
    if None in ids:
        problems.append("an item has no <guid>")
    return problems + _duplicates(ids)


def _check_json(data: bytes) -> list[str]:
    document = json.loads(data)
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(
        "https://jsonfeed.org/"
    ):
        return ["not a JSON Feed document"]
    items = document.get("items")
    if not isinstance(items, list):
        return ["the feed has no items list"]
    return _duplicates([item.get("id") for item in items])


def _duplicates(ids: list[str | None]) -> list[str]:
    return [f"the id '{key}' appears {count} times" for key, count in Counter(ids).items() if count > 1]
