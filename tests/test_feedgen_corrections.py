"""Each feedgen 1.0.0 trap we correct in feeds/render/xml.py: the trap upstream, and our fix.

The `test_upstream_*` tests describe feedgen as it is. When one of them fails,
upstream has fixed that bug: drop our correction (and its upstream test).
"""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
import pytest
from feedgen.feed import FeedGenerator
from lxml import etree

from feeds.model import Author, Enclosure, Entry
from feeds.render import render_atom, render_rss
from tests.conftest import make_entry, make_feed

ATOM = "{http://www.w3.org/2005/Atom}"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
WHEN = datetime(2022, 9, 13, 14, 5, tzinfo=UTC)


def _entry(n: int = 1, **overrides: object) -> Entry:
    return make_entry(n, WHEN.replace(day=n), **overrides)


def _upstream() -> FeedGenerator:
    generator = FeedGenerator()
    generator.id("https://example.org/")
    generator.title("Site")
    generator.description("About")
    generator.author({"name": "Desk"})
    return generator


# FG135: entry link attributes dropped in Atom (lkiesow/python-feedgen#135).


def test_upstream_atom_entry_links_lose_their_attributes() -> None:
    generator = _upstream()
    generator.link(href="https://example.org/", rel="alternate")
    item = generator.add_entry()
    item.id("x")
    item.title("x")
    item.updated(WHEN)
    item.link(href="https://example.org/x", rel="alternate", type="text/html")
    item.link(href="https://example.org/a.mp3", rel="enclosure", type="audio/mpeg", length="10")
    atom = generator.atom_str()
    assert b"https://example.org/a.mp3" in atom
    assert b'rel="enclosure"' not in atom


def test_atom_entry_links_keep_rel_type_and_length() -> None:
    enclosure = Enclosure("https://example.org/a.mp3", "audio/mpeg", 1234)
    root = etree.fromstring(render_atom(make_feed(_entry(enclosure=enclosure))))
    links = [dict(link.attrib) for link in root.find(f"{ATOM}entry").iterfind(f"{ATOM}link")]
    assert {"href": "https://example.org/e1/", "rel": "alternate", "type": "text/html"} in links
    assert {
        "href": "https://example.org/a.mp3",
        "rel": "enclosure",
        "type": "audio/mpeg",
        "length": "1234",
    } in links


# FG-NOW: updated defaults to the build's clock.


def test_upstream_updated_defaults_to_the_clock() -> None:
    generator = _upstream()
    item = generator.add_entry()
    assert generator.updated() is not None  # set by the constructor from datetime.now()
    assert item.updated() is not None


def test_feed_updated_is_the_newest_entry_time_not_the_clock() -> None:
    newer = _entry(2, updated=datetime(2022, 10, 1, 8, 0, tzinfo=UTC))
    feed = make_feed(newer, _entry(1))
    atom = etree.fromstring(render_atom(feed))
    assert atom.findtext(f"{ATOM}updated") == "2022-10-01T08:00:00+00:00"
    rss = etree.fromstring(render_rss(feed))
    assert rss.findtext("channel/lastBuildDate") == "Sat, 01 Oct 2022 08:00:00 +0000"


# FG-LAST: the RSS channel link is the last link added, whatever its rel.


def test_upstream_rss_channel_link_is_the_last_link_added() -> None:
    generator = _upstream()
    generator.link(href="https://example.org/", rel="alternate")
    generator.link(href="https://example.org/rss.xml", rel="self")
    assert b"<link>https://example.org/rss.xml</link>" in generator.rss_str()


def test_rss_channel_link_is_the_site() -> None:
    rss = etree.fromstring(render_rss(make_feed(_entry())))
    assert rss.findtext("channel/link") == "https://example.org/"


# FG-SELF: RSS keeps only the first rel=self atom:link and drops every other atom:link.


def test_upstream_rss_drops_atom_links_other_than_self() -> None:
    generator = _upstream()
    generator.link(href="https://example.org/rss.xml", rel="self")
    generator.link(href="https://example.org/atom.xml", rel="alternate", type="application/atom+xml")
    generator.link(href="https://example.org/", rel="alternate")
    assert b"https://example.org/atom.xml" not in generator.rss_str()


def test_rss_links_to_itself_and_to_the_other_formats() -> None:
    rss = etree.fromstring(render_rss(make_feed(_entry())))
    links = {(link.get("rel"), link.get("href"), link.get("type")) for link in rss.iter(f"{ATOM}link")}
    assert links == {
        ("self", "https://example.org/rss.xml", "application/rss+xml"),
        ("alternate", "https://example.org/atom.xml", "application/atom+xml"),
        ("alternate", "https://example.org/feed.json", "application/feed+json"),
    }


