"""Rebuilding from the last build's state: only what changed is read, settled, selected and rendered.

A build from scratch (`feeds.build`) settles every article and selects every feed.
At 100,000 articles that is seconds of work for one new article, so a rebuild
starts instead from the state the last build left (`feeds.state`) and works on
the difference:

1. the files whose status changed (or that are gone, or hold an embargoed article
   that is now due) are digested again, and only their drafts are settled;
2. the state's entries, topics and registry mirror take the changes;
3. every head feed is selected again from the state (a few queries each), and of
   the archive pages only those the changes reach: an archive is cut from its
   oldest entry, so a new article changes the filling page only, an edited one its
   own page, and a removed or re-dated one its page and every newer page;
4. a feed whose fingerprint is what its files were rendered from is not rendered.

The result is the bytes a build from scratch gives (the tests compare both after
every kind of change). Where the difference is not local, `rebuild` declines and
the build is done from scratch: a changed registry file (a checkout), an earlier
build's problems across articles (a duplicate slug or id), an article that may
take over a removed one's identity (a move), or a clock that stamps where an
earlier build did.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar

from feeds.build import (
    LISTING_FILES,
    BuildOutcome,
    BuildResult,
    CachedContent,
    Moved,
    OutputFiles,
    RenderJob,
    SameContents,
    StagedRegistry,
    Stored,
    changed_outputs,
    digest_files,
    feed_fingerprint,
    render_listings,
    settled_output,
    stage_rendered,
    stored_entries,
    stored_feeds,
    unchanged_output,
    with_content,
)
from feeds.config import SiteConfig
from feeds.errors import Problem
from feeds.model import FORMATS, Entry, Feed, FeedFormat
from feeds.prepare import Draft, due, settle_changed
from feeds.read import (
    FoundFile,
    Progress,
    Scan,
    changed_in,
    file_of,
    file_position,
    folder_of,
    in_folder,
)
from feeds.registry import Record, Registry, StoredRecords, registry_file, registry_file_spliced
from feeds.select import (
    Topic,
    archive_page,
    archive_pages,
    archives,
    head_feed,
    ordered_topics,
    refuse_shared_files,
    site_topic,
)
from feeds.state import (
    OF_FILE,
    RECORD_COLUMNS,
    FileDigest,
    OutputState,
    State,
    entry_topics,
    file_state,
    pickled,
    record_of,
    unpickle,
)
from feeds.write import Staging, WriteReport

T = TypeVar("T")
SITE = ("site", "")
"""The site's own group of entries, as (kind, folded name)."""
TopicKey = tuple[str, str]


def rebuild(
    config: SiteConfig,
    now: datetime,
    state: State,
    scanned: Scan,
    strict: bool,
    progress: Progress | None,
    workers: int | None,
    lock: int | None,
) -> BuildOutcome | None:
    """The build, from the state of the last one; None where it must be done from scratch."""
    if not state.complete or state.meta("settle_problems") != 0:
        return None
    if not state.registry_unchanged(config.registry_path):
        return None
    relink = state.moved(config.articles_dir)
    if relink and not scanned.complete:  # every file that may be a link is to be read again
        return None
    with SameContents(workers, lock) as hashing:  # in workers, forked if many files prove touched
        found, removed = _changed_files(state, scanned, hashing.offer, relink=relink)
        changed = _absorb_touched(state, found, hashing)
    due = [file for (file,) in state.execute(_DUE, (now.timestamp(),))]
    if not changed and not removed and not due and (quiet := _quiet(config, state)) is not None:
        if found:  # only touched: the next build knows them by their new status
            state.set_folders(_folders_after(state, scanned))
        return quiet
    delta = _Delta(config, now, state, workers, lock)
    if not delta.read(changed, removed, due, progress):
        return None
    if strict and delta.rejected():
        return None
    delta.apply()
    outcome = delta.publish(progress)
    state.set_folders(_folders_after(state, scanned))
    return outcome


def _folders_after(state: State, scanned: Scan) -> dict[str, str]:
    """The folders' hashes for the next walk to compare with: the scan's; or, from a scan that
    knew only what changed (a watcher's, `scan_named`), the last walk's but those of the folders
    it changed, which the next walk compares file by file (a hash kept there would hide a file
    put back as it was)."""
    if scanned.changed is None:
        return scanned.folders
    touched = {folder_of(key) for key in scanned.changed}
    return {folder: hash_ for folder, hash_ in state.folders().items() if folder not in touched}


_DUE = "SELECT DISTINCT file FROM pending WHERE due IS NOT NULL AND due <= ? ORDER BY file"


