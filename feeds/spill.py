"""The entries of a build from scratch, kept on disk as they are settled, not in memory.

At 100,000 articles the settled entries took 134 MB of the build's own process (about 1,370
bytes each), though a feed in full needs only the newest of them and an archive page is
rendered in a worker. So each entry is pickled (the form the state stores anyway) and appended
to one file in the cache folder. What the feeds are selected by (each entry's time and id, its
topics, its `mark`, where its bytes are) goes into a small SQLite file beside it, not into a
stand-in per entry: those took 600 bytes an entry (60 MB at 100,000) and grew with the archive.
The feeds are then planned by asking it, one page at a time (`Spill.plans`), in the order and
by the rules of `feeds.select`. The whole entries are read back where they are wanted: the feeds
in full's in this process, each archive page's in the worker that renders it, and each in turn
as the state stores it (`Spill.entry_rows`).

Both files last one build: they are made again by the next (those left by a killed build, too).
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import struct
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from feeds.config import SiteConfig
from feeds.model import Entry, Feed
from feeds.registry import Record
from feeds.select import (
    Topic,
    archive_pages,
    archive_shape,
    archives,
    head_shape,
    ordered_topics,
    site_topic,
)
from feeds.state import PUT_ENTRY, State, entry_columns, entry_topics, pickled, unpickle

SPILL_FILE = "entries.spill"

FINGERPRINT_SIZE = 16
"""Bytes of a draft's fingerprint (`feeds.build._fingerprint`, 32 hex digits), kept before each
entry in the file: at 100,000 articles, kept in memory by key, they took 23 MB."""

Spans = bytes
"""Where entries are in a spill file: (offset, size) of each, packed (`spans`): at 100,000
articles, as tuples of ints the archive pages' took 13 MB."""

_SPAN = struct.Struct("<qq")

_TABLES = """
CREATE TEMP TABLE placed(pos INTEGER PRIMARY KEY, key TEXT, pub REAL, id TEXT, slug TEXT, upd REAL,
                         mark BLOB, at INT, size INT);
CREATE TEMP TABLE topic(kind TEXT, folded TEXT, name TEXT, pub REAL, id TEXT, pos INT);
CREATE TEMP TABLE slugs(hash INTEGER PRIMARY KEY, pos INT);
CREATE TEMP TABLE ids(hash INTEGER PRIMARY KEY, pos INT)
"""
"""Tables of the state's connection that end with it (in a file of their own, which SQLite
removes): what the feeds are planned by, of each entry and of each topic it is in; and which
article took each slug and id, by the value's hash (`Spill.owners`: 16 bytes a row, where the
values themselves made the tables too large for SQLite's cache, and every claim a read and write
of its file)."""

_INDEXES = """
CREATE INDEX IF NOT EXISTS temp.placed_order ON placed(pub, id DESC);
CREATE INDEX IF NOT EXISTS temp.topic_order ON topic(kind, folded, pub, id DESC)
"""
"""Made once every entry is in (one sort each): the feeds' order, oldest first, as the state's
`entries_order` and `members` keep it (`feeds.select.newest_first` is its reverse)."""

_TEMPORARY = ("placed", "topic", "slugs", "ids")

_OWNERS = "SELECT (SELECT pos FROM temp.slugs WHERE hash = ?1), (SELECT pos FROM temp.ids WHERE hash = ?2)"

_BATCH = 1024
"""Rows kept before they are written (one `executemany` each table)."""

_ROW = "p.key, p.mark, p.at, p.size, p.upd"


class Where(NamedTuple):
    """An entry of a planned feed: its key and `mark`, and where its bytes are in the spill file."""

    key: str
    mark: bytes
    at: int
    size: int


