"""The .json and .jsonl readers (`feeds.read.records`): CMS exports, one record or many."""

from __future__ import annotations

import json

import pytest

from feeds.errors import ArticleError
from feeds.model import Article, Author
from feeds.read.records import read_json, read_json_lines
from feeds.read.source import SourceFile

JSON = "articles/a.json"
JSONL = "articles/w.jsonl"


def _json(value: object, path: str = JSON) -> list[Article | ArticleError]:
    return read_json(SourceFile(path, json.dumps(value).encode()))


def _lines(*lines: str) -> list[Article | ArticleError]:
    return read_json_lines(SourceFile(JSONL, "\n".join(lines).encode()))


def _articles(results: list[Article | ArticleError]) -> list[Article]:
    return [r for r in results if isinstance(r, Article)]


def _raised(data: bytes) -> ArticleError:
    with pytest.raises(ArticleError) as caught:
        read_json(SourceFile(JSON, data))
    return caught.value


# Shapes of a .json file, and the registry key of each record.


def test_one_record_is_one_article_keyed_by_its_file() -> None:
    (article,) = _json({"id": "urn:1", "title": "T", "content_html": "<p>x</p>"})
    assert isinstance(article, Article)
    assert (article.source, article.key, article.title) == (JSON, JSON, "T")
    assert (article.key, article.body, article.body_format) == ("articles/a.json", "<p>x</p>", "html")
    assert article.id == "urn:1"


def test_a_list_gives_one_article_per_record_in_order() -> None:
    results = _json([{"id": "1", "title": "A"}, {"id": "2", "title": "B"}, {"id": "3", "title": "C"}])
    assert [a.title for a in _articles(results)] == ["A", "B", "C"]
    assert len(results) == 3


def test_an_items_object_is_read_like_a_list() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "The feed's own title",
        "items": [{"id": "1", "title": "A"}, {"id": "2", "title": "B"}],
    }
    assert [a.title for a in _articles(_json(document))] == ["A", "B"]


def test_records_of_a_list_and_a_json_feed_shape_are_keyed_by_id_or_slug_or_title() -> None:
    records = [{"id": "urn:1", "slug": "s1", "title": "A"}, {"slug": "b", "title": "B"}, {"title": "C"}]
    for document in (records, {"version": "x", "items": records}):
        results = _json(document)
        keys = [a.key for a in results if isinstance(a, Article)]
        assert keys == ["articles/a.json#urn:1", "articles/a.json#b", "articles/a.json#C"]
        assert {a.source for a in _articles(results)} == {JSON}


@pytest.mark.parametrize(
    "document",
    [[{"id": "urn:1", "title": "A"}], {"items": [{"id": "urn:1", "title": "A"}]}],
    ids=["list", "items"],
)
def test_a_list_of_one_record_is_keyed_like_a_list_of_many(document: object) -> None:
    # A second record added later must not change the first one's key.
    (article,) = _json(document)
    assert isinstance(article, Article)
    assert article.key == f"{JSON}#urn:1"


def test_keys_start_from_the_path_inside_the_articles_folder() -> None:
    data = b'[{"id": "x", "title": "A"}]'
    (listed,) = read_json(SourceFile(JSON, data, key="a.json"))
    (single,) = read_json(SourceFile(JSON, b'{"title": "A"}', key="a.json"))
    (line,) = read_json_lines(SourceFile(JSONL, b'{"id": "x", "title": "A"}', key="w.jsonl"))
    assert [(r.source, r.key) for r in (listed, single, line) if isinstance(r, Article)] == [
        (JSON, "a.json#x"),
        (JSON, "a.json"),
        (JSONL, "w.jsonl#x"),
    ]


def test_a_record_takes_the_usual_keys_and_aliases() -> None:
    (article,) = _json(
        {
            "Headline": "T",
            "date_published": "2022-09-14T08:00:00+03:00",
            "date_modified": "2022-09-15",
            "authors": [{"name": "Ann", "url": "https://ann.example/"}],
            "tags": ["a", "b"],
            "summary": "S",
        }
    )
    assert isinstance(article, Article)
    assert (article.title, article.date, article.updated) == ("T", "2022-09-14T08:00:00+03:00", "2022-09-15")
    assert article.authors == (Author("Ann", None, "https://ann.example/"),)
    assert (article.tags, article.summary) == (("a", "b"), "S")


# Where the body is.


@pytest.mark.parametrize(
    ("key", "body_format"),
    [
        ("content_html", "html"),
        ("html", "html"),
        ("content_text", "text"),
        ("text", "text"),
        ("body", "markdown"),
        ("content", "markdown"),
        ("markdown", "markdown"),
        ("Content_HTML", "html"),
    ],
)
def test_body_keys_give_the_body_and_its_format(key: str, body_format: str) -> None:
    (article,) = _json({"title": "T", key: "the body"})
    assert isinstance(article, Article)
    assert (article.body, article.body_format) == ("the body", body_format)


def test_html_beats_text_beats_markdown() -> None:
    (both,) = _json({"title": "T", "body": "m", "content_text": "t", "content_html": "h"})
    (two,) = _json({"title": "T", "body": "m", "content_text": "t"})
    assert isinstance(both, Article) and isinstance(two, Article)
    assert (both.body, both.body_format) == ("h", "html")
    assert (two.body, two.body_format) == ("t", "text")


