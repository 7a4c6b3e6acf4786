"""read: article files in, `Article` values out. One reader per format, chosen by extension.

The readers are pure (bytes in, articles or errors out); `read_articles` is the
edge that lists the folder and reads the bytes.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import hashlib
import heapq
import importlib
import os
import pickle
import stat
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, overload

from feeds.errors import ArticleError, ConfigError, Problem, quoted
from feeds.model import Article
from feeds.read.source import DEFAULT_LIMITS, Limits, SourceFile, to_utf8

Reader = Callable[[SourceFile, Limits], list[Article | ArticleError]]


def _reader(module: str, name: str) -> Reader:
    """A reader imported when first used: a rebuild that reads nothing loads no parser (YAML...)."""

    def read(source: SourceFile, limits: Limits) -> list[Article | ArticleError]:
        found: Reader = getattr(importlib.import_module(module), name)
        return found(source, limits)

    read.__name__ = read.__qualname__ = name
    return read


READERS: dict[str, Reader] = {
    ".txt": _reader("feeds.read.text", "read_text"),
    ".md": _reader("feeds.read.markdown", "read_markdown"),
    ".markdown": _reader("feeds.read.markdown", "read_markdown"),
    ".json": _reader("feeds.read.records", "read_json"),
    ".jsonl": _reader("feeds.read.records", "read_json_lines"),
}
"""Which reader takes a file, by its extension (lower case)."""

SIDECAR = ".toml"

Progress = Callable[[str, int, int], None]
"""Told (stage, done, total) as a long stage advances: the CLI draws a progress bar with it."""


@dataclass(frozen=True, slots=True)
class ReadResult:
    articles: tuple[Article, ...]
    problems: tuple[Problem, ...]
    files: int
    unreadable: frozenset[str] = frozenset()
    """Keys of article files that gave an error: what they hold is unknown this time."""


def parse_source(source: SourceFile, limits: Limits = DEFAULT_LIMITS) -> list[Article | ArticleError]:
    """Run the reader for `source`'s extension; any `ArticleError` comes back as a value."""
    reader = READERS[Path(source.path).suffix.lower()]
    try:
        return reader(source, limits)
    except ArticleError as exc:
        return [exc]
    except (ValueError, RecursionError, MemoryError) as exc:
        # A reader's own checks should have named the problem; this is the last guard that
        # keeps one strange file from stopping the whole site.
        return [ArticleError(source.path, f"cannot be read ({type(exc).__name__}: {exc})")]


@dataclass(frozen=True, slots=True)
class FileRead:
    """What one article file gave: its articles (a JSON file may hold several) and problems."""

    articles: tuple[Article, ...]
    problems: tuple[Problem, ...]
    unreadable: bool
    """The file gave an error: what it holds is unknown this time (its articles are not retired)."""
    content: str | None = None
    """`bytes_hash` of the file and sidecar as read (None where they could not be read)."""


def read_articles(
    articles_dir: Path, root: Path, limits: Limits = DEFAULT_LIMITS, progress: Progress | None = None
) -> ReadResult:
    """Read every article under `articles_dir`, in path order (never the file system's order)."""
    articles: list[Article] = []
    problems: list[Problem] = []
    unreadable: set[str] = set()
    paths, too_many = limit_files(articles_dir, find_article_files(articles_dir), limits)
    problems += too_many
    inside = articles_dir.resolve()
    for done, path in enumerate(paths):
        if progress is not None:
            progress("reading", done, len(paths))
        read = read_file(path, articles_dir, root, limits, inside)
        articles += read.articles
        problems += read.problems
        if read.unreadable:
            unreadable.add(file_key(path, articles_dir))
    return ReadResult(tuple(articles), tuple(problems), len(paths), frozenset(unreadable))


