"""write: the only code that touches the output folder (and the registry file).

Every file is written to a temporary file beside it, flushed, synced and renamed
into place, so a reader (or a crash) sees the old bytes or the new, never a mix.
A file whose bytes would not change is left alone: its mtime, and the ETag and
Last-Modified a server derives from it, stay put. One build at a time holds the
output folder's lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from feeds.errors import BuildError

LOCK_NAME = ".feeds.lock"
STAGING_NAME = ".feeds-staging"
"""Present while a build stages files: a killed build leaves it, and the next removes the debris."""
MANIFEST_NAME = ".feeds-manifest.json"
"""The files the last build wrote, so the next can remove those it no longer writes."""


@dataclass(frozen=True, slots=True)
class WriteReport:
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...] = ()
    """Files an earlier build wrote that this one no longer produces (a tag that went away)."""


def safe_target(output_dir: Path, relative: str) -> Path:
    """The path of `relative` inside `output_dir`; anything that would leave it is refused."""
    parts = PurePosixPath(relative)
    if not relative or parts.is_absolute() or ".." in parts.parts or "\\" in relative:
        raise BuildError(f"refusing to write '{relative}': not a path inside the output folder")
    target = output_dir / Path(*parts.parts)
    if not target.resolve().is_relative_to(output_dir.resolve()):
        raise BuildError(f"refusing to write '{relative}': it leads outside the output folder")
    return target


@dataclass(frozen=True, slots=True)
class StagedFile:
    """One output file made ready for `Staging.adopt` by `stage_bytes` (in this process, or in a
    worker process that rendered it)."""

    relative: str
    size: int
    temporary: str | None
    """The temporary file beside the target that holds the new bytes; None: the target holds them."""


def stage_bytes(output_dir: Path, relative: str, data: bytes) -> StagedFile:
    """`data` for `relative` in a temporary file beside it (not synced), unless it already holds them.

    The half of `Staging.offer` that touches the disk: render workers stage the files they
    render, so that the build's own process does not receive and write their bytes (at 100,000
    articles, 300 MB in 6,000 files, a tenth of its work while they render).
    """
    target = safe_target(output_dir, relative)
    if _holds(target, data):
        return StagedFile(relative, len(data), None)
    return StagedFile(relative, len(data), str(_stage(target, data, sync=False)))


def discard_staged(files: Iterable[StagedFile]) -> None:
    """Remove the temporary files of staged files that no `Staging` adopted (a build that failed)."""
    for file in files:
        if file.temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(file.temporary)  # noqa: PTH108 (a path string, as staged)


def write_files(output_dir: Path, files: Mapping[str, bytes]) -> WriteReport:
    """Replace every changed file, all or none; leave unchanged files alone.

    Two phases: every changed file is first written to a temporary file beside it and
    synced; only when all of them are safely on disk are they renamed into place. A
    failure in the first phase (a full disk, a read-only folder) removes the temporary
    files and replaces nothing. Then the files the previous build wrote (its manifest
    says which) that this build does not produce are removed; files we never wrote are
    never touched.
    """
    with Staging(output_dir) as staging:
        for relative in sorted(files):
            staging.offer(relative, files[relative])
        return staging.commit()


class Staging:
    """An all-or-none replacement of output files, offered one at a time (bounded memory).

    `offer` stages a file whose bytes differ from what is on disk (a temporary file
    beside it), `adopt` takes one staged so elsewhere (`stage_bytes`), and `keep` declares
    one the build knows unchanged without rendering it; `commit` makes sure every staged file
    is on disk, then renames them into place and removes the files the previous build wrote
    and this one did not. Leaving the `with` block without `commit` (an error) removes the
    staged files and replaces nothing.

    Each staged file is synced to disk as soon as it is staged, in a few threads (`_SYNC_THREADS`),
    while the build renders the next ones: `commit` then mostly finds them synced. Synced all at
    the commit, a build from scratch of 100,000 articles waited 0.9 s for its 6,131 files, with
    the CPUs idle (and 0.3 s more for its 2,044 folders, one by one, now side by side).
    """

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        self._staged: list[tuple[str, Path, Path]] = []
        self._syncing: list[Future[str | None]] = []
        """Each staged file's sync (`_fsync`), in the order of `_staged`."""
        self._syncer: ThreadPoolExecutor | None = None
        self._unchanged: list[str] = []
        self._produced: set[str] = set()

    def __enter__(self) -> Staging:
        # Where the mark cannot be made, nothing can be staged either: the first offer says why.
        with contextlib.suppress(OSError):
            self.output_dir.mkdir(parents=True, exist_ok=True)
            (self.output_dir / STAGING_NAME).touch()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop_syncing()  # before their files go: a sync under way is waited for
        for _, temporary, _ in self._staged:
            with contextlib.suppress(OSError):
                temporary.unlink()
        self._staged, self._syncing = [], []
        with contextlib.suppress(OSError):
            (self.output_dir / STAGING_NAME).unlink()

    def offer(self, relative: str, data: bytes) -> None:
        self.adopt(stage_bytes(self.output_dir, relative, data))

    def adopt(self, file: StagedFile) -> None:
        """A file staged by `stage_bytes` for this output folder: from now on, this staging's."""
        self._produced.add(file.relative)
        if file.temporary is None:
            self._unchanged.append(file.relative)
        else:
            temporary = Path(file.temporary)
            self._staged.append((file.relative, temporary, self.output_dir / file.relative))
            self._syncing.append(self._threads().submit(_fsync, temporary))

    def _threads(self) -> ThreadPoolExecutor:
        if self._syncer is None:
            self._syncer = ThreadPoolExecutor(max_workers=_SYNC_THREADS, thread_name_prefix="feeds-sync")
        return self._syncer

    def _stop_syncing(self) -> None:
        if self._syncer is not None:
            self._syncer.shutdown(wait=True, cancel_futures=True)
            self._syncer = None

    def keep(self, relative: str) -> None:
        self._produced.add(relative)
        self._unchanged.append(relative)

    def commit(self) -> WriteReport:
        staged, self._staged = self._staged, []
        try:
            for (_, _, target), synced in zip(staged, self._syncing, strict=True):
                if (error := synced.result()) is not None:
                    raise BuildError(f"{target}: cannot write ({error}); the previous files are untouched")
        except BaseException:
            self._staged = staged
            raise
        for index, (_, temporary, target) in enumerate(staged):
            try:
                _commit(temporary, target)
            except BaseException:
                # The files renamed so far stay new (see test_crash_safety's xfail); at least the
                # rest of the staged files must not be left behind as debris (__exit__ removes them).
                self._staged = staged[index + 1 :]
                raise
        folders = sorted({target.parent for _, _, target in staged})
        if folders:  # each rename is on disk once its folder is: side by side, like the files
            list(self._threads().map(_sync_folder, folders))
        self._stop_syncing()
        self._syncing = []
        removed = _remove_stale(self.output_dir, self._produced)
        manifest = (json.dumps(sorted(self._produced), indent=0) + "\n").encode()
        write_file(self.output_dir / MANIFEST_NAME, manifest)
        changed = sorted(relative for relative, _, _ in staged)
        return WriteReport(tuple(changed), tuple(sorted(self._unchanged)), tuple(removed))


