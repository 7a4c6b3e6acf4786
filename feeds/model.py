"""The values that travel between the pipeline's stages.

    file --read--> Article --prepare--> Entry --select--> Feed --render--> bytes

All are frozen: a stage never changes what an earlier one produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

BodyFormat = Literal["markdown", "html", "text"]
"""How an article's body is written: Markdown (may embed HTML), HTML, or plain paragraphs."""

RawDate = str | int | float | datetime | date
"""A date as the file gave it; `feeds.dates.parse_date` makes it an aware datetime."""


@dataclass(frozen=True, slots=True)
class Author:
    name: str
    email: str | None = None
    uri: str | None = None


@dataclass(frozen=True, slots=True)
class Enclosure:
    """A media file attached to an entry (RSS `<enclosure>`, Atom `rel="enclosure"`)."""

    url: str
    type: str
    length: int = 0


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an article was first published (the seed's "Read the original article on ...")."""

    name: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """What one article file (or one record of a JSON file) says, nothing invented."""

    source: str
    """Path of the file, relative to the site folder, with `/` separators."""
    key: str
    """The article's key in the registry: `source`, or `source#slug` for one record of many."""
    title: str
    body: str
    body_format: BodyFormat
    line: int | None = None
    """First line of the record in `source`, where that is more than line 1."""
    summary: str | None = None
    standfirst: str | None = None
    related: tuple[str, ...] = ()
    """Headlines the source cross-promotes ("Read also: ..."): kept, never published as text."""
    origin: Origin | None = None
    date: RawDate | None = None
    updated: RawDate | None = None
    authors: tuple[Author, ...] = ()
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    slug: str | None = None
    url: str | None = None
    id: str | None = None
    draft: bool = False
    image: str | None = None
    lang: str | None = None
    enclosure: Enclosure | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """An article made ready for feeds: dates zoned, text clean, HTML safe, identity fixed."""

    id: str
    key: str
    source: str
    slug: str
    title: str
    url: str
    published: datetime
    updated: datetime
    summary: str
    content_html: str
    authors: tuple[Author, ...] = ()
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    lang: str | None = None
    image: str | None = None
    enclosure: Enclosure | None = None
    origin: Origin | None = None
    related: tuple[str, ...] = ()


FeedFormat = Literal["rss", "atom", "json"]
FORMATS: tuple[FeedFormat, ...] = ("rss", "atom", "json")

MEDIA_TYPES: dict[FeedFormat, str] = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}


@dataclass(frozen=True, slots=True)
class FeedFiles:
    """Where one feed is written, per format, relative to the output folder."""

    rss: str
    atom: str
    json: str

    def path(self, fmt: FeedFormat) -> str:
        return str(getattr(self, fmt))


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed, format-independent: what to say and where each format is served."""

    id: str
    title: str
    description: str
    home_url: str
    base_url: str
    files: FeedFiles
    language: str
    authors: tuple[Author, ...]
    entries: tuple[Entry, ...]
    updated: datetime
    generator: str = "feeds"
    kind: str = "site"
    """'site', or the topic kind: 'categories', 'tags', 'authors'."""
    prev_archive: FeedFiles | None = None
    """The next older archive page (RFC 5005 `prev-archive`), if any."""
    next_archive: FeedFiles | None = None
    """On a full archive page: the next newer page (`next-archive`)."""
    current: FeedFiles | None = None
    """On an archive page: the head feed it belongs to (`current`). None on a head feed."""
    hubs: tuple[str, ...] = ()
    """WebSub hubs that readers may subscribe through."""
    full_content: bool = True
    """Whether entries carry their full content (else their summary and link): archive pages may not."""

    @property
    def is_archive(self) -> bool:
        return self.current is not None

    def url(self, fmt: FeedFormat, files: FeedFiles | None = None) -> str:
        """The absolute URL of this feed (or of `files`, a related one) in `fmt`."""
        return self.base_url + (files or self.files).path(fmt)