def limit_files(articles_dir: Path, paths: list[Path], limits: Limits) -> tuple[list[Path], list[Problem]]:
    """The first `max_articles` paths, and the problem of the rest, if there are more."""
    if len(paths) <= limits.max_articles:
        return paths, []
    problem = Problem(
        articles_dir.as_posix(),
        f"holds {len(paths):,} article files, more than max_articles ({limits.max_articles:,}); "
        f"the last {len(paths) - limits.max_articles:,} in path order were not read",
    )
    return paths[: limits.max_articles], [problem]


def file_key(path: Path, articles_dir: Path) -> str:
    """A file's registry key: its path inside the articles folder, `/`-separated."""
    return path.relative_to(articles_dir).as_posix()


def read_file(
    path: Path,
    articles_dir: Path,
    root: Path,
    limits: Limits = DEFAULT_LIMITS,
    inside: Path | None = None,
    *,
    link: bool = True,
    key: str | None = None,
    sidecar: bool = True,
) -> FileRead:
    """Read one article file (and its sidecar): its articles, or the problems that stop them.

    A file that may be a symbolic link (`link`, unless the scan saw it is not one) is read
    only if it leads to a file inside the articles folder (`inside`, resolved). `key`, its
    key (`file_key`), where the caller knows it. `sidecar`: whether it may have one (False:
    the scan saw none, and none is looked for).
    """
    if key is None:
        key = file_key(path, articles_dir)
    shown = _shown_folder(articles_dir, root) + key
    if (name_error := _name_error(key)) is not None:
        return FileRead((), (Problem(shown, name_error),), False)
    problems: list[Problem] = []
    if link and not path.resolve().is_relative_to(inside or articles_dir.resolve()):
        outside = Problem(shown, "is a link to a file outside the articles folder; skipped")
        return FileRead((), (outside,), False)
    sidecar_path = path.with_suffix(SIDECAR)
    try:
        data = regular_file_bytes(path, limits.max_article_bytes)
        side = _sidecar_bytes(sidecar_path) if sidecar else None
    except TooLargeError as exc:
        message = f"is {exc.size:,} bytes, more than max_article_bytes ({limits.max_article_bytes:,})"
        return FileRead((), (Problem(shown, message),), True)
    except OSError as exc:
        return FileRead((), (Problem(shown, f"cannot read: {exc.strerror}"),), True)
    if data is None:
        return FileRead((), (Problem(shown, "cannot read: not a regular file"),), True)
    content = bytes_hash(data, side)
    data, encoding = to_utf8(data)
    if encoding is not None:
        problems.append(
            Problem(
                shown, f"is not UTF-8: read as {encoding} (detected); save it as UTF-8", severity="warning"
            )
        )
    if side is not None:
        side, encoding = to_utf8(side)
        if encoding is not None:
            problems.append(
                Problem(
                    _shown(sidecar_path, root),
                    f"is not UTF-8: read as {encoding} (detected)",
                    severity="warning",
                )
            )
    articles: list[Article] = []
    unreadable = False
    for result in parse_source(SourceFile(shown, data, side, key), limits):
        if isinstance(result, ArticleError):
            problems.append(result.problem)
            unreadable = True
        else:
            articles.append(result)
    return FileRead(tuple(articles), tuple(problems), unreadable, content)


def regular_file_bytes(path: Path | str, limit: int | None = None) -> bytes | None:
    """The bytes of the regular file at `path`; None if it is something else (a folder, a pipe).

    Raises `TooLargeError` beyond `limit` bytes (before reading), and OSError. Opened without
    blocking (a pipe swapped in since the scan would hold the build), asked its status, read in
    one call of its size (and more only if it grew or shrank meanwhile), closed: four system
    calls, where Python's `open().read()` makes ten (an ioctl asking whether it is a terminal,
    two seeks, three status calls, a last read at the end): 8 to 15 µs less a file here.
    """
    descriptor = os.open(path, _READ_OPEN)
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            return None
        if limit is not None and status.st_size > limit:
            raise TooLargeError(status.st_size)
        data = os.read(descriptor, status.st_size + 1)
        if len(data) == status.st_size:  # all of it: a file of that size ends there
            return data
        parts, size = [data], len(data)  # it changed since its status was asked: read to the end
        while part := os.read(descriptor, 1 << 16):
            parts.append(part)
            size += len(part)
            if limit is not None and size > limit:
                raise TooLargeError(size)
        return b"".join(parts)
    finally:
        os.close(descriptor)


