"""select: entries in, feeds out. Pure: grouping, ordering, limits and archive pages.

Every feed (the site's, and one per category, tag and author) is a head feed of
the newest `feed_limit` entries; the site's (and, with `topic_archives`, each
topic's) has RFC 5005 archive pages holding every older entry, with their full
content only under `archive_content`. Archive pages are cut from the oldest entry
forward, `archive_page_size` each, so a full page never changes when new articles
arrive: only the head feed and the newest, filling page do (unless an entry in a
full page is edited; removing an archived article or dating one into the archive
shifts the newer entries, and so rewrites its page and every newer one). Walking
`prev-archive` links from the head meets every entry exactly once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

from feeds.config import SiteConfig
from feeds.errors import BuildError
from feeds.model import FORMATS, Author, Entry, Feed, FeedFiles

EMPTY_FEED_UPDATED = datetime(2000, 1, 1, tzinfo=UTC)
"""`updated` of a feed with no entries: fixed, so an empty site still builds the same bytes.

Not 1970: feed validators call any date before 1990 implausible."""

_PLAIN_NAME = re.compile(r"^(?![a-z0-9]+(?: [a-z0-9]+)* [0-9a-f]{6}$)[a-z0-9]+(?: [a-z0-9]+)*$")
"""A name whose slug maps back to it one-to-one: lowercase ASCII words joined by single spaces.

