"""The pipeline, end to end: read -> prepare -> select -> render -> check -> write.

`build_site` is the pure middle (articles and registry in, files out);
`run_build` adds the edges: reading the folder and the registry, the lock, writing.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import os
import signal
import sqlite3
import sys
import threading
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast, overload

from feeds.config import SiteConfig
from feeds.errors import BuildError, Problem
from feeds.heap import give_back
from feeds.lint import lint
from feeds.model import FORMATS, Article, Entry, Feed, FeedFormat
from feeds.prepare import Draft, Prepared, Settling, content_of, digest_all, settle, vanished
from feeds.read import (
    FileState,
    Folder,
    FolderFiles,
    FolderMap,
    FolderScan,
    FoundFile,
    Progress,
    Scan,
    file_keys,
    file_of,
    limit_files,
    prefetch,
    read_articles,
    read_file,
    same_content,
    scan_folders,
    scan_named,
    with_sidecars,
)
from feeds.registry import Registry, StoredRecords, load_registry, registry_file_pieces, registry_pieces
from feeds.render import forget_shared
from feeds.render.listing import HEAD_LINKS_FILE, OPML_FILE, render_head_links, render_opml
from feeds.render.page import INDEX_FILE, render_index
from feeds.select import refuse_shared_files, select_feeds
from feeds.spill import Spans, Spill, Where, read_spilled, spans
from feeds.state import (
    STATE_FILE,
    BuildCache,
    FileDigest,
    OutputState,
    State,
    open_state,
    pickled,
    registry_hasher,
    unpickle,
)
from feeds.write import (
    StagedFile,
    Staging,
    WriteReport,
    build_lock,
    commit_file,
    discard_staged,
    remove_debris,
    remove_lock,
    stage_bytes,
    stage_file,
)

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build produced, before (or without) writing it."""

    files: Mapping[str, bytes]
    """Output files by path relative to the output folder."""
    feeds: Sequence[Feed]
    entries: Sequence[Entry]
    registry: Registry
    problems: tuple[Problem, ...]
    articles: int
    """Articles read (a JSON file may hold several)."""
    held: int
    """Drafts and future-dated articles, not published yet."""
    heads: tuple[Feed, ...] = ()
    """The head feeds (the site's, then each topic's), without their archive pages."""

    @property
    def published(self) -> int:
        return len(self.entries)

    @property
    def rejected(self) -> int:
        return len({(p.path, p.line) for p in self.problems if p.severity == "error"})


@dataclass(frozen=True, slots=True)
class BuildOutcome:
    result: BuildResult
    written: WriteReport | None
    """None when nothing was written (`feeds check`, or a strict build with errors)."""
    registry_written: bool = False

    def changed_feed_urls(self) -> list[str]:
        """URLs of the head feeds (not archive pages) whose files this build rewrote."""
        if self.written is None:
            return []
        changed = set(self.written.changed)
        return [
            feed.url(fmt) for feed in self.result.heads for fmt in FORMATS if feed.files.path(fmt) in changed
        ]


def build_site(
    articles: Sequence[Article],
    config: SiteConfig,
    registry: Registry,
    now: datetime,
    problems: Sequence[Problem] = (),
    unreadable: Collection[str] = (),
    progress: Progress | None = None,
    *,
    advise: bool = False,
) -> BuildResult:
    """Every output file for these articles. Pure: the same input gives the same bytes.

    With `advise`, the problems include lint's advice (long titles, missing summaries...).
    """
    drafts, failed, rejected_files = digest_all(articles, config)
    settled = settle(drafts, config, registry, now, {*unreadable, *rejected_files})
    prepared = replace(settled, problems=(*failed, *settled.problems))
    published = {entry.key for entry in prepared.entries}
    rejected = {problem.path for problem in prepared.problems}
    # Advice for what is published or waiting, not for articles already rejected.
    advice = (
        lint([a for a in articles if a.key in published or a.source not in rejected], config, now)
        if advise
        else []
    )
    by_key = {article.key: article for article in articles}
    feeds = with_content(
        select_feeds(prepared.entries, config),
        lambda entries: [content_of(by_key[e.key], e) for e in entries],
    )
    files: dict[str, bytes] = {}
    warnings: list[Problem] = []
    for done, feed in enumerate(feeds):
        if progress is not None:
            progress("rendering", done, len(feeds))
        for fmt in FORMATS:
            path, data = render_checked(feed, fmt)
            warnings += _size_warnings(config, path, len(data))
            files[path] = data
    files.update(render_listings(feeds, config))
    return BuildResult(
        files=MappingProxyType(files),
        feeds=feeds,
        entries=prepared.entries,
        registry=prepared.registry,
        problems=(*problems, *prepared.problems, *warnings, *advice),
        articles=len(articles),
        held=prepared.held,
        heads=tuple(feed for feed in feeds if not feed.is_archive),
    )


def render_checked(feed: Feed, fmt: FeedFormat) -> tuple[str, bytes]:
    """One feed in one format, and where it goes; a feed failing our checks stops the build."""
    from feeds.check import check_feed  # with the renderers, loaded once something is rendered
    from feeds.render import render

    data = render(feed, fmt)
    path = feed.files.path(fmt)
    if failures := check_feed(fmt, data):
        raise BuildError(f"{path}: the rendered feed fails our checks: {'; '.join(failures)}")
    return path, data


LISTING_FILES = (OPML_FILE, HEAD_LINKS_FILE, INDEX_FILE)


def render_listings(feeds: Sequence[Feed], config: SiteConfig) -> dict[str, bytes]:
    """The files beside the feeds: the OPML list, the head links snippet, index.html."""
    return {
        OPML_FILE: render_opml(feeds, config.title),
        HEAD_LINKS_FILE: render_head_links(feeds[0]),
        INDEX_FILE: render_index(feeds, config.title, config.description or config.title, config.language),
    }


def run_build(
    config: SiteConfig,
    now: datetime,
    *,
    write: bool = True,
    strict: bool = False,
    on_wait: Callable[[], None] | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    scanned: Scan | None = None,
    changed: Iterable[Path] | None = None,
) -> BuildOutcome:
    """Read the site, build it and (unless `write` is false) publish it atomically.

    Writing builds incrementally from the state the last build left (`feeds.state`):
    files unchanged since then (by size and mtime) are not read again, and only the
    feeds that the changes touch are selected and rendered again (`feeds.incremental`);
    the bytes are those a build from scratch would give. `workers` processes read the
    files that changed (default: one per CPU when there are many; 1 reads in this process).
    `scanned` gives the article files as a watcher knows them (`feeds.watch`), instead of
    asking the file system about each. `changed` names the files changed since the last build
    instead (`scan_named`: the caller's word that nothing else did, as a CMS's hook knows): a
    rebuild from those alone, without a walk; where that cannot be done, the build walks after all
    (a path outside the articles folder: `ConfigError`).

    Under `strict`, any rejected article means nothing is written. The registry is
    written before the feeds, so a crash in between never leaves feeds carrying ids
    the registry does not know.
    """
    from feeds.incremental import rebuild  # it builds on this module's steps

    if not config.articles_dir.is_dir():
        raise BuildError(f"{config.articles_dir}: no such folder of articles")
    if not write:
        return BuildOutcome(_build(config, now, progress, advise=True), None)
    if changed is not None and scanned is None:
        scanned = scan_named(config.articles_dir, changed)
    created = not config.output_dir.exists()
    with build_lock(config.output_dir, on_wait) as lock, _state_failures(config):
        remove_debris(config.output_dir)
        state = open_state(config)
        keep = False
        try:
            expected = state.file_count() if scanned is None or not scanned.complete else 0
            if (
                scanned is not None
                and not scanned.complete
                and expected + len(scanned.files) > config.limits.max_articles
            ):
                scanned = None  # which files the limit leaves out takes them all to tell
            # A build from scratch (no state of this code and configuration) forks its workers
            # before it walks the articles: forked after, each held what the walk left (at
            # 100,000 articles, 9 MB each, two of them: the build's processes peaked at 186 MB
            # summed so, 165 MB forked first).
            forked = None
            if not state.complete and (scanned is None or not scanned.complete):
                forked = forked_workers(workers, lock)
            try:
                scanned, limited = scan(config, scanned, expected, workers, lock, forked)
                outcome = None
                if not limited:
                    outcome = rebuild(config, now, state, scanned, strict, progress, workers, lock)
                if outcome is None and not scanned.complete:  # declined: from scratch, every file is needed
                    scanned, limited = scan(config, None, expected, workers, lock, forked)
                if outcome is None:
                    early, forked = early_render_pool(config, len(scanned.files), workers, lock, forked), None
                    try:
                        outcome = _full_build(
                            config, now, state, scanned, limited, strict, progress, workers, lock, early
                        )
                    finally:
                        if early is not None:  # rendered, or never to render (the build failed)
                            early.shutdown(cancel_futures=True)
            finally:
                if forked is not None:  # not needed after all
                    forked.shutdown(wait=False, cancel_futures=True)
            keep = outcome.written is not None
        finally:
            state.close(commit=keep)
    if outcome.written is None and created:  # "nothing written": no output folder holding our lock
        remove_lock(config.output_dir)
    return outcome