def prefetch(paths: Iterable[str]) -> None:
    """Ask the kernel to start reading these files into its page cache, all at once.

    Read one after the other, files that are not in the cache each wait for the disk in turn,
    and a reading worker's core idles meanwhile. Hinted first (`POSIX_FADV_WILLNEED`: the
    reads are queued together, and this returns without waiting for them), they arrive while
    the first ones are digested. At 100,000 articles with the page cache dropped, a build from
    scratch took 35.0 and 36.7 s so, against 46.0 and 47.3 s; with the files cached, 36.0 s
    either way. Nothing is read here, and a path that cannot be opened is passed over: reading
    it says why. Callers hint no file that may be a link: where one leads is judged before it is
    opened (`read_file`), and a hint opens it.
    """
    if _ADVISE is None:
        return
    for path in paths:
        try:
            descriptor = os.open(path, _READ_OPEN)
        except OSError:
            continue
        try:
            _ADVISE(descriptor, 0, 0, os.POSIX_FADV_WILLNEED)
        except OSError:
            pass
        finally:
            os.close(descriptor)


_ADVISE = getattr(os, "posix_fadvise", None)
"""Where the system takes hints about files to come (not macOS, not Windows)."""


def with_sidecars(paths: Iterable[tuple[str, bool]]) -> Iterator[str]:
    """The paths, each followed by its sidecar's where it has one (True)."""
    for path, sidecar in paths:
        yield path
        if sidecar:
            yield os.fspath(Path(path).with_suffix(SIDECAR))


class TooLargeError(Exception):
    """A file beyond the limit it is read under: its size so far."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def _sidecar_bytes(path: Path) -> bytes | None:
    """The sidecar's bytes; None if there is none, or nothing by its name is a file."""
    try:
        return regular_file_bytes(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


_READ_OPEN = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)


def bytes_hash(data: bytes, sidecar: bytes | None) -> str:
    """A hash of the bytes of an article file and of its sidecar (if it has one).

    Not `feeds.registry.content_hash`, which hashes what readers see of an article."""
    digest = hashlib.blake2b(len(data).to_bytes(8, "big"), digest_size=16)
    digest.update(data)
    if sidecar is not None:
        digest.update(b"+")
        digest.update(sidecar)
    return digest.hexdigest()


def same_content(file: FoundFile, state: FileState, content: str | None) -> bool:
    """Whether a file whose status moved since it was read (`state`, `content`) holds the same bytes.

    A checkout, a copy or a `touch` gives files new times and the same bytes: those are
    not read again as articles. A file of another size (or sidecar) is not the same; one of
    the same sizes is read and hashed. A symbolic link is always read as an article: where it
    leads is checked there.
    """
    if content is None or file.link or file.state.size != state.size:
        return False
    new_side, old_side = file.state.sidecar, state.sidecar
    if (new_side is None) != (old_side is None) or (new_side and old_side and new_side[0] != old_side[0]):
        return False
    try:
        data = regular_file_bytes(file.path)
        sidecar = None
        if new_side is not None:
            sidecar = _sidecar_bytes(Path(file.path).with_suffix(SIDECAR))  # as `read_file` reads it
    except OSError:
        return False
    if data is None:
        return False
    return bytes_hash(data, sidecar) == content


def find_article_files(articles_dir: Path) -> list[Path]:
    """Article files below `articles_dir`, sorted; hidden files and sidecars are skipped."""
    return [Path(found.path) for found in scan_article_files(articles_dir)]


