"""The build's state between builds: what the last build read, published and wrote, in SQLite.

A folder beside `feeds.toml` (`.feeds-cache/`, never committed, safe to delete)
holds one database. Per article file: its status (size, mtime), and apart from it
what `digest` made of it. Per published entry: the entry (without content) with its order and
topics, indexed so that a rebuild can ask for one feed's entries, or one archive
page's, without loading the others. A mirror of the registry, the content HTML of
the entries that full-content feeds carry, and per output file the fingerprint of
the feed it was rendered from. It is keyed by the configuration and by this
package's own code: any change to either, and the state is ignored.

Losing it (or a damaged one) costs time, never correctness: the build then reads,
digests and renders everything, and gives the same bytes. Every change of a build
is one transaction, committed after the output: a build killed half way leaves
the state of the build before it, and the next build redoes the difference.

Values are pickled (frozen dataclasses, as their constructors' arguments) and
unpickled by a loader that builds only our own plain values: a doctored file is
refused, never run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import operator
import os
import pickle
import sqlite3
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from feeds.config import SiteConfig
from feeds.dates import from_utc_text
from feeds.errors import Problem
from feeds.model import Author, Enclosure, Entry, Feed, FeedFiles, Origin
from feeds.prepare import Draft
from feeds.read import FileState, file_of
from feeds.registry import Record, record_times, registry_file_pieces, registry_line
from feeds.select import topic_names

FORMAT = 5
STATE_FILE = "state.sqlite"


@dataclass(frozen=True, slots=True)
class FileDigest:
    """What one article file gave: drafts of its articles, its problems."""

    state: FileState
    drafts: tuple[Draft, ...]
    fingerprints: tuple[str, ...]
    """One per draft: a hash of everything the draft says."""
    problems: tuple[Problem, ...]
    unreadable: bool
    articles: int
    """Articles the file holds (digested or not)."""
    content: str | None = None
    """The hash of the bytes they were digested from (`feeds.read.bytes_hash`); None if unread."""


@dataclass(frozen=True, slots=True)
class OutputState:
    """An output file as the last build left it, and the fingerprint of what it was rendered from."""

    fingerprint: str
    size: int
    mtime_ns: int


@dataclass(slots=True)
class BuildCache:
    """What a build from scratch takes from the state: every file's digest, contents, outputs."""

    key: str
    files: dict[str, FileDigest] = field(default_factory=dict)
    """By the file's key (its path inside the articles folder)."""
    contents: dict[str, str] = field(default_factory=dict)
    """Content HTML by content key (see `feeds.build`)."""
    outputs: dict[str, OutputState] = field(default_factory=dict)
    """By path inside the output folder."""


_TABLES = """
CREATE TABLE meta(name TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE files(key TEXT PRIMARY KEY, size INT, mtime INT, side_size INT, side_mtime INT,
                   articles INT, troubled INT, content TEXT) WITHOUT ROWID;
CREATE TABLE digests(key TEXT PRIMARY KEY, digest BLOB);
CREATE TABLE entries(key TEXT PRIMARY KEY, file TEXT, pub REAL, id TEXT, slug TEXT, latest REAL,
                     fp TEXT, entry BLOB);
CREATE TABLE members(kind TEXT, folded TEXT, pub REAL, id TEXT, key TEXT, name TEXT,
                     PRIMARY KEY(kind, folded, pub, id DESC, key)) WITHOUT ROWID;
CREATE TABLE topics(kind TEXT, folded TEXT, name TEXT, count INT,
                    PRIMARY KEY(kind, folded)) WITHOUT ROWID;
CREATE TABLE heads(folder TEXT PRIMARY KEY, feed BLOB) WITHOUT ROWID;
CREATE TABLE pending(key TEXT PRIMARY KEY, file TEXT, due REAL) WITHOUT ROWID;
CREATE TABLE registry(key TEXT PRIMARY KEY, file TEXT, id TEXT, first_seen TEXT, hash TEXT,
                      changed TEXT, retired TEXT, line TEXT) WITHOUT ROWID;
CREATE TABLE contents(ckey TEXT PRIMARY KEY, html TEXT) WITHOUT ROWID;
CREATE TABLE outputs(path TEXT PRIMARY KEY, fp TEXT, size INT, mtime INT) WITHOUT ROWID;
"""

