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
from collections.abc import Iterator, Mapping
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
    """Write each file atomically, in sorted order; skip those whose bytes are unchanged.

    Then remove the files the previous build wrote (its manifest says which) that this
    build does not produce. Files we never wrote are never touched.
    """
    targets = {relative: safe_target(output_dir, relative) for relative in sorted(files)}
    changed: list[str] = []
    unchanged: list[str] = []
    for relative, target in targets.items():
        (changed if write_file(target, files[relative]) else unchanged).append(relative)
    removed = _remove_stale(output_dir, set(files))
    write_file(output_dir / MANIFEST_NAME, (json.dumps(sorted(files), indent=0) + "\n").encode())
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
    try:
        if target.stat().st_size == len(data) and target.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise BuildError(f"{target}: cannot read the current file ({exc.strerror})") from None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            Path(temporary).chmod(0o644)
            Path(temporary).replace(target)
        except BaseException:
            with contextlib.suppress(OSError):
                Path(temporary).unlink()
            raise
        _sync_folder(target.parent)
    except OSError as exc:
        raise BuildError(f"{target}: cannot write ({exc.strerror}); the previous file is untouched") from None
    return True


@contextlib.contextmanager
def build_lock(output_dir: Path) -> Iterator[None]:
    """Hold the output folder's lock; a second build waits for it. The OS drops it if we die."""
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        stream = (output_dir / LOCK_NAME).open("a+b")
    except OSError as exc:
        raise BuildError(f"{output_dir}: cannot use the output folder ({exc.strerror})") from None
    with stream:
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
