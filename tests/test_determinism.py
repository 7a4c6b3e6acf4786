"""The same articles give the same bytes, and a rebuild leaves unchanged files alone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
from lxml import etree

from feeds.read import find_article_files
from tests.conftest import NOW

OUTPUTS = ("rss.xml", "atom.xml", "feed.json")


def _snapshot(public: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(public.rglob("*")) if p.is_file()}


def _contents(public: Path) -> dict[str, bytes]:
    contents = {str(p.relative_to(public)): p.read_bytes() for p in public.rglob("*") if p.is_file()}
    assert set(OUTPUTS) <= set(contents)
    return contents


def test_a_second_build_rewrites_nothing(sample_site: Path, build) -> None:
    first = build(sample_site, NOW)
    assert first.written is not None and set(first.written.changed) == set(first.result.files)
    assert set(OUTPUTS) <= set(first.written.changed)
    public = sample_site / "public"
    for path in public.rglob("*"):  # make any rewrite visible in the mtime, whatever the clock's resolution
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    registry = sample_site / "feeds.registry.json"
    os.utime(registry, ns=(1_000_000_000, 1_000_000_000))
    before = _snapshot(public)

    second = build(sample_site, NOW.replace(year=2027))  # a later clock changes nothing either
    assert second.written is not None
    assert second.written.changed == ()
    assert not second.registry_written
    assert _snapshot(public) == before
    assert registry.stat().st_mtime_ns == 1_000_000_000


def test_two_sites_built_apart_are_byte_identical(tmp_path: Path, sample_site: Path, build) -> None:
    other = tmp_path / "other"
    shutil.copytree(sample_site, other)
    build(sample_site, NOW)
    build(other, NOW)
    assert _contents(sample_site / "public") == _contents(other / "public")


def test_output_does_not_depend_on_directory_listing_order(tmp_path: Path, sample_site: Path, build) -> None:
    # Recreate the articles in reverse order: most file systems then list them differently.
    reordered = tmp_path / "reordered"
    shutil.copytree(sample_site, reordered)
    shutil.rmtree(reordered / "articles")
    (reordered / "articles").mkdir()
    for path in sorted((sample_site / "articles").iterdir(), reverse=True):
        shutil.copy2(path, reordered / "articles" / path.name)
    assert [p.name for p in find_article_files(reordered / "articles")] == sorted(
        p.name for p in find_article_files(sample_site / "articles")
    )
    build(sample_site, NOW)
    build(reordered, NOW)
    assert _contents(sample_site / "public") == _contents(reordered / "public")


def test_output_does_not_depend_on_the_machines_time_zone(tmp_path: Path, sample_site: Path) -> None:
    far = tmp_path / "far"
    shutil.copytree(sample_site, far)
    results = []
    for site, zone in ((sample_site, "UTC"), (far, "Pacific/Kiritimati")):  # UTC+14
        env = {**os.environ, "TZ": zone}
        subprocess.run(
            [sys.executable, "-m", "feeds", "build", "--quiet", "--now", NOW.isoformat()],
            cwd=site,
            env=env,
            check=True,
        )
        results.append(_contents(site / "public"))
    assert results[0] == results[1]


def test_an_empty_site_has_a_fixed_plausible_date(empty_site: Path, build) -> None:
    draft = "---\ntitle: D\ndraft: true\n---\nBody.\n"
    (empty_site / "articles/draft.md").write_text(draft, encoding="utf-8")
    build(empty_site, NOW)
    public = empty_site / "public"
    atom = feedparser.parse((public / "atom.xml").read_bytes())
    rss = feedparser.parse((public / "rss.xml").read_bytes())
    assert atom.entries == rss.entries == []
    # Fixed (never the clock), and not before 1990, which the W3C validator calls implausible.
    assert atom.feed.updated == "2000-01-01T00:00:00+00:00"
    assert rss.feed.updated == "Sat, 01 Jan 2000 00:00:00 +0000"
    opml = etree.fromstring((public / "feeds.opml").read_bytes())
    assert opml.findtext("head/dateModified") == "Sat, 01 Jan 2000 00:00:00 +0000"
    assert json.loads((public / "feed.json").read_bytes())["items"] == []
