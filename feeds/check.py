"""Our own checks on rendered bytes: a feed that fails them never replaces the old one.

Every feed of every build passes through here, so the bytes are parsed once (lxml, orjson) and a
quick look in C (XPath) says whether all is well; only a feed that is not is gone through part by
part, the slow way, to say what is wrong.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import orjson
from lxml import etree

from feeds.model import FeedFormat

ATOM = "{http://www.w3.org/2005/Atom}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_NS = {"a": ATOM[1:-1]}
_ATOM_ENTRY_LACKS_A_PART = etree.XPath(
    "boolean(a:entry[not(a:id) or not(a:title) or not(a:updated)])", namespaces=_NS
)
_ATOM_ENTRY_IDS = etree.XPath("a:entry/a:id[1]", namespaces=_NS)
_RSS_ITEM_LACKS_A_GUID = etree.XPath("boolean(item[not(guid)])")
_RSS_ITEM_GUIDS = etree.XPath("item/guid[1]")


def check_feed(fmt: FeedFormat, data: bytes) -> list[str]:
    """What is wrong with a rendered feed (nothing, we hope): well-formed, required parts, unique ids."""
    try:
        if fmt == "json":
            return _check_json_bytes(data)
        root = etree.fromstring(data, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        return [f"not well-formed: {exc}"]
    if fmt == "atom":
        return [] if _atom_is_sound(root) else _check_atom(root)
    return [] if _rss_is_sound(root) else _check_rss(root)


def _atom_is_sound(root: etree._Element) -> bool:
    """`_check_atom(root) == []`, quickly."""
    if root.tag != f"{ATOM}feed":
        return False
    if any(root.find(f"{ATOM}{part}") is None for part in ("id", "title", "updated")):
        return False
    return not _ATOM_ENTRY_LACKS_A_PART(root) and _unique(_texts(_ATOM_ENTRY_IDS, root))


def _rss_is_sound(root: etree._Element) -> bool:
    """`_check_rss(root) == []`, quickly."""
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        return False
    if any(channel.find(part) is None for part in ("title", "link", "description")):
        return False
    return not _RSS_ITEM_LACKS_A_GUID(channel) and _unique(_texts(_RSS_ITEM_GUIDS, channel))


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


def _check_json_bytes(data: bytes) -> list[str]:
    """orjson reads in a third of json's time; json, which reads more (a BOM, integers past 64
    bits, NaN), is the judge of a document orjson refuses or finds fault with."""
    try:
        if not _check_json(orjson.loads(data)):
            return []
    except orjson.JSONDecodeError:
        pass
    return _check_json(json.loads(data))


def _check_json(document: Any) -> list[str]:
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(
        "https://jsonfeed.org/"
    ):
        return ["not a JSON Feed document"]
    items = document.get("items")
    if not isinstance(items, list):
        return ["the feed has no items list"]
    return _duplicates([item.get("id") for item in items])


def _texts(path: etree.XPath, parent: etree._Element) -> list[str]:
    """The text of each element `path` finds, as `findtext` gives it ("" for none)."""
    found = path(parent)
    assert isinstance(found, list)
    return [element.text or "" for element in found if isinstance(element, etree._Element)]


def _unique(ids: list[str]) -> bool:
    return len(set(ids)) == len(ids)


def _duplicates(ids: list[str | None]) -> list[str]:
    return [f"the id '{key}' appears {count} times" for key, count in Counter(ids).items() if count > 1]
