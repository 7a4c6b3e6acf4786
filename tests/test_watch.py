"""`feeds build --watch`: rebuilt from the change events, with the bytes of a build from scratch."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from feeds.build import BuildOutcome, run_build
from feeds.config import load_config
from feeds.watch import TICK_MS, WAKE_MS, Watched, watch
from tests.conftest import NOW, published_files

ADDED, MODIFIED, DELETED = 1, 2, 3  # watchfiles.Change


def _site(folder: Path) -> Path:
    (folder / "articles" / "2026").mkdir(parents=True)
    (folder / "feeds.toml").write_text(
        'title = "Desk"\nbase_url = "https://example.org/"\ntimezone = "Europe/Kyiv"\nfeed_limit = 3\n'
        "archive_page_size = 2\n",
        encoding="utf-8",
    )
    for number in range(6):
        _article(folder, f"2026/a{number}.md", f"Article {number}", number)
    return folder


def _article(site: Path, name: str, title: str, day: int) -> Path:
    path = site / "articles" / name
    path.write_text(
        f"---\ntitle: {title}\ndate: 2026-10-{day + 1:02d}T09:00:00Z\ntags: [kyiv]\n---\n\n"
        f"Text of {title}.\n",
        encoding="utf-8",
    )
    return path


def test_the_watcher_learns_each_changed_file_from_its_event(tmp_path: Path) -> None:
    site = _site(tmp_path / "site")
    articles = site / "articles"
    watched = Watched(articles)
    assert [f.key for f in watched.files] == [f"2026/a{n}.md" for n in range(6)]
    new = _article(site, "2026/b.md", "B", 9)
    (articles / "2026" / "notes.txt.swp").write_text("editor debris", encoding="utf-8")
    scanned = watched.update(
        [str(new), str(articles / "2026" / "notes.txt.swp"), str(articles / ".hidden.md")]
    )
    assert scanned.changed == {"2026/b.md"}
    assert "2026/b.md" in {f.key for f in scanned.files}
    (articles / "2026" / "a0.md").unlink()
    scanned = watched.update([str(articles / "2026" / "a0.md")])
    assert scanned.changed == {"2026/a0.md"} and "2026/a0.md" not in {f.key for f in scanned.files}
    # A sidecar's event is its article's.
    (articles / "2026" / "t.txt").write_text("Headline\n\nText.\n", encoding="utf-8")
    watched.update([str(articles / "2026" / "t.txt")])
    (articles / "2026" / "t.toml").write_text('date = "2026-10-20T10:00:00Z"\n', encoding="utf-8")
    scanned = watched.update([str(articles / "2026" / "t.toml")])
    assert scanned.changed == {"2026/t.txt"}
    assert next(f for f in scanned.files if f.key == "2026/t.txt").state.sidecar is not None
    # A folder moved away: the events cannot say what it held, so the watcher walks again.
    shutil.move(articles / "2026", tmp_path / "elsewhere")
    scanned = watched.update([str(articles / "2026")])
    assert scanned.changed is None and scanned.files == []


def test_watching_rebuilds_each_change_as_a_build_from_scratch_would(tmp_path: Path) -> None:
    site = _site(tmp_path / "site")
    config = load_config(site / "feeds.toml")
    clock = iter(NOW + timedelta(minutes=m) for m in range(100))
    seen: list[BuildOutcome] = []
    articles = site / "articles" / "2026"

    def events(*paths: Path, **options: object) -> Iterator[set[tuple[int, str]]]:
        assert paths == (config.articles_dir,)
        yield set()  # the first wake: the watcher is live
        new = _article(site, "2026/new.md", "Fresh news", 20)
        yield {(ADDED, str(new))}
        assert b"Fresh news" in (site / "public" / "atom.xml").read_bytes()
        edited = articles / "a1.md"
        edited.write_text(edited.read_text(encoding="utf-8") + "\nA correction.\n", encoding="utf-8")
        yield {(MODIFIED, str(edited))}
        (articles / "a5.md").unlink()
        yield {(DELETED, str(articles / "a5.md"))}
        for _ in range(WAKE_MS // TICK_MS):
            yield set()  # wakes with nothing to do, until the one that builds (for embargoes)

    def report(outcome: BuildOutcome, seconds: float) -> None:
        seen.append(outcome)

    watch(config, lambda: next(clock), report, events=events, workers=1)
    # The first build; one more once live; one per change; one on the tenth second of quiet.
    assert len(seen) == 6
    assert all(o.written is not None for o in seen)
    assert [bool(o.written and o.written.changed) for o in seen] == [True, False, True, True, True, False]
    scratch = tmp_path / "scratch"
    shutil.copytree(site, scratch, ignore=shutil.ignore_patterns("public", ".feeds-cache"))
    run_build(load_config(scratch / "feeds.toml"), NOW + timedelta(minutes=5), workers=1)
    assert published_files(site) == published_files(scratch)
    assert (site / "feeds.registry.json").read_bytes() == (scratch / "feeds.registry.json").read_bytes()


def test_watch_refuses_a_fixed_clock(capsys: pytest.CaptureFixture[str]) -> None:
    from feeds.cli import main

    assert main(["build", "--watch", "--now", "2026-11-25T12:00:00Z"]) == 2
    assert "--watch: goes with neither --now" in capsys.readouterr().err


def test_feeds_build_watch_republishes_a_new_article_from_the_systems_events(tmp_path: Path) -> None:
    site = _site(tmp_path / "site")
    command = [sys.executable, "-m", "feeds", "build", "--watch", "--config", str(site / "feeds.toml")]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as watcher:
        try:
            assert watcher.stdout is not None
            lines = [watcher.stdout.readline() for _ in range(2)]
            assert lines[1].startswith("watching "), lines
            _article(site, "2026/live.md", "Live from the watcher", 25)
            feed = site / "public" / "atom.xml"
            deadline = time.monotonic() + 20
            while b"Live from the watcher" not in feed.read_bytes():
                assert time.monotonic() < deadline, "not republished within 20 s"
                time.sleep(0.05)
        finally:
            watcher.terminate()


def test_a_preloaded_watcher_loads_nothing_more_to_publish_a_change(tmp_path: Path) -> None:
    """The watcher loads parsers and renderers while it waits, not when the first change comes."""
    site = _site(tmp_path / "site")
    run_build(load_config(site / "feeds.toml"), NOW)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from feeds.build import run_build\n"
        "from feeds.config import load_config\n"
        "from feeds.watch import preload\n"
        "from tests.conftest import NOW\n"
        "from tests.test_watch import _article\n"
        f"site = Path({str(site)!r})\n"
        "config = load_config(site / 'feeds.toml')\n"
        "run_build(config, NOW)\n"  # as a watcher does first: nothing changed, nothing loaded
        "preload(config)\n"
        "before = set(sys.modules)\n"
        "_article(site, '2026/new.md', 'New', 20)\n"
        "outcome = run_build(config, NOW)\n"
        "assert outcome.written is not None and 'atom.xml' in outcome.written.changed\n"
        "print(sorted(name for name in set(sys.modules) - before if not name.startswith('tests')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    assert done.stdout.split("\n")[-2] == "[]", done.stdout + done.stderr
