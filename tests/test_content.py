"""Content: Markdown rendered, HTML sanitised, URLs absolute; XML-safe text; summaries cut."""

from __future__ import annotations

import pytest

from feeds.content import body_html, paragraphs_text, plain_text, sanitise
from feeds.text import ELLIPSIS, cut, one_line, xml_safe

BASE = "https://example.org/a/b/"


def test_markdown_html_and_text_bodies() -> None:
    assert body_html("Hello *you*", "markdown") == "<p>Hello <em>you</em></p>\n"
    assert body_html("<p>as is</p>", "html") == "<p>as is</p>"
    assert body_html("One & <two>\n\nThree", "text") == "<p>One &amp; &lt;two&gt;</p>\n<p>Three</p>\n"


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>"),
        ('<p onclick="x()" onmouseover="y">a</p>', "<p>a</p>"),
        ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "<a>x</a>"),
        ('<img src="data:image/png;base64,AAAA">', "<img>"),
        ('<iframe src="https://evil.example/">fallback</iframe>', "fallback"),
        ("<style>p{}</style><p>a</p>", "<p>a</p>"),
        ('<svg onload="x()"><circle/></svg>ok', "ok"),
        ("<p><strong>kept</strong> <em>too</em></p>", "<p><strong>kept</strong> <em>too</em></p>"),
    ],
)
def test_sanitise_removes_what_can_run(dirty: str, clean: str) -> None:
    assert sanitise(dirty, BASE) == clean


@pytest.mark.parametrize(
    ("link", "absolute"),
    [
        ("img/a.png", "https://example.org/a/b/img/a.png"),
        ("/x", "https://example.org/x"),
        ("../y", "https://example.org/a/y"),
        ("#part", "https://example.org/a/b/#part"),
        ("https://other.example/z", "https://other.example/z"),
        ("mailto:desk@example.org", "mailto:desk@example.org"),
    ],
)
def test_sanitise_makes_links_absolute(link: str, absolute: str) -> None:
    assert sanitise(f'<a href="{link}">x</a>', BASE) == f'<a href="{absolute}">x</a>'
    assert f'src="{absolute}"' in sanitise(f'<img src="{link}">', BASE)


def test_paragraphs_text_and_plain_text() -> None:
    assert paragraphs_text("<p>One <b>bold</b>.</p>\n<ul><li>x</li></ul><p>Two\n lines</p>") == [
        "One bold.",
        "Two lines",
    ]
    assert paragraphs_text("no <i>paragraph</i> here") == ["no paragraph here"]
    assert paragraphs_text("") == []
    assert plain_text("Own <b>words</b> &amp; more.") == "Own words & more."
    assert plain_text("a < b & c") == "a < b & c"  # no tags: text as written


def test_xml_safe_removes_only_what_xml_forbids() -> None:
    forbidden = "".join(chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)) + "\ufffe\uffff\ud800"
    kept = "\t\n\r Київ مرحبا 🧑‍🚀 & < > ]]> \ufffd"
    assert xml_safe(forbidden + kept) == kept


def test_xml_safe_reads_c1_controls_as_windows_1252_like_readers_do() -> None:
    assert xml_safe("\x93quoted\x94 \x85 \x80 \x81\x7f") == "“quoted” … € "


def test_one_line() -> None:
    assert one_line("  a\n\tb \x00 c  ") == "a b c"


def test_cut_leaves_short_text_alone() -> None:
    assert cut("Short.", 10) == "Short."


def test_cut_at_a_sentence_end_in_the_second_half() -> None:
    text = "First sentence is here. Second one runs on and on past the limit."
    assert cut(text, 40) == "First sentence is here."


def test_cut_at_a_word_when_no_sentence_ends_late_enough() -> None:
    text = "Hi. " + "word " * 20
    result = cut(text, 30)
    assert result == "Hi. word word word word word" + ELLIPSIS
    assert len(result) <= 30


@pytest.mark.parametrize("limit", [5, 17, 40, 100])
def test_cut_never_exceeds_the_limit_or_splits_a_word(limit: int) -> None:
    text = "Supercalifragilistic expialidocious words follow each other without any end " * 3
    result = cut(text, limit)
    assert len(result) <= limit
    stem = result.removesuffix(ELLIPSIS)
    if " " in stem:
        assert text.startswith(stem) and text[len(stem)] in " ,"
