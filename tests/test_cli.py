"""The command line: defaults, reports, problems as lines, exit statuses, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from feeds import __version__
from feeds.cli import main

NOW = ["--now", "2026-11-25T12:00:00Z"]
OUTPUTS = ("rss.xml", "atom.xml", "feed.json")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def _state(public: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(public.rglob("*")) if p.is_file()}


def test_build_with_no_arguments_uses_the_current_folder(
    sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(sample_site)
    status, out, err = _run(capsys, "build", *NOW)
    assert status == 0, err
    assert out == (
        "built: 7 articles read, 6 published, 1 held back, 0 rejected; 50 files written, 0 unchanged\n"
    )
    assert err == ""
    assert all((sample_site / "public" / name).is_file() for name in OUTPUTS)
    status, out, _ = _run(capsys, "build", *NOW)
    assert out.endswith("0 files written, 50 unchanged\n")


def test_check_writes_nothing(sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(sample_site)
    registry = (sample_site / "feeds.registry.json").read_bytes()
    (sample_site / "articles" / "new.md").write_text("---\ntitle: New\n---\nBody.\n", encoding="utf-8")
    status, out, _ = _run(capsys, "check", *NOW)
    assert status == 0
    assert out.startswith("checked: 8 articles read, 7 published")
    assert not (sample_site / "public").exists()
    assert (sample_site / "feeds.registry.json").read_bytes() == registry


def test_a_bad_article_is_reported_and_the_rest_published(
    sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(sample_site)
    (sample_site / "articles" / "bad.md").write_text(
        "---\ntitle: Bad\ndate: 2022-02-30\n---\nx\n", encoding="utf-8"
    )
    status, out, err = _run(capsys, "build", *NOW)
    assert status == 0
    assert err == "articles/bad.md: error: '2022-02-30' is not a real date (day is out of range for month)\n"
    assert "6 published" in out and "1 rejected" in out


def test_strict_fails_and_writes_nothing(sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(sample_site)
    assert _run(capsys, "build", *NOW)[0] == 0
    public = sample_site / "public"
    before = _state(public)
    registry = (sample_site / "feeds.registry.json").read_bytes()
    (sample_site / "articles" / "bad.md").write_text(
        "---\ndate: 2022-01-01\n---\nno title\n", encoding="utf-8"
    )
    (sample_site / "articles" / "good.md").write_text("---\ntitle: Good\n---\nA new one.\n", encoding="utf-8")
    status, _, err = _run(capsys, "build", "--strict", *NOW)
    assert status == 1
    assert "articles/bad.md: error: missing title" in err
    assert "--strict: 1 article(s) rejected; nothing was written" in err
    assert _state(public) == before
    assert (sample_site / "feeds.registry.json").read_bytes() == registry


@pytest.mark.parametrize(
    ("config", "messages"),
    [
        (
            'titel = "T"\nbase_url = "https://example.org/"\n',
            ["unknown key 'titel' (did you mean 'title'?)", "missing required key 'title'"],
        ),
        ('title = "T"\n', ["missing required key 'base_url'"]),
        ('title = "T"\nbase_url = "/blog/"\n', ["'base_url': must be an absolute http(s) URL"]),
        (
            'title = "T"\nbase_url = "https://e.org/"\nfeed_limit = "ten"\n',
            ["'feed_limit': must be a whole number"],
        ),
    ],
)
def test_bad_configuration_exits_2_with_a_line_per_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, config: str, messages: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "articles").mkdir()
    (tmp_path / "feeds.toml").write_text(config, encoding="utf-8")
    status, _, err = _run(capsys, "build", *NOW)
    assert status == 2
    lines = err.splitlines()
    assert len(lines) == len(messages)
    for line, message in zip(lines, messages, strict=True):
        assert line.startswith(f"feeds: error: feeds.toml: {message}")
    assert not (tmp_path / "public").exists()


def test_missing_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    status, _, err = _run(capsys, "build")
    assert status == 2 and "no such file" in err


def test_missing_articles_folder_fails_the_build(
    empty_site: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(empty_site)
    (empty_site / "articles").rmdir()
    status, _, err = _run(capsys, "build", *NOW)
    assert status == 1 and "no such folder of articles" in err


def test_bad_now_is_a_usage_error(sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(sample_site)
    status, _, err = _run(capsys, "build", "--now", "someday")
    assert status == 2 and "--now: 'someday' is not a date that can be read" in err


def test_folders_can_be_given(
    sample_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    elsewhere = tmp_path / "out"
    status, _, err = _run(
        capsys,
        "build",
        "--config",
        str(sample_site / "feeds.toml"),
        "--articles",
        str(sample_site / "articles"),
        "--output",
        str(elsewhere),
        *NOW,
    )
    assert status == 0, err
    assert all((elsewhere / name).is_file() for name in (*OUTPUTS, "feeds.opml", "feed-links.html"))
    assert not (sample_site / "public").exists()


@pytest.mark.parametrize("args", [["--help"], ["build", "--help"], ["check", "--help"]])
def test_help_everywhere(args: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(args)
    assert caught.value.code == 0
    assert "usage: feeds" in capsys.readouterr().out


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == f"feeds {__version__}\n"


def test_no_command_is_a_usage_error(capsys) -> None:
    assert main([]) == 2


def test_unknown_option_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["build", "--bogus"])
    assert caught.value.code == 2


def test_console_script_and_module_run(sample_site: Path) -> None:
    for command in ([sys.executable, "-m", "feeds"], [str(Path(sys.executable).with_name("feeds"))]):
        if not Path(command[0]).exists():
            continue
        done = subprocess.run(
            [*command, "check", "--quiet", *NOW], cwd=sample_site, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == "" and done.stderr == ""
