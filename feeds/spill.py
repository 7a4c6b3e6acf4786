"""The entries of a build from scratch, kept in a file as they are settled, not in memory.

At 100,000 articles the settled entries took 134 MB of the build's own process (about 1,370
bytes each), most of its peak, though a feed in full needs only the newest of them and an
archive page is rendered in a worker. So each entry is pickled (the form the state stores
anyway) and appended to one file in the cache folder, and the build keeps a `Spilled` stand-in
in its place: what `feeds.select` needs of it, and where the rest is (about 600 bytes). The
whole entries are read back where they are wanted: the feeds in full's in this process, each
archive page's in the worker that renders it, and each in turn as the state stores it.

The file lasts one build: it is made again by the next (one left by a killed build, too).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from feeds.model import Author, Entry
from feeds.state import pickled, unpickle

SPILL_FILE = "entries.spill"

FINGERPRINT_SIZE = 16
"""Bytes of a draft's fingerprint (`feeds.build._fingerprint`, 32 hex digits), kept before each
entry in the file: at 100,000 articles, kept in memory by key, they took 23 MB."""

Spans = bytes
"""Where entries are in a spill file: (offset, size) of each, packed (`spans`): at 100,000
articles, as tuples of ints the archive pages' took 13 MB."""

_SPAN = struct.Struct("<qq")


@dataclass(frozen=True, slots=True)
class Spilled:
    """An entry kept in the spill file: what `select` needs of it (`feeds.select.Placeable`),
    its `mark` for the fingerprints of the feeds that carry it, and where it is (its draft's
    fingerprint, then its pickled bytes)."""

    key: str
    id: str
    published: datetime
    updated: datetime
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    authors: tuple[Author, ...]
    mark: bytes
    at: int
    size: int


class Spill:
    """The spill file of one build: `add` each entry as it is settled, `seal` once all are,
    then read them back (`load`, `stored`; `spans` for another process). Removed on exit."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / SPILL_FILE
        self._file = self.path.open("w+b")
        self._at = 0
        self.entries: list[Spilled] = []
        """The stand-in of each entry added, in the order they were."""

    def add(self, entry: Entry, fingerprint: str, mark: bytes) -> None:
        blob = bytes.fromhex(fingerprint) + pickled(entry)
        self._file.write(blob)
        self.entries.append(
            Spilled(
                entry.key,
                entry.id,
                entry.published,
                entry.updated,
                entry.tags,
                entry.categories,
                entry.authors,
                mark,
                self._at,
                len(blob),
            )
        )
        self._at += len(blob)

    def clear(self) -> None:
        """Forget every entry added (the build settles them again)."""
        self._file.seek(0)
        self._file.truncate()
        self._at = 0
        self.entries = []

    def seal(self) -> None:
        """Every entry is added: the file is written out, for any process to read."""
        self._file.flush()

    def load(self, spilled: Iterable[Spilled]) -> list[Entry]:
        return [_entry(blob) for blob in self._blobs(spilled)]

    def fingerprinted(self, spilled: Iterable[Spilled]) -> Iterator[tuple[Entry, str]]:
        """Each entry with its draft's fingerprint."""
        for blob in self._blobs(spilled):
            yield _entry(blob), blob[:FINGERPRINT_SIZE].hex()

    def stored(self, spilled: Iterable[Spilled]) -> Iterator[tuple[Entry, str, bytes]]:
        """Each entry with its draft's fingerprint and its pickled bytes (what the state stores)."""
        for blob in self._blobs(spilled):
            pickle = blob[FINGERPRINT_SIZE:]
            yield unpickle(pickle), blob[:FINGERPRINT_SIZE].hex(), pickle

    def _blobs(self, spilled: Iterable[Spilled]) -> Iterator[bytes]:
        fd = self._file.fileno()
        for item in spilled:
            yield os.pread(fd, item.size, item.at)

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


def spans(spilled: Iterable[Spilled]) -> Spans:
    return b"".join(_SPAN.pack(item.at, item.size) for item in spilled)


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