class FileState(NamedTuple):
    """What tells a file changed without reading it: size and modification time (and its sidecar's).

    A named tuple, not a dataclass: a scan makes one per file, 100,000 at a time."""

    size: int
    mtime_ns: int
    sidecar: tuple[int, int] | None = None


PackedState = tuple[int, int, int, int]
"""A file's status as a scan packs it (`FolderScan.states`): size, mtime, and its sidecar's size and
mtime (-1 and 0: no sidecar)."""


def packed_state(state: FileState) -> PackedState:
    side = state.sidecar
    return (state.size, state.mtime_ns, -1, 0) if side is None else (state.size, state.mtime_ns, *side)


class FoundFile(NamedTuple):
    key: str
    """Path inside the articles folder, `/`-separated: the file's registry key."""
    path: str
    state: FileState
    link: bool = True
    """Whether it may be a symbolic link (the scan saw it is not: False)."""


@dataclass(frozen=True, slots=True)
class Scan:
    files: Sequence[FoundFile]
    """Every article file, in path order."""
    folders: dict[str, str]
    """Per folder ('' or e.g. '2022/'), a hash of its article files' names and statuses."""
    changed: frozenset[str] | None = None
    """The keys of the files known to have changed since the last build (a watcher knows);
    None when that is to be found out by comparing (then `folders` tells where to look)."""
    complete: bool = True
    """False where `files` holds only the changed files (`scan_named`): the others are taken to
    be as the last build saw them, and a build that needs them all must walk after all."""


def scan_article_files(articles_dir: Path) -> list[FoundFile]:
    """Article files below `articles_dir` with their status, in path order; hidden ones skipped."""
    return list(scan_folders(articles_dir).files)


def scan_named(articles_dir: Path, paths: Iterable[Path]) -> Scan | None:
    """A scan of only the files at `paths`, on the word of whoever names them that no other
    article file changed since the last build: no walk of the archive (`feeds build --changed`).

    Each named file is asked about; one that is not there is gone. A sidecar names the
    article beside it. None where a path may be a folder: what it holds takes a walk to know.
    A path outside the articles folder is an error (it names nothing a build reads).
    """
    inside = articles_dir.resolve()
    keys: set[str] = set()
    for path in paths:
        relative = _relative(path, articles_dir, inside)
        if relative is None:
            raise ConfigError("--changed", f"{path}: not in the articles folder ({articles_dir})")
        named = _keys_at(path, relative, articles_dir)
        if named is None:
            return None
        keys.update(named)
    files = sorted(found for key in keys if (found := found_file(articles_dir, key)) is not None)
    return Scan(files, {}, frozenset(keys), complete=False)


def named_keys(path: Path, articles_dir: Path, inside: Path) -> list[str] | None:
    """The keys of the article files a change at `path` concerns: the file's own, or a sidecar's
    articles; none for a hidden file, another kind of file, or one outside the articles folder
    (`inside`: that folder resolved). None where `path` may be a folder, or may have been one."""
    return _keys_at(path, _relative(path, articles_dir, inside), articles_dir)


def _keys_at(path: Path, relative: Path | None, articles_dir: Path) -> list[str] | None:
    """`named_keys` once `path` is placed in the articles folder (`relative`; None: it is not)."""
    if path.is_dir():
        return None
    if relative is None or path.name.startswith(".") or any(part.startswith(".") for part in relative.parts):
        return []
    suffix = path.suffix.lower()
    if suffix in READERS:
        return [file_key(articles_dir / relative, articles_dir)]
    if suffix == SIDECAR:  # a sidecar: the article beside it (a .txt, or any article format)
        stem = (articles_dir / relative).with_suffix("")
        return [file_key(stem.with_suffix(s), articles_dir) for s in READERS]
    return [] if path.exists() or suffix else None