_INDEXES = """
CREATE INDEX files_troubled ON files(troubled) WHERE troubled;
CREATE INDEX entries_order ON entries(pub, id DESC);
CREATE INDEX entries_slug ON entries(slug);
CREATE INDEX entries_id ON entries(id);
CREATE INDEX entries_latest ON entries(latest);
CREATE INDEX registry_id ON registry(id);
CREATE INDEX registry_hash ON registry(hash);
"""
"""Made after a build from scratch has filled the tables: an index built in one sort, not row by
row in random order (at 100,000 articles, the whole save took 17 s so, 28 s before)."""


OF_FILE = "key >= ?1 AND key < ?1 || '$' AND file = ?1"
"""The rows of one article file (the first parameter), by a range of their keys: a file's keys
are its path, or its path, '#' and a record's name (`feeds.read.file_of`), so no index by file
is kept (at 100,000 articles, three fewer to sort and store)."""


def state_key(config: SiteConfig) -> str:
    """The configuration and this package's code, hashed: what every stored value depends on.

    Not where the site folder is: the state holds paths inside it (its folders must be), so a
    site moved, or its cache restored into another folder (a CI runner's workspace), keeps
    its state. Links are judged again where the articles folder has moved (`State.moved`).
    """
    settings = repr(dataclasses.replace(config, root=Path()))
    digest = hashlib.blake2b(f"{FORMAT}\0{settings}".encode(), digest_size=16)
    package = Path(__file__).parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


