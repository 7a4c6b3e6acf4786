"""Files to be read are hinted to the kernel first (`feeds.read.prefetch`).

The hint's worth is speed with a cold page cache, which the benchmark measures (README,
"Speed"); what the tests hold is that it is given for every file a worker will read, and that
it never blocks, raises or reads on anything a folder may hold instead of a file.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

import feeds.build
from feeds.build import _jobs, _same_contents, _stored_digests
from feeds.config import load_config
from feeds.read import prefetch, scan_article_files, with_sidecars


def test_prefetch_passes_over_what_is_not_a_readable_file(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: A\n---\n\nText.\n", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "pipe.md")  # opened without O_NONBLOCK, this would wait for a writer
    paths = [str(tmp_path / name) for name in ("a.md", "folder", "pipe.md", "missing.md")]
    done = threading.Event()
    hinting = threading.Thread(target=lambda: (prefetch(paths), done.set()), daemon=True)
    hinting.start()
    hinting.join(timeout=10)
    assert done.is_set(), "prefetch blocked"
    assert (tmp_path / "a.md").read_text(encoding="utf-8").startswith("---")


def test_with_sidecars_follows_each_path_with_its_sidecar() -> None:
    assert list(with_sidecars([("a/x.txt", True), ("a/y.md", False), ("z.txt", True)])) == [
        "a/x.txt",
        "a/x.toml",
        "a/y.md",
        "z.txt",
        "z.toml",
    ]


@pytest.fixture
def hinted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    monkeypatch.setattr(feeds.build, "prefetch", lambda paths: seen.extend(paths))
    return seen


def _site(tmp_path: Path) -> Path:
    articles = tmp_path / "articles"
    articles.mkdir()
    (tmp_path / "feeds.toml").write_text('title = "T"\nbase_url = "https://example.org/"\n', encoding="utf-8")
    (articles / "a.md").write_text("---\ntitle: A\ndate: 2026-11-01\n---\n\nText.\n", encoding="utf-8")
    (articles / "b.txt").write_text("Headline\n\nText.\n", encoding="utf-8")
    (articles / "b.toml").write_text('date = "2026-11-02T10:00:00Z"\n', encoding="utf-8")
    # Where a link leads is judged before it is opened: it is not hinted (the hint opens it).
    (tmp_path / "outside.md").write_text("---\ntitle: Out\n---\n\nText.\n", encoding="utf-8")
    (articles / "c.md").symlink_to(tmp_path / "outside.md")
    return tmp_path


def test_a_reading_worker_hints_its_chunk_of_files_and_sidecars_before_reading(
    tmp_path: Path, hinted: list[str]
) -> None:
    site = _site(tmp_path)
    config = load_config(site / "feeds.toml")
    files = scan_article_files(config.articles_dir)
    blobs = _stored_digests(_jobs(config, files))
    assert len(blobs) == 3
    articles = config.articles_dir
    assert hinted == [str(articles / "a.md"), str(articles / "b.txt"), str(articles / "b.toml")]


def test_a_hashing_worker_hints_its_chunk_too(tmp_path: Path, hinted: list[str]) -> None:
    site = _site(tmp_path)
    config = load_config(site / "feeds.toml")
    files = scan_article_files(config.articles_dir)
    moved = [((f.key, f.path, tuple(f.state), f.link), tuple(f.state), None) for f in files]
    assert _same_contents(moved) == [False, False, False]  # no content hash known: not the same
    articles = config.articles_dir
    assert hinted == [str(articles / "a.md"), str(articles / "b.txt"), str(articles / "b.toml")]