@contextlib.contextmanager
def _state_failures(config: SiteConfig) -> Iterator[None]:
    """SQLite's errors about the build's state (a full disk, a failing one, the file moved away
    while the build ran) as the user's to act on, naming the file: not as a bug of ours.

    Where it failed before the feeds were written they are as they were; after, they are
    complete. The state's transaction is not committed either way: the next build starts from
    what the last one left, and redoes the difference.
    """
    try:
        yield
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF not in _SQLITE_ENVIRONMENT:
            raise  # SQL of ours that SQLite refuses: a bug, reported as one
        raise BuildError(f"{config.cache_dir / STATE_FILE}: cannot keep the build's state ({exc})") from exc


_SQLITE_ENVIRONMENT = frozenset(
    {
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_NOMEM,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PROTOCOL,
        sqlite3.SQLITE_NOTADB,
    }
)
"""SQLite's primary result codes that say the file or the machine failed, not the SQL."""


def scan(
    config: SiteConfig,
    known: Scan | None = None,
    expected: int = 0,
    workers: int | None = None,
    lock: int | None = None,
    forked: ProcessPoolExecutor | None = None,
) -> tuple[Scan, list[Problem]]:
    """The article files (unless `known`), in path order; beyond `max_articles`, the problem of the rest.

    `expected`: about how many there are (what the last build saw), to choose how to scan;
    `forked`: the build's workers, where they are forked already.
    """
    articles_dir = config.articles_dir
    found = scan_folders(articles_dir, _scanning(expected, workers, lock, forked)) if known is None else known
    if len(found.files) <= config.limits.max_articles:
        return found, []
    paths, problems = limit_files(articles_dir, [Path(f.path) for f in found.files], config.limits)
    return Scan(found.files[: len(paths)], {}), problems


def _scanning(
    expected: int, workers: int | None, lock: int | None, forked: ProcessPoolExecutor | None = None
) -> FolderMap:
    """How the scan has the folders scanned: in worker processes, for a site of many files.

    At 100,000 files, a rebuild is mostly the status asked of each file (a system call of
    several microseconds, and the loop around it); two cores halve that. `expected`: how
    many files the last build saw.
    """
    count = workers or _cpus()
    if count < 2 or (expected < SCAN_PARALLEL_FROM and workers is None):
        return map

    def each(scan: Callable[[Folder], list[FolderScan]], folders: list[Folder]) -> list[list[FolderScan]]:
        if len(folders) < 2:
            return list(map(scan, folders))
        with _pool_or(forked, min(count, len(folders)), lock) as pool:
            return list(pool.map(scan, folders))

    return each


def _full_build(
    config: SiteConfig,
    now: datetime,
    state: State,
    scanned: Scan,
    limited: Sequence[Problem],
    strict: bool,
    progress: Progress | None,
    workers: int | None,
    lock: int | None,
    early: ProcessPoolExecutor | None = None,
) -> BuildOutcome:
    """Every feed selected again (unchanged files' drafts and unchanged feeds' files from the state).

    `early`: the render workers, forked before the articles are read (`early_render_pool`)."""
    cache = state.load_cache()
    # The files table is written as the files are digested (in key order, while the workers
    # read), not all at the end; none of it stays unless the build completes (one transaction).
    storable = all(map(_encodable, file_keys(scanned.files)))  # else the state is cleared
    state.begin_replace()
    store = state.put_file if storable else None
    with contextlib.ExitStack() as stack:
        # The entries kept in a file as they are settled, not in this process (`feeds.spill`).
        spill = stack.enter_context(Spill(config.cache_dir, state)) if store is not None else None
        return _from_scratch(
            config, now, state, scanned, limited, strict, progress, workers, lock, early, cache, store, spill
        )