class State:
    """The state database of one site, opened for one build (one transaction)."""

    def __init__(self, path: Path, key: str, kinds: Sequence[str]) -> None:
        self.path = path
        self.key = key
        self.kinds = tuple(kinds)
        """The topic kinds the site has feeds for (`config.topics`)."""
        self.complete = False
        """Whether it holds what the last build left (else it is empty, for a build from scratch)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = _connect(path)
            self.complete = self.meta("key") == key and self.meta("complete") == 1
        except sqlite3.DatabaseError:  # damaged, or not ours
            pass
        if not self.complete:
            # Start afresh in a new file: dropping the tables of 100,000 articles took 8 s. What
            # the old file held is of no use to this code and configuration (or incomplete).
            with contextlib.suppress(Exception):
                self._db.close()
            for stale in (path, path.with_name(path.name + "-journal")):  # a journal would be replayed
                stale.unlink(missing_ok=True)
            self._db = _connect(path)
            self._reset()
        self._db.execute("BEGIN IMMEDIATE")

    def _reset(self, *, indexes: bool = True) -> None:
        db = self._db
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            db.execute(f'DROP TABLE "{table}"')
        self.run(_TABLES)
        if indexes:
            self.run(_INDEXES)
        db.execute("INSERT INTO meta VALUES ('key', ?)", (self.key,))

    def run(self, statements: str) -> None:
        """Statements separated by semicolons, in this build's transaction."""
        for statement in statements.split(";"):  # not executescript: it would end the transaction
            if statement.strip():
                self._db.execute(statement)

    def clear(self) -> None:
        """Forget everything: the next build is one from scratch."""
        self.complete = False
        self._reset()

    def close(self, *, commit: bool) -> None:
        try:
            if commit:
                self._db.commit()
            else:
                self._db.rollback()
        finally:
            self._db.close()

    def interrupt(self) -> None:
        """Stop the statement running in another thread (it raises there): the build failed."""
        self._db.interrupt()

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._db.execute(sql, parameters)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._db.executemany(sql, rows)

    def meta(self, name: str) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, name: str, value: Any) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    # ------------------------------------------------------------------------------------------
    # What a build from scratch reads, and writes back whole
    # ------------------------------------------------------------------------------------------

    def file_count(self) -> int:
        """About how many article files the last build saw (0 when there is no state): the articles
        it read, which `count` keeps (a JSON file holds several). Counting the files table's rows
        took 15 ms at 100,000, of a rebuild that has a second."""
        if not self.complete:
            return 0
        return self.counts()[0]

    def load_cache(self) -> BuildCache:
        cache = BuildCache(self.key)
        if not self.complete:
            return cache
        cache.files = {key: _digest_of(*row) for key, *row in self.execute(_DIGESTS)}
        cache.contents = dict(self.execute("SELECT ckey, html FROM contents").fetchall())
        cache.outputs = {
            path: OutputState(fp, size, mtime)
            for path, fp, size, mtime in self.execute("SELECT path, fp, size, mtime FROM outputs")
        }
        return cache

    def begin_replace(self) -> None:
        """Empty the state, for a build from scratch to fill: `put_file` as the files are read,
        then `put_settled`, then `complete_replace`.

        Rows go in in key order (each table is stored in that order) and the indexes are
        made afterwards: the tables are written front to back, not page by random page.
        """
        self.complete = False
        self._reset(indexes=False)
        # Written front to back, the tables need little cache; each index is made by one sort.
        self.execute(f"PRAGMA cache_size = {_BULK_CACHE}")

    def put_file(self, key: str, digest: FileDigest, stored: bytes | None = None) -> None:
        """One article file's digest (`stored`: its pickled form, where already made)."""
        self.execute(_PUT_FILE, file_row(key, digest))
        self.execute(_PUT_DIGEST, (key, pickled(digest) if stored is None else stored))

    def forget_file(self, key: str) -> None:
        """An article file gone: its status and its digest."""
        self.execute("DELETE FROM files WHERE key = ?", (key,))
        self.execute("DELETE FROM digests WHERE key = ?", (key,))

    def put_settled(
        self,
        pending: Iterable[tuple[str, float | None]],
        records: Iterable[tuple[str, Record]],
        contents: dict[str, str],
        heads: Iterable[Feed],
    ) -> None:
        """What a build from scratch settled, after `begin_replace`, the files, and the entries and
        their topics (`feeds.spill.Spill`); then the indexes.

        May run in a thread of its own (while the feeds are rendered): nothing else uses the
        connection meanwhile.
        """
        self.executemany(
            "INSERT INTO pending VALUES (?, ?, ?)", sorted((k, file_of(k), due) for k, due in pending)
        )
        self.put_records(sorted(records, key=operator.itemgetter(0)))
        self.executemany("INSERT INTO contents VALUES (?, ?)", sorted(contents.items()))
        self.executemany(
            "INSERT INTO heads VALUES (?, ?)",
            (
                (head.files.atom.removesuffix("atom.xml"), pickled(replace(head, entries=())))
                for head in heads
            ),
        )
        self.execute(
            "INSERT INTO topics SELECT kind, folded, min(name), count(*) FROM members GROUP BY kind, folded"
        )
        self.run(_INDEXES)  # the small cache stays: this connection ends with this build

    def complete_replace(self, outputs: dict[str, OutputState]) -> None:
        """The output files, once written: the state is then what this build left."""
        self.put_outputs(dict(sorted(outputs.items())))
        self.set_meta("complete", 1)

    def put_entries(self, entries: Iterable[tuple[Entry, str]]) -> None:
        """Store entries with their fingerprints, and their topics (rows made as they are written).

        In key order, the entries go in in the order they are stored (any order is correct); the
        topics' rows always do (`_member_rows`)."""
        entries = list(entries)
        columns = [entry_columns(entry) for entry, _ in entries]
        self.executemany(
            PUT_ENTRY,
            (
                (*row, fingerprint, pickled(entry))
                for row, (entry, fingerprint) in zip(columns, entries, strict=True)
            ),
        )
        self.executemany(
            _PUT_MEMBER,
            _member_rows([entry for entry, _ in entries], [row[2] for row in columns], self.kinds),
        )

    def drafts(self) -> Iterator[Draft]:
        """The drafts of every file stored, in key order (the files `put_file` gave this build too)."""
        for row in self.execute(f"{_DIGESTS} ORDER BY key"):
            yield from unpickle(row[-1]).drafts

    def fingerprints(self) -> dict[str, str]:
        """The fingerprint of each draft stored, by article key."""
        found: dict[str, str] = {}
        for row in self.execute(f"{_DIGESTS} ORDER BY key"):
            digest = unpickle(row[-1])
            found.update((d.key, f) for d, f in zip(digest.drafts, digest.fingerprints, strict=True))
        return found

    def digest(self, key: str) -> FileDigest | None:
        """The stored digest of one article file."""
        row = self.execute(f"{_DIGESTS} WHERE key = ?", (key,)).fetchone()
        return None if row is None else _digest_of(*row[1:])

    def touch(self, files: Iterable[tuple[str, FileState]]) -> None:
        """Each (key, status): the file holds what it was digested from, under a new status
        (`feeds.read.same_content`)."""
        self.executemany(
            "UPDATE files SET size = ?, mtime = ?, side_size = ?, side_mtime = ? WHERE key = ?",
            ((status.size, status.mtime_ns, *(status.sidecar or (None, None)), key) for key, status in files),
        )

    def put_records(self, records: Iterable[tuple[str, Record]]) -> None:
        self.executemany(_PUT_RECORD, _registry_rows(records))

    def records(self) -> dict[str, Record]:
        """Every record of the registry's mirror, by key."""
        rows = self.execute(f"SELECT key, {RECORD_COLUMNS} FROM registry ORDER BY key")
        return {key: record_of(*row) for key, *row in rows}

    def put_outputs(self, outputs: dict[str, OutputState]) -> None:
        self.executemany(
            "INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?)",
            ((path, s.fingerprint, s.size, s.mtime_ns) for path, s in outputs.items()),
        )

    def finish(
        self,
        config: SiteConfig,
        folders: dict[str, str],
        *,
        settle_problems: int,
        registry_canonical: bool,
        registry_hash: str | None = None,
    ) -> None:
        """Mark the state as what this build left: its scan, counts, the registry file it wrote."""
        latest = self.execute("SELECT max(latest) FROM entries").fetchone()[0]
        self.set_meta("latest", latest)
        self.set_folders(folders)
        self.set_meta("settle_problems", settle_problems)
        self.moved(config.articles_dir)
        self.count()
        if not registry_canonical and registry_hash is None:
            # A registry this build found as it wanted it (a fresh clone, an upgrade of `feeds`):
            # laid out as a build writes it, the next change splices it instead of writing it
            # whole from the mirror (at 100,000 articles, a rebuild's peak 124 MB, not 72 MB).
            registry_hash = _file_hash(config.registry_path)
            registry_canonical = registry_hash == self._mirror_file_hash()
        self.remember_registry(config.registry_path, canonical=registry_canonical, known_hash=registry_hash)

    def _mirror_file_hash(self) -> str:
        """The hash (`registry_hasher`) of the registry file the mirror's lines make (`registry_file`)."""
        hashing = registry_hasher()
        for piece in registry_file_pieces(self.registry_lines()):
            hashing.update(piece)
        return str(hashing.hexdigest())

    def moved(self, articles_dir: Path) -> bool:
        """Whether the articles folder was elsewhere when this state was written (the site was
        moved, or its cache restored into another folder); the state then notes where it is.

        The paths it holds are inside the articles folder and stay right; whether a link leads
        inside that folder may not (`feeds.incremental` reads every link again).
        """
        place = os.fsencode(articles_dir.resolve())  # bytes: a name may not decode
        if self.meta("articles_at") == place:
            return False
        self.set_meta("articles_at", place)
        return True

    def folders(self) -> dict[str, str]:
        """The hash of each folder of articles as the last build scanned it (see `feeds.read.Scan`)."""
        stored = self.meta("folders")
        return dict(json.loads(stored)) if stored else {}

    def set_folders(self, folders: dict[str, str]) -> None:
        self.set_meta("folders", json.dumps(folders, ensure_ascii=False))

    def count(self, articles: int | None = None) -> None:
        """Count what a build's result reports: articles read (unless given), published, held back."""
        if articles is None:
            articles = self.execute("SELECT coalesce(sum(articles), 0) FROM files").fetchone()[0]
        published = self.execute("SELECT count(*) FROM entries").fetchone()[0]
        held = self.execute("SELECT count(*) FROM pending").fetchone()[0]
        self.set_meta("counts", json.dumps([articles, published, held]))

    def counts(self) -> tuple[int, int, int]:
        """Articles read, entries published, articles held back."""
        articles, published, held = json.loads(self.meta("counts"))
        return articles, published, held

    def remember_registry(self, path: Path, *, canonical: bool, known_hash: str | None = None) -> None:
        """Note the registry file as this build leaves it.

        `canonical`: whether its bytes are what `registry_file` makes of the mirror's lines
        (this build wrote them), so that the next change may splice it (`registry_spliced`).
        `known_hash`: the hash of its bytes (`registry_hasher`), where the caller made them.
        """
        self.set_meta("registry", registry_status(path))
        self.set_meta("registry_hash", known_hash or _file_hash(path))
        self.set_meta("registry_canonical", int(canonical))

    def registry_unchanged(self, path: Path) -> bool:
        """Whether the registry file holds what the last build left there.

        Its status first (cheap); a file whose status moved but whose bytes did not (put back
        by a checkout or a copy) is the same registry.
        """
        status = registry_status(path)
        if status == self.meta("registry"):
            return True
        if _file_hash(path) != self.meta("registry_hash"):
            return False
        self.set_meta("registry", status)
        return True

    def registry_lines(self) -> Iterator[str]:
        """The registry file's record lines, in key order, as they are read."""
        cursor = self._db.cursor()
        cursor.row_factory = lambda _, row: row[0]  # strings, not 100,000 one-item tuples
        lines: Iterator[str] = cursor.execute("SELECT line FROM registry ORDER BY key")
        return lines


