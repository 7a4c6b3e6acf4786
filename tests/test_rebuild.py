"""A rebuild from the last build's state gives the bytes of a build from scratch, after any change.

Each case starts a site, then makes random changes of every kind a newsroom makes
(new, edited, re-dated, retagged, removed, moved, broken and mended articles,
drafts, embargoes, lost output files), and after each one builds the site twice:
incrementally, and from scratch in a copy holding the same articles and registry.
Both must write the same files, byte for byte, and the same registry.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import feeds.build
from feeds.build import BuildOutcome, run_build
from feeds.config import load_config
from tests.conftest import NOW, published_files

FIRST = datetime(2021, 3, 1, 9, 0, tzinfo=NOW.tzinfo)
TAGS = ["Kyiv", "kyiv", "Izyum", "energy", "C++", "Київ"]


class Site:
    def __init__(self, folder: Path, rng: random.Random, **keys: object) -> None:
        self.folder = folder
        self.rng = rng
        self.next = 0
        self.now = NOW
        (folder / "articles").mkdir(parents=True)
        extra = "".join(f"{key} = {json.dumps(value)}\n" for key, value in keys.items())
        (folder / "feeds.toml").write_text(
            'title = "Desk"\nbase_url = "https://example.org/"\ntimezone = "Europe/Kyiv"\n'
            f"feed_limit = 6\narchive_page_size = 5\n{extra}",
            encoding="utf-8",
        )
        for _ in range(40):
            self.add()

    def articles(self) -> list[Path]:
        return sorted(p for p in (self.folder / "articles").rglob("*.md") if p.is_file())

    def pick(self) -> Path:
        return self.rng.choice(self.articles())

    def write(
        self,
        path: Path,
        *,
        title: str,
        date: str | None,
        tags: list[str],
        body: str,
        extra: str = "",
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        dated = f"date: {date}\n" if date else ""
        path.write_text(
            f"---\ntitle: {json.dumps(title)}\n{dated}author: {self.rng.choice(['Ann', 'Bo'])}\n"
            f"tags: {json.dumps(tags, ensure_ascii=False)}\n{extra}---\n\n{body}\n",
            encoding="utf-8",
        )

    def add(self, *, date: str | bool | None = True, extra: str = "") -> Path:
        number = self.next
        self.next += 1
        path = self.folder / "articles" / f"{number % 3}" / f"a{number:04}.md"
        if date is True:
            date = (FIRST + timedelta(hours=7 * number)).isoformat()
        tags = self.rng.sample(TAGS, self.rng.randint(0, 2))
        self.write(
            path,
            title=f"Article {number}",
            date=date or None,
            tags=tags,
            body=f"Opening of article {number}, with [a link](/about/).",
            extra=extra,
        )
        return path

    def rewrite(self, path: Path, **changes: object) -> None:
        text = path.read_text(encoding="utf-8")
        front, _, body = text.partition("\n---\n\n")
        fields = dict(
            line.split(": ", 1) for line in front.removeprefix("---\n").splitlines() if ": " in line
        )
        for key, value in changes.items():
            fields[key] = json.dumps(value, ensure_ascii=False)
        lines = "".join(f"{key}: {value}\n" for key, value in fields.items())
        path.write_text(f"---\n{lines}---\n\n{body}", encoding="utf-8")


def _new_newest(site: Site) -> None:
    site.add(date=(site.now - timedelta(minutes=5)).isoformat())


def _new_backdated(site: Site) -> None:
    site.add(date=(FIRST + timedelta(hours=site.rng.randint(0, 300))).isoformat())


def _new_undated(site: Site) -> None:
    site.add(date=None)


def _new_draft(site: Site) -> None:
    site.add(extra="draft: true\n")


def _undraft(site: Site) -> None:
    drafts = [p for p in site.articles() if "draft: true" in p.read_text(encoding="utf-8")]
    if drafts:
        path = site.rng.choice(drafts)
        path.write_text(path.read_text(encoding="utf-8").replace("draft: true\n", ""), encoding="utf-8")


def _embargoed(site: Site) -> None:
    site.add(date=(site.now + timedelta(minutes=site.rng.randint(10, 120))).isoformat())


def _edit_body(site: Site) -> None:
    path = site.pick()
    path.write_text(path.read_text(encoding="utf-8") + f"\nAn edit, {site.rng.random()}.\n", encoding="utf-8")


def _edit_title(site: Site) -> None:
    site.rewrite(site.pick(), title=f"Retitled {site.rng.randint(0, 10**6)}")


def _retag(site: Site) -> None:
    site.rewrite(site.pick(), tags=site.rng.sample(TAGS, site.rng.randint(0, 3)))


def _redate(site: Site) -> None:
    site.rewrite(site.pick(), date=(FIRST + timedelta(hours=site.rng.randint(0, 400))).isoformat())


def _remove(site: Site) -> None:
    site.pick().unlink()


def _move(site: Site) -> None:
    path = site.pick()
    path.rename(path.with_name(f"moved-{path.name}"))


def _break(site: Site) -> None:
    path = site.pick()
    path.write_text("---\ntitle: [unclosed\n---\n\nBroken.\n", encoding="utf-8")


def _duplicate_slug(site: Site) -> None:
    path = site.pick()
    (path.parent.parent / "9").mkdir(exist_ok=True)
    shutil.copy(path, path.parent.parent / "9" / path.name)


def _touch(site: Site) -> None:
    path = site.pick()
    path.write_bytes(path.read_bytes())


def _lose_output(site: Site) -> None:
    files = sorted(
        p for p in (site.folder / "public").rglob("*") if p.is_file() and not p.name.startswith(".")
    )
    site.rng.choice(files).unlink()


CHANGES: list[Callable[[Site], None]] = [
    _new_newest,
    _new_newest,
    _new_newest,
    _new_backdated,
    _new_undated,
    _new_draft,
    _undraft,
    _embargoed,
    _edit_body,
    _edit_body,
    _edit_title,
    _retag,
    _redate,
    _remove,
    _move,
    _break,
    _duplicate_slug,
    _touch,
    _lose_output,
]


def _build(folder: Path, now: datetime, changed: list[Path] | None = None) -> BuildOutcome:
    return run_build(load_config(folder / "feeds.toml"), now, workers=1, changed=changed)


def article_files(folder: Path) -> dict[Path, tuple[bytes, int]]:
    """Every file in the site's articles folder, with its bytes and mtime."""
    return {
        path: (path.read_bytes(), path.stat().st_mtime_ns)
        for path in (folder / "articles").rglob("*")
        if path.is_file()
    }