# FG-DC: name-only authors vanish from RSS.


def test_upstream_rss_drops_authors_without_email() -> None:
    generator = _upstream()
    generator.link(href="https://example.org/", rel="alternate")
    item = generator.add_entry()
    item.id("x")
    item.title("x")
    item.author({"name": "Only Name"})
    assert b"Only Name" not in generator.rss_str()


def test_rss_names_an_author_without_email_in_dc_creator() -> None:
    item = etree.fromstring(render_rss(make_feed(_entry(authors=(Author("Taras Hnatiuk"),))))).find(
        "channel/item"
    )
    assert [e.text for e in item.iter(DC_CREATOR)] == ["Taras Hnatiuk"]
    assert item.find("author") is None
    with_email = _entry(authors=(Author("Olena Marchuk", "olena@example.org"),))
    item = etree.fromstring(render_rss(make_feed(with_email))).find("channel/item")
    assert item.findtext("author") == "olena@example.org (Olena Marchuk)"
    assert next(item.iter(DC_CREATOR), None) is None
    atom = etree.fromstring(render_atom(make_feed(with_email)))
    assert next(atom.iter(DC_CREATOR), None) is None  # Atom has its own <author>


def test_rss_names_co_authors_in_dc_creator_only() -> None:
    # RSS allows one <author> (the W3C validator: "item contains more than one author"), and warns
    # on <author> beside dc:creator: so co-authors are all dc:creator.
    entry = _entry(authors=(Author("Ann", "ann@example.org"), Author("Bob", "bob@example.org")))
    item = etree.fromstring(render_rss(make_feed(entry))).find("channel/item")
    assert item.find("author") is None
    assert [e.text for e in item.iter(DC_CREATOR)] == ["Ann", "Bob"]
    atom = feedparser.parse(render_atom(make_feed(entry)))
    assert [a.name for a in atom.entries[0].authors] == ["Ann", "Bob"]


# FG-NAIVE: naive datetimes raise.


def test_upstream_naive_datetimes_raise() -> None:
    with pytest.raises(ValueError, match="timezone"):
        _upstream().updated(datetime(2022, 9, 13))


# FG-PREPEND: add_entry prepends by default.


def test_upstream_add_entry_prepends() -> None:
    generator = _upstream()
    generator.link(href="https://example.org/", rel="alternate")
    for name in ("first", "second"):
        item = generator.add_entry()
        item.id(name)
        item.title(name)
        item.updated(WHEN)
    assert [e.id() for e in generator.entry()] == ["second", "first"]


def test_entries_keep_the_feeds_order() -> None:
    feed = make_feed(_entry(3), _entry(1), _entry(2))
    for data in (render_rss(feed), render_atom(feed)):
        ids = [e.id for e in feedparser.parse(data).entries]
        assert ids == [e.id for e in feed.entries]


# FG-CDATA: content(type='CDATA') writes an invalid Atom content type.


def test_upstream_cdata_content_type_leaks_into_atom() -> None:
    generator = _upstream()
    generator.link(href="https://example.org/", rel="alternate")
    item = generator.add_entry()
    item.id("x")
    item.title("x")
    item.updated(WHEN)
    item.content("<p>x</p>", type="CDATA")
    assert b'type="CDATA"' in generator.atom_str()


def test_atom_content_is_escaped_html() -> None:
    content = etree.fromstring(render_atom(make_feed(_entry(content_html="<p>a ]]> b</p>")))).find(
        f"{ATOM}entry/{ATOM}content"
    )
    assert content.get("type") == "html"
    assert content.text == "<p>a ]]> b</p>"


# FG-MEDIA: the media extension wraps every item in media:group.


def test_upstream_media_content_is_wrapped_in_a_group() -> None:
    generator = _upstream()
    generator.load_extension("media")
    generator.link(href="https://example.org/", rel="alternate")
    item = generator.add_entry()
    item.id("x")
    item.title("x")
    item.media.content({"url": "https://example.org/a.jpg", "medium": "image"})
    assert b"<media:group>" in generator.rss_str()


def test_entry_image_is_a_bare_media_content() -> None:
    entry = _entry(image="https://example.org/a.jpg")
    for data in (render_rss(make_feed(entry)), render_atom(make_feed(entry))):
        assert b"media:group" not in data
        assert b'<media:content url="https://example.org/a.jpg" medium="image"/>' in data
