"""The .txt reader (`feeds.read.text.read_text`): a scraped news page, shaped like the seed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from feeds.errors import ArticleError
from feeds.model import Article, Author, Origin
from feeds.read.source import SourceFile
from feeds.read.text import read_text
from tests.conftest import SEED

PATH = "articles/a.txt"
SEED_PATH = "articles/000_6fc94ed53eab6e90.txt"
SEED_STANDFIRST = (
    "The General Staff spoke about the situation in the territories liberated from the occupiers"
)


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _source(text: str | bytes, sidecar: str | bytes | None = None, path: str = PATH) -> SourceFile:
    return SourceFile(path, _bytes(text), None if sidecar is None else _bytes(sidecar))


def _read(text: str | bytes, sidecar: str | bytes | None = None) -> Article:
    results = read_text(_source(text, sidecar))
    assert len(results) == 1
    (article,) = results
    assert isinstance(article, Article)
    return article


def _error(text: str | bytes, sidecar: str | bytes | None = None) -> ArticleError:
    with pytest.raises(ArticleError) as caught:
        read_text(_source(text, sidecar))
    return caught.value


# The seed: the real scraped page, with and without its sidecar.


def _seed() -> Article:
    """The seed as `read_articles` reads it: with its sidecar, keyed by its path inside articles/."""
    source = SourceFile(SEED_PATH, SEED.read_bytes(), SEED.with_suffix(".toml").read_bytes(), key=SEED.name)
    (article,) = read_text(source)
    assert isinstance(article, Article)
    return article


def test_the_seed_without_its_sidecar() -> None:
    article = _read(SEED.read_bytes())
    assert article.title.startswith("Devastation and evidence of war crimes")
    assert article.standfirst == SEED_STANDFIRST
    assert article.related == (
        "Ukrainian troops in Kharkiv Oblast reach Russian border, governor says",
        "How Russia’s defeat in Kharkiv Oblast will affect the course of the war — NV analysis",
        "Russia loses at least 125 pieces of heavy equipment in Kharkiv retreat, analysts say",
    )
    assert article.origin == Origin("The New Voice of Ukraine")  # the outlet's URL is in the sidecar
    paragraphs = article.body.split("\n\n")
    assert paragraphs[0] == article.standfirst  # once, not twice
    assert len(paragraphs) == 12  # standfirst + 11 body paragraphs, counted by hand
    assert paragraphs[-1].startswith("The mayor warned")
    assert "Read also" not in article.body and "Read the original" not in article.body
    assert article.body == _seed().body  # the sidecar changes metadata, never the text


def test_the_seed_has_the_whole_shape() -> None:
    article = _seed()
    assert article.title == (
        "Devastation and evidence of war crimes found in wake of Russian retreat from Kharkiv Oblast"
    )
    assert article.standfirst == SEED_STANDFIRST
    assert article.origin == Origin("The New Voice of Ukraine", "https://english.nv.ua/")
    # Shown by its path in the site; keyed in the registry by its path inside the articles folder.
    assert (article.source, article.key, article.body_format) == (
        SEED_PATH,
        "000_6fc94ed53eab6e90.txt",
        "text",
    )


def test_the_seed_body_is_the_standfirst_once_then_eleven_paragraphs() -> None:
    body = _seed().body
    paragraphs = body.split("\n\n")
    # Counted by hand in the file: the doubled standfirst, then 11 body paragraphs
    # between three "Read also" lines and the closing attribution.
    assert len(paragraphs) == 12
    assert paragraphs[0] == SEED_STANDFIRST
    assert paragraphs[1].startswith("Moreover, even with Russian troops having fled the area")
    assert paragraphs[-1].startswith("The mayor warned that it’s likely going to be impossible")
    assert body.count(SEED_STANDFIRST) == 1
    assert "Read also" not in body
    assert "Read the original article" not in body
    assert "New Voice of Ukraine" not in body


def test_the_seed_sidecar_supplies_the_metadata() -> None:
    article = _seed()
    assert article.date == "Sept. 13, 2022 14:05 EEST"
    assert article.slug == "kharkiv-oblast-after-the-retreat"
    assert article.url == "/articles/2022/kharkiv-oblast-after-the-retreat/"
    assert article.tags == ("Kharkiv Oblast", "Izyum", "demining")
    assert article.categories == ("War",)


# Headline, standfirst, body.


def test_headline_standfirst_body() -> None:
    article = _read("\n\n  Headline  \n\nStand\nfirst\n\nBody one.\n\nBody two.\n")
    assert article.title == "Headline"
    assert article.standfirst == "Stand first"
    assert article.body == "Stand first\n\nBody one.\n\nBody two."
    assert article.body_format == "text"


def test_the_headline_is_the_first_non_empty_line_stripped() -> None:
    assert _read("\n \n\t  The headline here  \n\nStand.\n\nBody.\n").title == "The headline here"


def test_a_repeated_standfirst_line_is_kept_once() -> None:
    article = _read("H\n\nSame line.\nSame line.\n\nBody.\n")
    assert article.standfirst == "Same line."
    assert article.body == "Same line.\n\nBody."


def test_body_paragraphs_are_joined_lines_separated_by_blank_lines() -> None:
    article = _read("H\n\nS\n\nFirst line\nsecond line\n\n\n\nNext para.\n")
    assert article.body == "S\n\nFirst line second line\n\nNext para."


def test_a_headline_alone_has_no_standfirst_and_an_empty_body() -> None:
    article = _read("Only a headline\n")
    assert (article.title, article.standfirst, article.body) == ("Only a headline", None, "")


# "Read also:" promotions.


@pytest.mark.parametrize(
    ("text", "related", "body"),
    [
        (
            "H\n\nS\n\nA para.\nREAD ALSO: Other story\nMore.\n\nread also:Third\n",
            ("Other story", "Third"),
            "S\n\nA para. More.",
        ),
        (
            "H\n\nS\n\nRead also: One\n\nPara.\nREAD ALSO: Two\nMore.\n\nread also:Three\n",
            ("One", "Two", "Three"),
            "S\n\nPara. More.",
        ),
    ],
    ids=["inside-and-after-paragraphs", "also-a-paragraph-of-its-own"],
)
def test_promotions_anywhere_in_any_case_are_related_not_body(
    text: str, related: tuple[str, ...], body: str
) -> None:
    article = _read(text)
    assert article.related == related
    assert article.body == body


def test_a_promotion_right_after_the_headline_is_not_the_standfirst() -> None:
    article = _read("H\n\nRead also: Elsewhere\n\nThe standfirst.\n\nBody.\n")
    assert article.standfirst == "The standfirst."
    assert article.related == ("Elsewhere",)
    assert article.body == "The standfirst.\n\nBody."


def test_no_promotions_means_no_related() -> None:
    assert _read("H\n\nS\n\nBody.\n").related == ()


@pytest.mark.parametrize("line", ["Read also:", "READ ALSO:   ", "read also :"])
def test_an_empty_promotion_adds_nothing_to_related_and_leaves_the_body(line: str) -> None:
    article = _read(f"H\n\nS\n\nPara.\n{line}\nMore.\n")
    assert article.related == ()
    assert article.body == "S\n\nPara. More."


# "Read the original article on ..." attribution.


def test_a_final_attribution_names_the_origin_and_leaves_the_body() -> None:
    article = _read("H\n\nS\n\nBody.\n\nRead the original article on The Outlet\n")
    assert article.origin == Origin("The Outlet")
    assert article.body == "S\n\nBody."


def test_an_attribution_counts_only_when_last() -> None:
    article = _read("H\n\nS\n\nRead the original article on Outlet\n\nLast para.\n")
    assert article.origin is None
    assert "Read the original article on Outlet" in article.body
    assert article.body == "S\n\nRead the original article on Outlet\n\nLast para."
    last_line = _read("H\n\nS\n\nBody.\nRead the original article on The Outlet.\n")
    assert last_line.origin == Origin("The Outlet")
    assert last_line.body == "S\n\nBody."


def test_no_attribution_means_no_origin() -> None:
    assert _read("H\n\nS\n\nBody.\n").origin is None


# The sidecar.


def test_the_sidecar_supplies_metadata_and_the_outlet_url() -> None:
    sidecar = 'date = "2022-09-13"\ntags = ["a", "b"]\nslug = "s"\nsource_url = "https://o.example/"\n'
    article = _read("H\n\nS\n\nBody.\n\nRead the original article on O\n", sidecar)
    assert (article.date, article.tags, article.slug) == ("2022-09-13", ("a", "b"), "s")
    assert article.origin == Origin("O", "https://o.example/")


def test_the_sidecar_supplies_url_and_author_too() -> None:
    sidecar = (
        'date = "2022-09-13 14:05"\n'
        'url = "/news/x/"\n'
        'slug = "my-slug"\n'
        'author = "Ann <ann@example.org>"\n'
        'source_url = "https://outlet.example/"\n'
    )
    article = _read("H\n\nS\n\nBody.\n\nRead the original article on Outlet\n", sidecar)
    assert (article.date, article.url, article.slug) == ("2022-09-13 14:05", "/news/x/", "my-slug")
    assert article.authors == (Author("Ann", "ann@example.org"),)
    assert article.origin == Origin("Outlet", "https://outlet.example/")


def test_a_sidecar_toml_datetime_stays_a_datetime() -> None:
    article = _read("H\n\nS\n", "date = 2022-09-13T14:05:00+03:00\n")
    assert article.date == datetime(2022, 9, 13, 14, 5, tzinfo=timezone(timedelta(hours=3)))


def test_without_a_sidecar_there_is_no_metadata() -> None:
    article = _read("H\n\nS\n\nBody.\n")
    assert (article.date, article.url, article.slug, article.tags, article.authors) == (
        None,
        None,
        None,
        (),
        (),
    )


def test_a_sidecar_with_bom_and_crlf() -> None:
    assert _read("H\n\nS\n", b'\xef\xbb\xbfdate = "2022-09-13"\r\nslug = "s"\r\n').slug == "s"


@pytest.mark.parametrize(
    ("sidecar", "line"),
    [
        (b'date = "x"\ntags = [\n', 2),
        (b'slug = "s"\ndate = = 1\n', 2),
        (b'slug = "s"\ndate = "x"\ntags = [\n', 3),
    ],
)
def test_a_broken_sidecar_names_the_sidecar_and_its_line(sidecar: bytes, line: int) -> None:
    problem = _error("H\n\nS\n", sidecar).problem
    assert problem.path == "articles/a.toml"
    assert problem.line == line
    assert problem.message.startswith("broken TOML")


# Encoding.


def test_bom_and_crlf() -> None:
    article = _read(b"\xef\xbb\xbfHeadline\r\n\r\nStand\r\n\r\nBody\r\n")
    assert (article.title, article.standfirst, article.body) == ("Headline", "Stand", "Stand\n\nBody")


def test_crlf_line_ends_read_like_lf_for_promotions_and_attribution() -> None:
    article = _read(b"H\r\n\r\nS\r\nS\r\n\r\nBody.\r\nRead also: R\r\n\r\nRead the original article on O\r\n")
    assert (article.title, article.standfirst, article.body) == ("H", "S", "S\n\nBody.")
    assert (article.related, article.origin) == (("R",), Origin("O"))


def test_invalid_utf8_names_the_line() -> None:
    with pytest.raises(ArticleError) as caught:
        read_text(SourceFile(PATH, b"Headline\n\n\xff bad\n"))
    assert str(caught.value) == "articles/a.txt:3: error: is not UTF-8 text (byte 0xff); save it as UTF-8"


def test_invalid_utf8_line_counts_crlf_lines_once() -> None:
    assert _error(b"H\r\n\r\nS\r\n\xc3(\r\n").problem.line == 4


def test_invalid_utf8_in_the_sidecar_names_the_sidecar() -> None:
    problem = _error("H\n\nS\n", b'slug = "s"\n\xfe\n').problem
    assert (problem.path, problem.line) == ("articles/a.toml", 2)
    assert "UTF-8" in problem.message


@pytest.mark.parametrize("data", [b" \n\n", b"", b" \n\n\t\n", b"\xef\xbb\xbf", b"\r\n\r\n"])
def test_an_empty_file_is_missing_its_title(data: bytes) -> None:
    problem = _error(data).problem
    assert problem.message.startswith("missing title")
    assert problem.path == PATH
