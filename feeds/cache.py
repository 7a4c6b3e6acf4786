"""The build cache: what earlier builds read and rendered, so a rebuild redoes only what changed.

A folder beside `feeds.toml` (`.feeds-cache/`, never committed, safe to delete):
one file holding, per article file, its status (size, mtime) and what `digest`
made of it; the content HTML of the entries that full-content feeds carry; and,
per output file, a fingerprint of the feed it was rendered from. It is keyed by
the configuration and by this package's own code: any change to either, and the
cache is ignored.

Losing it (or a damaged one) costs time, never correctness: the build then reads,
digests and renders everything, and gives the same bytes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import operator
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from feeds.config import SiteConfig
from feeds.errors import Problem
from feeds.model import Author, Enclosure, Origin
from feeds.prepare import Draft
from feeds.read import FileState

FORMAT = 1
CACHE_FILE = "build.pickle"


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


@dataclass(frozen=True, slots=True)
class OutputState:
    """An output file as the last build left it, and the fingerprint of what it was rendered from."""

    fingerprint: str
    size: int
    mtime_ns: int


@dataclass(slots=True)
class BuildCache:
    key: str
    files: dict[str, FileDigest] = field(default_factory=dict)
    """By the file's key (its path inside the articles folder)."""
    contents: dict[str, str] = field(default_factory=dict)
    """Content HTML by content key (see `feeds.build`)."""
    outputs: dict[str, OutputState] = field(default_factory=dict)
    """By path inside the output folder."""


def cache_key(config: SiteConfig) -> str:
    """The configuration and this package's code, hashed: what every cached value depends on."""
    # The site folder by where it is, however the command line spelled it.
    settings = repr(dataclasses.replace(config, root=config.root.resolve()))
    digest = hashlib.blake2b(f"{FORMAT}\0{settings}".encode(), digest_size=16)
    package = Path(__file__).parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def load_cache(config: SiteConfig) -> BuildCache:
    """The cache of the last build of this site, or an empty one (missing, damaged or stale)."""
    key = cache_key(config)
    try:
        data = (config.cache_dir / CACHE_FILE).read_bytes()
        cache = _Unpickler(io.BytesIO(data)).load()
    except Exception:  # any damage means: start afresh
        return BuildCache(key)
    if not isinstance(cache, BuildCache) or cache.key != key:
        return BuildCache(key)
    return cache


def dump_cache(cache: BuildCache) -> bytes:
    stream = io.BytesIO()
    _Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL).dump(cache)
    return stream.getvalue()


class _Pickler(pickle.Pickler):
    """Frozen dataclasses pickled as their constructor's arguments.

    The default for slotted dataclasses asks `dataclasses.fields` for every object,
    which made saving and loading a 10,000-article cache take a second each.
    """

    def reducer_override(self, obj: Any) -> Any:
        fields = _FIELDS.get(type(obj))
        if fields is None:
            return NotImplemented
        return type(obj), fields(obj)


_FIELDS = {
    cls: operator.attrgetter(*(field.name for field in dataclasses.fields(cls)))
    for cls in (FileDigest, FileState, OutputState, Draft, Author, Enclosure, Origin, Problem)
}


class _Unpickler(pickle.Unpickler):
    """Builds only the plain values a cache holds: never an arbitrary object from a doctored file."""

    _ALLOWED = frozenset(
        {
            ("feeds.cache", "BuildCache"),
            ("feeds.cache", "FileDigest"),
            ("feeds.read", "FileState"),
            ("feeds.cache", "OutputState"),
            ("feeds.prepare", "Draft"),
            ("feeds.model", "Author"),
            ("feeds.model", "Enclosure"),
            ("feeds.model", "Origin"),
            ("feeds.errors", "Problem"),
            ("datetime", "datetime"),
            ("datetime", "timezone"),
            ("datetime", "timedelta"),
            ("zoneinfo", "ZoneInfo"),
            ("dateutil.tz.tz", "tzoffset"),
            ("dateutil.tz.tz", "tzutc"),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("builtins", "getattr"):
            return _zone_getattr  # how a ZoneInfo pickles itself: getattr(ZoneInfo, "_unpickle")
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not a cache value")
        return super().find_class(module, name)


def _zone_getattr(owner: object, name: str) -> Any:
    if owner is not ZoneInfo or name != "_unpickle":
        raise pickle.UnpicklingError(f"getattr({owner!r}, {name!r}) is not a cache value")
    return ZoneInfo._unpickle  # type: ignore[attr-defined]