def _changed_files(
    state: State, scanned: Scan, moved: Callable[[list[Moved]], None], *, relink: bool = False
) -> tuple[list[FoundFile], list[str]]:
    """The files new or changed since the last build, and the keys of those gone; `moved` is
    given, a folder at a time, those of the changed files that the last build read, with what it
    knew of each (`Moved`), for their bytes to be checked (`SameContents`).

    Only the folders whose hash moved are compared file by file. `relink`: the articles folder
    has moved since, so every file that may be a link is changed too (whether it leads inside
    the folder is judged where the folder is now).
    """
    if scanned.changed is not None and not relink:  # found by bisection: a watcher's scan is 100,000 files
        changed, removed = [], []
        for key in sorted(scanned.changed):
            at = file_position(scanned.files, key)
            if at < len(scanned.files) and scanned.files[at].key == key:
                changed.append(scanned.files[at])
            else:
                removed.append(key)
        moved(_known(state, changed))
        return changed, removed
    hashes = state.folders()
    folders = {f for f in hashes.keys() | scanned.folders.keys() if hashes.get(f) != scanned.folders.get(f)}
    if relink:
        folders |= hashes.keys()  # a folder new since has a hash of its own
    changed, removed = [], []
    for folder in sorted(folders):
        # What the state knows of the folder's own files, in the form the scan packs them: only
        # the files that differ are unpacked (at 100,000 articles, a new one and an edited one
        # in two folders of 12,500 were found in 0.075 s, against 0.11 s unpacking them all).
        inside = (folder, folder + "\U0010ffff", len(folder) + 1)
        statuses = {row[0]: row[1:5] for row in state.execute(_STATUSES, inside)}
        files, gone = changed_in(scanned.files, folder, statuses)
        known = [file for file in files if file.key in statuses]
        if len(known) < KNOWN_BY_FOLDER:
            moved(_known(state, known))
        else:  # a checkout: the folder's rows at once, not each file's
            rows = {row[0]: row for row in state.execute(_KNOWN_IN, inside)}
            moved([(file, file_state(*(row := rows[file.key])[1:5]), row[5]) for file in known])
        if relink:  # every file that may be a link is read again, not taken as touched (`_absorb_touched`)
            files = sorted({*files, *(file for file in in_folder(scanned.files, folder) if file.link)})
        changed += files
        removed += gone
    return sorted(changed), sorted(removed)


_INSIDE = "key >= ?1 AND key < ?2 AND instr(substr(key, ?3), '/') = 0"
"""The files directly in a folder (?1, and ?1 followed by the last code point); ?3 is one more
than the folder's length."""

_STATUSES = (
    f"SELECT key, size, mtime, ifnull(side_size, -1), ifnull(side_mtime, 0) FROM files WHERE {_INSIDE}"
)
"""The status of each file directly in a folder, packed as a scan packs it (`packed_state`)."""

_KNOWN = "SELECT size, mtime, side_size, side_mtime, content FROM files WHERE key = ?"
_KNOWN_IN = f"SELECT key, size, mtime, side_size, side_mtime, content FROM files WHERE {_INSIDE}"

KNOWN_BY_FOLDER = 64
"""From this many changed files in a folder that the last build read, what it knew of them is
asked in one query for the folder's files, not one per file (a checkout at 100,000 articles:
100,000 queries took 0.5 s)."""


def _known(state: State, files: Iterable[FoundFile]) -> list[Moved]:
    """Those of `files` that the last build read, with the status it read each under and the hash
    of its bytes then."""
    found: list[Moved] = []
    for file in files:
        row = state.execute(_KNOWN, (file.key,)).fetchone()
        if row is not None:
            found.append((file, file_state(*row[:4]), row[4]))
    return found


def _absorb_touched(state: State, changed: Sequence[FoundFile], hashing: SameContents) -> list[FoundFile]:
    """The changed files, less those whose bytes are what they were (as `hashing` was offered them).

    Those keep their digest, under their new status: a checkout that gives every file a
    new time (a fresh clone with the state restored) reads each file once, to hash it. Each
    part's statuses are stored as it is done, while the workers hash the next.
    """
    same: set[str] = set()
    for part, kept in hashing.results():
        files = [file for (file, _, _), unchanged in zip(part, kept, strict=True) if unchanged]
        state.touch((file.key, file.state) for file in files)
        same.update(file.key for file in files)
    return [file for file in changed if file.key not in same]


