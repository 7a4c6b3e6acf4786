"""RSS 2.0 and Atom 1.0 through feedgen, with feedgen 1.0.0's traps corrected here and only here.

Each correction is named after the trap (anchors.md §4) and has a test in
tests/test_feedgen_corrections.py that fails once upstream fixes it, so the
correction can then be dropped:

- FG135  entry `<link>` loses rel/type/length in Atom (issue #135): links are rewritten.
- FG-NOW feed and entry `updated` default to the build's clock: always set from the entries.
- FG-LAST the RSS channel `<link>` is the last link added, whatever its rel: set to the site.
- FG-SELF RSS keeps only the first `rel="self"` atom:link: other atom:links are added here.
- FG-DC  name-only authors vanish from RSS: they (and co-authors) are written as `dc:creator`
  (here, not by feedgen's dc extension, which costs every item the time of 15 look-ups).
- FG-NAIVE naive datetimes raise: every date reaching this module is aware (prepare).
- FG-PREPEND `add_entry()` prepends: each entry is made on its own and appended in the feed's order.
- FG-CDATA `content(type='CDATA')` writes an invalid Atom type: content is always `type="html"`.
- FG-MEDIA the media extension wraps every item in `<media:group>`, which the W3C validator
  rejects with one `media:content`: the group is unwrapped.

feedgen makes the elements, lxml writes them: feedgen's tree of the feed's own elements (not its
string, which cost a parse more), each entry's element from `FeedEntry.atom_entry()` /
`rss_entry()`, corrected, appended. A full-content entry is in the site's head feed and in each of
its topics' head feeds: its element is made once and copied (a bounded memo). The bytes are pinned
by tests/test_render_speed_equivalence.py.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import replace
from functools import lru_cache
from html import escape
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.dc import DcEntryExtension, DcExtension
from feedgen.ext.media import MediaEntryExtension, MediaExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from feeds.model import FORMATS, MEDIA_TYPES, Author, Entry, Feed, FeedFormat

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_GROUP = "{http://search.yahoo.com/mrss/}group"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ATOM_LINK = f"{{{ATOM_NS}}}link"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
EXTENSIONS = (
    ("dc", DcExtension, DcEntryExtension, False, True),
    ("media", MediaExtension, MediaEntryExtension, True, True),
)
"""The feedgen extensions of a feed: (name, feed class, entry class, in Atom, in RSS), in order.

Registered by class: feedgen's `load_extension(name)` looks for a module on disk at each call.
The feed's dc extension declares `xmlns:dc`; the entries' `dc:creator`s are ours (FG-DC)."""
ENTRY_MEMO_SIZE = 4096
"""How many (full-content entry, format) elements are kept: a site's head feeds hold a few thousand."""


def render_atom(feed: Feed) -> bytes:
    root = feedgen_tree(_generator(feed, "atom"), "atom")
    for entry in feed.entries:
        root.append(_entry_element(entry, "atom", feed.full_content))
    _add_feed_links(root, feed, "atom")
    return _serialise(root)


def render_rss(feed: Feed) -> bytes:
    root = feedgen_tree(_generator(feed, "rss"), "rss")
    channel = root.find("channel")
    assert channel is not None
    for entry in feed.entries:
        channel.append(_entry_element(entry, "rss", feed.full_content))
    channel_link = channel.find("link")
    assert channel_link is not None
    channel_link.text = feed.home_url  # FG-LAST
    _add_feed_links(channel, feed, "rss")
    return _serialise(root)


def feedgen_tree(generator: FeedGenerator, fmt: FeedFormat) -> Any:
    """The tree that feedgen's `atom_str()`/`rss_str()` would serialise, without the string.

    feedgen's private `_create_atom()`/`_create_rss()`, here and nowhere else: writing the tree
    out only to parse it again cost a sixth of the rendering. In feedgen's Atom tree the elements have
    no namespace (the root carries `xmlns` as a plain attribute), so the corrections below name
    Atom elements unqualified. tests/test_render_speed_equivalence.py fails if feedgen changes.
    """
    root, _ = generator._create_atom() if fmt == "atom" else generator._create_rss()
    return root


def _generator(feed: Feed, fmt: FeedFormat) -> FeedGenerator:
    """The feed's own elements; its entries are made one by one (`_entry_element`)."""
    generator = FeedGenerator()
    for name, feed_class, entry_class, atom, rss in EXTENSIONS:
        generator.register_extension(name, feed_class, entry_class, atom=atom, rss=rss)
    generator.id(feed.id)
    generator.title(feed.title)
    generator.subtitle(feed.description)
    generator.language(feed.language)
    generator.generator(feed.generator)
    for author in feed.authors:
        generator.author(_author(author))
    generator.updated(feed.updated)  # FG-NOW
    generator.link(href=feed.url(fmt), rel="self", type=MEDIA_TYPES[fmt])
    generator.link(href=feed.home_url, rel="alternate", type="text/html")  # FG-LAST: last
    return generator