def changed_between(
    before: dict[Path, tuple[bytes, int]], after: dict[Path, tuple[bytes, int]]
) -> list[Path]:
    """The files added, removed, or given other bytes or another mtime (`article_files` twice)."""
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


@pytest.mark.parametrize("seed", range(12))
def test_rebuilds_after_random_changes_give_the_bytes_of_a_build_from_scratch(
    tmp_path: Path, seed: int
) -> None:
    _random_series(tmp_path, seed, lambda rng: timedelta(minutes=rng.randint(1, 90)))


@pytest.mark.parametrize("seed", range(4))
def test_rebuilds_within_the_same_second_give_the_bytes_of_a_build_from_scratch(
    tmp_path: Path, seed: int
) -> None:
    """Builds in the second of the one before (the clock has whole seconds): stamps may meet."""
    _random_series(tmp_path, 100 + seed, lambda rng: timedelta(seconds=rng.choice([0, 0, 1, 2])))


@pytest.mark.parametrize("seed", range(4))
def test_rebuilds_told_what_changed_give_the_bytes_of_a_build_from_scratch(tmp_path: Path, seed: int) -> None:
    """`feeds build --changed`: each rebuild is given the paths that changed (found here by
    comparing the files' bytes and times before and after), and walks nothing else."""
    _random_series(tmp_path, 200 + seed, lambda rng: timedelta(minutes=rng.randint(1, 90)), told=True)


def _random_series(
    tmp_path: Path, seed: int, step: Callable[[random.Random], timedelta], *, told: bool = False
) -> None:
    """Ten random changes, each built incrementally and from scratch, `step` apart: the same.

    `told`: the incremental build is told which files changed (`run_build(changed=...)`)."""
    rng = random.Random(seed)
    options = {"topic_archives": True} if seed % 2 else {}
    site = Site(tmp_path / "site", rng, **options)
    _build(site.folder, site.now)
    for step_number in range(10):
        change = rng.choice(CHANGES)
        before = article_files(site.folder)
        change(site)
        changed = changed_between(before, article_files(site.folder))
        site.now += step(rng)
        scratch = tmp_path / f"scratch-{step_number}"
        shutil.copytree(site.folder, scratch, ignore=shutil.ignore_patterns("public", ".feeds-cache"))
        incremental = _build(site.folder, site.now, changed if told else None)
        from_scratch = _build(scratch, site.now)
        assert published_files(site.folder) == published_files(scratch), (
            f"after {change.__name__} (step {step_number})"
        )
        registry = "feeds.registry.json"
        assert (site.folder / registry).read_bytes() == (scratch / registry).read_bytes(), change.__name__
        assert incremental.result.problems == from_scratch.result.problems, change.__name__
        assert (incremental.result.published, incremental.result.held, incremental.result.articles) == (
            from_scratch.result.published,
            from_scratch.result.held,
            from_scratch.result.articles,
        )
        shutil.rmtree(scratch)


@pytest.mark.parametrize("told", [False, True], ids=["walked", "told"])
def test_the_common_changes_are_rebuilt_incrementally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, told: bool
) -> None:
    """`told`: each build is told which files changed (`--changed`), and walks no folder."""
    site = Site(tmp_path / "site", random.Random(1))
    _build(site.folder, site.now)

    def refuse(*args: object, **keys: object) -> None:
        raise AssertionError("built from scratch" if args else "walked the articles folder")

    monkeypatch.setattr(feeds.build, "_full_build", refuse)
    if told:
        monkeypatch.setattr(feeds.build, "scan_folders", refuse)
    for change in (_new_newest, _new_undated, _edit_body, _edit_title, _retag, _remove, _new_draft, _touch):
        before = article_files(site.folder)
        change(site)
        site.now += timedelta(minutes=10)
        outcome = _build(
            site.folder, site.now, changed_between(before, article_files(site.folder)) if told else None
        )
        assert outcome.written is not None, change.__name__