def _connect(path: Path) -> sqlite3.Connection:
    # One thread at a time, but not always the one that opened it (`State.put_settled`).
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(f"PRAGMA cache_size = {_CACHE}")
    return db


_CACHE = -8192
"""SQLite's page cache: 8 MB at most (negative: in KiB). At 100,000 articles, 64 MB made no
rebuild faster and was filled by every one that changed anything: after one new article the
build peaked at 138 MB, not 102 MB, after one edit at 122 MB, not 94, and with every file
touched at 362 MB summed over its processes, not 283 (`bench.py`, the two side by side)."""
_BULK_CACHE = -4096
"""While a build from scratch fills the tables front to back (and sorts each index once): 4 MB
(at 100,000 articles, 16 MB of it stayed in the build's peak, for no faster a save)."""


def registry_status(path: Path) -> str:
    """What tells the registry file changed since a build wrote it (a checkout, an edit by hand)."""
    try:
        status = path.stat()
    except OSError:
        return "missing"
    return f"{status.st_size} {status.st_mtime_ns} {status.st_ino}"


def _file_hash(path: Path) -> str:
    """The registry file's hash (`registry_hasher`), read from the file ("missing" if it cannot be read)."""
    try:
        with path.open("rb") as stream:
            return hashlib.file_digest(stream, _REGISTRY_HASH).hexdigest()
    except OSError:
        return "missing"