def _relative(path: Path, articles_dir: Path, inside: Path) -> Path | None:
    """`path` inside the articles folder, None: outside it. Its `..` are taken away first (as
    written: `articles/../x.md` is outside), then, if it is not inside so, its links."""
    plain = Path(os.path.abspath(path))  # noqa: PTH100 (lexical: resolve() would follow links)
    for candidate, folder in (
        (plain, Path(os.path.abspath(articles_dir))),  # noqa: PTH100
        (plain, inside),
        (path.resolve(), inside),
    ):
        with contextlib.suppress(ValueError):
            return candidate.relative_to(folder)
    return None


def found_file(articles_dir: Path, key: str) -> FoundFile | None:
    """The article file of `key` with its status, as a walk would find it; None if it is not there."""
    path = articles_dir / key
    try:
        if not path.is_file() or any(folder.is_symlink() for folder in _folders_between(articles_dir, key)):
            return None  # a walk does not enter a linked folder
        status = path.stat()
        sidecar = path.with_suffix(SIDECAR)
        side = sidecar.stat() if sidecar.is_file() else None
    except OSError:
        return None
    sidecar_state = (side.st_size, side.st_mtime_ns) if side else None
    state = FileState(status.st_size, status.st_mtime_ns, sidecar_state)
    return FoundFile(key, os.fspath(path), state, path.is_symlink())


def _folders_between(articles_dir: Path, key: str) -> Iterator[Path]:
    """The folders below the articles folder that hold the file of `key`, outermost first."""
    folder = articles_dir
    for part in key.split("/")[:-1]:
        folder = folder / part
        yield folder


class FolderScan(NamedTuple):
    """One folder's article files with their status, packed in a few flat values (quick to pass
    between processes, and to hash: 100,000 named tuples are not), and a hash of them all."""

    prefix: str
    """The folder's key prefix: '' or e.g. '2022/'."""
    base: str
    """The folder's path, ending in a separator."""
    names: str
    """The files' names, in order, each ended by a NUL (which no name holds)."""
    links: bytes
    """Per file: 1 if it may be a symbolic link (0: the listing saw it is not)."""
    states: array[int] | list[int]
    """Per file, four numbers: size, mtime, and the sidecar's size and mtime (size -1: none)."""
    hash: str


Folder = tuple[str, str]
"""A folder to scan: its path, and its key prefix."""
FolderMap = Callable[[Callable[[Folder], list[FolderScan]], list[Folder]], Iterable[list[FolderScan]]]
"""How `scan_folders` has the folders below the top one scanned (`scan_tree`): `map`, or a pool's."""


def scan_folders(articles_dir: Path, each: FolderMap = map) -> Scan:
    """Article files below `articles_dir` with their status, in path order, and a hash per folder.

    One `scandir` walk, sidecars found in the same listing: at 100,000 files, several times
    faster than globbing and then asking about each file. The status of each file is the one
    system call per file that is left, and most of a rebuild's time at that size: each folder
    below the top one is scanned by `each`, which may spread them over several cores. A
    folder's hash tells whether anything in it changed without comparing its files one by one,
    and its files are unpacked only when asked for (`FolderFiles`).
    """
    top, below = _scan_folder(str(articles_dir), "")
    scans = [top]
    for tree in each(scan_tree, below):
        scans += tree
    return Scan(FolderFiles(scans), {scan.prefix: scan.hash for scan in scans})


