"""Incremental and parallel builds give the bytes of a build from scratch, and redo only what changed."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import feeds.build
import feeds.incremental
import feeds.state
import feeds.write
from feeds.build import run_build
from feeds.config import load_config
from feeds.prepare import _site_relative, _uri
from feeds.registry import Registry, dump_registry, load_registry
from feeds.state import STATE_FILE, open_state
from tests.conftest import NOW, make_entry, published_files, sqlite_disk_io_error

FIRST = datetime(2021, 3, 1, 9, 0, tzinfo=UTC)


def _site(folder: Path, count: int = 120, **keys: object) -> Path:
    """A site of `count` dated articles, three tags, two authors: enough for archive pages."""
    (folder / "articles").mkdir(parents=True)
    extra = "".join(f"{key} = {json.dumps(value)}\n" for key, value in keys.items())
    (folder / "feeds.toml").write_text(
        'title = "Desk"\nbase_url = "https://example.org/"\ntimezone = "Europe/Kyiv"\n'
        f"feed_limit = 20\narchive_page_size = 25\n{extra}",
        encoding="utf-8",
    )
    for number in range(count):
        _article(folder, number)
    return folder


def _article(site: Path, number: int, text: str = "") -> Path:
    path = site / "articles" / f"{number // 50}" / f"a{number:04}.md"
    path.parent.mkdir(exist_ok=True)
    published = (FIRST + timedelta(hours=7 * number)).isoformat()
    author = ["Ann", "Bo"][number % 2]
    path.write_text(
        f"---\ntitle: Article {number}\ndate: {published}\nauthor: {author}\ntags: [t{number % 3}]\n---\n\n"
        f"Opening paragraph of article {number}, with [a link](/about/).\n\nMore text. {text}\n",
        encoding="utf-8",
    )
    return path


def _build(site: Path, workers: int | None = None, now: datetime = NOW) -> feeds.build.BuildOutcome:
    return run_build(load_config(site / "feeds.toml"), now, workers=workers)


def _fresh_copy(site: Path, target: Path) -> Path:
    """The site's articles and registry, with no output and no cache: a build from scratch."""
    shutil.copytree(site, target, ignore=shutil.ignore_patterns("public", ".feeds-cache"))
    return target


def _counting_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the feed files rendered from now on, in the order rendered (in this process)."""
    rendered: list[str] = []
    real = feeds.build.render_checked

    def counting(feed: feeds.Feed, fmt: feeds.model.FeedFormat) -> tuple[str, bytes]:
        rendered.append(feed.files.path(fmt))
        return real(feed, fmt)

    monkeypatch.setattr(feeds.build, "render_checked", counting)
    return rendered


def _assert_as_from_scratch(site: Path, scratch: Path, now: datetime) -> None:
    """The site's files are those a build from scratch of a copy of its articles gives."""
    _build(_fresh_copy(site, scratch), now=now)
    assert published_files(site) == published_files(scratch)


def test_incremental_builds_give_the_bytes_of_a_build_from_scratch(tmp_path: Path) -> None:
    site = _site(tmp_path / "site")
    _build(site)
    _article(site, 120)  # one new article
    _article(site, 3, text="An edit.")  # one old article edited
    (site / "articles" / "1" / "a0077.md").unlink()  # one removed
    later = NOW + timedelta(hours=1)
    outcome = _build(site, now=later)
    assert outcome.written is not None and outcome.written.changed and outcome.written.unchanged
    _assert_as_from_scratch(site, tmp_path / "scratch", later)