def registry_hasher() -> Any:
    """The hash a registry file's bytes are known by (`update` it with them, then `hexdigest`):
    SHA-256, which CPUs compute in hardware (at 100,000 articles, 25 MB in 0.02 s; BLAKE2b took
    0.05 s of a watched rebuild's 0.5 s)."""
    return hashlib.new(_REGISTRY_HASH)


_REGISTRY_HASH = "sha256"


def open_state(config: SiteConfig) -> State:
    return State(config.cache_dir / STATE_FILE, state_key(config), config.topics)


_PUT_RECORD = "INSERT OR REPLACE INTO registry VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
PUT_ENTRY = "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_PUT_MEMBER = "INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?, ?, ?)"
_PUT_FILE = "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
"""A `file_row` into the files table."""
_PUT_DIGEST = "INSERT OR REPLACE INTO digests VALUES (?, ?)"
"""The digest, apart: the statuses of a checkout's 100,000 touched files are updated in rows of
about 90 bytes, not of 1.3 KB with the pickled digest (at 100,000 articles, 0.2 s against 0.55 s,
and no 127 MB of pages through the journal at the commit: 0.23 s)."""


def file_row(key: str, digest: FileDigest) -> tuple[Any, ...]:
    """The files table's row of a digest: the file's status and what it counts (not the digest)."""
    state = digest.state
    side = state.sidecar or (None, None)
    troubled = int(bool(digest.problems))
    return (
        key,
        state.size,
        state.mtime_ns,
        *side,
        digest.articles,
        troubled,
        digest.content,
    )


