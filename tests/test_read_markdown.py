"""The .md reader: YAML or TOML front matter, the keys and aliases Jekyll, Hugo and Pelican use."""

from __future__ import annotations

import pytest

from feeds.errors import ArticleError
from feeds.model import Article, Author
from feeds.read.markdown import read_markdown
from feeds.read.source import SourceFile


def _read(text: str) -> Article:
    (article,) = read_markdown(SourceFile("articles/a.md", text.encode()))
    assert isinstance(article, Article)
    return article


def _error(text: str) -> ArticleError:
    with pytest.raises(ArticleError) as caught:
        read_markdown(SourceFile("articles/a.md", text.encode()))
    return caught.value


def test_yaml_front_matter() -> None:
    article = _read("---\ntitle: Hello\ndate: 2022-09-13\ntags: [a, b]\n---\nBody *here*.\n")
    assert (article.title, article.date, article.tags) == ("Hello", "2022-09-13", ("a", "b"))
    assert article.body == "Body *here*.\n"
    assert article.body_format == "markdown"


def test_toml_front_matter() -> None:
    article = _read('+++\ntitle = "Hello"\ndate = 2022-09-13T10:00:00+03:00\n+++\nBody\n')
    assert article.title == "Hello"
    assert article.date is not None and article.date.isoformat() == "2022-09-13T10:00:00+03:00"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ("pubDate", "date"),
        ("Published", "date"),
        ("lastmod", "updated"),
        ("modified", "updated"),
        ("description", "summary"),
        ("keywords", "tags"),
        ("category", "categories"),
        ("guid", "id"),
        ("link", "url"),
    ],
)
def test_aliases_in_any_case(key: str, field: str) -> None:
    value = "a, b" if field in ("tags", "categories") else "v"
    article = _read(f"---\ntitle: T\n{key}: {value}\n---\n")
    expected = ("a", "b") if field in ("tags", "categories") else "v"
    assert getattr(article, field) == expected


def test_yaml_dates_stay_text_so_one_parser_judges_them() -> None:
    assert _read("---\ntitle: T\ndate: 2022-02-30\n---\n").date == "2022-02-30"


def test_yaml_never_builds_python_objects() -> None:
    error = _error("---\ntitle: !!python/object/apply:os.system ['echo pwned']\n---\n")
    assert error.problem.message.startswith("broken YAML front matter")
    assert error.problem.line == 2


def test_broken_yaml_reports_the_file_line() -> None:
    error = _error("---\ntitle: T\ntags: [a, b\ndate: x\n---\n")
    assert error.problem.path == "articles/a.md"
    assert error.problem.line is not None and error.problem.line >= 3


def test_broken_toml_reports_the_file_line() -> None:
    error = _error('+++\ntitle = "T"\ndate = = 3\n+++\n')
    assert error.problem.line == 3
    assert error.problem.message.startswith("broken TOML")


def test_front_matter_must_be_closed_and_a_table() -> None:
    assert "never closed" in _error("---\ntitle: T\n").problem.message
    assert "must be a table" in _error("---\n- a\n- b\n---\n").problem.message


def test_title_from_a_leading_heading() -> None:
    article = _read("# The title #\n\nBody.\n")
    assert article.title == "The title"
    assert article.body.strip() == "Body."


def test_missing_title() -> None:
    assert _error("---\ndate: 2022-01-01\n---\nNo heading.\n").problem.message == "missing title"


def test_wrong_types_are_named() -> None:
    assert _error("---\ntitle: [a, b]\n---\n").problem.message == "'title' must be text, not a list"
    assert (
        _error("---\ntitle: T\ndraft: maybe\n---\n").problem.message
        == "'draft' must be true or false, not 'maybe'"
    )
    assert (
        _error("---\ntitle: T\ntags: [[a]]\n---\n").problem.message
        == "'tags' must be a list of names; found a list"
    )


def test_author_forms() -> None:
    assert _read("---\ntitle: T\nauthor: Ann\n---\n").authors == (Author("Ann"),)
    assert _read("---\ntitle: T\nauthor: Ann <ann@example.org>\n---\n").authors == (
        Author("Ann", "ann@example.org"),
    )
    table = _read("---\ntitle: T\nauthor: {name: Ann, email: a@e.org, url: https://e.org/}\n---\n")
    assert table.authors == (Author("Ann", "a@e.org", "https://e.org/"),)
    listed = _read("---\ntitle: T\nauthors: [Ann, {name: Bob}, Ann]\n---\n")
    assert listed.authors == (Author("Ann"), Author("Bob"))
    assert (
        _error("---\ntitle: T\nauthor: {email: a@e.org}\n---\n").problem.message == "an author needs a 'name'"
    )


def test_draft_and_enclosure() -> None:
    article = _read("---\ntitle: T\ndraft: yes\nenclosure: ep.mp3\n---\n")
    assert article.draft is True
    assert article.enclosure is not None
    assert (article.enclosure.url, article.enclosure.type, article.enclosure.length) == (
        "ep.mp3",
        "audio/mpeg",
        0,
    )