def test_changes_within_the_second_of_the_last_are_rebuilt_from_the_difference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clock has whole seconds: an editor's second save, a revert, another article published
    in the second of the last build, all stamped as from scratch, without a build from scratch (at
    100,000 articles, 45 s instead of half a second)."""
    site = _site(tmp_path / "site")
    _build(site)
    later = NOW + timedelta(hours=1)
    _article(site, 3, text="An edit.")
    _build(site, now=later)  # stamps the edit `later`

    monkeypatch.setattr(feeds.build, "_full_build", _refused)
    for number, text in ((3, "Another edit."), (5, "A second article's edit."), (7, "A third's.")):
        _article(site, number, text=text)
        scratch = _fresh_copy(site, tmp_path / f"scratch-{number}")
        outcome = _build(site, now=later)  # the same second
        assert outcome.written is not None and outcome.written.changed
        with monkeypatch.context() as unpatched:
            unpatched.setattr(feeds.build, "_full_build", _FULL_BUILD)
            _build(scratch, now=later)
        assert published_files(site) == published_files(scratch), number
        registry = "feeds.registry.json"
        assert (site / registry).read_bytes() == (scratch / registry).read_bytes(), number


_FULL_BUILD = feeds.build._full_build


def test_parallel_and_serial_builds_give_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = _site(tmp_path / "serial")
    parallel = _site(tmp_path / "parallel")
    _build(serial, workers=1)
    _build(parallel, workers=2)  # a process pool, however few the files
    assert published_files(serial) == published_files(parallel)
    assert len(published_files(serial)) > 20
    # The digests the workers stored serve the next build from scratch as the others do.
    monkeypatch.setattr(feeds.incremental, "rebuild", lambda *args: None)
    later = NOW + timedelta(hours=1)
    for site in (serial, parallel):
        _article(site, 3, text="An edit.")
        assert _build(site, workers=1, now=later).written is not None
    assert published_files(serial) == published_files(parallel)


def test_workers_forked_before_the_articles_are_read_read_and_render_them_to_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At 100,000 articles they are forked so, not from a build process holding every entry,
    # and the build forks no others (two more, forked once the scan was held, counted 170 MB);
    # forked before the walk, as a build from scratch does, they do not hold it either.
    serial, early = _site(tmp_path / "serial"), _site(tmp_path / "early")
    _build(serial, workers=1)
    forked: list[object] = []
    sent: list[str] = []
    pools: list[object] = []
    real_pool = feeds.build._pool
    monkeypatch.setattr(
        feeds.build, "_pool", lambda count, lock: pools.append(count) or real_pool(count, lock)
    )

    real_scan = feeds.build.scan
    monkeypatch.setattr(feeds.build, "scan", lambda *args: pools.append("walk") or real_scan(*args))

    def spied(config: object, files: int, workers: int | None, lock: int | None, pre: object) -> object:
        pools.append("early")
        pool = _EARLY_RENDER_POOL(config, files, workers, lock, pre)  # type: ignore[arg-type]
        assert pool is not None
        submit, map_ = pool.submit, pool.map
        pool.submit = lambda fn, *args: (sent.append(getattr(fn, "__name__", "")), submit(fn, *args))[1]  # type: ignore[method-assign]
        pool.map = lambda fn, *args, **kw: (sent.append(fn.__name__), map_(fn, *args, **kw))[1]  # type: ignore[method-assign]
        forked.append(pool)
        return pool

    monkeypatch.setattr(feeds.build, "EARLY_RENDER_FROM", 0)
    monkeypatch.setattr(feeds.build, "early_render_pool", spied)
    _build(early, workers=2)
    assert published_files(early) == published_files(serial)
    assert len(forked) == 1 and forked[0]._shutdown_thread  # type: ignore[attr-defined]
    assert {"_stored_digests", "_render_sent", "_file_contents"} <= set(sent)  # read, render, content
    assert pools == [2, "walk", "early"]  # forked before the walk, and no others


_EARLY_RENDER_POOL = feeds.build.early_render_pool


def test_a_rebuild_with_no_change_renders_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(tmp_path / "site")
    _build(site)
    state = site / ".feeds-cache" / STATE_FILE
    state_bytes = state.read_bytes()
    rendered: list[str] = []
    real = feeds.build.render_checked
    monkeypatch.setattr(feeds.build, "render_checked", lambda f, fmt: rendered.append(fmt) or real(f, fmt))
    outcome = _build(site)
    assert rendered == []
    assert outcome.written is not None and outcome.written.changed == ()
    assert state.read_bytes() == state_bytes  # not even the state changes


@pytest.mark.parametrize("also_new", [False, True], ids=["nothing-else-changed", "with-a-new-article"])
def test_output_files_changed_by_hand_are_rendered_again_and_only_they(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, also_new: bool
) -> None:
    # An output file removed, one whose bytes were changed, one merely touched: a rebuild finds
    # each by its size and time (looked up from the output folder), with or without other changes;
    # the touched one is rendered to the same bytes, so not written.
    site = _site(tmp_path / "site")
    _build(site)
    public = site / "public"
    (public / "archive" / "2" / "atom.xml").unlink()
    (public / "archive" / "3" / "feed.json").write_text("{}", encoding="utf-8")
    _touch(public / "archive" / "1" / "rss.xml")
    rendered = _counting_renders(monkeypatch)
    if also_new:
        _article(site, 120)
    outcome = _build(site)
    assert outcome.written is not None
    by_hand = {"archive/2/atom.xml", "archive/3/feed.json", "archive/1/rss.xml"}
    assert by_hand <= set(rendered)
    assert not {"archive/4/atom.xml", "tags/t1/atom.xml"} & set(rendered)  # untouched, unchanged
    assert {"archive/2/atom.xml", "archive/3/feed.json"} <= set(outcome.written.changed)
    assert "archive/1/rss.xml" in outcome.written.unchanged
    _assert_as_from_scratch(site, tmp_path / "scratch", NOW)


def test_one_new_article_rerenders_only_the_feeds_it_is_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(tmp_path / "site")
    _build(site)
    rendered = _counting_renders(monkeypatch)
    _article(site, 120)  # tag t0, author Ann
    _build(site)
    folders = sorted({path.rsplit("/", 1)[0] if "/" in path else "" for path in rendered})
    # The site's head and its filling archive page; t0's and Ann's heads; nothing of t1, t2 or Bo.
    assert folders == ["", "archive/5", "authors/ann", "tags/t0"]


def test_a_new_article_adds_its_content_to_the_state_and_rewrites_no_other(tmp_path: Path) -> None:
    """The heads it is in are rendered again with the contents the state knows: those rows stay
    as they are (at 100,000 articles, rewriting them made the commit sync 370 pages)."""
    site = _site(tmp_path / "site")
    _build(site)
    with sqlite3.connect(site / ".feeds-cache" / STATE_FILE) as db:
        known = {key for (key,) in db.execute("SELECT ckey FROM contents")}
        db.executescript(
            "CREATE TABLE written(ckey TEXT);"
            "CREATE TRIGGER log AFTER INSERT ON contents BEGIN INSERT INTO written VALUES (new.ckey); END;"
        )
    _article(site, 120)
    _build(site)
    with sqlite3.connect(site / ".feeds-cache" / STATE_FILE) as db:
        written = [key for (key,) in db.execute("SELECT ckey FROM written")]
        now_known = {key for (key,) in db.execute("SELECT ckey FROM contents")}
    assert len(written) == 1 and written[0] not in known  # the new article's, once
    assert now_known == known | set(written)
    assert "Opening paragraph of article 120" in (site / "public" / "atom.xml").read_text()


def test_topic_rows_are_stored_topic_by_topic_in_the_tables_order() -> None:
    """Each entry's topics, once each with its smallest spelling, given in the table's key order
    (kind, folded name, then the feeds' order: oldest first, the greater id first within a
    second), whatever order the entries come in."""
    same_time = datetime(2022, 9, 4, 14, 5, tzinfo=UTC)
    entries = [
        make_entry(n, key=f"{n:03}.md", tags=tags, categories=cats, authors=authors, published=when)
        for n, tags, cats, authors, when in [
            (5, ("energy",), ("War",), (), None),  # newest, first in key order
            (1, ("Kyiv", "kyiv", "Energy"), ("War",), (feeds.model.Author("Ann"),), same_time),
            (2, ("energy",), (), (feeds.model.Author("Bo"), feeds.model.Author("Ann")), same_time),
            (3, (), ("War", "Economy"), (), None),
        ]
    ]
    published = [entry.published.timestamp() for entry in entries]
    rows = list(feeds.state._member_rows(entries, published, ("categories", "tags", "authors")))
    assert sorted(rows, key=lambda row: row[:2]) == rows  # topic by topic
    kyiv = ("tags", "kyiv", same_time.timestamp(), entries[1].id, "001.md", "Kyiv")
    assert kyiv in rows  # once, with the smaller spelling ("Kyiv" < "kyiv")
    assert len(rows) == 11
    # Within a topic: by time, and by id, greatest first, within one time (e2 > e1).
    assert [row[4] for row in rows if row[:2] == ("tags", "energy")] == ["002.md", "001.md", "005.md"]
    assert [row[4] for row in rows if row[:2] == ("categories", "war")] == ["003.md", "001.md", "005.md"]
    assert [row[4] for row in rows if row[:2] == ("authors", "ann")] == ["002.md", "001.md"]


def test_a_new_article_splices_its_line_into_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(tmp_path / "site")
    _build(site)
    registry = site / "feeds.registry.json"
    before = load_registry(registry).records

    def whole(state: feeds.state.State) -> list[str]:
        raise AssertionError("the registry was made again from all its records")

    monkeypatch.setattr(feeds.state.State, "registry_lines", whole)
    _article(site, 120)
    assert _build(site).registry_written
    after = load_registry(registry).records
    assert after.keys() - before.keys() == {"2/a0120.md"}
    assert registry.read_bytes() == dump_registry(Registry(after))


def test_a_registry_laid_out_by_hand_is_written_whole_when_it_next_changes(tmp_path: Path) -> None:
    """Its lines cannot be spliced: they are not the lines a build would write."""
    site = _site(tmp_path / "site")
    _build(site)
    registry = site / "feeds.registry.json"
    registry.write_bytes(registry.read_bytes().replace(b'", "', b'","'))  # the same records
    _build(site)  # the registry changed under the state: a build from scratch; no record changes
    assert b'","' in registry.read_bytes()
    _article(site, 120)
    assert _build(site).registry_written
    assert registry.read_bytes() == dump_registry(load_registry(registry))


def _touch(path: Path, seconds: int = 1) -> None:
    """A new modification time, the same bytes: what a checkout, a copy or `touch` does."""
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + seconds * 10**9))


def _unread(*args: object, **kwargs: object) -> None:
    raise AssertionError("an article file was read again")


def test_touched_files_are_hashed_not_read_again_and_change_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh clone with the state restored: every file has a new time and the same bytes."""
    site = _site(tmp_path / "site")
    _build(site)
    before = published_files(site)
    registry = (site / "feeds.registry.json").read_bytes()
    for path in (site / "articles").rglob("*.md"):
        _touch(path)
    with monkeypatch.context() as patched:
        patched.setattr(feeds.build, "read_file", _unread)
        outcome = _build(site)
    assert outcome.written is not None and outcome.written.changed == ()
    assert published_files(site) == before
    assert (site / "feeds.registry.json").read_bytes() == registry
    hashed: list[str] = []
    real = feeds.build.same_content
    monkeypatch.setattr(feeds.build, "same_content", lambda f, *a: hashed.append(f.key) or real(f, *a))
    _build(site)
    assert hashed == []  # the new times were kept: the next build knows the files by them
    monkeypatch.setattr(feeds.build, "same_content", lambda f, *a: hashed.append(f.key))
    monkeypatch.setattr(feeds.build, "read_file", _unread)
    monkeypatch.setattr(feeds.incremental, "rebuild", lambda *args: None)  # as when a rebuild declines
    _build(site)
    assert hashed == []  # ... and so does a build from scratch


