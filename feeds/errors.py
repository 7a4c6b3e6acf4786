"""One exception hierarchy; every message names the thing the user must fix.

The CLI turns these into one line each (`path:line: message`) and an exit status:
a `ConfigError` is a usage problem (2), a `BuildError` a failed build (1), and an
`ArticleError` rejects one article while the rest of the site still builds.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with one input, reported as `path[:line]: severity: message`."""

    path: str
    message: str
    line: int | None = None
    severity: Severity = "error"

    @property
    def where(self) -> str:
        """`path[:line]` as shown (a file name may hold a newline: see `printable`)."""
        path = printable(self.path)
        return path if self.line is None else f"{path}:{self.line}"

    def __str__(self) -> str:
        return f"{self.where}: {self.severity}: {printable(self.message)}"


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
"""Controls, line separators, and the lone surrogates that stand for a name's undecodable bytes."""


def printable(text: str) -> str:
    """`text` with what would break or garble its line escaped (`\\n`, `\\x1b`, `\\udce9`)."""
    return _UNPRINTABLE.sub(lambda found: found[0].encode("unicode_escape").decode("ascii"), text)


class FeedsError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(FeedsError):
    """The site configuration (or the command line) cannot be used as given."""

    def __init__(self, path: str, messages: list[str] | str) -> None:
        self.path = path
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(f"{path}: {m}" for m in self.messages))


class ArticleError(FeedsError):
    """One article cannot be published; the rest of the site is unaffected."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.problem = Problem(path=path, message=message, line=line)
        super().__init__(str(self.problem))


Fail = Callable[[str], ArticleError]
"""Makes the `ArticleError` for one article from a message (its path and line already known)."""

Warn = Callable[[str], None]
"""Reports a warning about one article from a message (its path and line already known)."""


class BuildError(FeedsError):
    """The build as a whole failed; nothing in the output folder was replaced."""


def type_name(value: object) -> str:
    """How a configuration or front-matter value's type is named in messages."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


QUOTED_MAX = 80
"""About how many characters of a value a message quotes."""

_SHORT = reprlib.Repr()
_SHORT.maxlevel = 2
_SHORT.maxtuple = _SHORT.maxlist = _SHORT.maxdict = _SHORT.maxset = _SHORT.maxfrozenset = 4
_SHORT.maxstring = _SHORT.maxlong = _SHORT.maxother = QUOTED_MAX


def quoted(value: object) -> str:
    """`value` as a message quotes it: its repr, cut to about `QUOTED_MAX` characters.

    Messages quote what the user wrote, and that may be huge (a YAML alias bomb is 9**9
    strings once expanded): the repr is bounded while it is built, not cut afterwards.
    A repr also escapes control characters, so the message stays on one line.
    """
    return _SHORT.repr(value)
