"""The `feeds` command: defaults, one-line reports, problems as lines, exit statuses, no tracebacks.

Exit statuses (feeds/cli.py): 0 success; 1 the build failed, or --strict and an article
was rejected; 2 a usage or configuration error. Most tests call `feeds.cli.main` in
the process; a few run the real program (`python -m feeds`, and the `feeds` script).

The build writes more than the three site feeds (topic feeds, archive pages, feeds.opml,
feed-links.html): counts of files written are taken from the output folder, never hard-coded.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from lxml import etree

import feeds.cli
from feeds import __version__
from feeds.cli import main

NOW = ["--now", "2026-11-25T12:00:00Z"]
SITE_FEEDS = ("rss.xml", "atom.xml", "feed.json")
ATOM = "{http://www.w3.org/2005/Atom}"
BAD_DATE = "---\ntitle: Bad\ndate: 2022-02-30\n---\nNot a real day.\n"
BAD_DATE_PROBLEM = "articles/bad.md: error: '2022-02-30' is not a real date"
NO_TITLE = "---\ndate: 2022-01-01\n---\nno title\n"
NO_TITLE_PROBLEM = "articles/bad.md: error: missing title"

# The sample site's published entries, worked out by hand from articles/: the draft
# (corrections-policy.md) is held back; wire.jsonl holds two; the others one each.
SAMPLE_IDS = {
    "tag:news.example.org,2022-09-13:kharkiv-oblast-after-the-retreat",  # .txt + sidecar slug
    "tag:news.example.org,2022-09-20:how-we-publish",  # file name without its date prefix
    "tag:news.example.org,2022-09-16:demining-explained",
    "urn:uuid:6c1f4b2e-8a0d-4f5e-9b7a-3d2c1e0f9a87",  # the JSON record's own id
    "urn:uuid:0b8e3f5a-1c2d-4e6f-8a9b-7c6d5e4f3a21",  # wire.jsonl guids
    "urn:uuid:7d9e2c4b-5a6f-4b8c-9d0e-1f2a3b4c5d6e",
}
SAMPLE_REPORT = "7 articles read, 6 published, 1 held back, 0 rejected"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `feeds ARGS` in this process: (exit status, stdout, stderr). Never a traceback."""
    status = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out and "Traceback" not in err
    return status, out, err


def _exit_of(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int | str | None, str, str]:
    """For arguments argparse handles itself (--help, --version, bad options): it exits."""
    with pytest.raises(SystemExit) as caught:
        main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out and "Traceback" not in err
    return caught.value.code, out, err


def _atom_ids(path: Path) -> set[str | None]:
    root = etree.parse(str(path)).getroot()
    return {entry.findtext(f"{ATOM}id") for entry in root.iterfind(f"{ATOM}entry")}


def _tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file below `folder` with its bytes and mtime."""
    return {
        path.relative_to(folder).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _age(folder: Path) -> None:
    """Give every file an old mtime, so that any rewrite shows whatever the clock's resolution."""
    for path in folder.rglob("*"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))


def _written(public: Path) -> list[str]:
    return [name for name in _tree(public) if not Path(name).name.startswith(".")]


# --- feeds build / feeds check ------------------------------------------------------------


