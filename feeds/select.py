"""select: entries in, feeds out. Pure: grouping, ordering and limits only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from feeds.config import SiteConfig
from feeds.model import Author, Entry, Feed, FeedFiles

EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)
"""`updated` of a feed with no entries: fixed, so an empty site still builds the same bytes."""

SITE_FILES = FeedFiles(rss="rss.xml", atom="atom.xml", json="feed.json")


def newest_first(entries: Iterable[Entry]) -> list[Entry]:
    """Newest publication first; entries published at the same instant ordered by id."""
    return sorted(entries, key=lambda e: (-e.published.timestamp(), e.id))


def select_feeds(entries: Sequence[Entry], config: SiteConfig) -> tuple[Feed, ...]:
    """Every feed the site publishes (for now, the site feed)."""
    return (site_feed(newest_first(entries), config),)


def site_feed(ordered: Sequence[Entry], config: SiteConfig) -> Feed:
    chosen = tuple(ordered[: config.feed_limit])
    return Feed(
        id=config.base_url,
        title=config.title,
        description=config.description or config.title,
        home_url=config.base_url,
        base_url=config.base_url,
        files=SITE_FILES,
        language=config.language,
        authors=(config.author or Author(name=config.title),),
        entries=chosen,
        updated=max((e.updated for e in chosen), default=EMPTY_FEED_UPDATED),
    )
