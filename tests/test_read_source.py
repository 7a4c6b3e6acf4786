"""Unit tests for `feeds.read.source.to_utf8`: which bytes are another encoding, which are broken UTF-8."""

from __future__ import annotations

import pytest

from feeds.read.source import to_utf8

MINISTRY = "Міністерство охорони здоров'я України повідомило про нові правила"
"""cp1251 and KOI8-U text that holds, by chance, valid UTF-8 sequences ("Мі" is 0xCC 0xB3)."""


@pytest.mark.parametrize(
    ("text", "encoding"),
    [(MINISTRY, "cp1251"), ("Харків: світло повернулося. Мер сказав, що воду дадуть завтра.", "cp1251")],
)
def test_a_legacy_text_is_detected_and_read(text: str, encoding: str) -> None:
    data, found = to_utf8(text.encode(encoding))
    assert (data.decode("utf-8"), found) == (text, encoding)


@pytest.mark.parametrize(
    "data",
    [
        b"A bad pair \xc3\x28 here.\n",  # one stray lead byte
        "KEEP-1 Київ 😀".encode()[:-1],  # cut inside the last character
        MINISTRY.encode() + b" \xff\xfe " + MINISTRY.encode(),  # two bytes no UTF-8 has, amid UTF-8
        ("Україна " * 50).encode() + "Київ".encode("cp1251") * 3,  # mostly UTF-8, one patch of cp1251
    ],
)
def test_damaged_utf8_is_left_for_decode_to_name_the_bad_byte(data: bytes) -> None:
    assert to_utf8(data) == (data, None)


def test_utf8_is_taken_as_it_is() -> None:
    data = "Київ 😀".encode()
    assert to_utf8(data) == (data, None)