def test_a_fresh_clone_with_the_cache_restored_reads_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI: the clone gives every article and the registry a new mtime; the CI cache gives back
    `.feeds-cache/` and `public/` as they were (with their mtimes), at the same path."""
    site = _site(tmp_path / "site")
    _build(site)
    before = published_files(site)
    kept = site.rename(tmp_path / "kept")
    shutil.copytree(
        kept, site, copy_function=shutil.copy, ignore=shutil.ignore_patterns("public", ".feeds-cache")
    )
    for restored in ("public", ".feeds-cache"):
        shutil.copytree(kept / restored, site / restored)  # copy2: mtimes kept, as a cache's tar does
    assert (site / "articles" / "0" / "a0001.md").stat().st_mtime_ns != (
        kept / "articles" / "0" / "a0001.md"
    ).stat().st_mtime_ns
    monkeypatch.setattr(feeds.build, "read_file", _unread)
    monkeypatch.setattr(feeds.build, "_full_build", _refused)  # the registry is known as the same
    outcome = _build(site)
    assert outcome.written is not None and outcome.written.changed == ()
    assert published_files(site) == before


def _refused(*args: object, **kwargs: object) -> None:
    raise AssertionError("built from scratch")


def test_a_clone_in_another_folder_with_the_cache_restored_reads_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same in another folder (a CI runner's second workspace, a site moved): the state
    holds paths inside the site folder, so it serves wherever the site is."""
    site = _site(tmp_path / "site")
    _build(site)
    before = published_files(site)
    clone = tmp_path / "workspace@2" / "site"
    shutil.copytree(
        site, clone, copy_function=shutil.copy, ignore=shutil.ignore_patterns("public", ".feeds-cache")
    )
    for restored in ("public", ".feeds-cache"):
        shutil.copytree(site / restored, clone / restored)
    monkeypatch.setattr(feeds.build, "read_file", _unread)
    monkeypatch.setattr(feeds.build, "_full_build", _refused)
    outcome = _build(clone)
    assert outcome.written is not None and outcome.written.changed == ()
    assert published_files(clone) == before