def _from_scratch(
    config: SiteConfig,
    now: datetime,
    state: State,
    scanned: Scan,
    limited: Sequence[Problem],
    strict: bool,
    progress: Progress | None,
    workers: int | None,
    lock: int | None,
    early: ProcessPoolExecutor | None,
    cache: BuildCache,
    store: Store | None,
    spill: Spill | None,
) -> BuildOutcome:
    """`_full_build` once the state is begun: `spill` where it is kept (else `store` is None)."""
    registry = load_registry(config.registry_path)
    # Each file's drafts are settled as the workers give them (this process would wait for them
    # meanwhile) and not kept, the records of the files the scan did not find taken for gone;
    # should the reading show otherwise (a record dropped from a JSON file still there), the
    # drafts are settled again, from the state. The new records go into the state's mirror of the
    # registry as they are settled, not kept.
    settling = None
    if spill is not None:
        gone = vanished(registry, _in_scan(scanned.files, registry))
        settling = Settling(
            config, registry, now, gone, keep_entries=False, records=spill.add_record, claims=spill
        )
    # Our own walk's files are read as they are unpacked (`FolderFiles.stream`) or, where some are
    # known, given away and dropped as they are gathered (a watcher keeps its list).
    files = scanned.files
    if isinstance(files, FolderFiles) and cache.files:
        files = files.take()
    gathered = gather(
        config,
        cache,
        files,
        limited,
        progress,
        workers,
        lock,
        store,
        early,
        settling,
        spill,
        drop=files is not scanned.files,
    )
    del files
    if isinstance(scanned.files, FolderFiles):
        scanned.files.release()  # read: not asked for again
    cache.files = {}  # every digest is in `gathered` now
    sent = False  # whether the records are in the state already (then `settled` has none)
    if settling is None:
        settled = settle(gathered.drafts, config, registry, now, gathered.unreadable)
    elif settling.assumed_right(gathered.unreadable):
        settled = settling.finish(gathered.unreadable)
        sent = True
    else:
        settled = settle(list(state.drafts()), config, registry, now, gathered.unreadable)
        if spill is not None:
            spill.clear()
            fingerprints = state.fingerprints()
            for entry in settled.entries:
                fingerprint = fingerprints[entry.key]
                spill.add(entry, fingerprint, entry_mark(entry, fingerprint))
            del fingerprints
            settled = replace(settled, entries=())
    # Then the file holds what `dump_registry` gives.
    rewritten = settling.changed if settling is not None and sent else registry != settled.registry
    del settling
    # What the feeds need of the drafts and the old registry is in the entries now: freed before
    # the feeds are selected and the render workers forked (at 100,000 articles with their
    # registry, as in a fresh clone, the peak went from 446 to 429 MB, the workers' from 770 to 747).
    gathered = replace(gathered, drafts=())
    del registry
    if spill is not None:
        spill.seal()
    problems = (*gathered.problems, *settled.problems)
    if strict and any(p.severity == "error" for p in problems):
        result = BuildResult(
            files=MappingProxyType({}),
            feeds=(),
            entries=settled.entries if spill is None else spill.load_all(),
            registry=Registry(MappingProxyType(state.records())) if sent else settled.registry,
            problems=problems,
            articles=gathered.articles,
            held=settled.held,
        )
        return BuildOutcome(result, None)
    if spill is None:
        content = CachedContent(config, gathered.fingerprints, cache.contents, workers, lock, early)
        pages = [
            Page(feed, feed_fingerprint(feed, gathered.fingerprints))
            for feed in with_content(select_feeds(settled.entries, config), content)
        ]
    else:
        pages, content = spilled_pages(spill, config, cache, workers, lock, early)
    feeds = [page.feed for page in pages]
    heads = tuple(feed for feed in feeds if not feed.is_archive)

    def new_registry() -> Iterable[bytes]:  # from the state's mirror once saved: the lines made once
        if store is None:
            return registry_pieces(settled.registry)
        return registry_file_pieces(state.registry_lines())

    def save() -> None:  # while the workers render: the main process would wait for them
        if spill is not None:
            _save_settled(state, settled, spill, content.made, heads)
        if rewritten:
            staged_registry.stage()

    meanwhile = Meanwhile(save, state.interrupt)

    with (
        Staging(config.output_dir) as staging,
        StagedRegistry(config.registry_path, new_registry) as staged_registry,
    ):
        outputs, warnings = _stage_feeds(
            staging, pages, config, cache, progress, workers, lock, meanwhile, early
        )
        registry_written = staged_registry.commit()  # before any feed
        written = staging.commit()
    if spill is None:
        # A file's name is not UTF-8 (it is rejected, and the state cannot hold it): every
        # build is one from scratch, until the file is renamed.
        state.clear()
        entries: Sequence[Entry] = settled.entries
        selected: Sequence[Feed] = feeds
    else:
        _save_outputs(state, config, scanned, settled, outputs, rewritten, staged_registry.hash)
        entries = Stored(spill.count, functools.partial(stored_entries, state.path))
        selected = Stored(None, functools.partial(stored_feeds, state.path, config))
    result = BuildResult(
        files=OutputFiles(config.output_dir, (*outputs, *LISTING_FILES)),
        feeds=selected,
        entries=entries,
        registry=Registry(StoredRecords(config.registry_path)) if sent else settled.registry,
        problems=(*problems, *warnings),
        articles=gathered.articles,
        held=settled.held,
        heads=heads,
    )
    return BuildOutcome(result, written, registry_written)


@dataclass(frozen=True, slots=True)
class Page:
    """A feed to publish, with the fingerprint of what its files say (`feed_fingerprint`)."""

    feed: Feed
    fingerprint: str
    spilled: tuple[str, Spans] | None = None
    """Where its entries are, when they are in a spill file (`feed` has none then)."""


def spilled_pages(
    spill: Spill,
    config: SiteConfig,
    cache: BuildCache,
    workers: int | None,
    lock: int | None,
    early: ProcessPoolExecutor | None,
) -> tuple[list[Page], CachedContent]:
    """The pages of every feed (`Spill.plans`), and what made their content: the feeds in full
    with their entries, read back from `spill` (at 100,000 articles, the head feeds' 1,300 of
    100,000) and their content made; the others with where their entries are."""
    pages: list[Page | None] = []
    full: list[tuple[int, Feed, list[Where], str]] = []
    planned: list[Feed] = []
    for feed, members in spill.plans(config):
        planned.append(feed)
        fingerprint = plan_fingerprint(feed, [member.mark for member in members])
        if feed.full_content:
            full.append((len(pages), feed, members, fingerprint))
            pages.append(None)
        else:
            pages.append(Page(feed, fingerprint, (str(spill.path), spans(members))))
    refuse_shared_files(planned)
    del planned
    wanted = {member.key: member for _, _, members, _ in full for member in members}
    whole: dict[str, Entry] = {}
    fingerprints: dict[str, str] = {}
    for key, (entry, fingerprint) in zip(wanted, spill.fingerprinted(wanted.values()), strict=True):
        whole[key], fingerprints[key] = entry, fingerprint
    content = CachedContent(config, fingerprints, cache.contents, workers, lock, early)
    feeds = [replace(feed, entries=tuple(whole[m.key] for m in members)) for _, feed, members, _ in full]
    for (at, _, _, fingerprint), feed in zip(full, with_content(feeds, content), strict=True):
        pages[at] = Page(feed, fingerprint)
    return [page for page in pages if page is not None], content


def _stage_feeds(
    staging: Staging,
    pages: Sequence[Page],
    config: SiteConfig,
    cache: BuildCache,
    progress: Progress | None,
    workers: int | None,
    lock: int | None,
    meanwhile: Meanwhile | None = None,
    early: ProcessPoolExecutor | None = None,
) -> tuple[dict[str, OutputState], list[Problem]]:
    """Stage every feed file whose feed changed (rendered, checked), keep the others, and the listings.

    Gives each output file's state for the next build, and the size warnings. `meanwhile`
    is done while the feeds are rendered (see `stage_rendered`).
    """
    outputs: dict[str, OutputState] = {}
    jobs: list[RenderJob] = []
    for page in pages:
        feed, fingerprint = page.feed, page.fingerprint
        for fmt in FORMATS:
            path = feed.files.path(fmt)
            if unchanged_output(config.output_dir, path, cache.outputs.get(path), fingerprint):
                staging.keep(path)
                outputs[path] = cache.outputs[path]
            else:
                jobs.append(RenderJob(feed, fmt, page.spilled))
                outputs[path] = OutputState(fingerprint, 0, 0)
    warnings = stage_rendered(staging, config, jobs, progress, workers, lock, meanwhile, early)
    for path, data in render_listings([page.feed for page in pages], config).items():
        staging.offer(path, data)
    return outputs, warnings


def stage_rendered(
    staging: Staging,
    config: SiteConfig,
    jobs: Sequence[RenderJob],
    progress: Progress | None,
    workers: int | None,
    lock: int | None,
    meanwhile: Meanwhile | None = None,
    early: ProcessPoolExecutor | None = None,
) -> list[Problem]:
    """Render each (feed, format), check it and stage it for `staging`; gives the size warnings.

    `meanwhile` is done while worker processes render, in a thread of this process (else
    first): a build from scratch saves its state so, instead of after the feeds. `early`:
    render workers forked before (`early_render_pool`), shut down once they have rendered.
    """
    warnings: list[Problem] = []
    # The feeds in full first: a worker keeps the elements of the entries they share only
    # until it meets the others (`_rendered_in_worker`).
    jobs = sorted(jobs, key=lambda job: not job.feed.full_content)
    rendered = _render_all(jobs, config.output_dir, workers, lock, meanwhile, early)
    for done, staged in enumerate(rendered):
        if progress is not None and done % 16 == 0:
            progress("rendering", done, len(jobs))
        warnings += _size_warnings(config, staged.relative, staged.size)
        staging.adopt(staged)
    return warnings