class Spill:
    """The spill of one build from scratch, which fills `state` (after its `begin_replace`):
    `add` each entry as it is settled, `seal` once all are, then plan the feeds (`plans`) and
    read the entries back (`fingerprinted`, `load_all`; `spans` for another process). The entries
    go into the state as they are added, as do the records sent (`add_record`); their topics by
    `save_members`. Removed on exit."""

    def __init__(self, folder: Path, state: State) -> None:
        self.path = folder / SPILL_FILE
        self._file = self.path.open("w+b")
        self._state = state
        state.run(_TABLES)
        self._at = 0
        self._entries: list[tuple[Any, ...]] = []
        self._placed: list[tuple[Any, ...]] = []
        self._topics: list[tuple[Any, ...]] = []
        self._records: list[tuple[str, Record]] = []
        self._claims: list[tuple[int, int, int]] = []
        self._slugs: dict[str, str] = {}
        self._ids: dict[str, str] = {}
        """The claims of the entries not written yet (`_write_rows`), by value."""
        self.count = 0
        """How many entries were added."""

    def add(self, entry: Entry, fingerprint: str, mark: bytes) -> None:
        pickle = pickled(entry)
        blob = bytes.fromhex(fingerprint) + pickle
        self._file.write(blob)
        columns = entry_columns(entry)
        key, _, pub, id_, _, _ = columns
        self._entries.append((*columns, fingerprint, pickle))
        self._placed.append(
            (self.count, key, pub, id_, entry.slug, entry.updated.timestamp(), mark, self._at, len(blob))
        )
        self._claims.append((hash(entry.slug), hash(id_), self.count))
        topics = entry_topics(entry, self._state.kinds)
        self._topics += ((kind, folded, name, pub, id_, self.count) for kind, folded, name in topics)
        self._at += len(blob)
        self.count += 1
        if len(self._placed) >= _BATCH:
            self._write_rows()

    def add_record(self, key: str, record: Record) -> None:
        """A record of the new registry (`feeds.prepare.Settling` sends each): into the state's mirror."""
        self._records.append((key, record))
        if len(self._records) >= _BATCH:
            self._write_rows()

    def owners(self, slug: str, id_: str) -> tuple[str | None, str | None]:
        """`feeds.prepare.Claims`: kept here, not in memory (at 100,000 articles, two dictionaries
        of 100,000 slugs, ids and keys, and the strings only they held, were 42 MB by tracemalloc).
        An entry claims its slug and id as it is settled (`claim`), and is added right after
        (`add`)."""
        slug_owner, id_owner = self._slugs.get(slug), self._ids.get(id_)
        if slug_owner is None or id_owner is None:
            slug_at, id_at = self._state.execute(_OWNERS, (hash(slug), hash(id_))).fetchone()
            if slug_owner is None and slug_at is not None:
                slug_owner = self._owner("slug", slug_at, slug)
            if id_owner is None and id_at is not None:
                id_owner = self._owner("id", id_at, id_)
        return slug_owner, id_owner

    def _owner(self, column: str, pos: int, value: str) -> str | None:
        """The key of the entry that claimed `value`, where the first claim of its hash was by
        the entry at `pos`."""
        key, claimed = self._state.execute(
            f"SELECT key, {column} FROM temp.placed WHERE pos = ?", (pos,)
        ).fetchone()
        if claimed == value:
            return str(key)
        # Another value with the same hash claimed it first (never seen, but possible): asked of every entry.
        sql = f"SELECT key FROM temp.placed WHERE {column} = ? ORDER BY pos LIMIT 1"
        row = self._state.execute(sql, (value,)).fetchone()
        return None if row is None else str(row[0])

    def claim(self, slug: str, id_: str, key: str) -> None:
        self._slugs[slug] = self._ids[id_] = key

    def _write_rows(self) -> None:
        if self._records:
            self._state.put_records(self._records)
            self._records = []
        if not self._placed:
            return
        self._state.executemany(PUT_ENTRY, self._entries)
        self._state.executemany("INSERT INTO temp.placed VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._placed)
        self._state.executemany("INSERT INTO temp.topic VALUES (?, ?, ?, ?, ?, ?)", self._topics)
        # The first claim of a hash is kept: `_owner` tells two values that share one apart.
        self._state.executemany(
            "INSERT OR IGNORE INTO temp.slugs VALUES (?, ?)", ((s, at) for s, _, at in self._claims)
        )
        self._state.executemany(
            "INSERT OR IGNORE INTO temp.ids VALUES (?, ?)", ((i, at) for _, i, at in self._claims)
        )
        self._entries, self._placed, self._topics, self._claims = [], [], [], []
        self._slugs, self._ids = {}, {}

    def clear(self) -> None:
        """Forget every entry added (the build settles them again)."""
        self._file.seek(0)
        self._file.truncate()
        for table in ("main.entries", "main.registry", *(f"temp.{table}" for table in _TEMPORARY)):
            self._state.execute(f"DELETE FROM {table}")
        self._entries, self._placed, self._topics, self._records, self._claims = [], [], [], [], []
        self._slugs, self._ids = {}, {}
        self._at = self.count = 0

    def seal(self) -> None:
        """Every entry is added: the file is written out, for any process to read, and the
        feeds' order indexed for them to be planned."""
        self._write_rows()
        self._file.flush()
        self._state.run(_INDEXES)

    def plans(self, config: SiteConfig) -> Iterator[tuple[Feed, list[Where]]]:
        """Every feed the site publishes, without its entries, with where they are: what
        `feeds.select.plan_feeds` selects from the entries, in its order. A page at a time: held
        together, the archive pages' would be every entry again, as many times as it has topics."""
        rows = self._state.execute(
            "SELECT kind, folded, min(name), count(*) FROM temp.topic GROUP BY kind, folded"
        ).fetchall()
        counts = {(kind, folded): count for kind, folded, _, count in rows}
        topics = ordered_topics((((kind, folded), name) for kind, folded, name, _ in rows), config)
        yield from self._paged(site_topic(config), None, self.count, config)
        for topic in topics:
            group = (topic.kind, topic.name.casefold())
            yield from self._paged(topic, group, counts[group], config)

    def _paged(
        self, topic: Topic, group: tuple[str, str] | None, total: int, config: SiteConfig
    ) -> Iterator[tuple[Feed, list[Where]]]:
        """The head feed of `topic`, then its archive pages, oldest first (`feeds.select.paged_plans`)."""
        head_size, size = config.feed_limit, config.archive_page_size
        archived = max(0, total - head_size) if archives(topic, config) else 0
        count = archive_pages(archived, size)
        newest = self._members(group, "DESC", min(head_size, total)).fetchall()
        head = head_shape(topic, config, count, self._latest(newest))
        yield head, _wheres(newest)
        previous = head.updated
        oldest_first = self._members(group, "", archived)  # read as the pages are made
        for number in range(1, count + 1):
            page = list(itertools.islice(oldest_first, size))
            page.reverse()  # newest first, as a feed lists them
            feed = archive_shape(topic, config, number, count, self._latest(page), previous)
            yield feed, _wheres(page)
            previous = feed.updated

    def _members(self, group: tuple[str, str] | None, direction: str, limit: int) -> sqlite3.Cursor:
        """The rows of the group's first `limit` entries: newest first if `direction` is 'DESC',
        else oldest first (None: the site's)."""
        later = "" if direction else " DESC"  # of two entries published at once, the smaller id is newer
        if group is None:
            sql = f"SELECT {_ROW} FROM temp.placed AS p ORDER BY p.pub {direction}, p.id{later} LIMIT ?"
            return self._state.execute(sql, (limit,))
        sql = (
            f"SELECT {_ROW} FROM temp.topic AS t JOIN temp.placed AS p ON p.pos = t.pos"
            f" WHERE t.kind = ? AND t.folded = ? ORDER BY t.pub {direction}, t.id{later} LIMIT ?"
        )
        return self._state.execute(sql, (*group, limit))

    def _latest(self, rows: Sequence[tuple[Any, ...]]) -> datetime | None:
        """`feeds.select.latest` of the entries of `rows` (newest first): the first of the latest
        `updated` instants, whose value (zone and all) is read from that entry alone."""
        best = None
        for row in rows:
            if best is None or row[4] > best[4]:
                best = row
        if best is None:
            return None
        return _entry(os.pread(self._file.fileno(), best[3], best[2])).updated

    def fingerprinted(self, where: Iterable[Where]) -> Iterator[tuple[Entry, str]]:
        """Each entry with its draft's fingerprint."""
        for blob in self._read((item.at, item.size) for item in where):
            yield _entry(blob), blob[:FINGERPRINT_SIZE].hex()

    def load_all(self) -> list[Entry]:
        """Every entry, in the order they were added."""
        self._write_rows()
        where = self._state.execute("SELECT at, size FROM temp.placed ORDER BY pos").fetchall()
        return [_entry(blob) for blob in self._read(where)]

    def save_members(self) -> None:
        """The state's `members` rows, in its order: topic by topic, oldest entry first."""
        self._state.execute(
            "INSERT INTO main.members SELECT t.kind, t.folded, t.pub, t.id, p.key, t.name"
            " FROM temp.topic AS t JOIN temp.placed AS p ON p.pos = t.pos"
            " ORDER BY t.kind, t.folded, t.pub, t.id DESC"
        )

    def _read(self, where: Iterable[tuple[int, int]]) -> Iterator[bytes]:
        fd = self._file.fileno()
        for at, size in where:
            yield os.pread(fd, size, at)

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


def _wheres(rows: Iterable[tuple[Any, ...]]) -> list[Where]:
    return [Where(key, mark, at, size) for key, mark, at, size, *_ in rows]


def spans(where: Iterable[Where]) -> Spans:
    return b"".join(_SPAN.pack(item.at, item.size) for item in where)


def read_spilled(path: str, where: Spans) -> tuple[Entry, ...]:
    """The entries at `where` (`spans`) in the spill file at `path` (in a worker process)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        return tuple(_entry(os.pread(fd, size, at)) for at, size in _SPAN.iter_unpack(where))
    finally:
        os.close(fd)


def _entry(blob: bytes) -> Entry:
    entry: Entry = unpickle(memoryview(blob)[FINGERPRINT_SIZE:])
    return entry