def test_links_are_judged_again_where_the_site_has_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link to an absolute path leads inside the articles folder in one place, outside it
    in a copy: its status (its target's) says nothing of that."""
    site = _site(tmp_path / "site", count=30)
    shared = site / "articles" / ".shared"  # hidden: not read as an article of its own
    shared.mkdir()
    (shared / "linked.md").write_text(
        "---\ntitle: Linked in\ndate: 2024-01-01T10:00:00Z\n---\n\nBody.\n", encoding="utf-8"
    )
    (site / "articles" / "linked.md").symlink_to(shared / "linked.md")
    _build(site)
    assert b"Linked in" in (site / "public" / "atom.xml").read_bytes()
    moved = tmp_path / "moved"
    shutil.copytree(site, moved, symlinks=True)  # the link still leads into the first folder
    scratch = tmp_path / "scratch"
    shutil.copytree(site, scratch, symlinks=True, ignore=shutil.ignore_patterns("public", ".feeds-cache"))
    monkeypatch.setattr(feeds.build, "_full_build", _refused)
    outcome = _build(moved)
    assert [str(problem) for problem in outcome.result.problems] == [
        "articles/linked.md: error: is a link to a file outside the articles folder; skipped"
    ]
    assert b"Linked in" not in (moved / "public" / "atom.xml").read_bytes()
    monkeypatch.undo()
    _build(scratch)
    assert published_files(moved) == published_files(scratch)


def test_an_edit_that_keeps_the_size_is_read_again(tmp_path: Path) -> None:
    site = _site(tmp_path / "site")
    _build(site)
    path = site / "articles" / "0" / "a0003.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Article 3", "Artikel 3"), encoding="utf-8")
    _touch(path)  # the same size, a later time
    later = NOW + timedelta(hours=1)
    _build(site, now=later)
    assert b"Artikel 3" in (site / "public" / "archive" / "1" / "atom.xml").read_bytes()
    _assert_as_from_scratch(site, tmp_path / "scratch", later)


def test_a_sidecar_edit_that_keeps_its_size_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(tmp_path / "site", count=30)
    text = site / "articles" / "story.txt"
    text.write_text("A plain story\n\nIts standfirst.\n\nIts body.\n", encoding="utf-8")
    sidecar = site / "articles" / "story.toml"
    sidecar.write_text('date = "2021-04-01T10:00:00Z"\n', encoding="utf-8")
    _build(site)
    sidecar.write_text('date = "2021-04-02T10:00:00Z"\n', encoding="utf-8")
    _touch(sidecar)
    _build(site)
    assert '"date_published": "2021-04-02T10:00:00+00:00"' in (site / "public" / "feed.json").read_text()
    _touch(text)  # only a new time: not read again
    monkeypatch.setattr(feeds.build, "read_file", _unread)
    outcome = _build(site)
    assert outcome.written is not None and outcome.written.changed == ()


def test_a_build_from_scratch_keeps_the_digests_of_touched_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(tmp_path / "site")
    _build(site)
    for path in (site / "articles").rglob("*.md"):
        _touch(path)
    _article(site, 3, text="An edit.")  # the one file read again
    read: list[str] = []
    real = feeds.build.read_file
    monkeypatch.setattr(
        feeds.build, "read_file", lambda path, *a, **k: read.append(k["key"]) or real(path, *a, **k)
    )
    monkeypatch.setattr(feeds.incremental, "rebuild", lambda *args: None)  # as when a rebuild declines
    later = NOW + timedelta(hours=1)
    _build(site, now=later, workers=1)
    assert read == ["0/a0003.md"]
    monkeypatch.undo()
    _assert_as_from_scratch(site, tmp_path / "scratch", later)


@pytest.mark.parametrize("by_folder", [1, 10**9], ids=["asked-by-folder", "asked-file-by-file"])
def test_a_checkout_reads_again_only_the_file_whose_bytes_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by_folder: int
) -> None:
    # What the last build knew of a touched file (its status, its bytes' hash) is asked one file
    # at a time, or for a whole folder where many of its files moved: both must find it, or the
    # file is taken for changed and read again.
    site = _site(tmp_path / "site")
    story = site / "articles" / "0" / "story.txt"
    story.write_text("A plain story\n\nIts standfirst.\n\nIts body.\n", encoding="utf-8")
    story.with_suffix(".toml").write_text('date = "2021-04-01T10:00:00Z"\n', encoding="utf-8")
    _build(site)
    for path in (site / "articles").rglob("*"):
        if path.is_file():
            _touch(path)
    _article(site, 3, text="An edit.")
    read: list[str] = []
    real = feeds.build.read_file
    monkeypatch.setattr(
        feeds.build, "read_file", lambda path, *a, **k: read.append(k["key"]) or real(path, *a, **k)
    )
    monkeypatch.setattr(feeds.incremental, "KNOWN_BY_FOLDER", by_folder)
    later = NOW + timedelta(hours=1)
    _build(site, now=later, workers=1)
    assert read == ["0/a0003.md"]
    monkeypatch.undo()
    _assert_as_from_scratch(site, tmp_path / "scratch", later)


