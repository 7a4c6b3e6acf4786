"""The command line's output: plain lines when piped, colour on a terminal unless NO_COLOR."""

from __future__ import annotations

import io

import pytest

from feeds.console import Reporter
from feeds.errors import Problem

PROBLEMS = [
    Problem("articles/b.md", "missing title", 3),
    Problem("articles/a.md", "is not UTF-8: read as cp1251 (detected)", severity="warning"),
    Problem("articles/a.md", "duplicate slug 'a'", 1),
]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_piped_output_is_plain_lines_grouped_by_file() -> None:
    out = io.StringIO()
    Reporter(err=out).problems(PROBLEMS)
    assert out.getvalue().splitlines() == [
        "articles/a.md: warning: is not UTF-8: read as cp1251 (detected)",
        "articles/a.md:1: error: duplicate slug 'a'",
        "articles/b.md:3: error: missing title",
    ]


def test_a_terminal_gets_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    out = Terminal()
    Reporter(err=out).problems(PROBLEMS[:1])
    assert "\x1b[" in out.getvalue()
    assert "articles/b.md:3: " in out.getvalue() and "missing title" in out.getvalue()


@pytest.mark.parametrize("terminal", [False, True])
def test_a_problem_is_one_line_whatever_its_file_is_called(
    terminal: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A newline or an escape in a file name must not split the line or drive the terminal;
    # a name that is not UTF-8 reaches us as lone surrogates, which no stream can encode.
    monkeypatch.setenv("TERM", "xterm-256color")
    out = Terminal() if terminal else io.StringIO()
    Reporter(err=out).problems([Problem("articles/two\nlines\x1b[2J\udce9.md", "broken\nYAML", 2)])
    shown = out.getvalue()
    assert shown.count("\n") == 1 and "\x1b[2J" not in shown
    assert "articles/two\\nlines\\x1b[2J\\udce9.md:2: " in shown and "broken\\nYAML" in shown
    shown.encode("utf-8")


def test_no_color_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    out = Terminal()
    Reporter(err=out).problems(PROBLEMS[:1])
    assert "\x1b[" not in out.getvalue()
    assert out.getvalue() == "articles/b.md:3: error: missing title\n"


def test_progress_only_on_a_terminal_and_not_when_quiet() -> None:
    with Reporter(err=io.StringIO()).progress() as progress:
        assert progress is None
    with Reporter(quiet=True, err=Terminal()).progress() as progress:
        assert progress is None
    with Reporter(err=Terminal()).progress() as progress:
        assert progress is not None
        for done in range(600):
            progress("reading", done, 600)
