"""JSON (`.json`: one record, a list, or a JSON Feed-like `{"items": [...]}`) and JSON Lines (`.jsonl`)."""

from __future__ import annotations

import json
from typing import Any

from feeds.errors import ArticleError, quoted, type_name
from feeds.model import Article
from feeds.read import file_of
from feeds.read.fields import article_fields, make_article, record_body
from feeds.read.source import DEFAULT_LIMITS, Limits, SourceFile, decode


def read_json(source: SourceFile, limits: Limits = DEFAULT_LIMITS) -> list[Article | ArticleError]:
    del limits  # a JSON file is all metadata: the article size cap (at reading) covers it
    text = decode(source.path, source.data)
    document = _loads(source.path, text, None)
    if isinstance(document, dict) and isinstance(document.get("items"), list):
        document = document["items"]
    if isinstance(document, dict):
        return [_article(source, document, None, single=True)]
    if not isinstance(document, list):
        raise ArticleError(source.path, f"must hold a record or a list of records, not {type_name(document)}")
    if not document:
        # Most likely an export that failed: an error keeps the articles it held published.
        raise ArticleError(source.path, "holds no records")
    # Records of a list are keyed by their id (else slug, else title) even when the list has
    # one: a second record added later must not change the first one's key.
    return _distinct(source.path, [_record(source, record, None, single=False) for record in document])


def read_json_lines(source: SourceFile, limits: Limits = DEFAULT_LIMITS) -> list[Article | ArticleError]:
    del limits
    text = decode(source.path, source.data)
    results: list[Article | ArticleError] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            results.append(_record(source, _loads(source.path, line, number), number, single=False))
        except ArticleError as exc:
            results.append(exc)
    if not results:
        raise ArticleError(source.path, "holds no records")
    return _distinct(source.path, results)


def _distinct(path: str, results: list[Article | ArticleError]) -> list[Article | ArticleError]:
    """The records, each under a key of its own: a later record keyed as an earlier one is an error.

    A key names one article in the registry, in the build's state and in every stage that
    finds an entry by it. Keyed twice (one record's title the other's id), the second
    record's entry was taken for the first, and the whole build failed its own feed check
    (one id twice in every feed).
    """
    first: dict[str, Article] = {}
    distinct: list[Article | ArticleError] = []
    for result in results:
        if isinstance(result, Article) and (earlier := first.setdefault(result.key, result)) is not result:
            result = ArticleError(path, _keyed_twice(result, earlier), result.line)
        distinct.append(result)
    return distinct


def _keyed_twice(record: Article, earlier: Article) -> str:
    where = "an earlier record" if earlier.line is None else f"line {earlier.line}"
    if record.id is not None and record.id == earlier.id:
        return f"duplicate id {quoted(record.id)} (also used by {where} of this file)"
    name = record.key[len(file_of(record.key)) + 1 :]
    return (
        f"is named {quoted(name)} like {where} of this file (records are named by id, else slug,"
        " else title): give it an id of its own"
    )


def _record(source: SourceFile, record: Any, line: int | None, *, single: bool) -> Article | ArticleError:
    if not isinstance(record, dict):
        return ArticleError(source.path, f"a record must be an object, not {type_name(record)}", line)
    try:
        return _article(source, record, line, single=single)
    except ArticleError as exc:
        return exc


def _article(source: SourceFile, record: dict[str, Any], line: int | None, *, single: bool) -> Article:
    path = source.path
    fields = article_fields(record, path, line)
    body, body_format = record_body(record, path, line)
    key = source.article_key
    if not single:
        # One file, many articles: each needs its own registry key, and not its position
        # (a CMS export may reorder records).
        name = fields.get("id") or fields.get("slug") or fields.get("title")
        key = f"{source.article_key}#{name}"
    return make_article(path, fields, body, body_format, key=key, line=line)


def _loads(path: str, text: str, line: int | None) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = exc.lineno if line is None else line
        raise ArticleError(path, f"broken JSON: {exc.msg} (column {exc.colno})", where) from None
    except RecursionError:
        raise ArticleError(path, "broken JSON: nested too deeply", line) from None
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise ArticleError(path, f"broken JSON: {exc}", line) from None