@pytest.mark.parametrize("from_scratch", [False, True])
def test_many_touched_files_are_hashed_in_worker_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, from_scratch: bool
) -> None:
    # A fresh clone of 100,000 articles: each file read and hashed, spread over the cores.
    site = _site(tmp_path / "site")
    _build(site)
    for path in (site / "articles").rglob("*.md"):
        _touch(path)
    edited = site / "articles" / "0" / "a0003.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("Article 3", "Artikel 3"), encoding="utf-8")
    _touch(edited, 2)  # the same size: only its bytes tell
    hashed: list[str] = []
    parent, real, real_one = os.getpid(), feeds.build.SameContents.offer, feeds.build.same_content

    def offer(self: feeds.build.SameContents, moved: list[tuple[Any, ...]]) -> None:
        hashed.extend(file.key for file, _, _ in moved)
        real(self, moved)

    def same_content(*args: Any) -> bool:
        assert os.getpid() != parent, "a file was hashed in the build's own process"
        return real_one(*args)

    monkeypatch.setattr(feeds.build, "SAME_PARALLEL_FROM", 1)
    monkeypatch.setattr(feeds.build, "same_content", same_content)
    monkeypatch.setattr(feeds.build.SameContents, "offer", offer)
    if from_scratch:
        monkeypatch.setattr(feeds.incremental, "rebuild", lambda *args: None)
    later = NOW + timedelta(hours=1)
    _build(site, now=later, workers=2)
    assert len(hashed) == 120
    assert b"Artikel 3" in (site / "public" / "archive" / "1" / "atom.xml").read_bytes()
    monkeypatch.undo()
    _assert_as_from_scratch(site, tmp_path / "scratch", later)


def test_the_workers_that_hash_touched_files_are_forked_once_the_first_folder_shows_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Forked after every folder was compared, they mapped a build of 200 MB each at 100,000.
    site = _site(tmp_path / "site")  # three folders: 0/, 1/, 2/
    _build(site)
    for path in (site / "articles").rglob("*.md"):
        _touch(path)
    compared: list[str] = []
    forked_after: list[int] = []
    real_changed_in, real_pool = feeds.incremental.changed_in, feeds.build._pool

    def changed_in(files: Any, folder: str, *args: Any) -> Any:
        compared.append(folder)
        return real_changed_in(files, folder, *args)

    def pool(count: int, lock: int | None) -> Any:
        forked_after.append(len(compared))
        return real_pool(count, lock)

    monkeypatch.setattr(feeds.build, "SAME_PARALLEL_FROM", 40)
    monkeypatch.setattr(feeds.incremental, "changed_in", changed_in)
    monkeypatch.setattr(feeds.build, "_pool", pool)
    outcome = _build(site, now=NOW + timedelta(hours=1), workers=2)
    assert compared == ["0/", "1/", "2/"]
    assert forked_after == [0, 1]  # the scan's workers; the hashing ones once 0/ showed 50 touched
    assert outcome.written is not None and outcome.written.changed == ()


def test_an_article_whose_name_holds_a_hash_is_removed_and_edited_like_any_other(tmp_path: Path) -> None:
    """`C#-tips.md` was stored as belonging to a file `C`: once removed, it stayed published."""
    site = _site(tmp_path / "site", count=30)
    sharp = site / "articles" / "C#-tips.md"
    sharp.write_text("---\ntitle: Sharp\ndate: 2024-01-01T10:00:00Z\n---\n\nBody.\n", encoding="utf-8")
    records = site / "articles" / "C#.json"
    records.write_text('[{"title": "Listed", "date": "2024-01-02T10:00:00Z"}]', encoding="utf-8")
    _build(site)
    assert b"Sharp" in (site / "public" / "atom.xml").read_bytes()
    records.write_text(
        '[{"title": "Listed", "date": "2024-01-02T10:00:00Z", "summary": "New"}]', encoding="utf-8"
    )
    sharp.unlink()
    later = NOW + timedelta(hours=1)
    _build(site, now=later)
    assert b"Sharp" not in (site / "public" / "atom.xml").read_bytes()
    _assert_as_from_scratch(site, tmp_path / "scratch", later)


def test_a_files_rows_are_its_own_though_other_names_sort_among_its_records(tmp_path: Path) -> None:
    """A file's rows are found by a range of keys, from its name to its name and '$' (its records
    are `name#record`): `w.json!x.md` and `w.json x.md` sort in that range and are not its rows."""
    site = _site(tmp_path / "site", count=30)
    records = site / "articles" / "w.json"
    records.write_text('[{"title": "Listed", "date": "2024-01-02T10:00:00Z"}]', encoding="utf-8")
    for name, title in (("w.json!x.md", "Bang"), ("w.json x.md", "Spaced")):
        (site / "articles" / name).write_text(
            f"---\ntitle: {title}\nslug: {title.lower()}\ndate: 2024-01-03T10:00:00Z\n---\n\nBody.\n",
            encoding="utf-8",
        )
    _build(site)
    records.write_text('[{"title": "Listed again", "date": "2024-01-02T10:00:00Z"}]', encoding="utf-8")
    later = NOW + timedelta(hours=1)
    _build(site, now=later)
    records.unlink()
    _build(site, now=later + timedelta(hours=1))
    feed = (site / "public" / "atom.xml").read_bytes()
    assert b"Bang" in feed and b"Spaced" in feed and b"Listed" not in feed
    _assert_as_from_scratch(site, tmp_path / "scratch", later + timedelta(hours=1))