def _save_settled(
    state: State,
    settled: Prepared,
    spill: Spill,
    contents: dict[str, str],
    heads: Sequence[Feed],
) -> None:
    """What this build from scratch settled, for the next build to start from (the files are
    stored as they are gathered; the outputs once written, by `_save_outputs`).

    The entries are in already, put as they were spilled; their topics' rows are copied from
    the spill's, in the table's order; the registry's records too where the settling kept them."""
    spill.save_members()
    state.put_settled(
        settled.pending,
        settled.registry.records.items(),  # none where they were sent to the state as settled
        contents,
        heads,
    )


def _save_outputs(
    state: State,
    config: SiteConfig,
    scanned: Scan,
    settled: Prepared,
    outputs: Mapping[str, OutputState],
    registry_rewritten: bool,
    registry_hash: str | None = None,
) -> None:
    """The output files as this build left them; the state is then complete.

    `registry_hash`: the registry file's, where this build staged it."""
    settled_outputs = {path: settled_output(config.output_dir, path, s) for path, s in outputs.items()}
    settled_outputs.update(
        (path, settled_output(config.output_dir, path, OutputState("", 0, 0))) for path in LISTING_FILES
    )
    state.complete_replace(settled_outputs)
    state.finish(
        config,
        scanned.folders,
        settle_problems=len(settled.problems),
        registry_canonical=registry_rewritten,
        registry_hash=registry_hash,
    )


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


class RenderJob(NamedTuple):
    """One feed to render in one format."""

    feed: Feed
    fmt: FeedFormat
    spilled: tuple[str, Spans] | None = None
    """Where the feed's entries are, when they are in a spill file (`feed` has none then)."""

    def whole(self, read: Callable[[str, Spans], tuple[Entry, ...]] = read_spilled) -> Feed:
        """The feed, with its entries (read back from the spill file by `read`, where they are there)."""
        if self.spilled is None:
            return self.feed
        return replace(self.feed, entries=read(*self.spilled))


def page_reader() -> Callable[[str, Spans], tuple[Entry, ...]]:
    """`read_spilled` for a run of jobs: the formats of a page follow each other, and read its
    entries once, not once each. At 100,000 articles the spill's reading (unpickling, mostly)
    was a seventh of the archive pages' rendering, read three times a page."""
    return functools.lru_cache(maxsize=1)(read_spilled)


_RENDERING: Sequence[RenderJob] = ()
"""The jobs a pool of forked workers renders: inherited at the fork, not pickled to each."""


def _render_all(
    jobs: Sequence[RenderJob],
    output_dir: Path,
    workers: int | None,
    lock: int | None = None,
    meanwhile: Meanwhile | None = None,
    early: ProcessPoolExecutor | None = None,
) -> Iterator[StagedFile]:
    """Each job's feed in its format, rendered, checked and staged in `output_dir`, in order; in
    worker processes if many (each stages what it renders: see `stage_bytes`).

    Whatever stops the caller before it adopted a staged file, the files staged and not yet
    given to it are removed (those of chunks in flight too: they are waited for).

    `meanwhile` runs in a thread while the workers render, started once they are forked
    (a fork copies only the thread that makes it); without workers, it is done first, unless
    it mostly `waits` (then its thread runs while this process renders). `early`: workers
    forked before this process grew (`early_render_pool`), sent each chunk of jobs.
    """
    global _RENDERING
    count = workers or _cpus()
    if count == 1 or (len(jobs) < RENDER_PARALLEL_FROM and workers is None):
        with _Beside(meanwhile if meanwhile is not None and meanwhile.waits else None) as beside:
            beside.start()
            if meanwhile is not None and not meanwhile.waits:
                meanwhile.run()
            read = page_reader()
            for job in jobs:
                yield stage_bytes(output_dir, *render_checked(job.whole(read), job.fmt))
            beside.join()
        return
    _RENDERING = jobs if early is None else ()
    try:
        with early or _pool(count, lock) as pool, _Beside(meanwhile) as beside:
            chunks = iter(render_chunks(jobs, count))

            def submit(chunk: range) -> Future[list[StagedFile]]:
                if early is None:
                    return pool.submit(_render_jobs, chunk.start, chunk.stop, output_dir)
                sent = [tuple(job) for job in jobs[chunk.start : chunk.stop]]  # plain values, to unpickle
                return pool.submit(_render_sent, pickled(sent), output_dir)

            # A few chunks per worker in flight, not every job at once.
            pending = deque(submit(chunk) for chunk in islice(chunks, 3 * count))
            beside.start()  # the first submission forked every worker
            given: deque[StagedFile] = deque()
            try:
                while pending:
                    given.extend(pending.popleft().result())
                    if (chunk := next(chunks, None)) is not None:
                        pending.append(submit(chunk))
                    while given:
                        yield given.popleft()
            except BaseException:
                discard_staged(given)
                _discard_pending(pending)
                raise
            beside.join()
    finally:
        _RENDERING = ()


FULL_CHUNK = 128
"""At most this many jobs of feeds in full go to one worker at once (see `render_chunks`)."""
FULL_SHARE = 2
"""About how many other jobs take a worker as long as one job of a feed in full (a head feed's 50
entries with their content, against an archive page's summaries: 3.6 ms and 1.8 ms a format at
10,000 articles, each entry made afresh)."""


