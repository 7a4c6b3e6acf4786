"""A build from scratch keeps its entries in a spill file, not in memory (`feeds.spill`): the same
bytes as a build that holds them, and the file lasts one build."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import feeds.build
import feeds.spill
from feeds.build import BuildOutcome, run_build
from feeds.config import load_config
from feeds.read import FolderFiles, scan_folders
from feeds.spill import SPILL_FILE, Spill, read_spilled, spans
from feeds.state import State, pickled
from tests.conftest import NOW, make_entry, make_feed, published_files, site_config

FIRST = datetime(2021, 3, 1, 9, 0, tzinfo=UTC)


def _site(folder: Path, count: int = 90) -> Path:
    """Dated articles in two folders, tags and authors: head feeds, topic feeds and archive pages."""
    (folder / "articles").mkdir(parents=True)
    (folder / "feeds.toml").write_text(
        'title = "Desk"\nbase_url = "https://example.org/"\ntimezone = "Europe/Kyiv"\n'
        "feed_limit = 10\narchive_page_size = 20\n",
        encoding="utf-8",
    )
    for number in range(count):
        path = folder / "articles" / f"{number // 40}" / f"a{number:04}.md"
        path.parent.mkdir(exist_ok=True)
        published = (FIRST + timedelta(hours=5 * number)).isoformat()
        path.write_text(
            f"---\ntitle: Article {number}\ndate: {published}\nauthor: {['Ann', 'Bo'][number % 2]}\n"
            f"tags: [t{number % 3}]\n---\n\nText of article {number}.\n\nMore [text](/about/).\n",
            encoding="utf-8",
        )
    return folder


def _spill_path(site: Path) -> Path:
    return load_config(site / "feeds.toml").cache_dir / SPILL_FILE


def test_entries_read_back_from_a_spill_file_are_the_entries_added(tmp_path: Path) -> None:
    entries = [make_entry(n, tags=(f"t{n}",), authors=()) for n in range(1, 6)]
    fingerprints = [f"{n:032x}" for n in range(1, 6)]
    config = site_config(feed_limit=2, archive_page_size=2)
    state = _state(tmp_path, config.topics)
    with Spill(tmp_path, state) as spill:
        for entry, fingerprint in zip(entries, fingerprints, strict=True):
            spill.add(entry, fingerprint, bytes([len(fingerprint)]))
        spill.seal()
        assert spill.count == 5
        assert spill.load_all() == entries
        plans = list(spill.plans(config))
        # The site's head (the two newest), its archive pages (oldest first), then each tag's head.
        assert [[where.key for where in members] for _, members in plans] == [
            [entries[4].key, entries[3].key],
            [entries[1].key, entries[0].key],
            [entries[2].key],
            *([entry.key] for entry in entries),
        ]
        assert [feed.files.atom for feed, _ in plans][:4] == [
            "atom.xml",
            "archive/1/atom.xml",
            "archive/2/atom.xml",
            "tags/t1/atom.xml",
        ]
        assert all(where.mark == b"\x20" for _, members in plans for where in members)
        some = plans[1][1]
        assert list(spill.fingerprinted(some)) == [
            (entries[1], fingerprints[1]),
            (entries[0], fingerprints[0]),
        ]
        # What the state keeps: each entry as it was added, and its topics once saved.
        rows = state.execute("SELECT key, fp, entry FROM entries ORDER BY key").fetchall()
        assert rows == [(e.key, f, pickled(e)) for e, f in zip(entries, fingerprints, strict=True)]
        spill.save_members()
        members = state.execute("SELECT kind, folded, key FROM members").fetchall()
        assert members == [("tags", f"t{n}", e.key) for n, e in enumerate(entries, 1)]
        # Another process reads them by where they are, as an archive page's worker does.
        assert read_spilled(str(spill.path), spans(some)) == (entries[1], entries[0])
        path = spill.path
        assert path.exists()
        state.execute("DELETE FROM members")
        spill.clear()
        assert spill.count == 0 and path.stat().st_size == 0
        assert state.execute("SELECT count(*) FROM entries").fetchone() == (0,)
        spill.add(entries[2], fingerprints[2], b"")
        spill.seal()
        assert spill.load_all() == [entries[2]]
        assert [[w.key for w in members] for _, members in spill.plans(config)] == [[entries[2].key]] * 2
    assert not path.exists()
    state.close(commit=False)


def _state(folder: Path, kinds: tuple[str, ...]) -> State:
    """A state begun for a build from scratch, as a spill fills it."""
    state = State(folder / "state.sqlite", "test", kinds)
    state.begin_replace()
    return state


def test_a_worker_reads_an_archive_pages_entries_once_for_its_three_formats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = [make_entry(n, authors=()) for n in range(1, 7)]
    with Spill(tmp_path, _state(tmp_path, ())) as spill:
        for n, entry in enumerate(entries, 1):
            spill.add(entry, f"{n:032x}", b"")
        spill.seal()
        config = site_config(feed_limit=0, archive_page_size=3)
        (_, _), (_, first), (_, second), *_ = spill.plans(config)
        pages = [(str(spill.path), spans(first)), (str(spill.path), spans(second))]
        feed = make_feed(*entries, entries=(), full_content=False)
        jobs = [
            feeds.build.RenderJob(feed, fmt, where)
            for where in (*pages, pages[0])
            for fmt in ("rss", "atom", "json")
        ]
        reads: list[bytes] = []

        def counted(path: str, where: bytes) -> tuple[object, ...]:
            reads.append(where)
            return read_spilled(path, where)

        monkeypatch.setattr(feeds.build, "read_spilled", counted)
        staged = feeds.build._rendered_in_worker(jobs, tmp_path)
        # Once a page, in the jobs' order: a page met again is read again (one page is kept).
        assert reads == [pages[0][1], pages[1][1], pages[0][1]]
        rendered = [Path(s.temporary or tmp_path / s.relative).read_bytes() for s in staged]
        each_read = [feeds.build.render_checked(job.whole(), job.fmt)[1] for job in jobs]
        assert rendered == each_read
        assert b"Entry 4" not in rendered[0] and b"Entry 4" in rendered[3]
        feeds.build.discard_staged(staged)


def test_a_build_from_scratch_gives_the_bytes_of_a_build_that_holds_its_entries(tmp_path: Path) -> None:
    site = _site(tmp_path / "site")
    config = load_config(site / "feeds.toml")
    held = run_build(config, NOW, write=False)  # every entry in memory: no state, no spill
    outcome = run_build(config, NOW)
    written = published_files(site)
    assert len(written) > 30
    assert any(path.startswith("archive/") for path in written)
    expected = {path: held.result.files[path] for path in written}
    assert written == expected
    assert [e.id for e in outcome.result.entries] == [e.id for e in held.result.entries]
    assert outcome.result.entries[0] == held.result.entries[0]
    assert not _spill_path(site).exists()


def test_a_build_from_scratch_reads_the_walks_files_as_it_unpacks_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never all unpacked at once (at 100,000 files, 48 MB before the first was read)."""
    site = _site(tmp_path / "site")
    expected = run_build(load_config(site / "feeds.toml"), NOW, write=False).result.files

    def unpacked(self: FolderFiles) -> None:
        raise AssertionError("every file of the walk unpacked at once")

    monkeypatch.setattr(FolderFiles, "_files", unpacked)
    run_build(load_config(site / "feeds.toml"), NOW)
    written = published_files(site)
    assert len(written) > 30 and written == {path: expected[path] for path in written}