def test_a_touched_symbolic_link_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where a link leads is checked as it is read: a link's bytes prove nothing about that."""
    site = _site(tmp_path / "site", count=30)
    (site / "articles" / "linked.md").symlink_to(site / "articles" / "0" / "a0001.md")
    _build(site)
    _touch(site / "articles" / "0" / "a0001.md")  # the link's status is its target's
    read: list[str] = []
    real = feeds.build.read_file
    monkeypatch.setattr(
        feeds.build, "read_file", lambda path, *a, **k: read.append(k["key"]) or real(path, *a, **k)
    )
    _build(site, workers=1)
    assert read == ["linked.md"]


def test_a_state_that_fails_to_save_while_the_feeds_render_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The state is saved in a thread beside the rendering workers: its error is the build's."""
    site = _site(tmp_path / "site")
    _build(site)
    before = published_files(site)
    _article(site, 120)

    def failing(*args: object) -> None:
        raise sqlite_disk_io_error()

    with monkeypatch.context() as patched:
        patched.setattr(feeds.state.State, "put_settled", failing)
        patched.setattr(feeds.incremental, "rebuild", lambda *args: None)
        with pytest.raises(feeds.BuildError, match=r"state\.sqlite: cannot keep .* \(disk I/O error\)"):
            _build(site, workers=2)
    assert published_files(site) == before  # nothing replaced
    _build(site, workers=2)
    _assert_as_from_scratch(site, tmp_path / "scratch", NOW)