def _quiet(config: SiteConfig, state: State) -> BuildOutcome | None:
    """Nothing changed: the outcome, if every output file is as the last build left it."""
    outputs = _outputs(state)
    if changed_outputs(config.output_dir, outputs, outputs):
        return None
    written = WriteReport(changed=(), unchanged=tuple(sorted(outputs)))
    return BuildOutcome(_result(config, state, outputs, (), ()), written, False)


def _outputs(state: State) -> dict[str, OutputState]:
    return {
        path: OutputState(fp, size, mtime)
        for path, fp, size, mtime in state.execute("SELECT path, fp, size, mtime FROM outputs")
    }


def _result(
    config: SiteConfig,
    state: State,
    outputs: Mapping[str, OutputState],
    heads: tuple[Feed, ...],
    warnings: Sequence[Problem],
) -> BuildResult:
    troubled = sorted(
        state.execute(
            "SELECT key, digest FROM files INDEXED BY files_troubled JOIN digests USING (key) WHERE troubled"
        )
    )
    problems = [problem for _, digest in troubled for problem in unpickle(digest).problems]
    articles, published, held = state.counts()
    entries = Stored(published, functools.partial(stored_entries, state.path))
    return BuildResult(
        files=OutputFiles(config.output_dir, outputs),
        feeds=Stored(None, functools.partial(stored_feeds, state.path, config)),
        entries=entries,
        registry=Registry(StoredRecords(config.registry_path)),
        problems=(*problems, *warnings),
        articles=articles,
        held=held,
        heads=heads,
    )


# ----------------------------------------------------------------------------------------------
# The difference
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Placed:
    """Where an entry stands in one group: its order key, as the state sorts it."""

    pub: float
    id: str