Not one whose last word (after the first) is six hex digits: its slug could be another name's
hashed slug ('c 1a2b3c' and 'C++' -> 'c-1a2b3c')."""
_PLAIN_LENGTH = 60
TOPIC_TITLES = {"categories": "category", "tags": "tag", "authors": "author"}


@dataclass(frozen=True, slots=True)
class Topic:
    """A group of entries with its own feeds: the site, or one category, tag or author."""

    kind: str
    """'site', 'categories', 'tags' or 'authors'."""
    name: str
    folder: str
    """Where its files go, relative to the output folder: '' or e.g. 'tags/izyum/'."""


def feed_files(folder: str) -> FeedFiles:
    return FeedFiles(rss=f"{folder}rss.xml", atom=f"{folder}atom.xml", json=f"{folder}feed.json")


def archive_files(folder: str, page: int) -> FeedFiles:
    return feed_files(f"{folder}archive/{page}/")


SITE_FILES = feed_files("")


class Placeable(Protocol):
    """What `select` needs of an entry: an `Entry`, or anything that stands in for one. (A build
    from scratch plans its feeds without either: `feeds.spill.Spill.plans`, by the same rules.)"""

    @property
    def key(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def published(self) -> datetime: ...
    @property
    def updated(self) -> datetime: ...
    @property
    def tags(self) -> tuple[str, ...]: ...
    @property
    def categories(self) -> tuple[str, ...]: ...
    @property
    def authors(self) -> tuple[Author, ...]: ...


P = TypeVar("P", bound=Placeable)


@dataclass(frozen=True, slots=True)
class Planned(Generic[P]):
    """A feed as selected: `feed` says all but its entries (it has none), `members` are them."""

    feed: Feed
    members: tuple[P, ...]


def filled(plan: Planned[Entry]) -> Feed:
    """The planned feed with its entries in."""
    return replace(plan.feed, entries=plan.members)


def newest_first(entries: Iterable[P]) -> list[P]:
    """Newest publication first; entries published at the same instant ordered by id."""
    return sorted(entries, key=lambda e: (-e.published.timestamp(), e.id))


def topic_slug(name: str) -> str:
    """A path segment for a topic name, the same every build whatever other topics exist.

    A name of plain lowercase words and single spaces, up to 60 characters ('Kharkiv
    Oblast' -> 'kharkiv-oblast'), keeps its plain slug, which maps back to it; any other
    ('C++', 'Київ', 'a/b', 'Kharkiv-Oblast', a longer name) gets a short hash of the
    name after it, so two names never share a folder and no new name can take an old one's.
    """
    folded = name.casefold()
    if len(folded) <= _PLAIN_LENGTH and _PLAIN_NAME.match(folded):
        return folded.replace(" ", "-")
    from slugify import slugify  # loaded only by a build that names a topic so (as `prepare` does)

    plain = slugify(name, max_length=_PLAIN_LENGTH) or "topic"
    digest = hashlib.blake2b(folded.encode(), digest_size=3).hexdigest()
    return f"{plain}-{digest}"


def select_feeds(entries: Sequence[Entry], config: SiteConfig) -> tuple[Feed, ...]:
    """Every feed the site publishes: site and topics, each with its archive pages."""
    return tuple(map(filled, plan_feeds(entries, config)))


def plan_feeds(entries: Sequence[P], config: SiteConfig) -> list[Planned[P]]:
    """`select_feeds`, each feed apart from its entries."""
    ordered = newest_first(entries)
    plans = paged_plans(site_topic(config), ordered, config)
    for topic, members in topics(ordered, config):
        plans += paged_plans(topic, members, config)
    refuse_shared_files([plan.feed for plan in plans])
    return plans


def refuse_shared_files(feeds: Sequence[Feed]) -> None:
    """Two feeds written to one file would silently replace one another: stop the build instead."""
    owners: dict[str, Feed] = {}
    for feed in feeds:
        for path in map(feed.files.path, FORMATS):
            if (first := owners.setdefault(path, feed)) is not feed:
                raise BuildError(f"{path}: both '{first.title}' and '{feed.title}' would be written there")


def topics(ordered: Sequence[P], config: SiteConfig) -> list[tuple[Topic, list[P]]]:
    """Each configured topic with its entries (newest first), in kind then folder order."""
    groups: dict[tuple[str, str], list[P]] = {}
    names: dict[tuple[str, str], str] = {}
    for entry in ordered:
        for kind in config.topics:
            for name in topic_names(entry, kind):
                key = (kind, name.casefold())
                members = groups.setdefault(key, [])
                if not members or members[-1] is not entry:
                    members.append(entry)
                # One spelling per topic whatever the order: the smallest.
                names[key] = min(names.get(key, name), name)
    return [
        (topic, groups[topic.kind, topic.name.casefold()]) for topic in ordered_topics(names.items(), config)
    ]


def ordered_topics(named: Iterable[tuple[tuple[str, str], str]], config: SiteConfig) -> list[Topic]:
    """The topics of the configured kinds among `named` ((kind, folded name), spelling), in kind
    then folder order: the order of the site's feeds."""
    found = [
        Topic(kind, name, f"{kind}/{topic_slug(name)}/") for (kind, _), name in named if kind in config.topics
    ]
    return sorted(found, key=lambda topic: (config.topics.index(topic.kind), topic.folder))


def site_topic(config: SiteConfig) -> Topic:
    return Topic("site", config.title, "")


def paged_feeds(topic: Topic, ordered: Sequence[Entry], config: SiteConfig) -> list[Feed]:
    """The head feed of `topic`, then its archive pages, oldest first (see `archive_pages`)."""
    return list(map(filled, paged_plans(topic, ordered, config)))


def paged_plans(topic: Topic, ordered: Sequence[P], config: SiteConfig) -> list[Planned[P]]:
    head_size = config.feed_limit
    archived = list(reversed(ordered[head_size:])) if archives(topic, config) else []  # oldest first
    size = config.archive_page_size
    count = archive_pages(len(archived), size)
    plans = [head_plan(topic, config, ordered[:head_size], count)]
    for number in range(1, count + 1):
        page = archived[(number - 1) * size : number * size]
        previous = plans[-1].feed.updated
        plans.append(archive_plan(topic, config, number, count, list(reversed(page)), previous))
    return plans


def archives(topic: Topic, config: SiteConfig) -> bool:
    """Whether `topic`'s entries beyond its head feed go to archive pages (else they are not published)."""
    return topic.kind == "site" or config.topic_archives


def archive_pages(archived: int, size: int) -> int:
    """How many archive pages hold `archived` entries, `size` a page, cut from the oldest entry.

    Full pages, then one last page that fills up. It may be empty, so that every full
    page can link `next-archive` to a page that exists (a full page's bytes then never
    change again). A lone partial page gets that empty next page too: an archive
    document with neither `prev-archive` nor `next-archive` is incomplete to RFC 5005
    validators.
    """
    if archived == 0:
        return 0
    full = archived // size
    return 2 if full == 0 else full + 1


def head_feed(topic: Topic, config: SiteConfig, newest: Sequence[Entry], pages: int) -> Feed:
    """`topic`'s head feed: its newest entries, linking `prev-archive` to its newest archive page."""
    return filled(head_plan(topic, config, newest, pages))


def head_plan(topic: Topic, config: SiteConfig, newest: Sequence[P], pages: int) -> Planned[P]:
    return Planned(head_shape(topic, config, pages, latest(newest)), tuple(newest))


def head_shape(topic: Topic, config: SiteConfig, pages: int, updated: datetime | None) -> Feed:
    """`topic`'s head feed without its entries, whose newest `updated` is `updated` (None: it has none)."""
    return _feed(
        topic,
        config,
        feed_files(topic.folder),
        updated,
        prev_archive=archive_files(topic.folder, pages) if pages else None,
    )


def archive_page(
    topic: Topic,
    config: SiteConfig,
    number: int,
    pages: int,
    entries: Sequence[Entry],
    previous_updated: datetime,
) -> Feed:
    """Archive page `number` of `pages` (newest entry first); `previous_updated` is the
    `updated` of the feed before it (the head feed for page 1, else page `number - 1`),
    which an empty last page takes as its own."""
    return filled(archive_plan(topic, config, number, pages, entries, previous_updated))


def archive_plan(
    topic: Topic,
    config: SiteConfig,
    number: int,
    pages: int,
    entries: Sequence[P],
    previous_updated: datetime,
) -> Planned[P]:
    shape = archive_shape(topic, config, number, pages, latest(entries), previous_updated)
    return Planned(shape, tuple(entries))


def archive_shape(
    topic: Topic,
    config: SiteConfig,
    number: int,
    pages: int,
    updated: datetime | None,
    previous_updated: datetime,
) -> Feed:
    """`archive_page` without its entries, whose newest `updated` is `updated` (None: it has none)."""
    folder = topic.folder
    return _feed(
        topic,
        config,
        archive_files(folder, number),
        updated,
        prev_archive=archive_files(folder, number - 1) if number > 1 else None,
        next_archive=archive_files(folder, number + 1) if number < pages else None,
        current=feed_files(folder),
        page=number,
        empty_updated=previous_updated if number > 1 else EMPTY_FEED_UPDATED,
        full_content=config.archive_content,
    )


def latest(entries: Iterable[Placeable]) -> datetime | None:
    """The newest `updated` of `entries` (the first of equal ones), None if there are none: a
    feed's own `updated`."""
    return max((entry.updated for entry in entries), default=None)


def topic_names(entry: Placeable, kind: str) -> Iterable[str]:
    if kind == "categories":
        return entry.categories
    if kind == "tags":
        return entry.tags
    return (author.name for author in entry.authors)


def _feed(
    topic: Topic,
    config: SiteConfig,
    files: FeedFiles,
    updated: datetime | None,
    *,
    prev_archive: FeedFiles | None,
    next_archive: FeedFiles | None = None,
    current: FeedFiles | None = None,
    page: int | None = None,
    empty_updated: datetime = EMPTY_FEED_UPDATED,
    full_content: bool = True,
) -> Feed:
    title = config.title
    if topic.kind != "site":
        title = f"{config.title}: {TOPIC_TITLES[topic.kind]} {topic.name}"
    if page is not None:
        title = f"{title} (archive, page {page})"
    description = config.description or config.title
    if topic.kind != "site":
        description = f"Entries of {config.title} with the {TOPIC_TITLES[topic.kind]} {topic.name}."
    return Feed(
        id=config.base_url + files.atom.removesuffix("atom.xml"),
        title=title,
        description=description,
        home_url=config.base_url,
        base_url=config.base_url,
        files=files,
        language=config.language,
        authors=(config.author or Author(name=config.title),),
        entries=(),
        updated=empty_updated if updated is None else updated,
        prev_archive=prev_archive,
        next_archive=next_archive,
        current=current,
        hubs=(config.hub,) if config.hub else (),
        kind=topic.kind,
        full_content=full_content,
    )
