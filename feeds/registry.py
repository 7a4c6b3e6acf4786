"""The registry: the one source of each article's identity and first-seen times.

A small JSON file beside `feeds.toml`, one article per line, sorted, byte-stable,
meant to be committed with the articles (like a lock file) because sites are
often built from a fresh clone. It records, per article key:

- `id`: the entry id, minted once and never recomputed;
- `first_seen`: when the article was first published by a build (the date of undated articles);
- `hash`: a hash of what the article says (title, summary, body);
- `changed`: when the current `hash` was first seen, if the article has been edited since;
- `retired`: when the article's file was found gone (its id is never reused).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

from feeds.dates import from_utc_text, to_utc_text
from feeds.errors import BuildError
from feeds.model import Article

FORMAT = 1


@dataclass(frozen=True, slots=True)
class Record:
    id: str
    first_seen: datetime
    hash: str
    changed: datetime | None = None
    """When the article's current content was first seen; None while it is as first published."""
    retired: datetime | None = None
    """When the article's file was found gone. Its id is then never given to another article."""


@dataclass(frozen=True, slots=True)
class Registry:
    records: Mapping[str, Record] = field(default_factory=lambda: MappingProxyType({}))


def content_hash(article: Article) -> str:
    """A hash of what readers see of an article's text; front-matter housekeeping does not count."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (article.title, article.summary or "", article.standfirst or "", article.body):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def load_registry(path: Path) -> Registry:
    """Read the registry; a missing file is an empty registry, a broken one stops the build.

    A broken registry must not be ignored: ids minted without it would differ, and
    every reader would see the site's undated articles again as new.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Registry()
    except OSError as exc:
        raise _unreadable(path, exc) from None
    try:
        # Each record becomes its `Record` as soon as it is parsed (`_Records`), so that a large
        # registry's dicts are never all held: at 100,000 records, loading it peaked at 88 MB of
        # Python objects, and left 20 MB more in the build's process than the records take.
        data = json.loads(raw, object_hook=_Records())
    except _DamagedError as exc:
        raise _damaged(path, exc.__cause__) from None
    except ValueError as exc:
        raise _unreadable(path, exc) from None
    del raw
    try:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, dict) else data
            raise ValueError(f"unknown format {found!r}")
        records = data["articles"]
        if not isinstance(records, dict):
            raise ValueError("'articles' is not an object")
        for key, record in records.items():
            if not isinstance(record, Record):
                raise ValueError(f"the record of {key!r} is not an object with a first_seen")
    except (KeyError, ValueError) as exc:
        raise _damaged(path, exc) from None
    return Registry(MappingProxyType(records))


class _DamagedError(Exception):
    """A record of the registry could not be made (its cause says why)."""


