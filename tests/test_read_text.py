"""The .txt reader: a scraped news page, shaped like the seed."""

from __future__ import annotations

import pytest

from feeds.errors import ArticleError
from feeds.model import Article, Origin
from feeds.read.source import SourceFile
from feeds.read.text import read_text
from tests.conftest import SEED


def _read(text: str | bytes, sidecar: str | None = None) -> Article:
    data = text.encode() if isinstance(text, str) else text
    (article,) = read_text(SourceFile("articles/a.txt", data, sidecar.encode() if sidecar else None))
    assert isinstance(article, Article)
    return article


def test_the_seed() -> None:
    article = _read(SEED.read_bytes())
    assert article.title.startswith("Devastation and evidence of war crimes")
    assert article.standfirst == (
        "The General Staff spoke about the situation in the territories liberated from the occupiers"
    )
    assert article.related == (
        "Ukrainian troops in Kharkiv Oblast reach Russian border, governor says",
        "How Russia’s defeat in Kharkiv Oblast will affect the course of the war — NV analysis",
        "Russia loses at least 125 pieces of heavy equipment in Kharkiv retreat, analysts say",
    )
    assert article.origin == Origin("The New Voice of Ukraine")
    paragraphs = article.body.split("\n\n")
    assert paragraphs[0] == article.standfirst  # once, not twice
    assert len(paragraphs) == 12  # standfirst + 11 body paragraphs, counted by hand
    assert paragraphs[-1].startswith("The mayor warned")
    assert "Read also" not in article.body and "Read the original" not in article.body


def test_headline_standfirst_body() -> None:
    article = _read("\n\n  Headline  \n\nStand\nfirst\n\nBody one.\n\nBody two.\n")
    assert article.title == "Headline"
    assert article.standfirst == "Stand first"
    assert article.body == "Stand first\n\nBody one.\n\nBody two."
    assert article.body_format == "text"


def test_promotions_anywhere_are_related_not_body() -> None:
    article = _read("H\n\nS\n\nA para.\nREAD ALSO: Other story\nMore.\n\nread also:Third\n")
    assert article.related == ("Other story", "Third")
    assert article.body == "S\n\nA para. More."


def test_attribution_only_when_last() -> None:
    article = _read("H\n\nS\n\nRead the original article on Outlet\n\nLast para.\n")
    assert article.origin is None
    assert "Read the original article on Outlet" in article.body
    assert _read("H\n\nS\n\nBody.\nRead the original article on The Outlet.\n").origin == Origin("The Outlet")


def test_sidecar_supplies_metadata_and_the_outlet_url() -> None:
    sidecar = 'date = "2022-09-13"\ntags = ["a", "b"]\nslug = "s"\nsource_url = "https://o.example/"\n'
    article = _read("H\n\nS\n\nBody.\n\nRead the original article on O\n", sidecar)
    assert (article.date, article.tags, article.slug) == ("2022-09-13", ("a", "b"), "s")
    assert article.origin == Origin("O", "https://o.example/")


def test_bom_and_crlf() -> None:
    article = _read(b"\xef\xbb\xbfHeadline\r\n\r\nStand\r\n\r\nBody\r\n")
    assert (article.title, article.standfirst, article.body) == ("Headline", "Stand", "Stand\n\nBody")


def test_invalid_utf8_names_the_line() -> None:
    with pytest.raises(ArticleError) as caught:
        read_text(SourceFile("articles/a.txt", b"Headline\n\n\xff bad\n"))
    assert str(caught.value) == "articles/a.txt:3: error: is not UTF-8 text (byte 0xff); save it as UTF-8"


def test_empty_file_is_missing_its_title() -> None:
    with pytest.raises(ArticleError, match="missing title"):
        read_text(SourceFile("articles/a.txt", b" \n\n"))


def test_broken_sidecar_names_the_sidecar_and_line() -> None:
    with pytest.raises(ArticleError) as caught:
        read_text(SourceFile("articles/a.txt", b"H\n", b'date = "x"\ntags = [\n'))
    assert caught.value.problem.path == "articles/a.toml"
    assert caught.value.problem.line == 2
