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
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from feeds.errors import BuildError

LOCK_NAME = ".feeds.lock"
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


def write_files(output_dir: Path, files: Mapping[str, bytes]) -> WriteReport:
    """Replace every changed file, all or none; leave unchanged files alone.

    Two phases: every changed file is first written and synced to a temporary file
    beside it; only when all of them are safely on disk are they renamed into place.
    A failure in the first phase (a full disk, a read-only folder) removes the
    temporary files and replaces nothing. Then the files the previous build wrote
    (its manifest says which) that this build does not produce are removed; files we
    never wrote are never touched.
    """
    targets = {relative: safe_target(output_dir, relative) for relative in sorted(files)}
    changed = [relative for relative, target in targets.items() if not _holds(target, files[relative])]
    staged: list[tuple[Path, Path]] = []
    try:
        for relative in changed:
            staged.append((_stage(targets[relative], files[relative]), targets[relative]))
    except BaseException:
        for temporary, _ in staged:
            with contextlib.suppress(OSError):
                temporary.unlink()
        raise
    for index, (temporary, target) in enumerate(staged):
        try:
            _commit(temporary, target)
        except BaseException:
            # The files renamed so far stay new (see test_crash_safety's xfail); at least the
            # rest of the staged files must not be left behind as debris.
            for leftover, _ in staged[index + 1 :]:
                with contextlib.suppress(OSError):
                    leftover.unlink()
            raise
    for folder in sorted({target.parent for _, target in staged}):
        _sync_folder(folder)
    removed = _remove_stale(output_dir, set(files))
    write_file(output_dir / MANIFEST_NAME, (json.dumps(sorted(files), indent=0) + "\n").encode())
    unchanged = [relative for relative in targets if relative not in set(changed)]
    return WriteReport(tuple(changed), tuple(unchanged), tuple(removed))


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


def write_file(target: Path, data: bytes) -> bool:
    """Atomically replace `target` with `data` unless it already holds them; True if written."""
    if _holds(target, data):
        return False
    _commit(_stage(target, data), target)
    _sync_folder(target.parent)
    return True


def _holds(target: Path, data: bytes) -> bool:
    """Whether `target` already holds exactly `data` (compared by size first: cheap)."""
    try:
        return target.stat().st_size == len(data) and target.read_bytes() == data
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise BuildError(f"{target}: cannot read the current file ({exc.strerror})") from None


def _stage(target: Path, data: bytes) -> Path:
    """`data` written and synced to a temporary file beside `target` (a dotfile, never served)."""
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
            stream.write(data)
            stream.flush()
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
def build_lock(output_dir: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the output folder's lock; a second build waits for it (after calling `on_wait`).

    An flock, so the OS drops it when its holder dies: a killed build leaves no stale lock.
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
            yield
        finally:
            fcntl.flock(stream.fileno(), fcntl.LOCK_UN)


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