def file_state(size: int, mtime: int, side_size: int | None, side_mtime: int | None) -> FileState:
    sidecar = None if side_size is None else (side_size, side_mtime or 0)
    return tuple.__new__(FileState, (size, mtime, sidecar))  # without the named tuple's slow __new__


_DIGESTS = "SELECT key, size, mtime, side_size, side_mtime, digest FROM files JOIN digests USING (key)"


def _digest_of(
    size: int, mtime: int, side_size: int | None, side_mtime: int | None, blob: bytes
) -> FileDigest:
    """A stored digest under the file's status in its row: a touched file's is newer than its blob's."""
    digest: FileDigest = unpickle(blob)
    status = file_state(size, mtime, side_size, side_mtime)
    return digest if digest.state == status else replace(digest, state=status)


def _member_rows(
    entries: Sequence[Entry], published: Sequence[float], kinds: Sequence[str]
) -> Iterator[tuple[str, str, float, str, str, str]]:
    """The members rows of `entries`, in the table's order: topic by topic, oldest entry first.

    The table is stored by topic, then by the feeds' order (its key serves as their index):
    at 100,000 articles its 450,000 rows went in a third faster so than entry by entry (each
    into another topic's page). Only positions and spellings are held meanwhile, not a row each.
    """
    by_id = sorted(range(len(entries)), key=lambda at: entries[at].id, reverse=True)
    in_order = sorted(by_id, key=published.__getitem__)  # stable: by id, newest first, within a time
    topics: dict[tuple[str, str], tuple[array[int], list[str]]] = {}
    for at in in_order:
        for kind, folded, name in entry_topics(entries[at], kinds):
            if (members := topics.get((kind, folded))) is None:
                members = topics[kind, folded] = (array("l"), [])
            members[0].append(at)
            members[1].append(name)
    for (kind, folded), (positions, names) in sorted(topics.items()):
        for at, name in zip(positions, names, strict=True):
            entry = entries[at]
            yield kind, folded, published[at], entry.id, entry.key, name


def entry_columns(entry: Entry) -> tuple[str, str, float, str, str, float]:
    """The `entries` row of `entry` but its fingerprint and pickled bytes: key, file, publication
    and latest time (timestamps: the feeds' order), id and slug."""
    pub = entry.published.timestamp()
    return entry.key, file_of(entry.key), pub, entry.id, entry.slug, max(pub, entry.updated.timestamp())


def entry_topics(entry: Entry, kinds: Sequence[str]) -> list[tuple[str, str, str]]:
    """(kind, folded name, spelling) of every topic the entry is in, each once, with its smallest spelling."""
    found: dict[tuple[str, str], str] = {}
    for kind in kinds:
        for name in topic_names(entry, kind):
            key = (kind, name.casefold())
            found[key] = min(found.get(key, name), name)
    return [(kind, folded, name) for (kind, folded), name in found.items()]


RECORD_COLUMNS = "id, first_seen, hash, changed, retired"
"""The registry mirror's columns that make a `Record` (`record_of`)."""


def record_of(id_: str, first_seen: str, hash_: str, changed: str | None, retired: str | None) -> Record:
    return Record(
        id=id_,
        first_seen=from_utc_text(first_seen),
        hash=hash_,
        changed=from_utc_text(changed) if changed else None,
        retired=from_utc_text(retired) if retired else None,
    )


def _registry_rows(records: Iterable[tuple[str, Record]]) -> Iterator[tuple[Any, ...]]:
    """The registry table's row of each record: its times as text made once, for the columns and
    for its line of the file."""
    for key, record in records:
        first_seen, changed, retired = times = record_times(record)
        line = registry_line(key, record, times)
        yield key, file_of(key), record.id, first_seen, record.hash, changed, retired, line


# ----------------------------------------------------------------------------------------------
# Pickling our own values, and only those
# ----------------------------------------------------------------------------------------------


def pickled(value: object) -> bytes:
    stream = io.BytesIO()
    _Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return stream.getvalue()


def unpickle(data: bytes | memoryview) -> Any:
    return _Unpickler(io.BytesIO(data)).load()


def _reduction(cls: type, fields: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], tuple[Any, ...]]:
    return lambda obj: (cls, fields(obj))


