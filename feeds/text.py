"""Plain-text rules shared by every stage: what XML can carry, and how a summary is cut."""

from __future__ import annotations

import re

# XML 1.0 allows tab, LF, CR and everything from U+0020 except surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SENTENCE_END = re.compile(r"[.!?…。](?:[\"'”’»)\]]*)(?=\s|$)")
_TRAILING = " ,;:—–-"
ELLIPSIS = "…"


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 forbids (lxml refuses them; readers choke on them)."""
    return _NOT_XML.sub("", text)


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
