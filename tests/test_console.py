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
