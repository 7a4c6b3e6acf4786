"""Plain-text rules shared by every stage: what XML can carry, and how a summary is cut."""

from __future__ import annotations

import re

# XML 1.0 allows tab, LF, CR and everything from U+0020 except surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_SENTENCE_END = re.compile(r"[.!?…。](?:[\"'”’»)\]]*)(?=\s|$)")
_TRAILING = " ,;:—–-"
ELLIPSIS = "…"


def _c1_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in range(0x80, 0xA0):
        try:
            table[code] = bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            table[code] = None
    return table


_C1 = _c1_table()
_HAS_C1 = re.compile("[\x80-\x9f]")
_SUSPECT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""Any character `xml_safe` changes (either kind): one scan finds that nearly every text has none."""


def xml_safe(text: str) -> str:
    """`text` as XML 1.0 can carry it and every reader reads it alike.

    Characters XML forbids are removed (lxml refuses them; readers choke on them). C1
    controls (U+0080-U+009F), which XML allows but discourages, are nearly always
    Windows-1252 punctuation mis-decoded, and readers such as feedparser show them as
    that punctuation: they are turned into it here (as browsers do), or removed where
    Windows-1252 has nothing at that code.
    """
    if _SUSPECT.search(text) is None:
        return text
    text = _NOT_XML.sub("", text)
    return text.translate(_C1) if _HAS_C1.search(text) else text


def one_line(text: str) -> str:
    """XML-safe text with all runs of white space (newlines too) made one space."""
    return " ".join(xml_safe(text).split())


def cut(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters: at a sentence end, else at a word, with `…`."""
    if len(text) <= limit:
        return text
    window = text[: limit + 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() <= limit]
    if ends and ends[-1] >= limit // 2:
        return text[: ends[-1]]
    space = window.rfind(" ", 0, limit)
    stop = space if space > 0 else limit - 1
    return text[:stop].rstrip(_TRAILING) + ELLIPSIS