def test_no_body_key_is_an_empty_markdown_body() -> None:
    (article,) = _json({"title": "T"})
    assert isinstance(article, Article)
    assert (article.body, article.body_format) == ("", "markdown")


def test_a_body_that_is_not_text_is_an_error() -> None:
    assert _raised(b'{"title": "T", "content_html": 5}').problem.message == (
        "'content_html' must be text, not a number"
    )


# Bad records and bad files.


def test_a_bad_record_among_good_ones() -> None:
    results = _json([{"title": "A"}, {"no": "title"}, 3, {"title": "D"}])
    assert [type(r) for r in results] == [Article, ArticleError, ArticleError, Article]
    assert [str(r) for r in results[1:3]] == [
        "articles/a.json: error: missing title",
        "articles/a.json: error: a record must be an object, not a number",
    ]


def test_a_record_named_like_an_earlier_one_of_its_file_is_an_error() -> None:
    """One record's title is another's id: one key would name both (the second's entry was
    taken for the first, and the whole build failed: found by the property tests)."""
    results = _json([{"title": "0"}, {"title": "00", "id": "0"}, {"slug": "0", "title": "Z"}, {"title": "1"}])
    assert [type(r) for r in results] == [Article, ArticleError, ArticleError, Article]
    assert [r.key for r in _articles(results)] == [f"{JSON}#0", f"{JSON}#1"]
    assert str(results[1]) == (
        "articles/a.json: error: is named '0' like an earlier record of this file (records are"
        " named by id, else slug, else title): give it an id of its own"
    )


def test_json_lines_with_one_id_twice_name_the_first_line() -> None:
    results = _lines('{"id": "u:1", "title": "A"}', '{"title": "B"}', '{"id": "u:1", "title": "C"}')
    assert [a.title for a in _articles(results)] == ["A", "B"]
    assert [str(r) for r in results if isinstance(r, ArticleError)] == [
        "articles/w.jsonl:3: error: duplicate id 'u:1' (also used by line 1 of this file)"
    ]


@pytest.mark.parametrize(
    ("data", "named"),
    [(b"3", "a number"), (b"true", "true/false"), (b"null", "nothing"), (b'"text"', "text")],
)
def test_a_top_level_scalar_is_an_error_naming_it_in_words(data: bytes, named: str) -> None:
    problem = _raised(data).problem
    assert problem.path == JSON
    assert problem.message == f"must hold a record or a list of records, not {named}"


def test_broken_json_names_the_line() -> None:
    problem = _raised(b'{\n  "title": "T",\n}\n').problem
    assert (problem.path, problem.line) == (JSON, 3)
    assert problem.message.startswith("broken JSON")


def test_invalid_utf8_is_an_error() -> None:
    assert "UTF-8" in _raised(b'{"title": "\xff"}').problem.message


@pytest.mark.parametrize(
    "data",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"title": "T", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    ],
)
def test_json_nested_100000_deep_is_an_error_not_a_crash(data: bytes) -> None:
    problem = _raised(data).problem
    assert problem.path == JSON
    assert "nested too deeply" in problem.message


# JSON Lines.


def test_json_lines_give_one_article_per_line_with_its_line_number() -> None:
    results = _lines('{"id": "1", "title": "A"}', '{"id": "2", "title": "B"}')
    assert [(a.title, a.line, a.key) for a in _articles(results)] == [
        ("A", 1, f"{JSONL}#1"),
        ("B", 2, f"{JSONL}#2"),
    ]


def test_json_lines_report_the_bad_line_and_read_the_rest() -> None:
    data = b'{"title": "A", "id": "1"}\n\n{"title": \n{"title": "C", "id": "3"}\n'
    results = read_json_lines(SourceFile(JSONL, data))
    assert [type(r) for r in results] == [Article, ArticleError, Article]  # the blank line is no record
    assert [r.title for r in results if isinstance(r, Article)] == ["A", "C"]
    (error,) = [r for r in results if isinstance(r, ArticleError)]
    assert error.problem.line == 3 and error.problem.message.startswith("broken JSON")
    assert error.problem.path == JSONL
    assert [r.line for r in results if isinstance(r, Article)] == [1, 4]


def test_json_line_records_that_are_wrong_are_errors_with_their_line() -> None:
    results = _lines('{"title": "A"}', "[1, 2]", '{"no": "title"}')
    errors = [(r.problem.line, r.problem.message) for r in results if isinstance(r, ArticleError)]
    assert errors == [(2, "a record must be an object, not a list"), (3, "missing title")]


def test_a_json_lines_record_is_keyed_even_when_alone() -> None:
    (article,) = _lines('{"slug": "s", "title": "A"}')
    assert isinstance(article, Article)
    assert article.key == f"{JSONL}#s"


def test_a_deeply_nested_json_line_is_an_error_for_that_line_only() -> None:
    results = _lines("[" * 100_000 + "]" * 100_000, '{"title": "B"}')
    assert isinstance(results[0], ArticleError) and results[0].problem.line == 1
    assert [a.title for a in _articles(results)] == ["B"]


def test_json_lines_with_crlf_and_bom() -> None:
    data = b'\xef\xbb\xbf{"title": "A"}\r\n{"title": "B"}\r\n'
    results = read_json_lines(SourceFile(JSONL, data))
    assert [(a.title, a.line) for a in _articles(results)] == [("A", 1), ("B", 2)]