_SYNC_THREADS = 8
"""Files synced at once: each fsync mostly waits for the disk, and several let the file system
commit many files in one journal transaction; each file's error is still its own."""


def _fsync(path: Path) -> str | None:
    """None once `path` is on disk, else why not."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _remove_stale(output_dir: Path, keep: set[str]) -> list[str]:
    try:
        previous = json.loads((output_dir / MANIFEST_NAME).read_bytes())
    except (OSError, ValueError):
        return []
    if not isinstance(previous, list):
        return []
    removed = []
    for relative in sorted(set(previous) - keep):
        if not isinstance(relative, str):
            continue
        try:
            target = safe_target(output_dir, relative)
        except BuildError:
            continue  # a manifest edited by hand: never follow it outside the folder
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
            removed.append(relative)
        _remove_empty_folders(target.parent, output_dir)
    return removed


def _remove_empty_folders(folder: Path, output_dir: Path) -> None:
    while folder != output_dir and folder.is_relative_to(output_dir):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def write_file(target: Path, data: bytes | Iterable[bytes]) -> bool:
    """Atomically replace `target` with `data` unless it already holds them; True if written.

    `data` may come in pieces (the registry, 25 MB at 100,000 articles): they are written as
    they come, and the file is compared with the old one once staged.
    """
    staged = stage_file(target, data)
    if staged is None:
        return False
    commit_file(staged, target)
    return True


def stage_file(target: Path, data: bytes | Iterable[bytes | memoryview]) -> Path | None:
    """`write_file`'s first half: `data` in a temporary file beside `target`, synced to disk
    (None, and nothing staged, if `target` holds them already). `commit_file` puts it in place."""
    if isinstance(data, bytes):
        return None if _holds(target, data) else _stage(target, data)
    staged = _stage(target, data)
    if _same_files(staged, target):
        staged.unlink()
        return None
    return staged


def commit_file(staged: Path, target: Path) -> None:
    """`write_file`'s second half: the file `stage_file` staged renamed over `target`."""
    _commit(staged, target)
    _sync_folder(target.parent)


