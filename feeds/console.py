"""How the command line talks: plain lines when piped, colour and a progress bar on a terminal.

Problems are always one line, `path[:line]: severity: message` (what editors and grep
understand), sorted so that each file's problems stand together. Colour only on a
terminal, and never when NO_COLOR is set (rich honours it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from feeds.errors import Problem, printable
from feeds.read import Progress

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID

# rich is imported when first needed (a terminal, colour, a progress bar): a piped, quiet
# build does not wait the tenth of a second it takes to load.

SHOW_PROGRESS_FROM = 500
"""Fewer articles than this build too fast for a progress bar to help."""
_STYLES = {"error": "bold red", "warning": "yellow"}


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Reporter:
    def __init__(self, *, quiet: bool = False, verbose: bool = False, err: TextIO | None = None) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self._file = err or sys.stderr
        self._console: Console | None = None

    @property
    def _err(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self._file, highlight=False, soft_wrap=True)
        return self._console

    @property
    def on_terminal(self) -> bool:
        if not (_isatty(self._file) or os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE")):
            return False  # what rich would say, without loading it
        return self._err.is_terminal

    @property
    def styled(self) -> bool:
        """Colour and bold: on a terminal, unless NO_COLOR (https://no-color.org) is set."""
        return self.on_terminal and not os.environ.get("NO_COLOR")

    def problems(self, problems: Sequence[Problem]) -> None:
        for problem in sorted(problems, key=lambda p: (p.path, p.line or 0)):
            if self.styled:
                from rich.text import Text

                line = Text()
                line.append(f"{problem.where}: ", style="bold")
                line.append(f"{problem.severity}:", style=_STYLES[problem.severity])
                line.append(f" {printable(problem.message)}")
                self._err.print(line)
            else:
                print(problem, file=self._file)

    def warn(self, message: str) -> None:
        self._line("warning", message)

    def error(self, message: str) -> None:
        self._line("error", message)

    def _line(self, severity: str, message: str) -> None:
        if self.styled:
            from rich.text import Text

            text = Text("feeds: ")
            text.append(f"{severity}:", style=_STYLES[severity])
            text.append(f" {message}")
            self._err.print(text)
        else:
            print(f"feeds: {severity}: {message}", file=self._file)

    @contextmanager
    def progress(self) -> Iterator[Progress | None]:
        """A progress bar on a terminal (not with --quiet); None elsewhere."""
        if self.quiet or not self.on_terminal:
            yield None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
        from rich.progress import Progress as Bar

        bar = Bar(
            TextColumn("{task.description:>9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=self._err,
            transient=True,
        )
        tasks: dict[str, TaskID] = {}

        def advance(stage: str, done: int, total: int) -> None:
            if total < (SHOW_PROGRESS_FROM if stage == "reading" else SHOW_PROGRESS_FROM // 10):
                return
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done + 1)

        with bar:
            yield advance