class FolderFiles(Sequence[FoundFile]):
    """A scan's files in path order, unpacked from its folders' scans when first asked for.

    A rebuild in which nothing changed never asks (at 100,000 files, unpacking them all takes
    0.3 s); one with a change asks for the files of the folders that changed (`in_folder`).
    """

    def __init__(self, scans: Iterable[FolderScan]) -> None:
        self._scans = {scan.prefix: scan for scan in scans}
        self._count = sum(len(scan.links) for scan in self._scans.values())
        self._all: list[FoundFile] | None = None
        self._released = False

    def in_folder(self, prefix: str) -> list[FoundFile]:
        """The files directly in the folder of key prefix `prefix`, in path order."""
        self._refuse_if_released()
        if self._all is not None:
            return in_folder(self._all, prefix)
        scan = self._scans.get(prefix)
        return [] if scan is None else _unpacked(scan)

    def changed_in(self, prefix: str, known: Mapping[str, PackedState]) -> tuple[list[FoundFile], list[str]]:
        """`changed_in` of the folder of key prefix `prefix`."""
        self._refuse_if_released()
        scan = self._scans.get(prefix)
        if self._all is not None or scan is None:
            return changed_in(self.in_folder(prefix), prefix, known)
        present = {prefix + name for name in scan.names.split("\0")[:-1]}
        return _unpacked(scan, known), sorted(known.keys() - present)

    def _refuse_if_released(self) -> None:
        if self._released:
            raise RuntimeError("the scan's files were released")

    def _files(self) -> list[FoundFile]:
        self._refuse_if_released()
        if self._all is None:
            found: list[FoundFile] = []
            for scan in self._scans.values():
                found += _unpacked(scan)
            found.sort()
            self._all, self._scans = found, {}  # the packed scans are not needed again
        return self._all

    def stream(self) -> Iterator[FoundFile]:
        """The files in path order, unpacked one at a time as they are asked for and not kept
        (a build from scratch reads them in that order: at 100,000 files, unpacked all at once,
        they took 48 MB before the first was read)."""
        self._refuse_if_released()
        if self._all is not None:
            return iter(self._all)
        return heapq.merge(*map(_unpacking, self._scans.values()))  # each folder's are in order

    def keys(self) -> Iterator[str]:
        """The files' keys, in no particular order (none is unpacked)."""
        self._refuse_if_released()
        if self._all is not None:
            return (file.key for file in self._all)
        return (scan.prefix + name for scan in self._scans.values() for name in scan.names.split("\0")[:-1])

    def take(self) -> list[FoundFile]:
        """The files, given away: this is released (`release`), and the list is the caller's
        to empty as it goes (`feeds.build.gather` drops each file once gathered)."""
        files = self._files()
        self.release()
        return files

    def release(self) -> None:
        """Free the files: they are not asked for again (a build from scratch has read them).

        At 100,000 files they are 38 MB, otherwise held through the rest of the build.
        """
        self._all, self._scans, self._released = None, {}, True

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> FoundFile: ...
    @overload
    def __getitem__(self, index: slice) -> list[FoundFile]: ...
    def __getitem__(self, index: int | slice) -> FoundFile | list[FoundFile]:
        return self._files()[index]

    def __iter__(self) -> Iterator[FoundFile]:
        return iter(self._files())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and self._files() == list(other)

    __hash__ = None  # type: ignore[assignment]  # equal to lists, which are not hashable

    def __repr__(self) -> str:
        return f"FolderFiles({self._files()!r})"


def file_keys(files: Sequence[FoundFile]) -> Iterator[str]:
    """The keys of `files`, in no particular order: of a scan's, none of the files unpacked."""
    return files.keys() if isinstance(files, FolderFiles) else (file.key for file in files)


def in_folder(files: Sequence[FoundFile], folder: str) -> list[FoundFile]:
    """The files directly in `folder` (a key prefix: '' or e.g. '2022/'), in path order.

    Of a scan's files, unpacked from that folder's scan alone; of a list (a watcher's), found
    by bisection, not by a pass over all.
    """
    if isinstance(files, FolderFiles):
        return files.in_folder(folder)
    start = file_position(files, folder)
    end = file_position(files, folder + "\U0010ffff", start)
    return [file for file in files[start:end] if folder_of(file.key) == folder]


def changed_in(
    files: Sequence[FoundFile], folder: str, known: Mapping[str, PackedState]
) -> tuple[list[FoundFile], list[str]]:
    """Of the files directly in `folder` ('' or e.g. '2022/'): those whose status is not the one
    `known` gives by key (`packed_state`), new ones too; and the keys `known` has that are not
    there. Both in path order.

    Of a scan's files only the changed ones are unpacked: a rebuild after one new article at
    100,000 files compares what the state knows with the folder's packed scan.
    """
    if isinstance(files, FolderFiles):
        return files.changed_in(folder, known)
    here = in_folder(files, folder)
    changed = [file for file in here if known.get(file.key) != packed_state(file.state)]
    return changed, sorted(known.keys() - {file.key for file in here})


