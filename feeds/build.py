"""The pipeline, end to end: read -> prepare -> select -> render -> check -> write.

`build_site` is the pure middle (articles and registry in, files out);
`run_build` adds the edges: reading the folder and the registry, the lock, writing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from feeds.check import check_feed
from feeds.config import SiteConfig
from feeds.errors import BuildError, Problem
from feeds.lint import lint
from feeds.model import FORMATS, Article, Entry, Feed
from feeds.prepare import prepare
from feeds.read import Progress, read_articles
from feeds.registry import Registry, dump_registry, load_registry
from feeds.render import render
from feeds.render.listing import HEAD_LINKS_FILE, OPML_FILE, render_head_links, render_opml
from feeds.render.page import INDEX_FILE, render_index
from feeds.select import select_feeds
from feeds.write import WriteReport, build_lock, remove_lock, write_file, write_files


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build produced, before (or without) writing it."""

    files: Mapping[str, bytes]
    """Output files by path relative to the output folder."""
    feeds: tuple[Feed, ...]
    entries: tuple[Entry, ...]
    registry: Registry
    problems: tuple[Problem, ...]
    articles: int
    """Articles read (a JSON file may hold several)."""
    held: int
    """Drafts and future-dated articles, not published yet."""

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
            feed.url(fmt)
            for feed in self.result.feeds
            if not feed.is_archive
            for fmt in FORMATS
            if feed.files.path(fmt) in changed
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
    prepared = prepare(articles, config, registry, now, unreadable)
    published = {entry.key for entry in prepared.entries}
    rejected = {problem.path for problem in prepared.problems}
    # Advice for what is published or waiting, not for articles already rejected.
    advice = (
        lint([a for a in articles if a.key in published or a.source not in rejected], config, now)
        if advise
        else []
    )
    feeds = select_feeds(prepared.entries, config)
    files: dict[str, bytes] = {}
    warnings: list[Problem] = []
    for done, feed in enumerate(feeds):
        if progress is not None:
            progress("rendering", done, len(feeds))
        for fmt in FORMATS:
            data = render(feed, fmt)
            path = feed.files.path(fmt)
            if failures := check_feed(fmt, data):
                raise BuildError(f"{path}: the rendered feed fails our checks: {'; '.join(failures)}")
            if len(data) > config.max_feed_bytes:
                warnings.append(_too_large(config, path, len(data)))
            files[path] = data
    files[OPML_FILE] = render_opml(feeds, config.title)
    files[HEAD_LINKS_FILE] = render_head_links(feeds[0])
    files[INDEX_FILE] = render_index(feeds, config.title, config.description or config.title, config.language)
    return BuildResult(
        files=MappingProxyType(files),
        feeds=feeds,
        entries=prepared.entries,
        registry=prepared.registry,
        problems=(*problems, *prepared.problems, *warnings, *advice),
        articles=len(articles),
        held=prepared.held,
    )


def run_build(
    config: SiteConfig,
    now: datetime,
    *,
    write: bool = True,
    strict: bool = False,
    on_wait: Callable[[], None] | None = None,
    progress: Progress | None = None,
) -> BuildOutcome:
    """Read the site, build it and (unless `write` is false) publish it atomically.

    Under `strict`, any rejected article means nothing is written. The registry is
    written before the feeds, so a crash in between never leaves feeds carrying ids
    the registry does not know.
    """
    if not config.articles_dir.is_dir():
        raise BuildError(f"{config.articles_dir}: no such folder of articles")
    if not write:
        return BuildOutcome(_build(config, now, progress, advise=True), None)
    created = not config.output_dir.exists()
    with build_lock(config.output_dir, on_wait):
        result = _build(config, now, progress)
        if not (strict and result.rejected):
            registry_written = write_file(config.registry_path, dump_registry(result.registry))
            return BuildOutcome(result, write_files(config.output_dir, result.files), registry_written)
    if created:  # "nothing written" means no output folder either, not one holding our lock
        remove_lock(config.output_dir)
    return BuildOutcome(result, None)


def _build(
    config: SiteConfig, now: datetime, progress: Progress | None, *, advise: bool = False
) -> BuildResult:
    read = read_articles(config.articles_dir, config.root, config.limits, progress)
    registry = load_registry(config.registry_path)
    return build_site(
        read.articles, config, registry, now, read.problems, read.unreadable, progress, advise=advise
    )


def _too_large(config: SiteConfig, path: str, size: int) -> Problem:
    return Problem(
        f"{config.output}/{path}",
        f"is {size:,} bytes, more than max_feed_bytes ({config.max_feed_bytes:,}); many readers refuse "
        "large feeds: lower feed_limit or summarise",
        severity="warning",
    )