def _same_files(staged: Path, target: Path) -> bool:
    """Whether two files hold the same bytes (sizes first); a target that cannot be read differs."""
    try:
        if staged.stat().st_size != target.stat().st_size:
            return False
        with staged.open("rb") as ours, target.open("rb") as theirs:
            while (piece := ours.read(1 << 20)) == theirs.read(1 << 20):
                if not piece:
                    return True
    except OSError:
        return False
    return False


def _holds(target: Path, data: bytes) -> bool:
    """Whether `target` already holds exactly `data` (compared by size first: cheap)."""
    try:
        return target.stat().st_size == len(data) and target.read_bytes() == data
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise BuildError(f"{target}: cannot read the current file ({exc.strerror})") from None


def _stage(target: Path, data: bytes | Iterable[bytes | memoryview], *, sync: bool = True) -> Path:
    """`data` written (and synced) to a temporary file beside `target` (a dotfile, never served)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise BuildError(
            f"{target}: cannot write ({exc.strerror}); the previous files are untouched"
        ) from None
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            if isinstance(data, bytes):
                stream.write(data)
            else:
                stream.writelines(data)
            stream.flush()
            if sync:
                os.fsync(stream.fileno())
        temporary.chmod(0o644)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        if isinstance(exc, OSError):
            raise BuildError(
                f"{target}: cannot write ({exc.strerror}); the previous files are untouched"
            ) from None
        raise
    return temporary


def _commit(temporary: Path, target: Path) -> None:
    try:
        temporary.replace(target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise BuildError(f"{target}: cannot replace ({exc.strerror})") from None


@contextlib.contextmanager
def build_lock(output_dir: Path, on_wait: Callable[[], None] | None = None) -> Iterator[int]:
    """Hold the output folder's lock; a second build waits for it (after calling `on_wait`).

    An flock, so the OS drops it when its holder dies: a killed build leaves no stale lock.
    Gives the lock's file descriptor, which forked workers must close (they would hold the
    lock on after a killed build otherwise).
    """
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        stream = (output_dir / LOCK_NAME).open("a+b")
    except OSError as exc:
        raise BuildError(f"{output_dir}: cannot use the output folder ({exc.strerror})") from None
    with stream:
        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
        try:
            yield stream.fileno()
        finally:
            fcntl.flock(stream.fileno(), fcntl.LOCK_UN)


_STAGED = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")
"""What `_stage` names a temporary file: `.NAME.XXXXXXXX.tmp` (mkstemp's eight characters)."""


def remove_debris(output_dir: Path) -> list[str]:
    """Remove temporary files a killed build left in the output folder; call it holding the lock.

    A build that dies while staging leaves its temporary files behind (dotfiles, never
    served); nothing else names a file so, and under the lock no other build is staging.
    Only a build that died leaves the staging mark: without it, the folder is not walked.
    """
    removed: list[str] = []
    if not (output_dir / STAGING_NAME).exists():
        return removed
    for folder, _, names in os.walk(output_dir):
        for name in names:
            if _STAGED.match(name):
                with contextlib.suppress(OSError):
                    (Path(folder) / name).unlink()
                    removed.append(name)
    return removed


def remove_lock(output_dir: Path) -> None:
    """Remove the lock file, and the output folder if nothing else is in it."""
    with contextlib.suppress(OSError):
        (output_dir / LOCK_NAME).unlink()
        output_dir.rmdir()


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