def _unpacked(scan: FolderScan, known: Mapping[str, PackedState] | None = None) -> list[FoundFile]:
    """The scan's files; given `known`, only those whose status is not the one it gives by key."""
    return list(_unpacking(scan, known))


def _unpacking(scan: FolderScan, known: Mapping[str, PackedState] | None = None) -> Iterator[FoundFile]:
    """`_unpacked`, one file at a time."""
    new = tuple.__new__  # the tuples made without their Python constructors: 100,000 at a time
    prefix, base, states = scan.prefix, scan.base, scan.states
    rows: Iterable[tuple[str, int, int, int, int, int]] = zip(
        scan.names.split("\0")[:-1],
        states[0::4],
        states[1::4],
        states[2::4],
        states[3::4],
        scan.links,
        strict=True,
    )
    if known is not None:
        rows = (row for row in rows if known.get(prefix + row[0]) != row[1:5])
    return (
        new(
            FoundFile,
            (
                prefix + name,
                base + name,
                new(FileState, (size, mtime, None if side_size < 0 else (side_size, side_mtime))),
                link == 1,
            ),
        )
        for name, size, mtime, side_size, side_mtime, link in rows
    )


def scan_tree(top: Folder) -> list[FolderScan]:
    """The folder and every folder below it, scanned (hidden ones skipped)."""
    scans: list[FolderScan] = []
    pending = [top]
    while pending:
        scan, below = _scan_folder(*pending.pop())
        scans.append(scan)
        pending += below
    return scans


_SUFFIXES = frozenset(READERS)


_BY_DESCRIPTOR = os.scandir in os.supports_fd
"""Whether a folder can be listed through an open descriptor: then each file's status is asked
relative to it (`fstatat`), and the kernel does not walk the folder's whole path again for each."""


_FOLDER_ONLY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
"""Opening anything else fails at once: a folder swapped for a named pipe meanwhile would block."""


def _scan_folder(folder: str, prefix: str) -> tuple[FolderScan, list[Folder]]:
    """One folder's article files with their status, and the folders in it (linked ones are not walked)."""
    try:
        opened = os.open(folder, _FOLDER_ONLY) if _BY_DESCRIPTOR else None
    except OSError:
        opened = None
    try:
        return _scan_listing(folder, prefix, opened)
    finally:
        if opened is not None:
            os.close(opened)


def _scan_listing(folder: str, prefix: str, opened: int | None) -> tuple[FolderScan, list[Folder]]:
    names: list[str] = []
    links = bytearray()
    states: list[int] = []
    below: list[Folder] = []
    base = folder if folder.endswith(os.sep) else folder + os.sep
    try:
        with os.scandir(folder if opened is None else opened) as listing:
            items = {item.name: item for item in listing if item.name[0] != "."}
    except OSError:
        items = {}
    # Asked by name, relative to the open folder: the listing's own `stat()` makes the same
    # system call behind more machinery (at 100,000 files, the scan took a quarter longer).
    status_of: Callable[[os.DirEntry[str]], os.stat_result] = (
        os.DirEntry.stat if opened is None else lambda item: os.stat(item.name, dir_fd=opened)
    )
    suffixes, add_name, add_link, add_states = _SUFFIXES, names.append, links.append, states.extend
    for name in sorted(items):
        item = items[name]
        dot = name.rfind(".")
        suffix = name[dot:]
        try:
            if dot <= 0 or (suffix not in suffixes and suffix.lower() not in suffixes):
                if item.is_dir(follow_symlinks=False):
                    below.append((base + name, f"{prefix}{name}/"))
                continue
            link = item.is_symlink()
            if not item.is_file():  # a folder named like an article, or a link to one
                if not link and item.is_dir(follow_symlinks=False):
                    below.append((base + name, f"{prefix}{name}/"))
                continue
            status = status_of(item)
            sidecar = items.get(name[:dot] + SIDECAR)
            side = status_of(sidecar) if sidecar is not None and sidecar.is_file() else None
        except OSError:
            continue
        add_name(name)
        add_link(link)
        if side is None:
            add_states((status.st_size, status.st_mtime_ns, -1, 0))
        else:
            add_states((status.st_size, status.st_mtime_ns, side.st_size, side.st_mtime_ns))
    packed = "".join(f"{name}\0" for name in names)
    digest = hashlib.blake2b(packed.encode("utf-8", "surrogatepass"), digest_size=16)
    digest.update(links)
    flat = _flat(states)
    digest.update(flat if isinstance(flat, array) else pickle.dumps(flat, protocol=5))
    return FolderScan(prefix, base, packed, bytes(links), flat, digest.hexdigest()), below


