"""RSS 2.0 and Atom 1.0 through feedgen, with feedgen 1.0.0's traps corrected here and only here.

Each correction is named after the trap (anchors.md §4) and has a test in
tests/test_feedgen_corrections.py that fails once upstream fixes it, so the
correction can then be dropped:

- FG135  entry `<link>` loses rel/type/length in Atom (issue #135): links are rewritten.
- FG-NOW feed and entry `updated` default to the build's clock: always set from the entries.
- FG-LAST the RSS channel `<link>` is the last link added, whatever its rel: set to the site.
- FG-SELF RSS keeps only the first `rel="self"` atom:link: other atom:links are added here.
- FG-DC  name-only authors vanish from RSS: they (and co-authors) are written as `dc:creator`.
- FG-NAIVE naive datetimes raise: every date reaching this module is aware (prepare).
- FG-PREPEND `add_entry()` prepends: entries are appended in the feed's order.
- FG-CDATA `content(type='CDATA')` writes an invalid Atom type: content is always `type="html"`.
- FG-MEDIA the media extension wraps every item in `<media:group>`, which the W3C validator
  rejects with one `media:content`: the group is unwrapped.
"""

from __future__ import annotations

from html import escape
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml import etree

from feeds.model import FORMATS, MEDIA_TYPES, Author, Entry, Feed, FeedFormat

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_GROUP = "{http://search.yahoo.com/mrss/}group"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)


def render_atom(feed: Feed) -> bytes:
    generator = _generator(feed, "atom")
    root = etree.fromstring(generator.atom_str(), _PARSER)
    for element, entry in zip(root.iterfind(f"{{{ATOM_NS}}}entry"), feed.entries, strict=True):
        _fix_atom_entry(element, entry)
    _add_feed_links(root, feed, "atom")
    _unwrap_media_groups(root)
    return _serialise(root)


def render_rss(feed: Feed) -> bytes:
    generator = _generator(feed, "rss")
    root = etree.fromstring(generator.rss_str(), _PARSER)
    channel = root.find("channel")
    assert channel is not None
    channel_link = channel.find("link")
    assert channel_link is not None
    channel_link.text = feed.home_url  # FG-LAST
    _add_feed_links(channel, feed, "rss")
    _unwrap_media_groups(root)
    return _serialise(root)


def _generator(feed: Feed, fmt: FeedFormat) -> FeedGenerator:
    generator = FeedGenerator()
    generator.load_extension("dc", atom=False, rss=True)
    generator.load_extension("media", atom=True, rss=True)
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
    for entry in feed.entries:
        _add_entry(generator.add_entry(order="append"), entry, fmt, feed.full_content)  # FG-PREPEND
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
    anchor = next(link for link in parent.iterfind(f"{{{ATOM_NS}}}link") if link.get("rel") == "self")
    for attributes in feed_links(feed, fmt):
        link = etree.Element(f"{{{ATOM_NS}}}link", attributes)
        anchor.addnext(link)
        anchor = link
    if feed.is_archive:
        anchor.addnext(etree.Element(f"{{{HISTORY_NS}}}archive", nsmap={"fh": HISTORY_NS}))


def _add_entry(item: FeedEntry, entry: Entry, fmt: FeedFormat, full_content: bool = True) -> None:
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
        for author in entry.authors:
            item.author(_author(author))
    elif len(entry.authors) == 1 and entry.authors[0].email:
        item.author(_author(entry.authors[0]))
    else:
        # FG-DC. RSS allows one <author>, and it must hold an email; the validator also
        # warns on <author> beside dc:creator. So: several authors, or none with an email,
        # are all named in dc:creator.
        for author in entry.authors:
            item.dc.dc_creator(author.name)
    for term in _terms(entry):
        item.category(term=term, label=term)
    if entry.enclosure is not None:
        enclosure = entry.enclosure
        item.enclosure(url=enclosure.url, length=str(enclosure.length), type=enclosure.type)
    if entry.image is not None:
        item.media.content({"url": entry.image, "medium": "image"})
    if fmt == "rss" and entry.origin is not None and entry.origin.url:
        # RSS <source> needs a URL. Atom's <source> wants the outlet feed's id and updated,
        # which we do not know: Atom gets a rel="via" link instead (_fix_atom_entry).
        item.source(url=entry.origin.url, title=entry.origin.name)


def _fix_atom_entry(element: Any, entry: Entry) -> None:
    """FG135: rewrite the entry's links with their attributes; set its language."""
    for link in element.findall(f"{{{ATOM_NS}}}link"):
        element.remove(link)
    anchor = element.find(f"{{{ATOM_NS}}}title")
    links = [{"href": entry.url, "rel": "alternate", "type": "text/html"}]
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
        anchor.addnext(etree.Element(f"{{{ATOM_NS}}}link", attributes))
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