def test_a_build_whose_feeds_fail_stops_the_state_saved_beside_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C or a feed that fails its checks does not wait for the save to end (at 100,000
    articles, 20 s): its statement is interrupted, and the state rolls back."""
    site = _site(tmp_path / "site")
    _build(site)
    before = published_files(site)
    _article(site, 120)
    seen: list[str] = []

    def endless(state: feeds.state.State, *args: object) -> None:  # minutes, unless interrupted
        try:
            state.execute(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000000000) "
                "SELECT count(*) FROM c"
            ).fetchone()
        except sqlite3.OperationalError as exc:
            seen.append(str(exc))
            raise

    def failing(*args: object) -> None:
        raise feeds.BuildError("rss.xml: the rendered feed fails our checks")

    with monkeypatch.context() as patched:
        patched.setattr(feeds.state.State, "put_settled", endless)
        patched.setattr(feeds.build, "render_checked", failing)  # in the workers too: forked after
        patched.setattr(feeds.incremental, "rebuild", lambda *args: None)
        with pytest.raises(feeds.BuildError, match="fails our checks"):
            _build(site, workers=2)
    assert seen == ["interrupted"]
    assert published_files(site) == before
    _build(site)
    _assert_as_from_scratch(site, tmp_path / "scratch", NOW)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_feed_that_fails_leaves_no_file_staged_by_the_render_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """Workers stage the files they render; when one feed fails, what they staged is removed:
    the feeds rendered before it in its chunk, and the chunks in flight after it."""
    site = _site(tmp_path / "site")
    real = feeds.build.render_checked
    rendered: list[str] = []

    def failing_once(feed: feeds.Feed, fmt: feeds.model.FeedFormat) -> tuple[str, bytes]:
        rendered.append(feed.files.path(fmt))
        if feed.files.path(fmt) == "archive/2/atom.xml":  # its rss.xml is staged just before
            raise feeds.BuildError("archive/2/atom.xml: the rendered feed fails our checks")
        return real(feed, fmt)

    with monkeypatch.context() as patched:
        patched.setattr(feeds.build, "render_checked", failing_once)  # in the workers too: forked after
        with pytest.raises(feeds.BuildError, match="fails our checks"):
            _build(site, workers=workers)
    if workers == 1:
        assert rendered[-2:] == ["archive/2/rss.xml", "archive/2/atom.xml"]
    left = sorted(path.name for path in (site / "public").rglob("*") if path.is_file())
    assert left == [feeds.write.LOCK_NAME]  # nothing staged, in any folder
    _build(site, workers=workers)
    _assert_as_from_scratch(site, tmp_path / "scratch", NOW)


@pytest.mark.parametrize("workers", [None, 2])
def test_a_rebuild_that_fails_leaves_the_registry_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int | None
) -> None:
    """The registry's new bytes are staged while the feeds render; a feed that fails its checks
    leaves the old file in place, and nothing staged beside it."""
    site = _site(tmp_path / "site")
    _build(site)
    registry = site / "feeds.registry.json"
    before, published = registry.read_bytes(), published_files(site)
    _article(site, 120)  # a new record

    def failing(*args: object) -> None:
        raise feeds.BuildError("rss.xml: the rendered feed fails our checks")

    with monkeypatch.context() as patched:
        patched.setattr(feeds.build, "render_checked", failing)
        with pytest.raises(feeds.BuildError, match="fails our checks"):
            _build(site, workers=workers)
    assert registry.read_bytes() == before
    assert sorted(path.name for path in site.iterdir()) == [
        ".feeds-cache",
        "articles",
        "feeds.registry.json",
        "feeds.toml",
        "public",
    ]
    assert published_files(site) == published
    outcome = _build(site)
    assert outcome.registry_written and registry.read_bytes() != before
    _assert_as_from_scratch(site, tmp_path / "scratch", NOW)


@pytest.mark.parametrize(("from_scratch", "workers"), [(False, None), (True, 1), (True, 2)])
def test_a_registry_that_cannot_be_written_fails_the_build_and_keeps_the_feeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, from_scratch: bool, workers: int | None
) -> None:
    # It is staged beside the render: by a rebuild from its old bytes, by a build from scratch
    # from the state's mirror (once saved).
    site = _site(tmp_path / "site")
    _build(site)
    registry = site / "feeds.registry.json"
    before, published = registry.read_bytes(), published_files(site)
    _article(site, 120)
    if from_scratch:
        shutil.rmtree(site / ".feeds-cache")
    staged: list[Path] = []

    def full(target: Path, data: object) -> None:  # in the thread that stages it
        staged.append(target)
        raise feeds.BuildError(f"{target}: cannot write (No space left on device)")

    with monkeypatch.context() as patched:
        patched.setattr(feeds.build, "stage_file", full)
        patched.setattr(feeds.build, "RENDER_PARALLEL_FROM", 1)  # workers render, the registry beside
        with pytest.raises(feeds.BuildError, match="No space left on device"):
            _build(site, workers=workers)
    assert staged == [registry]
    assert (registry.read_bytes(), published_files(site)) == (before, published)
    assert not [p.name for p in site.iterdir() if p.name.startswith(".feeds.registry")]
    _build(site, workers=workers)
    assert registry.read_bytes() == dump_registry(load_registry(registry))
    assert b'"2/a0120.md"' not in before and b'"2/a0120.md"' in registry.read_bytes()
    _assert_as_from_scratch(site, tmp_path / "scratch", NOW)


def test_a_damaged_or_foreign_cache_is_ignored(tmp_path: Path) -> None:
    site = _site(tmp_path / "site", count=30)
    _build(site)
    expected = published_files(site)
    cache = site / ".feeds-cache" / STATE_FILE
    cache.write_bytes(b"\x80\x05 not a database")
    _build(site)
    assert published_files(site) == expected
    # A stored value that would run a command: refused, not run; the build goes on from scratch.
    marker = tmp_path / "ran"
    db = sqlite3.connect(cache)
    db.execute("UPDATE files SET size = 0")  # every file looks changed: each digest is read
    db.execute("UPDATE digests SET digest = ?", (pickle.dumps(_Evil(str(marker))),))
    db.commit()
    db.close()
    _build(site)
    assert not marker.exists()
    assert published_files(site) == expected


def test_a_state_of_other_code_is_replaced_by_a_new_file_not_emptied(tmp_path: Path) -> None:
    # Emptying it table by table took 8 s at 100,000 articles, and left the file its old size.
    site = _site(tmp_path / "site", count=30)
    _build(site)
    expected = published_files(site)
    cache = site / ".feeds-cache" / STATE_FILE
    db = sqlite3.connect(cache)
    db.execute("CREATE TABLE ballast(data BLOB)")
    db.executemany("INSERT INTO ballast VALUES (?)", [(bytes(1 << 16),)] * 64)  # 4 MB
    db.execute("UPDATE meta SET value = 'the key of other code' WHERE name = 'key'")
    db.commit()
    db.close()
    (cache.parent / f"{STATE_FILE}-journal").write_bytes(b"a journal of the old file")
    assert cache.stat().st_size > 4 << 20
    _build(site)
    assert cache.stat().st_size < 2 << 20
    assert not (cache.parent / f"{STATE_FILE}-journal").exists()
    tables = {row[0] for row in sqlite3.connect(cache).execute("SELECT name FROM sqlite_master")}
    assert "ballast" not in tables
    assert published_files(site) == expected
    _build(site)  # and the next build goes on from it
    assert published_files(site) == expected


def test_stored_values_loaded_apart_share_their_small_parts() -> None:
    # A build holds a draft per article: 100,000 copies of the same author, origin, zone and
    # tag names would be 40 MB of it.
    from feeds.model import Author, Origin
    from feeds.prepare import Draft
    from feeds.state import pickled, unpickle

    zone = timezone(timedelta(hours=3))

    def draft(number: int) -> Draft:
        return _draft(
            number,
            datetime(2024, 5, number, 9, 30, tzinfo=zone),
            authors=(Author("Olena Marchuk", "olena@example.org"),),
            tags=("".join(["grain ", "exports"]), "Харків"),
            categories=("".join(["Eco", "nomy"]),),
            origin=Origin("Ukrainska Pravda", "https://www.pravda.com.ua/"),
        )

    first, second = (unpickle(pickled(draft(n))) for n in (1, 2))
    assert (first, second) == (draft(1), draft(2))
    assert first.authors[0] is second.authors[0]
    assert first.origin is second.origin
    assert first.dated is not None and second.dated is not None
    assert first.dated.tzinfo is second.dated.tzinfo
    assert all(a is b for a, b in zip(first.tags, second.tags, strict=True))
    assert first.categories[0] is second.categories[0]
    assert first.categories is second.categories  # few combinations: one tuple each (4.6 MB)
    assert first.authors is second.authors


def test_the_entries_of_one_build_share_its_stamp_until_it_moves() -> None:
    # Every new article's record holds the time it was first seen: one value for all of them,
    # not one each (4.6 MB at 100,000), until an undated article shows it and the next steps back.
    from feeds.prepare import settle
    from tests.conftest import site_config

    config = site_config()
    dated = [_draft(n, datetime(2024, 5, n, tzinfo=UTC)) for n in (1, 2)]
    undated = [_draft(n, None) for n in (3, 4)]
    settled = settle([*dated, *undated], config, Registry(), NOW)
    records = [settled.registry.records[f"{n}.md"] for n in (1, 2, 3, 4)]
    assert records[0].first_seen is records[1].first_seen is records[2].first_seen
    assert records[2].first_seen == NOW
    assert records[3].first_seen == NOW - timedelta(seconds=1)


def _draft(number: int, dated: datetime | None, **fields: Any) -> Any:
    from feeds.prepare import Draft

    return Draft(
        key=f"{number}.md",
        source=f"articles/{number}.md",
        line=1,
        hash=f"{number:032x}",
        held=False,
        title=f"Article {number}",
        slug=f"article-{number}",
        dated=dated,
        **fields,
    )


def _state_is_complete(config: Path) -> bool:
    state = open_state(load_config(config))
    try:
        return state.complete
    finally:
        state.close(commit=False)


class _Evil:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.path}",))


def test_a_changed_configuration_invalidates_the_cache(tmp_path: Path) -> None:
    site = _site(tmp_path / "site", count=30)
    _build(site)
    config = site / "feeds.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('"Desk"', '"Night Desk"'), encoding="utf-8")
    assert not _state_is_complete(config)  # keyed by the configuration
    _build(site)
    assert b"<title>Night Desk</title>" in (site / "public" / "atom.xml").read_bytes()
    archive = (site / "public" / "archive" / "1" / "atom.xml").read_bytes()
    assert b"<title>Night Desk (archive, page 1)</title>" in archive


def test_archive_pages_carry_summaries_and_topic_archives_are_optional(tmp_path: Path) -> None:
    site = _site(tmp_path / "site", count=60)
    _build(site)
    public = site / "public"
    assert b"<content" in (public / "atom.xml").read_bytes()
    archive = (public / "archive" / "1" / "atom.xml").read_bytes()
    assert b"<content" not in archive and b"<summary>Opening paragraph" in archive
    item = json.loads((public / "archive" / "1" / "feed.json").read_bytes())["items"][0]
    assert "content_html" not in item and item["content_text"] == item["summary"]
    assert not (public / "tags" / "t0" / "archive").exists()

    full = _site(tmp_path / "full", count=90, archive_content=True, topic_archives=True)  # t0: 30 entries
    _build(full)
    assert b"<content" in (full / "public" / "archive" / "1" / "atom.xml").read_bytes()
    assert (full / "public" / "tags" / "t0" / "archive" / "1" / "atom.xml").is_file()


def test_json_feed_falls_back_for_what_orjson_refuses() -> None:
    from feeds.model import Enclosure
    from feeds.render.jsonfeed import render_json
    from feeds.select import Topic, paged_feeds
    from tests.conftest import make_entry, site_config

    big = Enclosure("https://example.org/a.mp3", "audio/mpeg", 2**70)
    (feed,) = paged_feeds(Topic("site", "T", ""), [make_entry(enclosure=big)], site_config())
    document = json.loads(render_json(feed))
    assert document["items"][0]["attachments"][0]["size_in_bytes"] == 2**70


_SEGMENT = st.from_regex(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,8}", fullmatch=True)


@given(st.lists(_SEGMENT, max_size=4), st.booleans(), st.booleans())
def test_plain_permalinks_join_as_urljoin_would(segments: list[str], leading: bool, trailing: bool) -> None:
    from urllib.parse import urljoin

    from feeds.prepare import _PLAIN_PATH

    path = ("/" if leading else "") + "/".join(segments) + ("/" if trailing and segments else "")
    assert _PLAIN_PATH.fullmatch(path)
    for base in ("https://example.org/", "https://example.org/news/"):
        assert base + path.lstrip("/") == _uri(urljoin(base, _site_relative(path)))


def test_jobs_must_be_a_positive_number(capsys: pytest.CaptureFixture[str]) -> None:
    from feeds.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["build", "--jobs", "0"])
    assert stopped.value.code == 2
    assert "must be a whole number of at least 1" in capsys.readouterr().err


def test_the_cache_serves_builds_started_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(tmp_path / "site", count=30)
    _build(site)  # the configuration named by an absolute path
    monkeypatch.chdir(site)
    assert _state_is_complete(Path("feeds.toml"))  # ... and by a relative one


def test_a_rebuild_with_no_change_loads_no_parser_renderer_or_terminal_library(tmp_path: Path) -> None:
    site = _site(tmp_path / "site", count=30)
    _build(site)
    arguments = ["build", "-q", "--now", NOW.isoformat(), "--config", str(site / "feeds.toml")]
    script = (
        "import sys\n"
        "from feeds.cli import main\n"
        f"code = main({arguments!r})\n"
        "heavy = ('lxml', 'feedgen', 'yaml', 'nh3', 'cmarkgfm', 'charset_normalizer', 'dateutil', 'rich')\n"
        "print(code, sorted(name for name in heavy if name in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[-2] == "0 []", done.stdout + done.stderr


def test_a_registry_found_as_a_build_writes_it_is_spliced_by_the_next_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh clone (or an upgrade of feeds) builds from scratch and keeps the registry it finds:
    the next new article splices its line into that file, not the whole file made again."""
    site = _site(tmp_path / "site", count=30)
    _build(site)
    clone = _fresh_copy(site, tmp_path / "clone")
    _build(clone)
    spliced: list[bool] = []
    real = feeds.incremental.registry_file_spliced

    def recording(path: Path, lines: Mapping[str, str | None]) -> Iterator[bytes] | None:
        pieces = real(path, lines)
        spliced.append(pieces is not None)
        return pieces

    monkeypatch.setattr(feeds.incremental, "registry_file_spliced", recording)
    _article(clone, 30)
    later = NOW + timedelta(hours=1)
    _build(clone, now=later)
    assert spliced == [True]
    _assert_as_from_scratch(clone, tmp_path / "scratch", later)


def test_a_registry_laid_out_by_hand_is_written_whole_at_the_next_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(tmp_path / "site", count=30)
    _build(site)
    clone = _fresh_copy(site, tmp_path / "clone")
    registry = clone / "feeds.registry.json"
    registry.write_text(json.dumps(json.loads(registry.read_bytes())), encoding="utf-8")  # one line
    _build(clone)
    asked: list[Path] = []
    monkeypatch.setattr(feeds.incremental, "registry_file_spliced", lambda path, lines: asked.append(path))
    _article(clone, 30)
    later = NOW + timedelta(hours=1)
    _build(clone, now=later)
    assert asked == []  # not canonical: made whole from the state's mirror, as a build writes it
    _assert_as_from_scratch(clone, tmp_path / "scratch", later)
