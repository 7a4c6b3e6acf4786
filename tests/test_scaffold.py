"""feeds init and feeds new: a working site in one command, an article in another."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from feeds.cli import main
from feeds.read import parse_source
from feeds.read.source import SourceFile
from feeds.scaffold import article_files

LATER = ["--now", "2100-01-01T00:00:00Z"]  # after any clock the tests run under
KYIV_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("Europe/Kyiv"))


def test_init_makes_a_site_that_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    site = tmp_path / "news"
    assert main(["init", str(site), "--title", "Kyiv Desk", "--timezone", "Europe/Kyiv"]) == 0
    out = capsys.readouterr().out
    assert f"next: cd {site} && feeds build" in out
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()) == [
        ".gitignore",
        "articles/welcome.md",
        "feeds.toml",
    ]
    monkeypatch.chdir(site)
    assert main(["build", *LATER]) == 0
    assert "1 published" in capsys.readouterr().out
    assert json.loads((site / "public/feed.json").read_bytes())["title"] == "Kyiv Desk"


def test_init_refuses_to_overwrite(tmp_path: Path, capsys) -> None:
    (tmp_path / "feeds.toml").write_text("mine\n", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 1
    assert "refusing to overwrite" in capsys.readouterr().err
    assert (tmp_path / "feeds.toml").read_text(encoding="utf-8") == "mine\n"
    assert not (tmp_path / "articles").exists()  # nothing written at all


def test_init_checks_what_it_is_given(tmp_path: Path, capsys) -> None:
    assert main(["init", str(tmp_path), "--base-url", "example.org"]) == 2
    assert "base_url" in capsys.readouterr().err
    assert not (tmp_path / "feeds.toml").exists()


@pytest.mark.parametrize("fmt", ["md", "txt", "json"])
def test_new_articles_read_back_as_written(fmt: str) -> None:
    files = article_files("Power is back in Izyum", fmt, KYIV_NOON, draft=True)  # type: ignore[arg-type]
    article_name = next(name for name in files if not name.endswith(".toml"))
    assert article_name == f"power-is-back-in-izyum.{fmt}"
    sidecar = files.get("power-is-back-in-izyum.toml")
    (article,) = parse_source(
        SourceFile(
            f"articles/{article_name}", files[article_name].encode(), sidecar.encode() if sidecar else None
        )
    )
    assert not isinstance(article, Exception), article
    assert article.title == "Power is back in Izyum"
    assert article.date == "2026-11-25T12:00:00+02:00"
    assert article.slug == "power-is-back-in-izyum"
    assert article.draft is True


def test_new_writes_into_the_articles_folder_and_drafts_wait(
    sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(sample_site)
    assert main(["new", "A draft"]) == 0
    assert capsys.readouterr().out == "articles/a-draft.md\n"
    assert main(["new", "Ready to go", "--no-draft", "--format", "txt"]) == 0
    assert capsys.readouterr().out == "articles/ready-to-go.txt\narticles/ready-to-go.toml\n"
    assert main(["build", *LATER]) == 0
    feed = json.loads((sample_site / "public/feed.json").read_bytes())
    titles = [item["title"] for item in feed["items"]]
    assert "Ready to go" in titles and "A draft" not in titles
    assert main(["new", "A draft"]) == 1  # the file exists: never overwritten
    assert "refusing to start 'a-draft'" in capsys.readouterr().err


def test_new_refuses_a_slug_that_an_article_in_any_format_has(
    sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(sample_site)
    assert main(["new", "Power returns"]) == 0
    assert capsys.readouterr().out == "articles/power-returns.md\n"
    (sample_site / "articles/2022-01-01-old-news.json").write_text('{"title": "Old news"}', encoding="utf-8")
    before = sorted((sample_site / "articles").rglob("*"))
    for title, fmt, owner in [
        ("Power returns", "txt", "articles/power-returns.md"),
        ("Power returns", "json", "articles/power-returns.md"),
        ("Power Returns!", "md", "articles/power-returns.md"),
        ("Old news", "md", "articles/2022-01-01-old-news.json"),  # a dated name has the slug too
    ]:
        assert main(["new", title, "--format", fmt]) == 1
        slug = "old-news" if title == "Old news" else "power-returns"
        assert capsys.readouterr().err == (
            f"feeds: error: refusing to start '{slug}': {owner} already has that slug\n"
        )
    assert sorted((sample_site / "articles").rglob("*")) == before  # nothing written
