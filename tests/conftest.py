"""Shared fixtures: the sample site in a temporary folder, a fixed clock, a one-call build."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.build import BuildOutcome, run_build
from feeds.config import SiteConfig, load_config
from feeds.model import Article, Author, Entry, Feed, FeedFiles
from feeds.write import LOCK_NAME, MANIFEST_NAME

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "articles" / "000_6fc94ed53eab6e90.txt"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
"""The build's clock in tests: fixed, never the wall clock."""


@pytest.fixture
def sample_site(tmp_path: Path) -> Path:
    """A copy of the repository's sample site (feeds.toml, articles/, registry)."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(REPO / "feeds.toml", site / "feeds.toml")
    shutil.copy(REPO / "feeds.registry.json", site / "feeds.registry.json")
    shutil.copytree(REPO / "articles", site / "articles")
    return site


@pytest.fixture
def empty_site(tmp_path: Path) -> Path:
    """A site with a minimal feeds.toml and an empty articles/ folder."""
    site = tmp_path / "site"
    (site / "articles").mkdir(parents=True)
    (site / "feeds.toml").write_text(
        'title = "Test Site"\nbase_url = "https://example.org/"\ntimezone = "Europe/Kyiv"\n',
        encoding="utf-8",
    )
    return site


Build = Callable[..., BuildOutcome]


@pytest.fixture
def build() -> Build:
    """Build the site in a folder with the fixed clock: `build(site, now=NOW, write=True)`."""

    def run(site: Path, now: datetime = NOW, **options: bool) -> BuildOutcome:
        return run_build(load_config(site / "feeds.toml"), now, **options)

    return run


def make_article(**fields: object) -> Article:
    """An `Article` as a reader would make it, with plain defaults for what a test leaves out."""
    values: dict[str, object] = {
        "source": "articles/a.md",
        "key": "articles/a.md",
        "title": "A title",
        "body": "Body text.",
        "body_format": "markdown",
    }
    values.update(fields)
    return Article(**values)  # type: ignore[arg-type]


def make_entry(n: int = 1, published: datetime | None = None, **overrides: object) -> Entry:
    """The `n`th of a series of entries (ids, slugs and URLs numbered), for render and select tests."""
    when = published or datetime(2022, 9, n, 14, 5, tzinfo=UTC)
    values: dict[str, object] = {
        "id": f"tag:example.org,2022-09-13:e{n}",
        "key": f"articles/e{n}.md",
        "source": f"articles/e{n}.md",
        "slug": f"e{n}",
        "title": f"Entry {n}",
        "url": f"https://example.org/e{n}/",
        "published": when,
        "updated": when,
        "summary": "Summary.",
        "content_html": "<p>Body.</p>",
    }
    values.update(overrides)
    return Entry(**values)  # type: ignore[arg-type]


def make_feed(*entries: Entry, **overrides: object) -> Feed:
    """A site feed at example.org carrying `entries`, updated at the newest entry's time."""
    values: dict[str, object] = {
        "id": "https://example.org/",
        "title": "Site",
        "description": "About the site",
        "home_url": "https://example.org/",
        "base_url": "https://example.org/",
        "files": FeedFiles(rss="rss.xml", atom="atom.xml", json="feed.json"),
        "language": "en",
        "authors": (Author("Desk", "desk@example.org"),),
        "entries": entries,
        "updated": max(e.updated for e in entries),
    }
    values.update(overrides)
    return Feed(**values)  # type: ignore[arg-type]


def site_config(**overrides: object) -> SiteConfig:
    """A SiteConfig for pure-stage tests (no files)."""
    values: dict[str, object] = {
        "title": "Test Site",
        "base_url": "https://example.org/",
        "timezone": "Europe/Kyiv",
    }
    values.update(overrides)
    return SiteConfig(**values)  # type: ignore[arg-type]


def published_files(site: Path) -> dict[str, bytes]:
    """Every file a build published under the site's public/ (not its lock or manifest), by path."""
    public = site / "public"
    return {
        p.relative_to(public).as_posix(): p.read_bytes()
        for p in sorted(public.rglob("*"))
        if p.is_file() and p.name not in {LOCK_NAME, MANIFEST_NAME}
    }


def sqlite_disk_io_error() -> sqlite3.OperationalError:
    """SQLite's "disk I/O error", with the result code SQLite itself sets on it (SQLITE_IOERR)."""
    error = sqlite3.OperationalError("disk I/O error")
    error.sqlite_errorcode = sqlite3.SQLITE_IOERR  # type: ignore[attr-defined]
    return error