@pytest.mark.parametrize(("batch", "colliding"), [(2, False), (1024, False), (2, True)])
def test_a_build_from_scratch_finds_a_slug_or_id_taken_long_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int, colliding: bool
) -> None:
    """The slugs and ids taken are kept in the state's temporary tables by their hashes
    (`Spill.owners`), a batch of them in memory until written: a claim is found either way, and
    only a claim of the same value (`colliding`: every value has one hash)."""
    monkeypatch.setattr(feeds.spill, "_BATCH", batch)
    if colliding:
        monkeypatch.setattr(feeds.spill, "hash", lambda value: 7, raising=False)
    site = _site(tmp_path / "site", count=12)
    (site / "articles" / "z1.md").write_text("---\ntitle: Z\nslug: a0000\n---\n\nZ.\n", encoding="utf-8")
    taken = "---\ntitle: Y\nid: urn:x:1\n---\n\nY.\n"
    (site / "articles" / "0" / "a0000-id.md").write_text(taken, encoding="utf-8")
    (site / "articles" / "z2.md").write_text(taken.replace("Y", "W"), encoding="utf-8")
    outcome = run_build(load_config(site / "feeds.toml"), NOW)
    messages = _errors(outcome)
    assert messages == [
        "articles/z1.md: duplicate slug 'a0000' (also used by articles/0/a0000.md)",
        "articles/z2.md: duplicate id 'urn:x:1' (also used by articles/0/a0000-id.md)",
    ]
    held = run_build(load_config(site / "feeds.toml"), NOW, write=False)  # settled in memory
    assert _errors(held) == messages