class _Records:
    """`json.loads`'s `object_hook`: each object with a `first_seen` (a record) made into its
    `Record`, its times shared with the records before it of the same text (a build's new
    articles share their first-seen time). Every other object is left as it is."""

    def __init__(self) -> None:
        self._times: dict[str, datetime] = {}

    def __call__(self, value: dict[str, object]) -> object:
        if "first_seen" not in value:
            return value
        try:
            id_, hash_ = value["id"], value["hash"]
            if not isinstance(id_, str) or not isinstance(hash_, str):
                raise ValueError("an id and a hash are text")
            return Record(
                id=id_,
                first_seen=self._time(value["first_seen"]),
                hash=hash_,
                changed=self._time(value["changed"]) if value.get("changed") else None,
                retired=self._time(value["retired"]) if value.get("retired") else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise _DamagedError from exc

    def _time(self, text: object) -> datetime:
        if not isinstance(text, str):
            raise ValueError(f"{text!r} is not a time such as 2022-09-13T11:05:00Z")
        time = self._times.get(text)
        if time is None:
            time = self._times[text] = from_utc_text(text)
        return time


def _unreadable(path: Path, exc: BaseException) -> BuildError:
    return BuildError(f"{path}: the registry cannot be read ({exc}); restore it from version control")


def _damaged(path: Path, exc: BaseException | None) -> BuildError:
    return BuildError(f"{path}: the registry is damaged ({exc}); restore it from version control")


def dump_registry(registry: Registry) -> bytes:
    """The registry file's bytes: one line per article, sorted by key, so diffs stay small."""
    return b"".join(registry_pieces(registry))


def registry_pieces(registry: Registry) -> Iterator[bytes]:
    """`dump_registry` in pieces (to be written as they come: 25 MB at 100,000 articles)."""
    records = registry.records
    return registry_file_pieces(registry_line(key, records[key]) for key in sorted(records))


def registry_file(lines: Iterable[str]) -> bytes:
    """The registry file around its record lines (`registry_line`), given sorted by key."""
    return b"".join(registry_file_pieces(lines))


_PIECE_LINES = 4096


def registry_file_pieces(lines: Iterable[str]) -> Iterator[bytes]:
    """`registry_file`, a few thousand lines at a time."""
    yield f'{{\n  "format": {FORMAT},\n  "articles": {{\n'.encode()
    separator = ""
    for batch in _batched(lines):
        yield (separator + ",\n".join(batch)).encode()
        separator = ",\n"
    yield b"\n  }\n}\n"


def _batched(lines: Iterable[str]) -> Iterator[tuple[str, ...]]:
    """The lines, `_PIECE_LINES` at a time (`itertools.batched`, from Python 3.12)."""
    iterator = iter(lines)
    while batch := tuple(itertools.islice(iterator, _PIECE_LINES)):
        yield batch


def registry_spliced(old: bytes, lines: Mapping[str, str | None]) -> list[bytes | memoryview] | None:
    """The registry file `old` (as `registry_file` wrote it) with some record lines changed, in
    pieces (to be written as they come; `b"".join` makes the file).

    `lines` gives, by key, each record's new line (`registry_line`), or None where the record
    is gone. One new article at 100,000 changes one line of a 25 MB file: each changed line is
    found by bisection in the bytes, and the runs of lines between are views of `old`, not
    made again, not copied and not split into 100,000 pieces (joined, with a copy of `old` to
    bisect in, they took 50 MB more). None if `old` is not laid out as `registry_file` lays it.
    `registry_file_spliced` does the same with the file on disk, never read whole.
    """
    plan = _splice_plan(old, lines)
    if plan is None:
        return None
    view = memoryview(old)
    return [view[piece[0] : piece[1]] if isinstance(piece, tuple) else piece for piece in plan]


def registry_file_spliced(path: Path, lines: Mapping[str, str | None]) -> Iterator[bytes] | None:
    """`registry_spliced` of the registry file at `path`, read only where the changed lines go
    and as the runs of lines between are copied, a megabyte at a time: at 100,000 articles a
    rebuild no longer holds the old file's 25 MB (nor its pages) to change one line of it.

    None if the file cannot be read or is not laid out as `registry_file` lays it. The pieces are
    read as they are taken, from the file as it was when they were planned: should it have
    changed in between (or while they are read), taking them raises `BuildError`.
    """
    try:
        with _RegistryFile(path) as old:
            plan = _splice_plan(old, lines)
            known = old.status
    except OSError:
        return None
    return None if plan is None else _copied(path, known, plan)


_Plan = list[bytes | tuple[int, int]]
"""A spliced registry: new bytes, and (start, stop) runs of the old file's bytes, in order."""


def _splice_plan(old: bytes | _RegistryFile, lines: Mapping[str, str | None]) -> _Plan | None:
    """`registry_spliced`'s pieces, the old file's runs given by where they are in it."""
    head, tail = registry_file(["\0"]).split(b"\0")
    size = len(old)
    if size < len(head) + len(tail) or old[: len(head)] != head or old[size - len(tail) :] != tail:
        return None
    end = size - len(tail)  # the record lines are old[len(head):end]
    chunks: _Plan = []  # runs of lines and new lines, each without its ",\n"
    done = len(head)  # `old` is taken up to here: the start of a line, or `end`
    try:
        for key, line in sorted(lines.items()):
            start = _seek(old, key, done, end)
            if start == end > done:  # the lines before: all the rest
                chunks.append((done, end))
            elif start > done:  # the lines before, the last of which ends ",\n" (it is not the last)
                if old[start - 2 : start] != b",\n":
                    return None
                chunks.append((done, start - 2))
            done = start
            if start < end and _line_key(old[start : (stop := _line_end(old, start))]) == key:
                done = min(stop + 1, end)  # the record's old line: left out
            if line is not None:
                chunks.append(line.encode())
    except ValueError:  # a line that is not a record's
        return None
    if done < end:
        chunks.append((done, end))
    plan: _Plan = [head]
    for number, chunk in enumerate(chunks):
        plan += (b",\n", chunk) if number else (chunk,)
    plan.append(tail)
    return plan


def _seek(text: bytes | _RegistryFile, key: str, low: int, high: int) -> int:
    """Where the first line of `text[low:high]` (`low` a line's start, `high` the end of the last
    line) whose key is not below `key` starts; `high` if none."""
    last = high
    while low < high:
        middle = (low + high) // 2
        start = text.rfind(b"\n", low, middle) + 1 or low
        end = _line_end(text, start)
        if _line_key(text[start:end]) < key:
            low = min(end + 1, last)  # the last line ends at `high`, not after a newline
        else:
            high = start
    return low


def _line_end(text: bytes | _RegistryFile, start: int) -> int:
    """Where the line from `start` ends (its newline); ValueError if none does."""
    end = text.find(b"\n", start, len(text))
    if end < 0:
        raise ValueError("a line without its end")
    return end


_WINDOW = 1024
"""How much of a registry file is read at a time to find a line's ends (lines are ~200 bytes)."""
_RUN = 1 << 20
"""How much of a registry file's unchanged lines is copied at a time."""


class _RegistryFile:
    """A registry file open to be spliced: the few reads of `bytes` that `_splice_plan` makes
    (its length, slices, a newline before or after a place), each of a window of the file."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            status = os.fstat(self._fd)
        except OSError:
            os.close(self._fd)
            raise
        self._size = status.st_size
        self.status = _identity(status)
        """What tells the file changed since it was planned: an edit, or another file put there."""

    def __enter__(self) -> _RegistryFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        os.close(self._fd)

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, span: slice) -> bytes:
        start, stop, _ = span.indices(self._size)
        pieces = []
        while start < stop:
            piece = os.pread(self._fd, stop - start, start)
            if not piece:  # shorter than it was: the file changed
                raise ValueError("the registry file changed while it was read")
            pieces.append(piece)
            start += len(piece)
        return b"".join(pieces)

    def find(self, byte: bytes, start: int, end: int) -> int:
        while start < end:
            at = self[start : min(end, start + _WINDOW)].find(byte)
            if at >= 0:
                return start + at
            start += _WINDOW
        return -1

    def rfind(self, byte: bytes, start: int, end: int) -> int:
        while end > start:
            low = max(start, end - _WINDOW)
            at = self[low:end].rfind(byte)
            if at >= 0:
                return low + at
            end = low
        return -1


def _identity(status: os.stat_result) -> tuple[int, int, int]:
    return status.st_ino, status.st_size, status.st_mtime_ns


def _copied(path: Path, known: tuple[int, int, int], plan: _Plan) -> Iterator[bytes]:
    """The pieces of `plan`, the old file's runs read as they are taken, a megabyte at a time."""
    try:
        with _RegistryFile(path) as old:
            for piece in plan if old.status == known else ():
                if isinstance(piece, bytes):
                    yield piece
                    continue
                for start in range(piece[0], piece[1], _RUN):
                    yield old[start : min(piece[1], start + _RUN)]
            if old.status != known or _identity(path.stat()) != known:  # before, or while copied
                raise BuildError(f"{path}: changed while this build rewrote it; build again")
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise BuildError(f"{path}: cannot read the registry to rewrite it ({reason})") from None


def _line_key(row: bytes) -> str:
    """The key a registry file's record line starts with (after its indent)."""
    key, _ = _DECODER.raw_decode(row.decode(), 4)
    if not isinstance(key, str):
        raise ValueError(f"not a record line: {row[:40]!r}")
    return key


_DECODER = json.JSONDecoder()


def record_times(record: Record) -> tuple[str, str | None, str | None]:
    """A record's first-seen, changed and retired times as the registry writes them (UTC text)."""
    changed, retired = record.changed, record.retired
    return (
        to_utc_text(record.first_seen),
        None if changed is None else to_utc_text(changed),
        None if retired is None else to_utc_text(retired),
    )


def registry_line(key: str, record: Record, times: tuple[str, str | None, str | None] | None = None) -> str:
    """One record's line of the registry file (without the comma between lines); `times`: its
    `record_times`, where the caller made them."""
    first_seen, changed, retired = times or record_times(record)
    value: dict[str, str] = {"id": record.id, "first_seen": first_seen, "hash": record.hash}
    if changed is not None:
        value["changed"] = changed
    if retired is not None:
        value["retired"] = retired
    return f"    {_as_json(key)}: {_as_json(value)}"


_as_json = json.JSONEncoder(ensure_ascii=False).encode
"""`json.dumps(..., ensure_ascii=False)`, without making an encoder for each of 100,000 lines."""


class StoredRecords(Mapping[str, Record]):
    """The registry's records as the build wrote them, read from its file when asked."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._records: Mapping[str, Record] | None = None

    def _all(self) -> Mapping[str, Record]:
        if self._records is None:
            self._records = load_registry(self._path).records
        return self._records

    def __getitem__(self, key: str) -> Record:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())
