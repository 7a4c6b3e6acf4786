"""Markdown with YAML (`---`) or TOML (`+++`) front matter, as Jekyll, Hugo and Pelican write it."""

from __future__ import annotations

import re
from typing import Any

import yaml

from feeds.errors import ArticleError, type_name
from feeds.model import Article
from feeds.read.fields import article_fields, make_article
from feeds.read.source import SourceFile, decode, parse_toml


class _FrontMatterLoader(yaml.CSafeLoader):
    """The C safe loader, minus YAML's implicit timestamps.

    Dates stay text so that every format's dates go through one parser, with
    one set of messages: `2022-02-30` is reported as an impossible day instead
    of failing inside YAML.
    """


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}

_FENCES = {"---": "yaml", "+++": "toml"}
_H1 = re.compile(r"^#\s+(?P<title>.+?)\s*#*\s*$")


def read_markdown(source: SourceFile) -> list[Article | ArticleError]:
    text = decode(source.path, source.data)
    meta, body = split_front_matter(source.path, text)
    fields = article_fields(meta, source.path, None)
    if "title" not in fields:
        # A document without a title key may still open with `# Title`.
        lines = body.lstrip("\n").split("\n", 1)
        if (heading := _H1.match(lines[0])) is not None:
            fields["title"] = heading.group("title")
            body = lines[1] if len(lines) > 1 else ""
    return [make_article(source.path, fields, body, "markdown")]


def split_front_matter(path: str, text: str) -> tuple[dict[str, Any], str]:
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
    body = "\n".join(lines[end + 1 :])
    if _FENCES[fence] == "toml":
        return parse_toml(path, raw, first_line=2), body
    return _parse_yaml(path, raw), body


def _parse_yaml(path: str, raw: str) -> dict[str, Any]:
    try:
        meta = yaml.load(raw, Loader=_FrontMatterLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 2 if mark is not None else None
        raise ArticleError(path, f"broken YAML front matter: {exc.problem}", line) from None
    except yaml.YAMLError as exc:
        raise ArticleError(path, f"broken YAML front matter: {exc}", 1) from None
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise ArticleError(path, f"front matter must be a table of keys, not {type_name(meta)}", 2)
    return meta