def feed_links(feed: Feed, fmt: FeedFormat) -> list[dict[str, str]]:
    """The feed's links beyond self and the site: other formats, hubs, RFC 5005 archives."""
    links = [
        {"href": feed.url(other), "rel": "alternate", "type": MEDIA_TYPES[other]}
        for other in FORMATS
        if other != fmt
    ]
    links += [{"href": hub, "rel": "hub"} for hub in feed.hubs]
    if feed.prev_archive is not None:
        links.append(
            {"href": feed.url(fmt, feed.prev_archive), "rel": "prev-archive", "type": MEDIA_TYPES[fmt]}
        )
    if feed.next_archive is not None:
        links.append(
            {"href": feed.url(fmt, feed.next_archive), "rel": "next-archive", "type": MEDIA_TYPES[fmt]}
        )
    if feed.current is not None:
        links.append({"href": feed.url(fmt, feed.current), "rel": "current", "type": MEDIA_TYPES[fmt]})
    return links


def _add_feed_links(parent: Any, feed: Feed, fmt: FeedFormat) -> None:
    """FG-SELF: feedgen writes only the self link to RSS (and limits Atom's rel values), so the
    other feed-level links go in here, after the self link, for both formats; archive pages
    are marked `<fh:archive/>` (RFC 5005)."""
    link_tag = "link" if fmt == "atom" else ATOM_LINK  # feedgen's Atom tree has no namespace
    anchor = next(link for link in parent.iterfind(link_tag) if link.get("rel") == "self")
    for attributes in feed_links(feed, fmt):
        link = etree.Element(link_tag, attributes)
        anchor.addnext(link)
        anchor = link
    if feed.is_archive:
        anchor.addnext(etree.Element(f"{{{HISTORY_NS}}}archive", nsmap={"fh": HISTORY_NS}))


def _entry_element(entry: Entry, fmt: FeedFormat, full_content: bool) -> Any:
    """One entry's `<entry>` or `<item>`, corrected, to append to the feed (FG-PREPEND: in order).

    A full-content entry is in the site's head feed and in its topics' head feeds: its element
    is made once and copied. An archive page's entry is in that page only: it is not kept, as it
    would only push the head feeds' entries out of the memo.
    """
    if not full_content:
        return _make_entry_element(entry, fmt, full_content=False)
    element = deepcopy(_full_entry_element(entry, fmt))
    if entry.content_html:  # where feedgen put it: in RSS, the description of an entry without a summary
        tag = "content" if fmt == "atom" else CONTENT_ENCODED if entry.summary else "description"
        element.find(tag).text = entry.content_html
    return element


@lru_cache(maxsize=ENTRY_MEMO_SIZE)
def _full_entry_element(entry: Entry, fmt: FeedFormat) -> Any:
    """The memo of `_entry_element` for full-content entries: never change what it gives, copy it.

    Kept with `_CONTENT_MARK` for the content, which `_entry_element` puts into the copy: at
    100,000 articles, the worker that renders the head feeds peaked at 77-78 MB with the content
    in the memo's 1,300 elements, 71-72 MB without.
    """
    marked = replace(entry, content_html=_CONTENT_MARK) if entry.content_html else entry
    return _make_entry_element(marked, fmt, full_content=True)


_CONTENT_MARK = "-"
"""Stands for an entry's content in the memo."""


def forget_entries() -> bool:
    """Let go of the memo of full-content entries' elements; whether it held any.

    A worker that has rendered the head feeds holds the elements of their entries (at 100,000
    articles, 20-25 MB of them); the archive pages after those need none of them.
    """
    held = _full_entry_element.cache_info().currsize > 0
    _full_entry_element.cache_clear()
    return held


def _make_entry_element(entry: Entry, fmt: FeedFormat, full_content: bool) -> Any:
    item = FeedEntry()
    if entry.image is not None:  # an extension costs every entry time, even with nothing to write
        item.register_extension("media", MediaEntryExtension, atom=True, rss=True)
    _add_entry(item, entry, fmt, full_content)
    if fmt == "atom":
        element = item.atom_entry()
        _fix_atom_entry(element, entry)
    else:
        element = item.rss_entry()
        _add_dc_creators(element, entry)
    _unwrap_media_groups(element)
    return element