_FIELDS = {
    cls: operator.attrgetter(*(field.name for field in dataclasses.fields(cls)))
    for cls in (FileDigest, Draft, Entry, Feed, FeedFiles, Author, Enclosure, Origin, Problem)
}


class _Pickler(pickle.Pickler):
    """Frozen dataclasses pickled as their constructor's arguments.

    The default for slotted dataclasses asks `dataclasses.fields` for every object,
    which made saving and loading a 10,000-article cache take a second each. Looked up by
    type in a table that the C pickler consults itself: a `reducer_override` method was
    called for every other object too (each datetime and zone: 15 calls a file's digest,
    whose pickling took a third longer so).
    """

    dispatch_table = MappingProxyType(
        {
            FileState: lambda state: (FileState, tuple(state)),  # a named tuple: its own way is slower
            **{cls: _reduction(cls, fields) for cls, fields in _FIELDS.items()},
        }
    )


class _Unpickler(pickle.Unpickler):
    """Builds only the plain values the state holds: never an arbitrary object from a doctored file.

    Equal small values are shared between the values loaded (one author, origin or zone
    object, one string per topic name, where each stored value would bring its own copy):
    a build from scratch holds a draft per article, and at 100,000 that sharing is 40 MB.
    """

    def find_class(self, module: str, name: str) -> Any:
        # Asked for several times per stored value: a dictionary, not an import, each time.
        found = _STORED_CLASSES.get((module, name))
        if found is None:
            if (module, name) not in _IMPORTED_WHEN_STORED:
                raise pickle.UnpicklingError(f"{module}.{name} is not a stored value")
            found = _STORED_CLASSES[module, name] = super().find_class(module, name)
        return found


def _shared(make: Any) -> Any:
    """`make`, remembering what it made: equal arguments give the very same (immutable) value."""
    return functools.lru_cache(maxsize=4096)(make)


def _naming_topics(cls: Any) -> Any:
    """`cls`'s constructor, with each tag name shared (`sys.intern`) between values, and the
    tuples of categories and of authors (a site has few of each, and few combinations)."""
    names = [f.name for f in dataclasses.fields(cls)]
    tags, categories, authors = names.index("tags"), names.index("categories"), names.index("authors")

    def make(*values: Any) -> Any:
        shared = list(values)
        shared[tags] = tuple(map(sys.intern, values[tags]))
        shared[categories] = _same_tuple(tuple(map(sys.intern, values[categories])))
        shared[authors] = _same_tuple(values[authors])
        return cls(*shared)

    return make


_same_tuple = _shared(lambda values: values)
"""The first of equal tuples (of names or authors) met: kept instead of each copy."""


def _zone_getattr(owner: object, name: str) -> Any:
    if owner is not ZoneInfo or name != "_unpickle":
        raise pickle.UnpicklingError(f"getattr({owner!r}, {name!r}) is not a stored value")
    return ZoneInfo._unpickle  # type: ignore[attr-defined]


_STORED_CLASSES: dict[tuple[str, str], Any] = {
    ("feeds.state", "FileDigest"): FileDigest,
    ("feeds.read", "FileState"): FileState,
    ("feeds.prepare", "Draft"): _naming_topics(Draft),
    ("feeds.model", "Entry"): _naming_topics(Entry),
    ("feeds.model", "Feed"): Feed,
    ("feeds.model", "FeedFiles"): FeedFiles,
    ("feeds.model", "Author"): _shared(Author),
    ("feeds.model", "Enclosure"): Enclosure,
    ("feeds.model", "Origin"): _shared(Origin),
    ("feeds.errors", "Problem"): Problem,
    ("datetime", "datetime"): datetime,
    ("datetime", "timezone"): _shared(timezone),
    ("datetime", "timedelta"): _shared(timedelta),
    ("zoneinfo", "ZoneInfo"): ZoneInfo,
    ("builtins", "getattr"): _zone_getattr,  # how a ZoneInfo pickles itself: getattr(ZoneInfo, "_unpickle")
}
"""What stored values are made of, by the name a pickle gives each."""

_IMPORTED_WHEN_STORED = frozenset({("dateutil.tz.tz", "tzoffset"), ("dateutil.tz.tz", "tzutc")})
"""Stored values too, from a library that a build which parses no date does not load."""