class _Delta:
    """One rebuild's changes: read, settled, applied to the state, then published."""

    def __init__(
        self, config: SiteConfig, now: datetime, state: State, workers: int | None, lock: int | None
    ) -> None:
        self.config = config
        self.now = now
        self.state = state
        self.workers = workers
        self.lock = lock
        self.digests: dict[str, FileDigest | None] = {}
        """The new digest of each file in the difference (None: gone)."""
        self.settled: list[tuple[Entry, Record]] = []
        self.held: list[Draft] = []
        self.fingerprints: dict[str, str] = {}
        self.old: dict[str, tuple[_Placed, list[TopicKey], str, str]] = {}
        """Entries of the files in the difference before it: place, groups, fingerprint, URL."""

    @property
    def files(self) -> list[str]:
        return sorted(self.digests)

    def read(
        self,
        changed: Sequence[FoundFile],
        removed: Sequence[str],
        due: Sequence[str],
        progress: Progress | None,
    ) -> bool:
        """Digest and settle the files of the difference; False where that cannot be done here."""
        state = self.state
        fresh = digest_files(self.config, changed, progress, self.workers, self.lock)
        self.digests.update(zip((f.key for f in changed), fresh, strict=True))
        self.digests.update(dict.fromkeys(removed))
        for file in due:
            if file not in self.digests:
                self.digests[file] = state.digest(file)
        self.old_articles = sum(
            row[0]
            for file in self.digests
            for row in state.execute("SELECT articles FROM files WHERE key = ?", (file,))
        )
        drafts = [draft for file in self.files if (d := self.digests[file]) is not None for draft in d.drafts]
        for file in self.files:
            if (d := self.digests[file]) is not None:
                self.fingerprints.update(zip((draft.key for draft in d.drafts), d.fingerprints, strict=True))
        present = {draft.key for draft in drafts}
        records = self._records(present)
        if any(draft.key not in records and self._may_take_over(draft, present) for draft in drafts):
            return False
        self.settled, self.held, problems = settle_changed(
            self._in_stamping_order(drafts), self.config, records, _Taken(state), self.now
        )
        if problems or not self._unique():
            return False
        self._remember_old()
        return True

    def _in_stamping_order(self, drafts: Sequence[Draft]) -> list[Draft | tuple[datetime, datetime]]:
        """The drafts, and the times of the other entries a build from scratch would step past.

        A build from scratch stamps what it sees first at `now`, the next a second before,
        and so on, stepping past a stamp that an entry shows (`settle`): an entry outside
        the difference that recent counts, in its place in path order. There are seldom
        any: the common case asks nothing (no entry is that recent); the next, an article
        saved twice within a second, finds its own old entry only.
        """
        state, files = self.state, set(self.digests)
        order = {draft.key: (file_of(draft.key), at) for at, draft in enumerate(drafts)}
        others: dict[str, tuple[tuple[str, int], tuple[datetime, datetime]]] = {}
        span = len(drafts)
        while (latest := state.meta("latest")) is not None and latest >= self._before(span):
            rows = state.execute(
                "SELECT key, file, entry FROM entries INDEXED BY entries_latest WHERE latest >= ?",
                (self._before(span),),
            )
            for key, file, blob in rows:
                if file not in files and key not in others:
                    entry: Entry = unpickle(blob)
                    others[key] = ((file, self._position(file, key)), (entry.published, entry.updated))
            if len(drafts) + len(others) <= span:
                break
            span = len(drafts) + len(others)  # each can push the stamps a second further back
        placed: list[tuple[tuple[str, int], Draft | tuple[datetime, datetime]]] = [
            (order[draft.key], draft) for draft in drafts
        ]
        placed += others.values()
        return [item for _, item in sorted(placed, key=lambda pair: pair[0])]

    def _before(self, seconds: int) -> float:
        return (self.now - timedelta(seconds=seconds)).timestamp()

    def _position(self, file: str, key: str) -> int:
        """Where an article stands among its file's, in the file's digest."""
        digest = self.state.digest(file)
        assert digest is not None  # an entry's file is in the state
        return [draft.key for draft in digest.drafts].index(key)

    def _records(self, keys: Container[str]) -> dict[str, Record]:
        records: dict[str, Record] = {}
        for file in self.files:
            for key, *row in self.state.execute(
                f"SELECT key, {RECORD_COLUMNS} FROM registry WHERE {OF_FILE}", (file,)
            ):
                if key in keys:
                    records[key] = record_of(*row)
        return records

    def _may_take_over(self, draft: Draft, present: Container[str]) -> bool:
        """Whether a build from scratch could give this new article the record of one gone (a move)."""
        files = set(self.digests)
        for (key,) in self.state.execute("SELECT key FROM registry WHERE hash = ?", (draft.hash,)):
            if key in present:
                continue
            file = file_of(key)
            if file in files or not self._stored(key):
                return True
        return False

    def _stored(self, key: str) -> bool:
        """Whether an article outside the difference is still there (published or held)."""
        state = self.state
        return bool(
            state.execute("SELECT 1 FROM entries WHERE key = ?", (key,)).fetchone()
            or state.execute("SELECT 1 FROM pending WHERE key = ?", (key,)).fetchone()
        )

    def _unique(self) -> bool:
        """Whether the settled entries' slugs and ids are their own, here and in the rest of the site."""
        files = set(self.digests)
        slugs = [entry.slug for entry, _ in self.settled]
        ids = [entry.id for entry, _ in self.settled]
        if len(set(slugs)) < len(slugs) or len(set(ids)) < len(ids):
            return False
        for column, values in (("slug", slugs), ("id", ids)):
            for value in values:
                for (file,) in self.state.execute(f"SELECT file FROM entries WHERE {column} = ?", (value,)):
                    if file not in files:
                        return False
        return True

    def _remember_old(self) -> None:
        kinds = self.state.kinds
        for file in self.files:
            for blob, fp in self.state.execute(f"SELECT entry, fp FROM entries WHERE {OF_FILE}", (file,)):
                entry: Entry = unpickle(blob)
                groups = [SITE, *((kind, folded) for kind, folded, _ in entry_topics(entry, kinds))]
                self.old[entry.key] = (_place(entry), groups, fp, entry.url)

    def rejected(self) -> bool:
        digests = [d for d in self.digests.values() if d is not None]
        troubled = self.state.execute("SELECT count(*) FROM files WHERE troubled").fetchone()[0]
        return troubled > 0 or any(p.severity == "error" for d in digests for p in d.problems)

    # ------------------------------------------------------------------------------------------

    def apply(self) -> None:
        """The state takes the difference; where each changed entry stood before is remembered."""
        state, files = self.state, self.files
        self.before = {group: self._positions(group, self._old_places(group)) for group in self._groups()}
        # Each old entry's topic rows, by their whole key (`_remember_old` read every entry of the
        # changed files): no index by entry is kept for this (at 100,000 articles, 87 MB).
        state.executemany(
            "DELETE FROM members WHERE kind = ? AND folded = ? AND pub = ? AND id = ? AND key = ?",
            (
                (*group, place.pub, place.id, key)
                for key, (place, groups, _, _) in self.old.items()
                for group in groups
                if group != SITE
            ),
        )
        for file in files:
            state.execute(f"DELETE FROM entries WHERE {OF_FILE}", (file,))
            state.execute(f"DELETE FROM pending WHERE {OF_FILE}", (file,))
            if (digest := self.digests[file]) is None:
                state.forget_file(file)
            else:
                state.put_file(file, digest)
        for _, _, fp, url in self.old.values():
            state.execute("DELETE FROM contents WHERE ckey = ?", (f"{fp} {url}",))
        state.put_entries((entry, self.fingerprints[entry.key]) for entry, _ in self.settled)
        state.executemany(
            "INSERT INTO pending VALUES (?, ?, ?)",
            ((draft.key, file_of(draft.key), due(draft)) for draft in self.held),
        )
        self.registry_changed = self._apply_records()
        for kind, folded in self._groups():
            if kind == "site":
                continue
            name, count = state.execute(
                "SELECT min(name), count(*) FROM members WHERE kind = ? AND folded = ?", (kind, folded)
            ).fetchone()
            state.execute("DELETE FROM topics WHERE kind = ? AND folded = ?", (kind, folded))
            if name is not None:
                state.execute("INSERT INTO topics VALUES (?, ?, ?, ?)", (kind, folded, name, count))
        articles = (
            state.counts()[0]
            + sum(digest.articles for digest in self.digests.values() if digest is not None)
            - self.old_articles
        )
        state.count(articles)
        latest = max((max(e.published, e.updated).timestamp() for e, _ in self.settled), default=None)
        if latest is not None:
            previous = state.meta("latest")
            state.set_meta("latest", latest if previous is None else max(previous, latest))

    def _apply_records(self) -> bool:
        """Records of the settled entries, and the gone ones retired; whether any changed."""
        state = self.state

        def lines() -> dict[str, str]:
            sql = f"SELECT key, line FROM registry WHERE {OF_FILE}"
            return dict(itertools.chain.from_iterable(state.execute(sql, (file,)) for file in self.files))

        before = lines()
        state.put_records((entry.key, record) for entry, record in self.settled)
        present = {entry.key for entry, _ in self.settled} | {draft.key for draft in self.held}
        gone = [file for file in self.files if (d := self.digests[file]) is None or not d.unreadable]
        for file in gone:
            rows = state.execute(
                f"SELECT key, {RECORD_COLUMNS} FROM registry WHERE {OF_FILE} AND retired IS NULL", (file,)
            ).fetchall()
            state.put_records(
                (key, replace(record_of(*row), retired=self.now)) for key, *row in rows if key not in present
            )
        after = lines()
        self.registry_lines: dict[str, str | None] = {
            key: after.get(key) for key in before.keys() | after.keys() if before.get(key) != after.get(key)
        }
        """The registry file's lines that change, by key (None: gone)."""
        return after != before

    def _groups(self) -> list[TopicKey]:
        """The site and every topic an entry of the difference is in, before or after it."""
        groups: dict[TopicKey, None] = {SITE: None}
        for _, old_groups, _, _ in self.old.values():
            groups.update(dict.fromkeys(old_groups))
        for entry, _ in self.settled:
            groups.update(
                dict.fromkeys((kind, folded) for kind, folded, _ in entry_topics(entry, self.state.kinds))
            )
        return list(groups)

    def _old_places(self, group: TopicKey) -> list[_Placed]:
        return [place for place, groups, _, _ in self.old.values() if group in groups]

    def _new_places(self, group: TopicKey) -> list[_Placed]:
        kinds = self.state.kinds
        return [
            _place(entry)
            for entry, _ in self.settled
            if group == SITE or group in [(k, f) for k, f, _ in entry_topics(entry, kinds)]
        ]

    def _positions(self, group: TopicKey, places: Sequence[_Placed]) -> tuple[int, list[int]]:
        """The group's size, and each place's index in it, oldest first."""
        return _count(self.state, group), [_older(self.state, group, place) for place in places]

    # ------------------------------------------------------------------------------------------

    def publish(self, progress: Progress | None) -> BuildOutcome:
        """Select, render and write what the difference reaches; keep every other file."""
        config, state = self.config, self.state
        heads, pages = self._feeds()
        outputs = self.outputs
        produced: dict[str, str] = {}
        jobs: list[tuple[Feed, FeedFormat]] = []
        for head in heads:
            if head.files.atom.removesuffix("atom.xml") in self.kept_heads:
                produced.update((path, outputs[path].fingerprint) for path in map(head.files.path, FORMATS))
        selected = [h for h in heads if h.files.atom.removesuffix("atom.xml") not in self.kept_heads]
        fingerprints = self._feed_fingerprints([*selected, *pages])
        for feed in [*selected, *pages]:
            fingerprint = fingerprints[id(feed)]
            for fmt in FORMATS:
                path = feed.files.path(fmt)
                produced[path] = fingerprint
                if not unchanged_output(config.output_dir, path, outputs.get(path), fingerprint):
                    jobs.append((feed, fmt))
        stored_pages = self._stored_pages(produced)
        for feed in self._missing_pages(stored_pages, outputs):
            fingerprint = self._feed_fingerprints([feed])[id(feed)]
            for fmt in FORMATS:
                produced[feed.files.path(fmt)] = fingerprint
                jobs.append((feed, fmt))
        for path in stored_pages:
            if path not in produced:
                produced[path] = outputs[path].fingerprint
        contents = _Lookup(state, "SELECT html FROM contents WHERE ckey = ?")
        content = CachedContent(
            config, _fingerprints(state, self.fingerprints), contents, self.workers, self.lock
        )
        unique = list({id(feed): feed for feed, _ in jobs}.values())
        filled = {id(old): new for old, new in zip(unique, with_content(unique, content), strict=True)}
        jobs = [(filled[id(feed)], fmt) for feed, fmt in jobs]
        rendered = {feed.files.path(fmt) for feed, fmt in jobs}
        registry = StagedRegistry(config.registry_path, self._registry) if self.registry_changed else None
        with Staging(config.output_dir) as staging, registry or contextlib.nullcontext():
            beside = None if registry is None else registry.meanwhile
            render = [RenderJob(feed, fmt) for feed, fmt in jobs]
            warnings = stage_rendered(staging, config, render, progress, self.workers, self.lock, beside)
            for path in produced:
                if path not in rendered:
                    staging.keep(path)
            listings_known = all(
                unchanged_output(config.output_dir, path, outputs.get(path), "") for path in LISTING_FILES
            )
            if jobs or not listings_known:  # the heads suffice: listings show no archive page
                for path, data in render_listings(heads, config).items():
                    staging.offer(path, data)
            else:
                for path in LISTING_FILES:
                    staging.keep(path)
            registry_written = registry is not None and registry.commit()  # before any feed
            written = staging.commit()
        settled = {
            path: settled_output(config.output_dir, path, OutputState(fp, 0, 0))
            if path in rendered or path not in outputs
            else outputs[path]
            for path, fp in [*produced.items(), *((path, "") for path in LISTING_FILES)]
        }
        state.executemany(
            "DELETE FROM outputs WHERE path = ?", ((path,) for path in outputs.keys() - settled)
        )
        state.put_outputs({path: known for path, known in settled.items() if outputs.get(path) != known})
        # Only the new ones: rewriting the 400 known contents of the heads was 370 pages to sync.
        state.executemany("INSERT OR REPLACE INTO contents VALUES (?, ?)", content.fresh.items())
        if registry is not None:
            state.remember_registry(config.registry_path, canonical=True, known_hash=registry.hash)
        return BuildOutcome(
            _result(config, state, settled, tuple(heads), warnings), written, registry_written
        )

    def _registry(self) -> bytes | Iterable[bytes]:
        """The registry file's new bytes: the old file with the changed lines spliced in, if it
        is as a build wrote it (so, at 100,000 articles, not 25 MB made again from the mirror,
        nor read whole: `registry_file_spliced`)."""
        if self.state.meta("registry_canonical") == 1:
            spliced = registry_file_spliced(self.config.registry_path, self.registry_lines)
            if spliced is not None:
                return spliced
        return registry_file(self.state.registry_lines())

    def _feeds(self) -> tuple[list[Feed], list[Feed]]:
        """Every head feed, and the archive pages the difference may have changed.

        The head of a topic the difference does not touch is the one the last build
        stored (without its entries: it is not rendered, only listed); the others are
        selected again, and stored for the next build.
        """
        config, state = self.config, self.state
        topics = [site_topic(config), *_topics(state, config)]
        refuse_shared_files([head_feed(topic, config, (), 0) for topic in topics])
        affected = set(self._groups())
        outputs = self.outputs = _outputs(state)
        """Every output file as the last build left it."""
        stored = dict(state.execute("SELECT folder, feed FROM heads").fetchall())
        heads: list[Feed] = []
        pages: list[Feed] = []
        self.page_counts: dict[str, int] = {}
        self.updated: dict[str, datetime] = {}
        """Each head feed's `updated`, by folder."""
        self.kept_heads: set[str] = set()
        for topic in topics:
            group = SITE if topic.kind == "site" else (topic.kind, topic.name.casefold())
            count = _count(state, group)
            archived = max(0, count - config.feed_limit) if archives(topic, config) else 0
            total = archive_pages(archived, config.archive_page_size)
            self.page_counts[topic.folder] = total
            if group not in affected and topic.folder in stored and self._intact(topic.folder, outputs):
                heads.append(unpickle(stored[topic.folder]))
                self.kept_heads.add(topic.folder)
                self.updated[topic.folder] = heads[-1].updated
                continue
            newest = _window(state, group, count - config.feed_limit, config.feed_limit, count)
            heads.append(head_feed(topic, config, newest, total))
            self.updated[topic.folder] = heads[-1].updated
            state.execute(
                "INSERT OR REPLACE INTO heads VALUES (?, ?)",
                (topic.folder, pickled(replace(heads[-1], entries=()))),
            )
            if total and group in affected:
                pages += self._pages(topic, group, count, archived, total, heads[-1].updated)
        return heads, pages

    def _intact(self, folder: str, outputs: Mapping[str, OutputState]) -> bool:
        """Whether a head feed's files are as the last build left them."""
        paths = [f"{folder}{_FILE_NAMES[fmt]}" for fmt in FORMATS]
        return not changed_outputs(self.config.output_dir, paths, outputs)

    def _pages(
        self, topic: Topic, group: TopicKey, count: int, archived: int, total: int, head_updated: datetime
    ) -> list[Feed]:
        """The archive pages of a group that the difference may have changed (see the module's notes)."""
        config, size = self.config, self.config.archive_page_size
        old_count, old_indexes = self.before[group]
        new_indexes = [_older(self.state, group, place) for place in self._new_places(group)]
        old_places = {(p.pub, p.id) for p in self._old_places(group)}
        new_places = {(p.pub, p.id) for p in self._new_places(group)}
        old_archived = max(0, old_count - config.feed_limit)
        moved = [
            index
            for index, place in zip(old_indexes, self._old_places(group), strict=True)
            if (place.pub, place.id) not in new_places
        ] + [
            index
            for index, place in zip(new_indexes, self._new_places(group), strict=True)
            if (place.pub, place.id) not in old_places
        ]
        if old_archived != archived:
            moved.append(min(old_archived, archived))
        numbers = {total - 1, total} - {0}
        numbers.update(index // size + 1 for index in new_indexes if index < archived)
        if moved:
            numbers.update(range(min(moved) // size + 1, total + 1))
        wanted = sorted(n for n in numbers if 1 <= n <= total)
        feeds: list[Feed] = []
        for number in wanted:
            entries = self._page_entries(group, number, count, archived)
            if feeds and feeds[-1].files.atom == f"{topic.folder}archive/{number - 1}/atom.xml":
                previous = feeds[-1].updated
            elif number > 1:
                previous = self._page(topic, group, number - 1, count, archived, total, head_updated).updated
            else:
                previous = head_updated
            feeds.append(archive_page(topic, config, number, total, entries, previous))
        return feeds

    def _page(
        self,
        topic: Topic,
        group: TopicKey,
        number: int,
        count: int,
        archived: int,
        total: int,
        head_updated: datetime,
    ) -> Feed:
        entries = self._page_entries(group, number, count, archived)
        previous = head_updated
        if not entries and number > 1:
            previous = self._page(topic, group, number - 1, count, archived, total, head_updated).updated
        return archive_page(topic, self.config, number, total, entries, previous)

    def _page_entries(self, group: TopicKey, number: int, count: int, archived: int) -> list[Entry]:
        """Archive page `number`'s entries, newest first, of a group of `count` with `archived` in pages."""
        size = self.config.archive_page_size
        start = (number - 1) * size
        return (
            _window(self.state, group, start, min(size, archived - start), count) if start < archived else []
        )

    def _stored_pages(self, produced: Mapping[str, str]) -> list[str]:
        """The archive files of this build that the difference did not reach: kept as they are."""
        paths = []
        for folder, total in self.page_counts.items():
            for number in range(1, total + 1):
                for fmt in FORMATS:
                    path = f"{folder}archive/{number}/{_FILE_NAMES[fmt]}"
                    if path not in produced:
                        paths.append(path)
        return paths

    def _missing_pages(self, paths: Sequence[str], outputs: Mapping[str, OutputState]) -> list[Feed]:
        """Pages not reached by the difference whose files are not as the last build left them."""
        config, state = self.config, self.state
        broken: dict[tuple[str, int], None] = {}
        for path in changed_outputs(config.output_dir, paths, outputs):
            folder, _, rest = path.partition("archive/")
            broken[(folder, int(rest.split("/", 1)[0]))] = None
        if not broken:
            return []
        topics = {topic.folder: topic for topic in [site_topic(config), *_topics(state, config)]}
        feeds = []
        for folder, number in broken:
            topic = topics[folder]
            group = SITE if topic.kind == "site" else (topic.kind, topic.name.casefold())
            count = _count(state, group)
            archived = max(0, count - config.feed_limit)
            total = self.page_counts[folder]
            feeds.append(self._page(topic, group, number, count, archived, total, self.updated[folder]))
        return feeds

    def _feed_fingerprints(self, feeds: Sequence[Feed]) -> dict[int, str]:
        fingerprints = _fingerprints(self.state, self.fingerprints)
        return {id(feed): feed_fingerprint(feed, fingerprints) for feed in feeds}


_FILE_NAMES: dict[FeedFormat, str] = {"rss": "rss.xml", "atom": "atom.xml", "json": "feed.json"}


def _place(entry: Entry) -> _Placed:
    return _Placed(entry.published.timestamp(), entry.id)


def _topics(state: State, config: SiteConfig) -> list[Topic]:
    rows = state.execute("SELECT kind, folded, name FROM topics")
    return ordered_topics((((kind, folded), name) for kind, folded, name in rows), config)


def _count(state: State, group: TopicKey) -> int:
    if group == SITE:
        return int(state.execute("SELECT count(*) FROM entries").fetchone()[0])
    row = state.execute("SELECT count FROM topics WHERE kind = ? AND folded = ?", group).fetchone()
    return 0 if row is None else int(row[0])


def _older(state: State, group: TopicKey, place: _Placed) -> int:
    """How many of the group's entries sort before `place`, oldest first: its index."""
    if group == SITE:
        table, where = "entries", ""
    else:
        table, where = "members", "kind = ?3 AND folded = ?4 AND "
    sql = (
        f"SELECT (SELECT count(*) FROM {table} WHERE {where}pub < ?1)"
        f" + (SELECT count(*) FROM {table} WHERE {where}pub = ?1 AND id > ?2)"
    )
    parameters = (place.pub, place.id) if group == SITE else (place.pub, place.id, *group)
    return int(state.execute(sql, parameters).fetchone()[0])


def _window(state: State, group: TopicKey, start: int, count: int, total: int) -> list[Entry]:
    """The group's entries at indexes `start` to `start + count` of `total` (oldest first), newest first.

    Asked from the nearer end of the order: an offset costs a walk of that many entries."""
    start = max(0, start)
    count = min(count, total - start)
    if count <= 0:
        return []
    newest_first = total - start - count < start
    order = "pub DESC, id" if newest_first else "pub, id DESC"
    offset = total - start - count if newest_first else start
    if group == SITE:
        sql = f"SELECT entry FROM entries ORDER BY {order} LIMIT ? OFFSET ?"
        rows = state.execute(sql, (count, offset)).fetchall()
    else:
        order = order.replace("pub", "m.pub").replace("id", "m.id")
        sql = (
            "SELECT e.entry FROM members AS m JOIN entries AS e ON e.key = m.key "
            f"WHERE m.kind = ? AND m.folded = ? ORDER BY {order} LIMIT ? OFFSET ?"
        )
        rows = state.execute(sql, (*group, count, offset)).fetchall()
    if not newest_first:
        rows.reverse()
    return [unpickle(blob) for (blob,) in rows]


class _Taken(Container[str]):
    """Every id the registry ever gave, asked of the state one at a time."""

    def __init__(self, state: State) -> None:
        self._state = state

    def __contains__(self, value: object) -> bool:
        return self._state.execute("SELECT 1 FROM registry WHERE id = ?", (value,)).fetchone() is not None


class _Lookup(Mapping[str, str]):
    """One value per key asked of the state (`sql` with one parameter), after those in `fresh`."""

    def __init__(self, state: State, sql: str, fresh: Mapping[str, str] | None = None) -> None:
        self._state = state
        self._sql = sql
        self._fresh = fresh or {}

    def __getitem__(self, key: str) -> str:
        if (found := self._fresh.get(key)) is not None:
            return found
        row = self._state.execute(self._sql, (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return str(row[0])

    def __iter__(self) -> Iterator[str]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


def _fingerprints(state: State, fresh: Mapping[str, str]) -> _Lookup:
    """Each entry's draft fingerprint: this build's, else the state's."""
    return _Lookup(state, "SELECT fp FROM entries WHERE key = ?", fresh)


# ----------------------------------------------------------------------------------------------
# What a rebuild's result holds without loading it: read from the state when asked
# ----------------------------------------------------------------------------------------------


__all__ = ["rebuild"]
