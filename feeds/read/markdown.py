"""Markdown with YAML (`---`) or TOML (`+++`) front matter, as Jekyll, Hugo and Pelican write it."""

from __future__ import annotations

import re
from typing import Any

import yaml

from feeds.errors import ArticleError, type_name
from feeds.model import Article
from feeds.read.fields import article_fields, make_article
from feeds.read.source import DEFAULT_LIMITS, Limits, SourceFile, decode, parse_toml


class _FrontMatterLoader(yaml.CSafeLoader):
    """The C safe loader, reading every plain scalar as text (except null: empty, `~`, `null`).

    YAML 1.1 guesses types from spelling: `title: 12:30` would become 750, `id: 0123`
    83, `title: No` false, and `date: 2022-02-30` a crash inside YAML. Text keeps what
    the author wrote, and each key's own check (dates through one date parser, `draft`
    through true/false/yes/no) reads it, with one set of messages.
    """


_KEEP = {"tag:yaml.org,2002:null", "tag:yaml.org,2002:merge"}
_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag in _KEEP]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}

_FENCES = {"---": "yaml", "+++": "toml"}
_H1 = re.compile(r"^#\s+(?P<title>.+?)(?:\s+#+)?\s*$")  # CommonMark: a closing run needs a space


def read_markdown(source: SourceFile, limits: Limits = DEFAULT_LIMITS) -> list[Article | ArticleError]:
    text = decode(source.path, source.data)
    meta, body = split_front_matter(source.path, text, limits.max_front_matter_bytes)
    fields = article_fields(meta, source.path, None)
    if "title" not in fields:
        # A document without a title key may still open with `# Title`.
        lines = body.lstrip("\n").split("\n", 1)
        if (heading := _H1.match(lines[0])) is not None:
            fields["title"] = heading.group("title")
            body = lines[1] if len(lines) > 1 else ""
    return [make_article(source.path, fields, body, "markdown", key=source.article_key)]


def split_front_matter(
    path: str, text: str, max_bytes: int = DEFAULT_LIMITS.max_front_matter_bytes
) -> tuple[dict[str, Any], str]:
    """The front matter as a table, and the body after it."""
    lines = text.split("\n")
    fence = lines[0].strip()
    if fence not in _FENCES:
        return {}, text
    closers = {fence, "..."} if fence == "---" else {fence}
    for end in range(1, len(lines)):
        if lines[end].strip() in closers:
            break
    else:
        raise ArticleError(path, f"front matter opened with '{fence}' is never closed", 1)
    raw = "\n".join(lines[1:end])
    if len(raw) > max_bytes:
        raise ArticleError(
            path,
            f"front matter is {len(raw):,} characters, more than max_front_matter_bytes ({max_bytes:,})",
            2,
        )
    body = "\n".join(lines[end + 1 :])
    if _FENCES[fence] == "toml":
        return parse_toml(path, raw, first_line=2), body
    return _parse_yaml(path, raw), body


def load_front_matter(raw: str) -> Any:
    """`yaml.load` with `_FrontMatterLoader`: the C parser makes the nodes, and those of text,
    null, lists and tables (what front matter is) are made into values here, without the Python
    constructor's machinery (43 µs a front matter of the benchmark's, 24 µs of it that
    machinery); anything else (an alias, a merge, an explicit tag) goes through the constructor."""
    loader = _FrontMatterLoader(raw)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            return _plain_value(node, set())
        except _NotPlainError:
            return loader.construct_document(node)
    finally:
        loader.dispose()


class _NotPlainError(Exception):
    """A node that `yaml`'s own constructor is to make."""


_STR, _NULL, _SEQ, _MAP = (f"tag:yaml.org,2002:{name}" for name in ("str", "null", "seq", "map"))


def _plain_value(node: yaml.Node, seen: set[int]) -> Any:
    """What the constructor makes of a node of text, null, list or table (keys of text); else
    `_NotPlainError`. A node met twice is an alias: the constructor shares what it makes of it."""
    if id(node) in seen:
        raise _NotPlainError
    seen.add(id(node))
    tag = node.tag
    if isinstance(node, yaml.ScalarNode):
        if tag == _STR:
            return node.value
        if tag == _NULL:
            return None
    elif tag == _SEQ and isinstance(node, yaml.SequenceNode):
        return [_plain_value(item, seen) for item in node.value]
    elif tag == _MAP and isinstance(node, yaml.MappingNode):
        table: dict[str, Any] = {}
        for key, value in node.value:
            if key.tag != _STR or not isinstance(key, yaml.ScalarNode) or id(key) in seen:
                raise _NotPlainError
            seen.add(id(key))
            table[key.value] = _plain_value(value, seen)
        return table
    raise _NotPlainError


def _parse_yaml(path: str, raw: str) -> dict[str, Any]:
    try:
        meta = load_front_matter(raw)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 2 if mark is not None else None
        raise ArticleError(path, f"broken YAML front matter: {exc.problem}", line) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not accept, at a position
        line = raw.count("\n", 0, exc.position) + 2
        reason = str(exc).split("\n", 1)[0]
        raise ArticleError(path, f"broken YAML front matter: {reason}", line) from None
    except yaml.YAMLError as exc:
        raise ArticleError(path, f"broken YAML front matter: {str(exc).splitlines()[0]}", 1) from None
    except RecursionError:
        raise ArticleError(path, "broken YAML front matter: nested too deeply", 2) from None
    except ValueError as exc:  # an explicit !!timestamp that is no real day, a 5000-digit number
        raise ArticleError(path, f"broken YAML front matter: {exc}", 2) from None
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise ArticleError(path, f"front matter must be a table of keys, not {type_name(meta)}", 2)
    return meta
