"""The .json and .jsonl readers: CMS exports, one record or many."""

from __future__ import annotations

import json

import pytest

from feeds.errors import ArticleError
from feeds.model import Article
from feeds.read.records import read_json, read_json_lines
from feeds.read.source import SourceFile


def _json(value: object, path: str = "articles/a.json") -> list[Article | ArticleError]:
    return read_json(SourceFile(path, json.dumps(value).encode()))


def test_one_record_is_keyed_by_its_file() -> None:
    (article,) = _json({"title": "T", "content_html": "<p>x</p>"})
    assert isinstance(article, Article)
    assert (article.key, article.body, article.body_format) == ("articles/a.json", "<p>x</p>", "html")


def test_a_list_and_a_json_feed_shape() -> None:
    records = [{"id": "urn:1", "title": "A"}, {"slug": "b", "title": "B"}, {"title": "C"}]
    for document in (records, {"version": "x", "items": records}):
        keys = [a.key for a in _json(document) if isinstance(a, Article)]
        assert keys == ["articles/a.json#urn:1", "articles/a.json#b", "articles/a.json#C"]


@pytest.mark.parametrize(
    ("key", "body_format"),
    [("content_html", "html"), ("content_text", "text"), ("body", "markdown"), ("content", "markdown")],
)
def test_body_keys(key: str, body_format: str) -> None:
    (article,) = _json({"title": "T", key: "x"})
    assert isinstance(article, Article) and (article.body, article.body_format) == ("x", body_format)


def test_a_bad_record_among_good_ones() -> None:
    results = _json([{"title": "A"}, {"no": "title"}, 3])
    assert isinstance(results[0], Article)
    assert [str(r) for r in results[1:]] == [
        "articles/a.json: error: missing title",
        "articles/a.json: error: a record must be an object, not a number",
    ]


def test_json_lines_report_the_bad_line() -> None:
    data = b'{"title": "A", "id": "1"}\n\n{"title": \n{"title": "C", "id": "3"}\n'
    results = read_json_lines(SourceFile("articles/w.jsonl", data))
    assert [r.title for r in results if isinstance(r, Article)] == ["A", "C"]
    (error,) = [r for r in results if isinstance(r, ArticleError)]
    assert error.problem.line == 3 and error.problem.message.startswith("broken JSON")
    assert [r.line for r in results if isinstance(r, Article)] == [1, 4]


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ArticleError, match="nested too deeply"):
        read_json(SourceFile("articles/a.json", b"[" * 100_000 + b"]" * 100_000))


def test_top_level_scalar_is_an_error() -> None:
    with pytest.raises(ArticleError, match="must hold a record or a list of records, not a number"):
        read_json(SourceFile("articles/a.json", b"3"))


def test_broken_json_names_the_line() -> None:
    with pytest.raises(ArticleError) as caught:
        read_json(SourceFile("articles/a.json", b'{\n "title": "T",\n}\n'))
    assert caught.value.problem.line == 3