def _flat(states: list[int]) -> array[int] | list[int]:
    """The statuses as 64-bit numbers: at 100,000 files, as Python ints they were 16.6 MB and
    400,000 objects in a rebuild's process, 30 ms to unpickle there and 25 ms to pickle in the
    scan's workers, and as many to hash. A time beyond 64 bits of nanoseconds (the year 2262 on,
    which ext4 can hold) keeps the list."""
    try:
        return array("q", states)
    except OverflowError:
        return states


def file_position(files: Sequence[FoundFile], key: str, low: int = 0) -> int:
    """Where the file of `key` is, or would go, in `files` (in path order): by bisection."""
    return bisect.bisect_left(files, key, lo=low, key=_key_of)


def _key_of(file: FoundFile) -> str:
    return file.key


def folder_of(key: str) -> str:
    """The folder of a file key, as `Scan.folders` names it: 'a.md' -> '', '2022/a.md' -> '2022/'."""
    head, slash, _ = key.rpartition("/")
    return head + slash


def file_of(key: str) -> str:
    """The article file a registry key belongs to: `a.json#slug` -> `a.json`; `C#-tips.md` itself.

    Only the records of a JSON file are keyed `file#name` (`feeds.read.records`), and no
    file is read whose path holds `.json#` or `.jsonl#` (`_name_error`): the file is the key
    up to the first `#` that ends such a name, or the whole key.
    """
    at = key.find("#")
    while at != -1:
        if key[:at].lower().endswith(_RECORD_FILES):
            return key[:at]
        at = key.find("#", at + 1)
    return key


_RECORD_FILES = (".json", ".jsonl")
"""The files whose articles are keyed `file#name`, one per record."""


def _name_error(key: str) -> str | None:
    """Why a file's name cannot be published, if it cannot: its bytes must be UTF-8, and it
    must not read as a record of a JSON file (`file_of`).

    Python hands undecodable bytes of a name over as lone surrogates (PEP 383); no registry,
    URL or feed can carry those.
    """
    undecodable = next((c for c in key if "\udc80" <= c <= "\udcff"), None)
    if undecodable is not None:
        return f"its name is not UTF-8 (byte 0x{ord(undecodable) - 0xDC00:02x}); rename it"
    if "#" in key and (file := file_of(key)) != key:
        return f"its path holds {quoted(file + '#')}, which names a record of a JSON file; rename it"
    return None


@functools.cache
def _shown_folder(articles_dir: Path, root: Path) -> str:
    """What comes before a file's key in messages: `_shown` of the articles folder, and a slash."""
    shown = _shown(articles_dir, root)
    return "" if shown == "." else shown.removesuffix("/") + "/"


def _shown(path: Path, root: Path) -> str:
    """The path as messages show it: relative to the site folder where it is inside it."""
    try:
        return path.absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        return path.as_posix()