def test_build_with_no_arguments_publishes_the_site_in_the_current_folder(
    sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(sample_site)
    status, out, err = _run(capsys, "build", *NOW)
    assert (status, err) == (0, "")
    public = sample_site / "public"
    for name in SITE_FEEDS:
        assert (public / name).is_file(), name
    found = re.fullmatch(rf"built: {SAMPLE_REPORT}; (\d+) files written, 0 unchanged \(\d+\.\d\d s\)\n", out)
    assert found, out
    assert int(found.group(1)) == len(_written(public))
    assert _atom_ids(public / "atom.xml") == SAMPLE_IDS

    # Built again with nothing changed: everything is left alone, and the report says so.
    status, out, err = _run(capsys, "build", *NOW)
    assert (status, err) == (0, "")
    assert re.fullmatch(
        rf"built: {SAMPLE_REPORT}; 0 files written, {len(_written(public))} unchanged \(\d+\.\d\d s\)\n", out
    )


def test_quiet_build_prints_nothing_and_verbose_names_every_file(
    sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(sample_site)
    assert _run(capsys, "build", "--quiet", *NOW) == (0, "", "")
    (sample_site / "public" / "atom.xml").unlink()
    status, out, _ = _run(capsys, "build", "--verbose", *NOW)
    assert status == 0
    assert out.splitlines()[1:] == ["  wrote atom.xml"]


def _errors(err: str) -> str:
    """Standard error without `feeds check`'s advice (warnings), for tests about errors."""
    return "".join(line for line in err.splitlines(keepends=True) if ": warning: " not in line)


def test_check_advises_on_articles(
    empty_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(empty_site)
    articles = empty_site / "articles"
    (articles / "fine.md").write_text(
        "---\ntitle: Fine\nsummary: S.\nimage: a.jpg\n---\nx\n", encoding="utf-8"
    )
    (articles / "long.md").write_text(
        f"---\ntitle: {'Long ' * 30}\nsummary: S.\nimage: a.jpg\n---\nx\n", encoding="utf-8"
    )
    (articles / "bare.md").write_text("---\ntitle: Bare\n---\nx\n", encoding="utf-8")
    (articles / "later.md").write_text(
        "---\ntitle: Later\ndate: 2100-01-01T00:00:00Z\nsummary: S.\nimage: a.jpg\n---\nx\n", encoding="utf-8"
    )
    status, _, err = _run(capsys, "check", *NOW)
    assert status == 0
    assert err.splitlines() == [
        "articles/bare.md: warning: no summary: readers see the opening paragraphs instead",
        "articles/bare.md: warning: no image: readers that show one per entry show none",
        "articles/later.md: warning: dated 2100-01-01T00:00:00+00:00: not published until then",
        "articles/long.md: warning: the title is 149 characters long; readers cut near 55",
    ]
    assert _run(capsys, "build", *NOW)[2] == ""  # advice is for `check`; `build` stays quiet


def test_check_reads_everything_and_writes_nothing(
    sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(sample_site)
    (sample_site / "articles" / "new.md").write_text("---\ntitle: New\n---\nUndated.\n", encoding="utf-8")
    _age(sample_site)
    before = _tree(sample_site)
    status, out, err = _run(capsys, "check", *NOW)
    assert (status, _errors(err)) == (0, "")
    assert re.fullmatch(
        r"checked: 8 articles read, 7 published, 1 held back, 0 rejected \(\d+\.\d\d s\)\n", out
    )
    assert not (sample_site / "public").exists()
    assert _tree(sample_site) == before  # not even the registry learns of new.md


def test_a_bad_article_is_reported_on_one_line_and_the_rest_is_published(
    sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(sample_site)
    (sample_site / "articles" / "bad.md").write_text(BAD_DATE, encoding="utf-8")
    for command in ("check", "build"):
        status, out, err = _run(capsys, command, *NOW)
        assert status == 0, command
        assert _errors(err) == f"{BAD_DATE_PROBLEM} (day is out of range for month)\n"
        assert "8 articles read, 6 published, 1 held back, 1 rejected" in out
    assert _atom_ids(sample_site / "public" / "atom.xml") == SAMPLE_IDS


def test_check_strict_fails_on_a_bad_article(
    sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(sample_site)
    (sample_site / "articles" / "bad.md").write_text(BAD_DATE, encoding="utf-8")
    status, _, err = _run(capsys, "check", "--strict", *NOW)
    assert status == 1
    assert _errors(err).startswith(BAD_DATE_PROBLEM)
    assert not (sample_site / "public").exists()


@pytest.mark.parametrize(
    ("bad", "problem", "report"),
    [
        # A date is judged after reading (the article counts as read); a missing title while reading.
        (BAD_DATE, BAD_DATE_PROBLEM, "9 articles read, 7 published, 1 held back, 1 rejected"),
        (NO_TITLE, NO_TITLE_PROBLEM, "8 articles read, 7 published, 1 held back, 1 rejected"),
    ],
    ids=["bad-date", "no-title"],
)
def test_strict_build_with_a_bad_article_fails_and_changes_nothing(
    sample_site: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    bad: str,
    problem: str,
    report: str,
) -> None:
    monkeypatch.chdir(sample_site)
    assert _run(capsys, "build", *NOW)[0] == 0
    articles = sample_site / "articles"
    (articles / "bad.md").write_text(bad, encoding="utf-8")
    # A good new article too: a build that wrote anything would change the feeds.
    (articles / "good.md").write_text("---\ntitle: Good\ndate: 2026-11-01\n---\nNew.\n", encoding="utf-8")
    _age(sample_site)
    public, registry = _tree(sample_site / "public"), (sample_site / "feeds.registry.json").read_bytes()

    status, out, err = _run(capsys, "build", "--strict", *NOW)
    assert status == 1
    assert err.splitlines()[0].startswith(problem)
    assert err.splitlines()[1:] == ["feeds: error: --strict: 1 article rejected; nothing was written"]
    assert report in out
    assert _tree(sample_site / "public") == public
    assert (sample_site / "feeds.registry.json").read_bytes() == registry


def test_strict_build_with_a_bad_article_creates_no_output_folder(
    sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(sample_site)
    (sample_site / "articles" / "bad.md").write_text(BAD_DATE, encoding="utf-8")
    assert _run(capsys, "build", "--strict", *NOW)[0] == 1
    assert not (sample_site / "public").exists()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("bad.json", '{"title": ' + "9" * 4301 + "}"),
        ("bad.md", "---\ntitle: Bad\ndate: !!timestamp 2022-02-30\n---\nx\n"),
    ],
    ids=["huge-number-in-json", "explicit-yaml-timestamp-no-real-day"],
)
def test_an_article_that_breaks_its_reader_is_rejected_alone(
    sample_site: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    text: str,
) -> None:
    # Python refuses to turn more than 4300 digits into an int; YAML's explicit tags are still read.
    monkeypatch.chdir(sample_site)
    (sample_site / "articles" / name).write_text(text, encoding="utf-8")
    status, out, err = _run(capsys, "build", *NOW)
    assert status == 0, err
    assert len(err.splitlines()) == 1 and err.startswith(f"articles/{name}:"), err
    assert "1 rejected" in out
    assert _atom_ids(sample_site / "public" / "atom.xml") == SAMPLE_IDS


@pytest.mark.parametrize(
    ("front_matter", "link"),
    [
        ("title: " + "9" * 4301, None),  # plain YAML scalars are text: a long title, not a number
        ('title: Bad\nurl: "/bad\\x01/"', "https://news.example.org/bad/"),  # made XML-safe
    ],
    ids=["huge-number-title", "control-character-in-url"],
)
def test_an_odd_article_the_rules_accept_is_published_with_the_rest(
    sample_site: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    front_matter: str,
    link: str | None,
) -> None:
    monkeypatch.chdir(sample_site)
    (sample_site / "articles" / "bad.md").write_text(f"---\n{front_matter}\n---\nx\n", encoding="utf-8")
    status, out, err = _run(capsys, "build", *NOW)
    assert (status, err) == (0, "")
    assert "7 published" in out and "0 rejected" in out
    new_id = "tag:news.example.org,2026-11-25:bad"  # undated: dated by this build
    assert _atom_ids(sample_site / "public" / "atom.xml") == SAMPLE_IDS | {new_id}
    if link is not None:
        root = etree.parse(str(sample_site / "public" / "atom.xml")).getroot()
        (entry,) = [e for e in root.iterfind(f"{ATOM}entry") if e.findtext(f"{ATOM}id") == new_id]
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href") == link  # type: ignore[union-attr]


def test_an_internal_error_is_one_line_without_a_traceback(
    sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.chdir(sample_site)
    monkeypatch.setattr(feeds.cli, "run_build", broken)
    status, out, err = _run(capsys, "build", *NOW)
    assert (status, out) == (1, "")
    assert err == (
        "feeds: error: internal error (RuntimeError: boom); please report it "
        "(run with --verbose for details)\n"
    )


def test_a_missing_articles_folder_fails_the_build(
    empty_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(empty_site)
    (empty_site / "articles").rmdir()
    status, out, err = _run(capsys, "build", *NOW)
    assert (status, out) == (1, "")
    assert err == "feeds: error: build failed: articles: no such folder of articles\n"


def test_an_unreadable_now_is_a_usage_error(
    sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(sample_site)
    status, out, err = _run(capsys, "build", "--now", "someday")
    assert (status, out) == (2, "")
    assert err == "feeds: error: --now: 'someday' is not a date that can be read\n"
    assert not (sample_site / "public").exists()


# --- the folders ---------------------------------------------------------------------------


def test_articles_and_output_options_override_the_folders(
    sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(sample_site)
    elsewhere = sample_site / "wire-only"
    elsewhere.mkdir()
    (sample_site / "articles" / "wire.jsonl").rename(elsewhere / "wire.jsonl")
    status, out, err = _run(capsys, "build", "--articles", "wire-only", "--output", "out", *NOW)
    assert (status, err) == (0, "")
    assert out.startswith("built: 2 articles read, 2 published, 0 held back, 0 rejected;")
    assert not (sample_site / "public").exists()
    assert _atom_ids(sample_site / "out" / "atom.xml") == {
        "urn:uuid:0b8e3f5a-1c2d-4e6f-8a9b-7c6d5e4f3a21",
        "urn:uuid:7d9e2c4b-5a6f-4b8c-9d0e-1f2a3b4c5d6e",
    }


def test_a_config_elsewhere_takes_its_folders_from_beside_it(
    sample_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = _run(capsys, "build", "--config", "site/feeds.toml", *NOW)
    assert (status, err) == (0, "")
    assert SAMPLE_REPORT in out
    assert _atom_ids(sample_site / "public" / "atom.xml") == SAMPLE_IDS
    assert not (tmp_path / "public").exists()


def test_naming_the_default_articles_folder_changes_nothing(
    empty_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Registry keys are paths inside the articles folder: how the folder is named changes none.
    monkeypatch.chdir(empty_site)
    (empty_site / "articles" / "note.md").write_text("---\ntitle: Note\n---\nUndated.\n", encoding="utf-8")
    assert _run(capsys, "build", *NOW)[0] == 0
    # Undated: dated by its first build (2026-11-25 in Kyiv), in the id minted then.
    note_id = "tag:example.org,2026-11-25:note"
    assert _atom_ids(empty_site / "public" / "atom.xml") == {note_id}
    registry = (empty_site / "feeds.registry.json").read_bytes()

    later = ["--now", "2026-12-01T12:00:00Z"]
    assert _run(capsys, "build", "--articles", "articles", *later)[0] == 0
    assert _atom_ids(empty_site / "public" / "atom.xml") == {note_id}
    assert (empty_site / "feeds.registry.json").read_bytes() == registry


def test_folders_can_be_given_as_absolute_paths_from_anywhere(
    sample_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
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
    assert all((elsewhere / name).is_file() for name in (*SITE_FEEDS, "feeds.opml", "feed-links.html"))
    assert not (sample_site / "public").exists()


# --- configuration problems -----------------------------------------------------------------

GOOD_URL = 'base_url = "https://news.example.org/"\n'


@pytest.mark.parametrize(
    ("toml", "problems"),
    [
        (
            'titel = "Frontline Desk"\n' + GOOD_URL,
            ["unknown key 'titel' (did you mean 'title'?)", "missing required key 'title'"],
        ),
        ('title = "Frontline Desk"\n', ["missing required key 'base_url'"]),
        (
            'title = "Frontline Desk"\nbase_url = "news.example.org/"\n',
            [
                "'base_url': must be an absolute http(s) URL such as 'https://example.org/', "
                "not 'news.example.org/'"
            ],
        ),
        ('title = "Frontline Desk"\nbase_url = "/blog/"\n', ["'base_url': must be an absolute http(s) URL"]),
        (
            'title = "Frontline Desk"\n' + GOOD_URL + 'feed_limit = "ten"\n',
            ["'feed_limit': must be a whole number"],
        ),
        (
            'titel = "Frontline Desk"\nfeed_limit = "ten"\n',
            [
                "unknown key 'titel' (did you mean 'title'?)",
                "missing required key 'title'",
                "missing required key 'base_url'",
                "'feed_limit': must be a whole number",
            ],
        ),
    ],
    ids=[
        "misspelt-title",
        "no-base-url",
        "relative-base-url",
        "path-base-url",
        "feed-limit-text",
        "all-at-once",
    ],
)
@pytest.mark.parametrize("command", ["build", "check"])
def test_a_bad_configuration_exits_2_with_one_line_per_problem(
    sample_site: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    toml: str,
    problems: list[str],
) -> None:
    monkeypatch.chdir(sample_site)
    (sample_site / "feeds.toml").write_text(toml, encoding="utf-8")
    status, out, err = _run(capsys, command, *NOW)
    assert (status, out) == (2, "")
    lines = err.splitlines()
    assert len(lines) == len(problems), err
    for line, problem in zip(lines, problems, strict=True):
        assert line.startswith(f"feeds: error: feeds.toml: {problem}"), line
    assert not (sample_site / "public").exists()


def test_a_missing_configuration_exits_2_and_points_to_init_and_the_readme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = _run(capsys, "build", *NOW)
    assert (status, out) == (2, "")
    assert err == (
        "feeds: error: feeds.toml: no such file"
        " (start a site with `feeds init`; README.md, 'Configuration', lists the keys)\n"
    )
    assert list(tmp_path.iterdir()) == []
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "\n## Configuration" in readme  # the section the message names exists


# --- help, version, usage -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (["--help"], ["build", "check", "--version"]),
        (["build", "--help"], ["--strict", "--articles", "--output", "--now", "--config"]),
        (["check", "--help"], ["--strict", "--articles", "--now", "--config"]),
        (["init", "--help"], ["--title", "--base-url", "--timezone"]),
        (["new", "--help"], ["--format", "--draft", "--config"]),
        (["serve", "--help"], ["--host", "--port", "--output"]),
    ],
)
def test_help_exits_0(capsys: pytest.CaptureFixture[str], args: list[str], mentions: list[str]) -> None:
    code, out, err = _exit_of(capsys, *args)
    assert (code, err) == (0, "")
    assert out.startswith("usage: feeds")
    for option in mentions:
        assert option in out


def test_check_help_promises_no_files_written(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _exit_of(capsys, "check", "--help")
    assert "written" not in out
    assert "also list every file written" in _exit_of(capsys, "build", "--help")[1]


def test_the_summary_says_1_article_not_1_articles(
    empty_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (empty_site / "articles/a.md").write_text("---\ntitle: A\ndate: 2022-01-01\n---\nA.\n", encoding="utf-8")
    monkeypatch.chdir(empty_site)
    status, out, _ = _run(capsys, "check", *NOW)
    assert status == 0
    assert out.startswith("checked: 1 article read, 1 published, 0 held back, 0 rejected (")
    status, out, _ = _run(capsys, "build", *NOW)
    assert out.startswith("built: 1 article read, 1 published, 0 held back, 0 rejected; ")
    assert " files written, 0 unchanged" in out


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _exit_of(capsys, "--version")
    assert code == 0
    assert out == f"feeds {__version__}\n"
    assert out == f"feeds {importlib.metadata.version('feeds')}\n"


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys)
    assert (status, out) == (2, "")
    assert err.startswith("usage: feeds")


@pytest.mark.parametrize("args", [["publish"], ["build", "--bogus"], ["build", "--quiet", "--verbose"]])
def test_a_bad_command_line_exits_2(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, out, err = _exit_of(capsys, *args)
    assert (code, out) == (2, "")
    assert "usage: feeds" in err


# --- the real program ------------------------------------------------------------------------


def _program(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feeds", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_program_builds_the_sample_site(sample_site: Path) -> None:
    done = _program("build", *NOW, cwd=sample_site)
    assert (done.returncode, done.stderr) == (0, "")
    assert len(done.stdout.splitlines()) == 1 and SAMPLE_REPORT in done.stdout
    assert _atom_ids(sample_site / "public" / "atom.xml") == SAMPLE_IDS


def test_the_program_without_a_command_exits_2_with_usage(tmp_path: Path) -> None:
    done = _program(cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("usage: feeds") and "Traceback" not in done.stderr


def test_the_console_script_and_the_module_both_run(sample_site: Path) -> None:
    for command in ([sys.executable, "-m", "feeds"], [str(Path(sys.executable).with_name("feeds"))]):
        if not Path(command[0]).exists():
            continue
        done = subprocess.run(
            [*command, "check", "--quiet", *NOW], cwd=sample_site, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == "" and _errors(done.stderr) == ""


def test_serve_previews_the_built_site(sample_site: Path) -> None:
    subprocess.run([sys.executable, "-m", "feeds", "build", "-q", *NOW], cwd=sample_site, check=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "feeds", "serve", "--port", "0"],
        cwd=sample_site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        banner = server.stderr.readline()
        assert banner.startswith("serving public at http://127.0.0.1:"), banner
        base = banner.split(" at ", 1)[1].split()[0]
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, no proxy
        with direct.open(base + "atom.xml", timeout=5) as response:
            assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
            assert response.read() == (sample_site / "public" / "atom.xml").read_bytes()
    finally:
        server.terminate()
        server.wait(5)


def test_a_damaged_registry_fails_the_build_in_one_line_and_keeps_the_feeds(
    sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(sample_site)
    assert _run(capsys, "build", *NOW)[0] == 0
    registry = sample_site / "feeds.registry.json"
    registry.write_text(registry.read_text().replace('"id": "', '"id": 7, "was": "', 1))
    _age(sample_site)
    public = _tree(sample_site / "public")
    status, _, err = _run(capsys, "build", *NOW)
    assert status == 1
    assert err.splitlines() == [
        "feeds: error: build failed: feeds.registry.json: the registry is damaged (an id and a hash are"
        " text); restore it from version control"
    ]
    assert _tree(sample_site / "public") == public
