"""`feeds build --watch`: republish within a fraction of a second of each change.

A one-off build must ask the file system about every article (at 100,000 files,
most of a second on its own). A watcher asks once, then learns from the
operating system's change events (inotify, FSEvents, ReadDirectoryChangesW,
through the `watchfiles` library) which files changed, and rebuilds from the
last build's state with just those: no walk of the archive.

Each rebuild is an ordinary build (the lock, the checks, the atomic write). The
clock is read for each one, and while nothing happens the watcher still wakes
now and then, so that an embargoed article is published when its time comes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from feeds.build import BuildOutcome, render_checked, run_build
from feeds.config import SiteConfig
from feeds.errors import ArticleError
from feeds.model import FORMATS, Article
from feeds.prepare import digest
from feeds.read import (
    READERS,
    FoundFile,
    Scan,
    file_position,
    found_file,
    named_keys,
    parse_source,
    scan_folders,
)
from feeds.read.source import SourceFile
from feeds.select import head_feed, site_topic

WAKE_MS = 10_000
"""How often a quiet watcher builds, to publish what has become due."""
TICK_MS = 200
"""How long the system's events are awaited at a time."""
DEBOUNCE_MS = 30
"""Changes within this long of each other are built together (an editor's save is several events)."""


class Watched:
    """The article files as the watcher knows them: walked once, then kept up to date from events."""

    def __init__(self, articles_dir: Path) -> None:
        self.articles_dir = articles_dir
        self._inside = articles_dir.resolve()
        self.files: list[FoundFile] = []
        """In path order (kept so: at 100,000 files, sorting them for each event takes a while)."""
        self.rescan()

    def rescan(self) -> Scan:
        found = scan_folders(self.articles_dir)
        self.files = list(found.files)
        return found

    def update(self, paths: Iterable[str]) -> Scan:
        """The files after these paths changed: each restated, or, where that cannot tell, all."""
        changed: set[str] = set()
        for raw in paths:
            keys = named_keys(Path(raw), self.articles_dir, self._inside)
            if keys is None:  # a folder, or something gone that may have been one: walk again
                return self.rescan()
            for key in keys:
                found = found_file(self.articles_dir, key)
                at = file_position(self.files, key)
                known = at < len(self.files) and self.files[at].key == key
                if found is not None and known:
                    self.files[at] = found
                elif found is not None:
                    self.files.insert(at, found)
                elif known:
                    del self.files[at]
                else:
                    continue  # neither there nor known: nothing to tell
                changed.add(key)
        return Scan(list(self.files), {}, frozenset(changed))


def preload(config: SiteConfig) -> None:
    """Load what a build loads once an article changes (readers, Markdown, sanitiser, renderers).

    A build that finds nothing changed loads none of it; a watcher does it while it
    waits (by reading, digesting and rendering a sample in memory), so that the first
    change is not published a fifth of a second later than the next.
    """
    for suffix in READERS:
        for article in parse_source(SourceFile(f"preload{suffix}", _SAMPLES.get(suffix, b""))):
            if isinstance(article, Article):
                with contextlib.suppress(ArticleError):
                    digest(article, config)
    feed = head_feed(site_topic(config), config, (), 0)
    for fmt in FORMATS:
        render_checked(feed, fmt)


_SAMPLES = {
    # HTML in the Markdown: its summary is read through the sanitiser, which loads it.
    ".md": b"---\ntitle: Preloaded\ndate: Sept. 13, 2022 14:05 EEST\n---\n\n*Text.* <b>Bold.</b>\n",
    ".txt": b"Preloaded\n\nText.\n",
    ".json": b'{"title": "Preloaded"}',
}


def watch(
    config: SiteConfig,
    clock: Callable[[], datetime],
    report: Callable[[BuildOutcome, float], None],
    ready: Callable[[], None] = lambda: None,
    *,
    events: Callable[..., Iterator[set[tuple[Any, str]]]] | None = None,
    **build: object,
) -> None:
    """Build, then rebuild on every change until interrupted; `report(outcome, seconds)` after each.

    Once the system's events are being watched, what changed before (during the first
    build) is found by one more walk and built; then `ready()` is told. `events` stands in for
    `watchfiles.watch` (tests give their own).
    """
    if events is None:
        import watchfiles

        events = watchfiles.watch
    watched = Watched(config.articles_dir)

    def rebuild(scanned: Scan) -> None:
        started = time.perf_counter()
        outcome = run_build(config, clock(), scanned=scanned, **build)  # type: ignore[arg-type]
        report(outcome, time.perf_counter() - started)

    rebuild(watched.rescan())
    live, idle = False, 0
    for changes in events(
        config.articles_dir, debounce=DEBOUNCE_MS, step=10, rust_timeout=TICK_MS, yield_on_timeout=True
    ):
        if not live:  # what changed during the first build (its events may have been missed)
            live = True
            rebuild(watched.rescan())
            preload(config)
            ready()
        elif changes:
            idle = 0
            rebuild(watched.update(path for _, path in changes))
        elif (idle := idle + TICK_MS) >= WAKE_MS:  # nothing happened: publish what has become due
            idle = 0
            rebuild(watched.update(()))