def _add_entry(item: FeedEntry, entry: Entry, fmt: FeedFormat, full_content: bool = True) -> None:
    # Lists are given to feedgen in one call: each call re-maps every value given before.
    item.id(entry.id)
    item.guid(entry.id, permalink=entry.id == entry.url)
    item.title(entry.title)
    item.link(href=entry.url, rel="alternate", type="text/html")
    item.published(entry.published)
    item.updated(entry.updated)  # FG-NOW
    if entry.summary:
        # The summary is plain text. Atom says so (type="text"); RSS cannot, and readers take
        # <description> as HTML, so there the text is escaped as HTML first ("<b>" stays text).
        item.summary(escape(entry.summary) if fmt == "rss" else entry.summary)
    if full_content and entry.content_html:
        item.content(entry.content_html, type="html")  # FG-CDATA
    if fmt == "atom":
        if entry.authors:
            item.author([_author(author) for author in entry.authors])
    elif entry.authors and not _dc_creators(entry):  # else FG-DC (_add_dc_creators)
        item.author(_author(entry.authors[0]))
    if terms := _terms(entry):
        item.category([{"term": term, "label": term} for term in terms])
    if entry.enclosure is not None:
        enclosure = entry.enclosure
        item.enclosure(url=enclosure.url, length=str(enclosure.length), type=enclosure.type)
    if entry.image is not None:
        item.media.content({"url": entry.image, "medium": "image"})
    if fmt == "rss" and entry.origin is not None and entry.origin.url:
        # RSS <source> needs a URL. Atom's <source> wants the outlet feed's id and updated,
        # which we do not know: Atom gets a rel="via" link instead (_fix_atom_entry).
        item.source(url=entry.origin.url, title=entry.origin.name)


def _dc_creators(entry: Entry) -> list[str]:
    """FG-DC, in RSS. RSS allows one <author>, and it must hold an email; the validator also
    warns on <author> beside dc:creator. So: several authors, or none with an email, are all
    named in dc:creator; one author with an email is the <author>."""
    if len(entry.authors) == 1 and entry.authors[0].email:
        return []
    return [author.name for author in entry.authors]


def _add_dc_creators(item: Any, entry: Entry) -> None:
    """FG-DC: the `dc:creator`s, where feedgen's dc extension would write them (last, before the
    media extension's element). Written here: that extension looks for each of the 15 Dublin
    Core elements on every item, a fifth of the time of an RSS archive page."""
    position = len(item) - (entry.image is not None)
    for offset, name in enumerate(_dc_creators(entry)):
        creator = etree.Element(DC_CREATOR)
        creator.text = name
        item.insert(position + offset, creator)


def _fix_atom_entry(element: Any, entry: Entry) -> None:
    """FG135: feedgen's first link (the alternate) gets its attributes back and goes after the
    title, followed by the enclosure (feedgen's second link, written again) and via links; the
    entry gets its language."""
    link, *stripped = element.findall("link")
    for other in stripped:
        element.remove(other)
    link.set("rel", "alternate")
    link.set("type", "text/html")
    anchor = element.find("title")
    anchor.addnext(link)
    links = []
    if entry.enclosure is not None:
        enclosure = entry.enclosure
        links.append(
            {
                "href": enclosure.url,
                "rel": "enclosure",
                "type": enclosure.type,
                "length": str(enclosure.length),
            }
        )
    if entry.origin is not None and entry.origin.url:
        links.append({"href": entry.origin.url, "rel": "via", "title": entry.origin.name})
    for attributes in reversed(links):
        link.addnext(etree.Element("link", attributes))
    if entry.lang:
        element.set(XML_LANG, entry.lang)


def _unwrap_media_groups(root: Any) -> None:
    """FG-MEDIA: replace each `<media:group>` by its children."""
    for group in list(root.iter(MEDIA_GROUP)):
        parent = group.getparent()
        position = parent.index(group)
        for offset, child in enumerate(list(group)):
            parent.insert(position + offset, child)
        parent.remove(group)


def _terms(entry: Entry) -> list[str]:
    """Categories then tags, each once: RSS and Atom have one kind of category."""
    return list(dict.fromkeys([*entry.categories, *entry.tags]))


def _author(author: Author) -> dict[str, str]:
    fields = {"name": author.name}
    if author.email:
        fields["email"] = author.email
    if author.uri:
        fields["uri"] = author.uri
    return fields


def _serialise(root: Any) -> bytes:
    return bytes(etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8"))