def _errors(outcome: BuildOutcome) -> list[str]:
    return sorted(f"{p.path}: {p.message}" for p in outcome.result.problems if p.severity == "error")


def test_a_spill_file_left_by_a_killed_build_is_made_again(tmp_path: Path) -> None:
    site, clean = _site(tmp_path / "site"), _site(tmp_path / "clean")
    spill = _spill_path(site)
    spill.parent.mkdir(parents=True)
    spill.write_bytes(b"\x80\x05 not entries " * 1000)
    run_build(load_config(site / "feeds.toml"), NOW)
    run_build(load_config(clean / "feeds.toml"), NOW)
    assert published_files(site) == published_files(clean)
    assert not spill.exists()


def test_a_build_that_fails_midway_removes_its_spill_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(tmp_path / "site")
    seen: list[bool] = []

    def failing(*args: object, **kwargs: object) -> None:
        seen.append(_spill_path(site).exists())
        raise RuntimeError("stopped")

    monkeypatch.setattr(feeds.build, "spilled_pages", failing)
    with pytest.raises(RuntimeError, match="stopped"):
        run_build(load_config(site / "feeds.toml"), NOW)
    assert seen == [True]  # the build had spilled its entries
    assert not _spill_path(site).exists()
    assert not (site / "public" / "atom.xml").exists()


def test_a_strict_build_that_fails_still_gives_the_entries_it_settled(tmp_path: Path) -> None:
    site = _site(tmp_path / "site", count=12)
    bad = "---\ntitle: Bad\ndate: 2022-02-30\n---\n\nText.\n"
    (site / "articles" / "bad.md").write_text(bad, encoding="utf-8")
    config = load_config(site / "feeds.toml")
    outcome = run_build(config, NOW, strict=True)
    assert outcome.written is None
    assert any("bad.md" in problem.path for problem in outcome.result.problems)
    assert sorted(e.title for e in outcome.result.entries) == sorted(f"Article {n}" for n in range(12))
    assert not (site / "public").exists() or not (site / "public" / "atom.xml").exists()


def test_the_walks_files_are_given_away_once(tmp_path: Path) -> None:
    site = _site(tmp_path / "site", count=45)
    files = scan_folders(site / "articles").files
    assert isinstance(files, FolderFiles)
    taken = files.take()
    assert [f.key for f in taken] == sorted(f"{n // 40}/a{n:04}.md" for n in range(45))
    with pytest.raises(RuntimeError, match="released"):
        list(files)


def test_a_registry_keeps_the_identity_of_an_article_renamed_in_a_build_from_scratch(tmp_path: Path) -> None:
    # Only the registry's own keys are asked whether they are still there (`Settling`).
    site = _site(tmp_path / "site", count=3)
    undated = "---\ntitle: Undated\n---\n\nSame text.\n"
    (site / "articles" / "undated.md").write_text(undated, encoding="utf-8")
    config = load_config(site / "feeds.toml")
    first = {e.title: e for e in run_build(config, NOW).result.entries}["Undated"]
    (site / "articles" / "undated.md").rename(site / "articles" / "moved.md")
    for folder in ("public", ".feeds-cache"):  # a fresh clone: the registry alone remembers
        shutil.rmtree(site / folder)
    later = NOW + timedelta(days=1)
    moved = {e.title: e for e in run_build(load_config(site / "feeds.toml"), later).result.entries}["Undated"]
    assert moved.key == "moved.md"
    assert (moved.id, moved.published) == (first.id, first.published)
