"""`feeds build --changed PATH`: a rebuild told which files changed walks no other file.

(That it gives the bytes of a build from scratch after every kind of change, and rebuilds the
common ones without walking: tests/test_rebuild.py, the `told` cases.)

A CMS hook knows what it wrote; on its word, the build asks the file system about those
files only (at 100,000 articles the walk is most of a one-off rebuild). What it is not
told, it does not see, until the next build without `--changed` walks and finds it.
"""

from __future__ import annotations

import random
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

import feeds.build
from feeds.build import run_build
from feeds.cli import main
from feeds.config import load_config
from tests.conftest import NOW, published_files
from tests.test_rebuild import Site, _build


def _no_walk(*args: object, **keys: object) -> None:
    raise AssertionError("walked the articles folder")


def _same_as_from_scratch(site: Site, tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    shutil.copytree(site.folder, scratch, ignore=shutil.ignore_patterns("public", ".feeds-cache"))
    _build(scratch, site.now)
    assert published_files(site.folder) == published_files(scratch)
    shutil.rmtree(scratch)


def test_what_it_is_not_told_waits_for_the_next_walk(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(4))
    _build(site.folder, site.now)
    told = site.add(date=(site.now - timedelta(minutes=5)).isoformat())
    untold = site.add(date=(site.now - timedelta(minutes=4)).isoformat())
    site.now += timedelta(minutes=10)
    _build(site.folder, site.now, [told])
    atom = (site.folder / "public" / "atom.xml").read_text(encoding="utf-8")
    assert "Article 40" in atom and "Article 41" not in atom  # on the caller's word
    _build(site.folder, site.now)
    _same_as_from_scratch(site, tmp_path)
    assert "Article 41" in (site.folder / "public" / "atom.xml").read_text(encoding="utf-8")
    assert untold.exists()


def test_a_walk_after_a_told_build_sees_a_file_put_back_as_it_was(tmp_path: Path) -> None:
    """The told build's folder is compared file by file by the next walk: its hash from the walk
    before would say "unchanged" once the new file is gone again, and hide the removal."""
    site = Site(tmp_path / "site", random.Random(5))
    _build(site.folder, site.now)
    new = site.add(date=(site.now - timedelta(minutes=5)).isoformat())
    site.now += timedelta(minutes=10)
    _build(site.folder, site.now, [new])
    assert "Article 40" in (site.folder / "public" / "atom.xml").read_text(encoding="utf-8")
    new.unlink()  # the folder holds what it held at the walk before, to the nanosecond
    _build(site.folder, site.now)
    assert "Article 40" not in (site.folder / "public" / "atom.xml").read_text(encoding="utf-8")
    _same_as_from_scratch(site, tmp_path)


def test_a_sidecar_names_its_article(empty_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    articles = empty_site / "articles"
    (articles / "report.txt").write_text("A headline\n\nThe standfirst.\n\nThe body.\n", encoding="utf-8")
    sidecar = articles / "report.toml"
    sidecar.write_text('date = "2026-11-20T10:00:00Z"\n', encoding="utf-8")
    config = load_config(empty_site / "feeds.toml")
    run_build(config, NOW)
    sidecar.write_text('date = "2026-11-20T10:00:00Z"\nauthor = "Olena Kovalenko"\n', encoding="utf-8")
    monkeypatch.setattr(feeds.build, "scan_folders", _no_walk)
    run_build(config, NOW, changed=[sidecar])
    assert "Olena Kovalenko" in (empty_site / "public" / "atom.xml").read_text(encoding="utf-8")


def test_a_folder_named_is_walked(empty_site: Path) -> None:
    """What a folder holds takes a walk to know (a folder of articles moved in at once)."""
    config = load_config(empty_site / "feeds.toml")
    run_build(config, NOW)
    folder = empty_site / "articles" / "2026"
    folder.mkdir()
    for number in range(3):
        (folder / f"a{number}.md").write_text(
            f"---\ntitle: Moved in {number}\ndate: 2026-11-2{number}T09:00:00Z\n---\n\nText.\n",
            encoding="utf-8",
        )
    outcome = run_build(config, NOW, changed=[folder])
    assert outcome.result.published == 3


def test_the_first_build_told_what_changed_reads_everything(sample_site: Path) -> None:
    """With no earlier build to start from, the build walks and reads every article."""
    config = load_config(sample_site / "feeds.toml")
    told = run_build(config, NOW, changed=[next((sample_site / "articles").glob("*.txt"))])
    expected = len([p for p in (sample_site / "articles").rglob("*") if p.suffix in {".md", ".txt", ".json"}])
    assert told.result.articles >= expected > 1


def test_a_file_named_that_never_was_changes_nothing(empty_site: Path) -> None:
    (empty_site / "articles" / "a.md").write_text(
        "---\ntitle: A\ndate: 2026-11-20\n---\n\nText.\n", encoding="utf-8"
    )
    config = load_config(empty_site / "feeds.toml")
    run_build(config, NOW)
    before = published_files(empty_site)
    outcome = run_build(config, NOW, changed=[empty_site / "articles" / "never.md"])
    assert outcome.written is not None and not outcome.written.changed
    assert published_files(empty_site) == before


def test_the_command_line_takes_changed_paths(
    empty_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(empty_site)
    now = ["--now", "2026-11-25T12:00:00Z"]
    assert main(["build", "-q", *now]) == 0
    for name in ("a", "b"):
        (empty_site / "articles" / f"{name}.md").write_text(
            f"---\ntitle: Story {name}\ndate: 2026-11-20\n---\n\nText.\n", encoding="utf-8"
        )
    monkeypatch.setattr(feeds.build, "scan_folders", _no_walk)
    assert main(["build", "-q", *now, "--changed", "articles/a.md", "--changed", "articles/b.md"]) == 0
    feed = (empty_site / "public" / "rss.xml").read_text(encoding="utf-8")
    assert "Story a" in feed and "Story b" in feed
    assert capsys.readouterr().err == ""


def test_a_path_outside_the_articles_folder_is_a_usage_error(
    empty_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(empty_site)
    assert main(["build", "-q", "--changed", "feeds.toml"]) == 2
    error = capsys.readouterr().err
    assert "--changed: feeds.toml: not in the articles folder" in error and "Traceback" not in error
    assert not (empty_site / "public").exists()


def test_changed_does_not_go_with_watch(
    empty_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(empty_site)
    assert main(["build", "--watch", "--changed", "articles/a.md"]) == 2
    assert "--watch: goes with neither" in capsys.readouterr().err


def test_a_site_moved_since_its_last_build_is_walked(tmp_path: Path) -> None:
    """In a moved site, whether each link leads inside the articles folder is asked again."""
    site = Site(tmp_path / "site", random.Random(6))
    _build(site.folder, site.now)
    moved = Site.__new__(Site)
    moved.folder, moved.rng, moved.next, moved.now = tmp_path / "moved", site.rng, site.next, site.now
    shutil.copytree(site.folder, moved.folder)
    new = moved.add(date=(moved.now - timedelta(minutes=5)).isoformat())
    moved.now += timedelta(minutes=10)
    outcome = _build(moved.folder, moved.now, [new])
    assert outcome.result.published == 41
    _same_as_from_scratch(moved, tmp_path)


def test_the_articles_limit_is_judged_on_every_file(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(7), max_articles=40)
    _build(site.folder, site.now)
    new = site.add(date=(site.now - timedelta(minutes=5)).isoformat())
    site.now += timedelta(minutes=10)
    outcome = _build(site.folder, site.now, [new])
    assert outcome.result.published == 40
    assert any("more than max_articles (40)" in problem.message for problem in outcome.result.problems)
    _same_as_from_scratch(site, tmp_path)


def test_a_path_that_climbs_out_is_outside(
    empty_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`articles/../x.md` names a file beside the articles folder, never one to publish."""
    monkeypatch.chdir(empty_site)
    assert main(["build", "-q", "--now", "2026-11-25T12:00:00Z"]) == 0
    (empty_site / "secret.md").write_text(
        "---\ntitle: Secret\ndate: 2026-11-20\n---\n\nText.\n", encoding="utf-8"
    )
    assert main(["build", "-q", "--changed", "articles/../secret.md"]) == 2
    assert "articles/../secret.md: not in the articles folder" in capsys.readouterr().err
    assert "Secret" not in (empty_site / "public" / "rss.xml").read_text(encoding="utf-8")


def test_a_file_in_a_linked_folder_is_not_published_as_a_walk_would_not(empty_site: Path) -> None:
    elsewhere = empty_site / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.md").write_text(
        "---\ntitle: Linked in\ndate: 2026-11-20\n---\n\nText.\n", encoding="utf-8"
    )
    (empty_site / "articles" / "linked").symlink_to(elsewhere, target_is_directory=True)
    config = load_config(empty_site / "feeds.toml")
    assert run_build(config, NOW).result.published == 0  # the walk does not enter it
    told = run_build(config, NOW, changed=[empty_site / "articles" / "linked" / "x.md"])
    assert told.result.published == 0