def render_chunks(jobs: Sequence[RenderJob], workers: int) -> list[range]:
    """The chunks of `jobs` that workers render, each a range of their indexes, in order.

    The feeds in full come first (`stage_rendered`) and share most of their entries, whose
    elements a worker makes once and keeps (`forget_shared`). Where the other jobs are enough
    to keep the other workers busy meanwhile, the feeds in full go in chunks of up to
    `FULL_CHUNK` jobs, so that a site's head feeds are one worker's, not made again and kept by
    every worker (at 100,000 articles, 20 to 25 MB in each, at the build's peak); else (a small
    site, mostly head feeds: at 1,000 articles one worker took 0.3 s longer) they are shared
    out among the workers. The other jobs go in chunks of up to 16, a few per worker at least.
    """
    full = next((at for at, job in enumerate(jobs) if not job.feed.full_content), len(jobs))
    alone = len(jobs) - full >= FULL_SHARE * full * (workers - 1)
    full_size = FULL_CHUNK if alone else max(1, min(FULL_CHUNK, -(-full // workers)))
    size = max(1, min(16, len(jobs) // (workers * 8)))
    chunks = [range(start, min(start + full_size, full)) for start in range(0, full, full_size)]
    return chunks + [range(start, min(start + size, len(jobs))) for start in range(full, len(jobs), size)]


EARLY_RENDER_FROM = 5_000
"""From this many article files, a build from scratch forks its workers before it reads
(at 10,000 articles its processes peaked at 241-249 MB so, 307-311 MB with the render workers
forked late, in no more time; below, the workers would start for a render too short to need them)."""


def forked_workers(workers: int | None, lock: int | None) -> ProcessPoolExecutor | None:
    """The build's workers forked now, idle (for `early_render_pool`); None with one CPU."""
    count = workers or _cpus()
    if count < 2:
        return None
    pool = _pool(count, lock)
    for _ in range(count):  # the first submission forks every worker
        pool.submit(os.getpid)
    return pool


def early_render_pool(
    config: SiteConfig,
    files: int,
    workers: int | None,
    lock: int | None,
    forked: ProcessPoolExecutor | None = None,
) -> ProcessPoolExecutor | None:
    """The build's workers, forked before this process holds the site's entries (`forked`, where
    they were forked before the walk: `forked_workers`; else now); None for a small site (or one
    worker; `forked` is then shut down). They read the articles, make the head feeds' content and
    render every feed: the build forks no others.

    A forked worker maps every page of the process it is forked from. At 100,000 articles,
    this process holds every entry when the feeds are rendered (335 MB), and two workers
    forked then counted 636 MB more. Forked at the start, they are sent the feeds they
    render instead (a chunk of jobs pickled: 0.14 ms a page of 50 entries), load the readers
    and renderers at once (`feeds.watch.preload`), and count 100 to 160 MB together: the
    build's processes peaked at 543 MB, not 1,028 MB. The two that read the articles were
    forked apart, once the scan was held (85 MB), and counted 165 MB more while they read
    (485 MB in all then, 320 MB with these reading).
    """
    count = workers or _cpus()
    if count < 2 or files < EARLY_RENDER_FROM:
        if forked is not None:
            forked.shutdown(wait=False, cancel_futures=True)
        return None
    from feeds.watch import preload  # it builds on this module

    pool = _pool(count, lock) if forked is None else forked
    for _ in range(count):  # the first submission forks every worker (unless they were)
        pool.submit(preload, config)
    return pool


def _render_sent(jobs: bytes, output_dir: Path) -> list[StagedFile]:
    """A chunk of jobs sent to a worker (`pickled`), rendered and staged."""
    return _rendered_in_worker([RenderJob(*job) for job in unpickle(jobs)], output_dir)


def _discard_pending(pending: Iterable[Future[list[StagedFile]]]) -> None:
    """The chunks of a render that failed: those not started are cancelled, the others waited
    for, and what they staged removed."""
    for future in pending:
        if not future.cancel():
            with contextlib.suppress(Exception):  # its failure is not the one reported
                discard_staged(future.result())


@dataclass(frozen=True, slots=True)
class Meanwhile:
    """Work done while worker processes render the feeds (`stage_rendered`)."""

    run: Callable[[], None]
    stop: Callable[[], None]
    """Asked, if the build fails meanwhile, to end `run` soon (which then raises; that is ignored)."""
    waits: bool = False
    """Whether `run` mostly waits for the disk, not the CPU: then it is worth a thread even when
    this process renders alone."""


class _Beside:
    """`work` in a thread of its own, joined (its error raised here) before the block ends.

    Left by an error (a feed that fails its checks, Ctrl-C), the block stops the work
    (asking again until its thread ends), then raises the block's error.
    """

    def __init__(self, work: Meanwhile | None) -> None:
        self._work = work
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def __enter__(self) -> _Beside:
        return self

    def start(self) -> None:
        if self._work is not None and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="feeds-meanwhile", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        assert self._work is not None
        try:
            self._work.run()
        except BaseException as exc:  # given to the thread that joins
            self._error = exc

    def join(self) -> None:
        if self._thread is None:
            return
        self._thread.join()
        self._thread, self._work = None, None
        if self._error is not None:
            raise self._error

    def __exit__(self, *exc_info: object) -> None:
        if self._thread is not None and self._work is not None:
            while self._thread.is_alive():
                self._work.stop()
                self._thread.join(0.05)
            self._thread = None


class StagedRegistry:
    """The registry file's new bytes made and staged (synced) in a thread while the feeds render,
    and put in place once they all are, before any feed is (`commit`); else removed.

    At 100,000 articles, that is 25 MB written and synced: a quarter of a watched rebuild,
    spent waiting for the disk, where the feeds keep the CPU busy. `make` gives the bytes,
    whole or in pieces (a build from scratch writes them as they come from the state).
    """

    def __init__(self, path: Path, make: Callable[[], bytes | Iterable[bytes | memoryview]]) -> None:
        self.path = path
        self._make = make
        self._staged: Path | None = None
        self._closed = False
        self._lock = threading.Lock()
        self.hash: str | None = None
        """The new file's hash (`registry_hasher`), once staged."""
        self.meanwhile = Meanwhile(self.stage, stop=_wait, waits=True)

    def stage(self) -> None:
        data, hashing = self._make(), registry_hasher()
        if isinstance(data, bytes):  # whole: compared with the file before anything is written
            hashing.update(data)
            staged = stage_file(self.path, data)
        else:
            staged = stage_file(self.path, _hashed(data, hashing))
        known = hashing.hexdigest()
        with self._lock:
            if not self._closed:
                self._staged, self.hash = staged, known
                return
        if staged is not None:  # the build ended meanwhile (it failed)
            _remove(staged)

    def commit(self) -> bool:
        """Put the staged file in place; whether the file changed."""
        with self._lock:
            staged, self._staged = self._staged, None
        if staged is None:
            return False
        commit_file(staged, self.path)
        return True

    def __enter__(self) -> StagedRegistry:
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._closed = True
            staged, self._staged = self._staged, None
        if staged is not None:
            _remove(staged)


def _hashed(pieces: Iterable[bytes | memoryview], hashing: Any) -> Iterator[bytes | memoryview]:
    for piece in pieces:
        hashing.update(piece)
        yield piece


def _wait() -> None:
    """A file being written is not stopped half way: it is waited for."""


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _render_jobs(start: int, stop: int, output_dir: Path) -> list[StagedFile]:
    return _rendered_in_worker(_RENDERING[start:stop], output_dir)


def _rendered_in_worker(jobs: Iterable[RenderJob], output_dir: Path) -> list[StagedFile]:
    """`render_checked` of each job, staged in `output_dir` (`stage_bytes`), in a worker process.

    Past the feeds in full (`stage_rendered` gives them first), the renderers' memo of their
    shared entries is let go, and after each chunk the heap's free memory is given back: at
    100,000 articles each worker held 25 MB more with the head feeds rendered last, at the end
    of the build, when its own process peaks too, and 15 MB more through the archive pages
    with the heap given back only once. Giving it back costs about 1.5 ms a chunk (at 10,000
    articles, 30-35 ms in each worker's 2 s of rendering).
    """
    staged: list[StagedFile] = []
    read = page_reader()
    try:
        for job in jobs:
            if not job.feed.full_content:
                forget_shared()
            staged.append(stage_bytes(output_dir, *render_checked(job.whole(read), job.fmt)))
    except BaseException:
        discard_staged(staged)
        raise
    give_back()
    return staged


T = TypeVar("T")


class Stored(Sequence[T]):
    """A sequence loaded when first used (its length may be known before): what a build that
    wrote its state gives of its entries and feeds, read from the state if asked."""

    def __init__(self, length: int | None, load: Callable[[], Sequence[T]]) -> None:
        self._length = length
        self._load = load
        self._items: tuple[T, ...] | None = None

    def _all(self) -> tuple[T, ...]:
        if self._items is None:
            self._items = tuple(self._load())
        return self._items

    def __len__(self) -> int:
        return self._length if self._length is not None else len(self._all())

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...
    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        return self._all()[index]

    def __iter__(self) -> Iterator[T]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and self._all() == tuple(other)

    __hash__ = None  # type: ignore[assignment]


def stored_entries(path: Path) -> tuple[Entry, ...]:
    """The entries in the state at `path`, as its build left them."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return tuple(unpickle(blob) for (blob,) in db.execute("SELECT entry FROM entries ORDER BY file, key"))
    finally:
        db.close()


def stored_feeds(path: Path, config: SiteConfig) -> tuple[Feed, ...]:
    """The feeds of the entries in the state at `path` (their entries without content)."""
    return select_feeds(stored_entries(path), config)


class OutputFiles(Mapping[str, bytes]):
    """The output files of a build that wrote them, read from the output folder when asked."""

    def __init__(self, output_dir: Path, paths: Iterable[str]) -> None:
        self._output_dir = output_dir
        self._paths = tuple(sorted(set(paths)))

    def __getitem__(self, path: str) -> bytes:
        if path not in self._paths:
            raise KeyError(path)
        return (self._output_dir / path).read_bytes()

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


# ----------------------------------------------------------------------------------------------
# Gathering: every article file's drafts, from the cache where the file is unchanged
# ----------------------------------------------------------------------------------------------

PARALLEL_FROM = 200
"""Fewer changed files than this are read in this process: starting workers costs more."""
SCAN_PARALLEL_FROM = 20_000
"""Fewer article files than this are asked their status in this process (each costs microseconds;
starting workers, some tens of milliseconds)."""
RENDER_PARALLEL_FROM = 32
"""Fewer feed files than this are rendered in this process (one takes about ten times as long as
reading an article: a full head feed of 50 entries, 5-10 ms)."""


Store = Callable[[str, FileDigest, bytes | None], None]
"""Takes a file's key, its digest, and the digest's stored form where already made (`pickled`)."""


@dataclass(frozen=True, slots=True)
class Gathered:
    drafts: tuple[Draft, ...]
    """Every article's, in path order; none where they were given to a `Settling` instead."""
    fingerprints: Mapping[str, str]
    """Each draft's fingerprint, by article key; none where the entries were spilled (the spill
    keeps each with its entry)."""
    problems: tuple[Problem, ...]
    unreadable: frozenset[str]
    articles: int


def gather(
    config: SiteConfig,
    cache: BuildCache,
    scanned: Sequence[FoundFile],
    problems: Sequence[Problem] = (),
    progress: Progress | None = None,
    workers: int | None = None,
    lock: int | None = None,
    store: Store | None = None,
    early: ProcessPoolExecutor | None = None,
    settling: Settling | None = None,
    spill: Spill | None = None,
    *,
    drop: bool = False,
) -> Gathered:
    """Every article's draft, in path order: unchanged files from `cache`, the others read (in parallel).

    A file whose status moved but whose bytes did not (`same_content`) keeps its digest.
    `store` is given each file's digest as it comes, in path order (and its stored form, if
    the worker that digested it made it); `settling` each draft, in place of `Gathered.drafts`,
    and `spill` each entry that settles (with its `entry_mark`). `early`: workers to read in
    (`early_render_pool`). `drop`: `scanned` is a list given away (`FolderFiles.take`), and each
    file in it is dropped once gathered, so that what the build keeps of each reuses its memory
    (at 100,000 articles the walk's files are 48 MB, allocated before the first file is read).
    With nothing in `cache`, every file is read as `scanned` gives it (`FolderFiles.stream`).
    """
    if cache.files:
        given = _known_or_read(config, cache, scanned, progress, workers, lock, early, drop)
    else:
        given = _all_read(config, scanned, progress, workers, lock, early)
    drafts: list[Draft] = []
    fingerprints: dict[str, str] = {}
    found_problems = list(problems)
    unreadable: set[str] = set()
    articles = 0
    for key, found, blob in given:
        if store is not None:
            store(key, found, blob)
        if settling is None:
            drafts += found.drafts
        else:
            for draft, fingerprint in zip(found.drafts, found.fingerprints, strict=True):
                if (made := settling.add(draft)) is not None and spill is not None:
                    spill.add(made[0], fingerprint, entry_mark(made[0], fingerprint))
        if spill is None:  # else the spill keeps each with its entry
            fingerprints.update((d.key, f) for d, f in zip(found.drafts, found.fingerprints, strict=True))
        found_problems += found.problems
        articles += found.articles
        if found.unreadable:
            unreadable.add(key)
    return Gathered(
        tuple(drafts),
        MappingProxyType(fingerprints),
        tuple(found_problems),
        frozenset(unreadable),
        articles,
    )


def _all_read(
    config: SiteConfig,
    scanned: Sequence[FoundFile],
    progress: Progress | None,
    workers: int | None,
    lock: int | None,
    early: ProcessPoolExecutor | None,
) -> Iterator[tuple[str, FileDigest, bytes | None]]:
    """`gather`'s files with nothing known of them: each read, in path order, and not held (a
    walk's are unpacked as they are read: `FolderFiles.stream`)."""
    files = scanned.stream() if isinstance(scanned, FolderFiles) else iter(scanned)
    reading, in_order = itertools.tee(files)  # the reading runs a few chunks ahead
    fresh = iter_digests(config, reading, progress, workers, lock, early, count=len(scanned))
    for file, (found, blob) in zip(in_order, fresh, strict=True):
        yield file.key, found, blob


def _known_or_read(
    config: SiteConfig,
    cache: BuildCache,
    scanned: Sequence[FoundFile],
    progress: Progress | None,
    workers: int | None,
    lock: int | None,
    early: ProcessPoolExecutor | None,
    drop: bool,
) -> Iterator[tuple[str, FileDigest, bytes | None]]:
    """`gather`'s files, each with its digest in path order: from `cache` where it is unchanged
    (or its bytes are: `same_contents`), else read (with its stored form, where a worker made it)."""
    todo: list[FoundFile] = []
    moved: list[tuple[FoundFile, FileDigest]] = []  # known files whose status moved
    for file in scanned:
        if (hit := cache.files.get(file.key)) is None:
            todo.append(file)
        elif hit.state != file.state:
            moved.append((file, hit))
    touched: dict[str, FileDigest] = {}
    kept = same_contents([(file, hit.state, hit.content) for file, hit in moved], workers, lock, early)
    for (file, hit), same in zip(moved, kept, strict=True):
        if same:
            touched[file.key] = replace(hit, state=file.state)
        else:
            todo.append(file)
    todo.sort()  # in path order, as they are gathered
    # `fresh` takes its files from `todo` a few chunks ahead of what it gives: a file given is
    # never asked for again, and may be dropped.
    fresh = iter_digests(config, todo, progress, workers, lock, early)
    given: list[Any] = cast("list[Any]", scanned) if drop else []
    read: list[Any] = todo
    coming = 0  # the index in `todo` of the next file that `fresh` gives
    for at, file in enumerate(scanned):
        key = file.key
        blob: bytes | None = None
        if coming < len(todo) and file is todo[coming]:
            found, blob = next(fresh)
            if drop:
                read[coming] = None
            coming += 1
        else:
            found = touched.get(key) or cache.files[key]
        if drop:
            given[at] = None
        yield key, found, blob


SAME_PARALLEL_FROM = 2_000
"""Fewer files whose status moved than this are read and hashed again in this process."""

Moved = tuple[FoundFile, FileState, str | None]
"""A file whose status moved: the file, the status it was read under, the hash of its bytes then."""


def _in_scan(files: Sequence[FoundFile], registry: Registry) -> Callable[[str], bool]:
    """Whether a registry key is of a file the scan found (its record taken for still there)."""
    keys = set(file_keys(files)) if registry.records else set()
    return lambda key: file_of(key) in keys


def same_contents(
    moved: Sequence[Moved],
    workers: int | None = None,
    lock: int | None = None,
    early: ProcessPoolExecutor | None = None,
) -> list[bool]:
    """`same_content` of each file whose status moved, in order: in worker processes when many
    (`early` ones where given).

    A fresh clone of a site gives every file a new mtime: each is read and hashed, and at
    100,000 files that is seconds of reading and hashing, which two cores halve.
    """
    with SameContents(workers, lock, early) as hashing:
        hashing.offer(moved)
        return [same for _, kept in hashing.results() for same in kept]


class SameContents:
    """`same_contents` of files offered a batch at a time, as a rebuild compares the folders with
    the state: the workers hash each batch while this process compares the next folder.

    Once `SAME_PARALLEL_FROM` files are offered, worker processes are forked (`early` ones used,
    where given), from this process as it is then, not later once it has grown: at 100,000
    touched articles, forked after the first folder rather than after all of them, they summed
    134 MB instead of 436 MB. From then on each batch goes to them as it is offered, in chunks.
    Until then, and with one CPU, the files wait, and are hashed here when `results` asks.
    """

    def __init__(
        self, workers: int | None, lock: int | None, early: ProcessPoolExecutor | None = None
    ) -> None:
        self._count = workers or _cpus()
        self._lock = lock
        self._pool = early
        self._own: ProcessPoolExecutor | None = None
        self._offered = 0
        self._waiting: list[Moved] = []
        self._sent: list[tuple[list[Moved], Future[list[bool]]]] = []

    def offer(self, moved: Sequence[Moved]) -> None:
        self._waiting += moved
        self._offered += len(moved)
        if self._count < 2 or self._offered < SAME_PARALLEL_FROM:
            return
        if self._pool is None:
            self._pool = self._own = _pool(self._count, self._lock)
        for at in range(0, len(self._waiting), SAME_CHUNK):
            chunk = self._waiting[at : at + SAME_CHUNK]
            # Plain tuples to the workers: named tuples are slow to pickle.
            plain = [((f.key, f.path, tuple(f.state), f.link), tuple(state), c) for f, state, c in chunk]
            self._sent.append((chunk, self._pool.submit(_same_contents, plain)))
        self._waiting = []

    def results(self) -> Iterator[tuple[list[Moved], list[bool]]]:
        """Each part of the files offered, with whether each holds the bytes it was read with,
        in the order offered, as each part is done (or, for those not sent, hashed here)."""
        for chunk, future in self._sent:
            yield chunk, future.result()
        if self._waiting:
            yield self._waiting, [same_content(*item) for item in self._waiting]

    def __enter__(self) -> SameContents:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._own is not None:  # `early` workers are their owner's to shut down
            self._own.shutdown(cancel_futures=True)
            self._own = None


SAME_CHUNK = 512
"""Files a worker hashes at a time (about 2 MB of the benchmark's articles): enough to keep the
cost of a task small, few enough that the first are hashed while the next folder is compared."""


def _same_contents(moved: Sequence[tuple[tuple[Any, ...], tuple[Any, ...], str | None]]) -> list[bool]:
    new = tuple.__new__
    prefetch(
        with_sidecars((path, status[2] is not None) for (_, path, status, link), _, _ in moved if not link)
    )
    return [
        same_content(
            new(FoundFile, (key, path, new(FileState, status), link)), new(FileState, state), content
        )
        for (key, path, status, link), state, content in moved
    ]


def digest_files(
    config: SiteConfig,
    files: Sequence[FoundFile],
    progress: Progress | None = None,
    workers: int | None = None,
    lock: int | None = None,
) -> list[FileDigest]:
    """Each file read and its articles digested, in order: in worker processes when there are many."""
    return [digest for digest, _ in iter_digests(config, files, progress, workers, lock)]


def iter_digests(
    config: SiteConfig,
    files: Sequence[FoundFile] | Iterator[FoundFile],
    progress: Progress | None = None,
    workers: int | None = None,
    lock: int | None = None,
    early: ProcessPoolExecutor | None = None,
    count: int | None = None,
) -> Iterator[tuple[FileDigest, bytes | None]]:
    """`digest_files` as they come; a worker process also gives each digest's stored form.
    `early`: the workers to read in, where a build from scratch forked them (`early_render_pool`).
    `files` may be an iterator of `count` files, taken a few chunks ahead of what is given.

    Made in the worker, the stored form (what the state keeps) costs the build's own process
    nothing but an unpickling, in place of the pickling it would otherwise do.
    """
    total = len(files) if count is None else count  # type: ignore[arg-type]
    coming = iter(files)
    cpus = workers or _cpus()
    if cpus > 1 and (total >= PARALLEL_FROM or workers is not None):
        chunk = max(1, min(256, total // (cpus * 8) or 1))
        done = 0
        with _pool_or(early, cpus, lock) as pool:

            def submitted() -> Future[list[bytes]] | None:
                batch = list(islice(coming, chunk))
                return pool.submit(_stored_digests, _jobs(config, batch)) if batch else None

            # A few chunks per worker in flight, each job made as its chunk is sent: at 100,000
            # files, making (and holding) every job up front took 40 MB.
            pending = deque(job for _ in range(3 * cpus) if (job := submitted()) is not None)
            while pending:
                blobs = pending.popleft().result()
                if (job := submitted()) is not None:
                    pending.append(job)
                for blob in blobs:
                    if progress is not None and done % 256 == 0:
                        progress("reading", done, total)
                    done += 1
                    yield unpickle(blob), blob
        return
    if progress is not None and total:
        progress("reading", 0, total)
    for file in coming:
        yield _digest_job(_job(config, file)), None


DigestJob = tuple[str, str, SiteConfig, FileState, bool]
"""One file to digest: its path, key, the site, its status, whether it may be a link."""


def _jobs(config: SiteConfig, files: Iterable[FoundFile]) -> list[DigestJob]:
    return [_job(config, file) for file in files]


def _job(config: SiteConfig, file: FoundFile) -> DigestJob:
    return (file.path, file.key, config, file.state, file.link)


def _pool(count: int, lock: int | None) -> ProcessPoolExecutor:
    """Worker processes, forked (they start at once, with the parent's data)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(
        max_workers=count,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_worker_start,
        initargs=(os.getpid(), lock),
    )


@contextlib.contextmanager
def _pool_or(
    early: ProcessPoolExecutor | None, count: int, lock: int | None
) -> Iterator[ProcessPoolExecutor]:
    """`early` workers, left running for their next job (their owner shuts them down), else a
    pool of `count` forked for the block."""
    if early is not None:
        yield early
        return
    with _pool(count, lock) as pool:
        yield pool


def _worker_start(parent: int, lock: int | None) -> None:
    """A worker neither holds the build's lock nor outlives its build.

    Forked, it shares the lock's open file: were the build killed, the worker (waiting
    for work that never comes) would hold the lock on, and every later build would wait.
    """
    if lock is not None:
        with contextlib.suppress(OSError):
            os.close(lock)
    if sys.platform == "linux":  # die with the parent (PR_SET_PDEATHSIG = 1)
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    if os.getppid() != parent:  # the build died before that took effect
        os._exit(1)


def _cpus() -> int:
    """CPUs this process may use (fewer than the machine's in a container or under taskset)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@functools.cache
def _resolved(folder: Path) -> Path:
    return folder.resolve()


def _stored_digests(jobs: Sequence[DigestJob]) -> list[bytes]:
    """The digests of a chunk of files, in their stored form (in a worker process)."""
    prefetch(with_sidecars((path, state.sidecar is not None) for path, _, _, state, link in jobs if not link))
    return [pickled(_digest_job(job)) for job in jobs]


def _digest_job(job: DigestJob) -> FileDigest:
    """Read one file and digest its articles (in a worker process, or in this one)."""
    path, key, config, state, link = job
    articles_dir = config.articles_dir
    read = read_file(
        Path(path),
        articles_dir,
        config.root,
        config.limits,
        _resolved(articles_dir),
        link=link,
        key=key,
        sidecar=state.sidecar is not None,  # the scan looked: a file with none is not asked again
    )
    drafts, problems, rejected = digest_all(read.articles, config)
    return FileDigest(
        state=state,
        drafts=tuple(drafts),
        fingerprints=tuple(_fingerprint(repr(draft)) for draft in drafts),
        problems=(*read.problems, *problems),
        unreadable=read.unreadable or bool(rejected),
        articles=len(read.articles),
        content=read.content,
    )


# ----------------------------------------------------------------------------------------------
# Content, only for the entries that full-content feeds carry; fingerprints of feeds
# ----------------------------------------------------------------------------------------------


def with_content(feeds: Sequence[Feed], content: Callable[[Sequence[Entry]], list[str]]) -> tuple[Feed, ...]:
    """`feeds` with content in the entries of full-content feeds (the others carry summaries).

    Content is the costly part of an entry, so it is made only for the entries that
    some feed publishes in full: the head feeds', not the archive pages'. `content` is
    asked once, for all of them (each once): it gives their content in the same order.
    """
    wanted: dict[str, Entry] = {}
    for feed in feeds:
        if feed.full_content:
            for entry in feed.entries:
                wanted.setdefault(entry.key, entry)
    made = content(list(wanted.values()))
    filled = {
        key: replace(entry, content_html=html)
        for (key, entry), html in zip(wanted.items(), made, strict=True)
    }
    return tuple(
        replace(feed, entries=tuple(filled[e.key] for e in feed.entries)) if feed.full_content else feed
        for feed in feeds
    )


CONTENT_PARALLEL_FROM = 64
"""Fewer article files than this are read again for content in this process."""


class CachedContent:
    """Content from the state where an entry's draft and URL are unchanged; else its file is read again.

    Files are read again in worker processes when there are many (a build from scratch reads
    the files of every head feed's entries: about 650 at 10,000 articles, 1 s in one process):
    in `early` ones where given (`early_render_pool`).
    """

    def __init__(
        self,
        config: SiteConfig,
        fingerprints: Mapping[str, str],
        known: Mapping[str, str],
        workers: int | None = None,
        lock: int | None = None,
        early: ProcessPoolExecutor | None = None,
    ) -> None:
        self._config = config
        self._fingerprints = fingerprints
        self._known = known
        self._workers = workers
        self._lock = lock
        self._early = early
        self.made: dict[str, str] = {}
        """Every content given out, by content key: what the next build's state keeps."""
        self.fresh: dict[str, str] = {}
        """The contents of `made` that were not known: what a rebuild adds to the state."""

    def __call__(self, entries: Sequence[Entry]) -> list[str]:
        keys = [content_key(entry, self._fingerprints) for entry in entries]
        found = {key: html for key in keys if (html := self._known.get(key)) is not None}
        missing: dict[str, list[tuple[str, Entry]]] = {}  # by file, in order
        for key, entry in zip(keys, entries, strict=True):
            if key not in found:
                missing.setdefault(file_of(entry.key), []).append((key, entry))
        jobs = [(self._config, file, [entry for _, entry in pairs]) for file, pairs in missing.items()]
        count = self._workers or _cpus()
        if jobs and count > 1 and (len(jobs) >= CONTENT_PARALLEL_FROM or self._workers is not None):
            chunks = max(1, len(jobs) // (count * 8))
            with _pool_or(self._early, count, self._lock) as pool:
                made = list(pool.map(_file_contents, jobs, chunksize=chunks))
        else:
            made = [_file_contents(job) for job in jobs]
        for pairs, htmls in zip(missing.values(), made, strict=True):
            fresh = {key: html for (key, _), html in zip(pairs, htmls, strict=True)}
            found.update(fresh)
            self.fresh.update(fresh)
        self.made.update((key, found[key]) for key in keys)
        return [found[key] for key in keys]


def _file_contents(job: tuple[SiteConfig, str, Sequence[Entry]]) -> list[str]:
    """The content of each entry of one article file, read again ("" if it changed under the build)."""
    config, file, entries = job
    read = read_file(config.articles_dir / file, config.articles_dir, config.root, config.limits)
    articles = {article.key: article for article in read.articles}
    return [
        "" if (article := articles.get(entry.key)) is None else content_of(article, entry)
        for entry in entries
    ]


def content_key(entry: Entry, fingerprints: Mapping[str, str]) -> str:
    return f"{fingerprints[entry.key]} {entry.url}"


def feed_fingerprint(feed: Feed, fingerprints: Mapping[str, str]) -> str:
    """A hash of everything a feed's files say: the feed's own fields, and each entry's draft and times."""
    return plan_fingerprint(
        replace(feed, entries=()), [entry_mark(e, fingerprints[e.key]) for e in feed.entries]
    )


def plan_fingerprint(feed: Feed, marks: Iterable[bytes]) -> str:
    """`feed_fingerprint` of `feed` (without its entries) and the `entry_mark` of each of its entries."""
    hashing = hashlib.blake2b(repr(feed).encode("utf-8", "surrogatepass"), digest_size=16)
    for mark in marks:
        hashing.update(mark)
    return hashing.hexdigest()


def entry_mark(entry: Entry, fingerprint: str) -> bytes:
    """What a feed's fingerprint takes of an entry: a hash of its draft's `fingerprint` and its
    identity and times (the rest of an entry follows from its draft and the site)."""
    text = f"{fingerprint} {entry.id} {entry.url} {entry.published!r} {entry.updated!r}"
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _fingerprint(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def unchanged_output(output_dir: Path, path: str, known: OutputState | None, fingerprint: str) -> bool:
    """Whether the file at `path` is what the last build wrote from a feed with this fingerprint."""
    if known is None or known.fingerprint != fingerprint:
        return False
    try:
        status = os.stat(f"{output_dir}/{path}")  # noqa: PTH116 (no Path: asked of every output file)
    except OSError:
        return False
    return (status.st_size, status.st_mtime_ns) == (known.size, known.mtime_ns)


def changed_outputs(output_dir: Path, paths: Iterable[str], outputs: Mapping[str, OutputState]) -> list[str]:
    """The `paths` whose files are not as the last build left them (`outputs`: size and mtime).

    Each looked up from the output folder, opened once, not along its whole path: at 100,000
    articles, the 6,129 output files took 26 ms so, 56 ms one by one (`unchanged_output`)."""
    changed: list[str] = []
    folder: int | None = None
    if os.stat in os.supports_dir_fd:
        with contextlib.suppress(OSError):
            folder = os.open(output_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        for path in paths:
            known = outputs.get(path)
            try:
                if known is None:
                    raise FileNotFoundError(path)
                if folder is not None:
                    status = os.stat(path, dir_fd=folder)
                else:
                    status = os.stat(f"{output_dir}/{path}")  # noqa: PTH116 (as `unchanged_output`)
            except OSError:
                changed.append(path)
                continue
            if (status.st_size, status.st_mtime_ns) != (known.size, known.mtime_ns):
                changed.append(path)
    finally:
        if folder is not None:
            os.close(folder)
    return changed


def settled_output(output_dir: Path, path: str, state: OutputState) -> OutputState:
    try:
        status = (output_dir / path).stat()
    except OSError:
        return OutputState("", 0, 0)
    return OutputState(state.fingerprint, status.st_size, status.st_mtime_ns)


def _build(
    config: SiteConfig, now: datetime, progress: Progress | None, *, advise: bool = False
) -> BuildResult:
    read = read_articles(config.articles_dir, config.root, config.limits, progress)
    registry = load_registry(config.registry_path)
    return build_site(
        read.articles, config, registry, now, read.problems, read.unreadable, progress, advise=advise
    )


def _size_warnings(config: SiteConfig, path: str, size: int) -> list[Problem]:
    if size <= config.max_feed_bytes:
        return []
    return [
        Problem(
            f"{config.output}/{path}",
            f"is {size:,} bytes, more than max_feed_bytes ({config.max_feed_bytes:,}); many readers "
            "refuse large feeds: lower feed_limit or summarise",
            severity="warning",
        )
    ]
