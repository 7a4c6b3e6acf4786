"""The raw input of one reader: a file's bytes (and its sidecar's), decoded the same way for all."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Any

import tomli

from feeds.errors import ArticleError


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps that keep one strange input from costing the whole build its memory or time."""

    max_article_bytes: int = 5_000_000
    max_front_matter_bytes: int = 65_536
    max_articles: int = 1_000_000


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One article file as read from disk: no parsing done yet."""

    path: str
    """Path relative to the site folder, `/`-separated, as shown in messages."""
    data: bytes
    sidecar: bytes | None = None
    """The bytes of `NAME.toml` beside `NAME.txt`, when there is one."""
    key: str | None = None
    """The file's registry key: its path inside the articles folder (default: `path`).

    Relative to the articles folder, not to where the build runs from, so that neither
    `--articles`, a moved site nor a renamed articles folder changes any identity.
    """

    @property
    def article_key(self) -> str:
        return self.key or self.path

    @property
    def sidecar_path(self) -> str:
        return self.path.rsplit(".", 1)[0] + ".toml"


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM begins the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


_NOT_UTF8 = re.compile("[\udc80-\udcff]")
"""A byte that is not part of a UTF-8 sequence, as `surrogateescape` decodes it."""
_MULTIBYTE = re.compile("[^\x00-\x7f\udc80-\udcff]")
"""A character that UTF-8 wrote in two to four bytes."""
LEGACY_EVIDENCE = 8
"""Fewer bytes than this that are not UTF-8 are too few to tell an encoding by."""


def to_utf8(data: bytes) -> tuple[bytes, str | None]:
    """`data` as UTF-8, and the encoding it was found in when that was not UTF-8.

    UTF-8 (with or without BOM) is taken as it is. A UTF-16/32 BOM is believed. Damaged
    UTF-8 (see `_damaged_utf8`) is returned unchanged. Anything else goes to
    charset-normalizer, which knows legacy code pages such as cp1251 and KOI8-U; what it
    cannot place is returned unchanged too (and `decode` then names the first bad byte).
    """
    if data.startswith(codecs.BOM_UTF8):
        return data, None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).encode("utf-8", "surrogatepass"), encoding.upper()
            except UnicodeDecodeError:
                return data, None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return data, None
    if _damaged_utf8(data):
        return data, None
    import charset_normalizer  # only for files that are not UTF-8 (35 ms to import)

    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        return data, None
    return str(best).encode("utf-8", "surrogatepass"), best.encoding


def _damaged_utf8(data: bytes) -> bool:
    """Whether bytes that are not UTF-8 are UTF-8 with a few bad bytes, not another encoding.

    A detector given one stray byte (a cut file, a bad copy) always names some code page
    and turns the whole text into mojibake. So detection needs evidence: enough bytes that
    are not UTF-8, and far more of them than valid multi-byte characters. A legacy text
    holds few of those by chance (cp1251 "Мі" is the bytes of U+0333): about one in a
    hundred of its bytes, never one in four.
    """
    text = data.decode("utf-8", "surrogateescape")
    stray = len(_NOT_UTF8.findall(text))
    return stray < LEGACY_EVIDENCE or 4 * len(_MULTIBYTE.findall(text)) >= stray


def decode(path: str, data: bytes) -> str:
    """UTF-8 text with any BOM dropped and line ends made `\\n`; anything else is an error."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ArticleError(
            path, f"is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8", line
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_toml(path: str, text: str, first_line: int = 1) -> dict[str, Any]:
    """A TOML table, with errors pointing at the line of the file (not of the fragment)."""
    try:
        return tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        if exc.pos >= len(text):  # at the end: the last line with text, not the blank one after it
            line = text.rstrip("\n").count("\n") + first_line
        else:
            line = exc.lineno + first_line - 1
        raise ArticleError(path, f"broken TOML: {exc.msg}", line) from None
    except RecursionError:
        raise ArticleError(path, "broken TOML: nested too deeply", first_line) from None
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise ArticleError(path, f"broken TOML: {exc}", first_line) from None
