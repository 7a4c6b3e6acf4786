"""One place for the keys an article may carry, their aliases, and their types.

Every format (front matter, sidecar TOML, JSON records) ends here, so a key
means the same thing in all of them. Keys are matched without regard to case;
keys we do not know (layout, weight, ...) are ignored, as Jekyll and Hugo do.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from feeds.errors import ArticleError, Fail, quoted, type_name
from feeds.model import Article, Author, Enclosure, Origin, RawDate

_NAME_EMAIL = re.compile(r"^\s*(?P<name>.*?)\s*<(?P<email>[^<>\s@]+@[^<>\s]+)>\s*$")
"""`Name <email>` (the name may hold commas: `Doe, Jane <jane@example.org>`)."""

ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline"),
    "date": ("date", "published", "pubdate", "date_published", "published_at"),
    "updated": ("updated", "lastmod", "modified", "last_modified", "date_modified", "updated_at"),
    "summary": ("summary", "description", "excerpt"),
    "authors": ("authors", "author"),
    "tags": ("tags", "keywords"),
    "categories": ("categories", "category"),
    "slug": ("slug",),
    "url": ("url", "link", "permalink"),
    "id": ("id", "guid"),
    "draft": ("draft",),
    "image": ("image", "cover", "featured_image"),
    "lang": ("lang", "language"),
    "enclosure": ("enclosure",),
    "origin": ("source", "original"),
    "origin_url": ("source_url", "original_url"),
}

BODY_KEYS: dict[str, tuple[str, ...]] = {
    "html": ("content_html", "html"),
    "text": ("content_text", "text"),
    "markdown": ("body", "content", "markdown", "content_markdown"),
}
"""Where a JSON record keeps its body, and in what format."""


def article_fields(meta: Mapping[str, Any], path: str, line: int | None) -> dict[str, Any]:
    """Map a record's keys (any alias, any case) to `Article` field values, type-checked."""
    lowered = {str(k).lower(): v for k, v in meta.items()}
    found: dict[str, Any] = {}
    for name, aliases in ALIASES.items():
        for alias in aliases:
            if alias in lowered and lowered[alias] is not None:
                found[name] = lowered[alias]
                break

    def fail(message: str) -> ArticleError:
        return ArticleError(path, message, line)

    fields: dict[str, Any] = {}
    for name in ("title", "summary", "slug", "url", "id", "image", "lang"):
        if name in found:
            fields[name] = _scalar_text(found[name], name, fail)
    for name in ("date", "updated"):
        if name in found:
            fields[name] = _raw_date(found[name], name, fail)
    if "authors" in found:
        fields["authors"] = _authors(found["authors"], fail)
    for name in ("tags", "categories"):
        if name in found:
            fields[name] = _terms(found[name], name, fail)
    if "draft" in found:
        fields["draft"] = _flag(found["draft"], fail)
    if "enclosure" in found:
        fields["enclosure"] = _enclosure(found["enclosure"], fail)
    origin = _origin(found.get("origin"), found.get("origin_url"), fail)
    if origin is not None:
        fields["origin"] = origin
    return fields


def record_body(meta: Mapping[str, Any], path: str, line: int | None) -> tuple[str, str]:
    """The body of a JSON record and its format; an empty markdown body if it has none."""
    lowered = {str(k).lower(): v for k, v in meta.items()}
    for body_format, keys in BODY_KEYS.items():
        for key in keys:
            value = lowered.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise ArticleError(path, f"'{key}' must be text, not {type_name(value)}", line)
            return value, body_format
    return "", "markdown"


def _scalar_text(value: Any, name: str, fail: Fail) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise fail(f"'{name}' must be text, not {type_name(value)}")
    return str(value)


def _raw_date(value: Any, name: str, fail: Fail) -> RawDate:
    if isinstance(value, bool) or not isinstance(value, str | int | float | datetime | date):
        raise fail(f"'{name}' must be a date, not {type_name(value)}")
    return value


def _flag(value: Any, fail: Fail) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "false", "no"):
        return value.strip().lower() in ("true", "yes")
    raise fail(f"'draft' must be true or false, not {quoted(value)}")


def _terms(value: Any, name: str, fail: Fail) -> tuple[str, ...]:
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, list):
        items = value
    else:
        raise fail(f"'{name}' must be a list of names, not {type_name(value)}")
    terms: list[str] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise fail(f"'{name}' must be a list of names; found {type_name(item)}")
        term = " ".join(str(item).split())
        if term and term not in terms:
            terms.append(term)
    return tuple(terms)


def _authors(value: Any, fail: Fail) -> tuple[Author, ...]:
    items = value if isinstance(value, list) else [value]
    authors: list[Author] = []
    for item in items:
        author = _author(item, fail)
        if author.name and author not in authors:
            authors.append(author)
    return tuple(authors)


def _author(item: Any, fail: Fail) -> Author:
    """An author written as `Name`, `Name <email>`, or a table with name, email, uri/url."""
    if isinstance(item, str):
        if (found := _NAME_EMAIL.match(item)) is None:
            return Author(name=item.strip())
        if not found.group("name"):
            raise fail(f"author '{item.strip()}' needs a name before the address")
        return Author(name=found.group("name"), email=found.group("email"))
    if not isinstance(item, Mapping):
        raise fail(f"'author' must be a name or a table with a name, not {type_name(item)}")
    fields: dict[str, str | None] = {}
    for key, aliases in (("name", ("name",)), ("email", ("email",)), ("uri", ("uri", "url"))):
        found = next((item[a] for a in aliases if item.get(a) is not None), None)
        if found is not None and not isinstance(found, str):
            raise fail(f"author '{key}' must be text, not {type_name(found)}")
        fields[key] = found.strip() if found else None
    if not fields["name"]:
        raise fail("an author needs a 'name'")
    return Author(name=fields["name"], email=fields["email"], uri=fields["uri"])


def _enclosure(value: Any, fail: Fail) -> Enclosure:
    if isinstance(value, str):
        value = {"url": value}
    if not isinstance(value, Mapping) or not isinstance(value.get("url"), str):
        raise fail("'enclosure' must be a URL or a table with url, type and length")
    url = value["url"].strip()
    media_type = value.get("type") or mimetypes.guess_type(url)[0] or "application/octet-stream"
    length = value.get("length", 0)
    if not isinstance(media_type, str):
        raise fail("enclosure 'type' must be a media type such as 'audio/mpeg'")
    if isinstance(length, str) and length.strip().isdigit():
        length = int(length)
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise fail("enclosure 'length' must be a size in bytes")
    return Enclosure(url=url, type=media_type, length=length)


def _origin(value: Any, url: Any, fail: Fail) -> Origin | None:
    if value is None and url is None:
        return None
    if isinstance(value, Mapping):
        url = value.get("url", url)
        value = value.get("name")
    if value is not None and not isinstance(value, str):
        raise fail("'source' must be the outlet's name or a table with name and url")
    if url is not None and not isinstance(url, str):
        raise fail("'source_url' must be a URL")
    url = (url or "").strip() or None
    if not value and not url:
        return None
    # A URL alone is kept: a .txt article names its outlet in its last line.
    return Origin(name=(value or "").strip(), url=url)


def make_article(
    path: str,
    fields: dict[str, Any],
    body: str,
    body_format: str,
    *,
    key: str | None = None,
    line: int | None = None,
) -> Article:
    """Build an `Article` from checked fields; an article must at least have a title."""
    title = fields.pop("title", None)
    if title is None or not str(title).strip():
        raise ArticleError(path, "missing title", line)
    return Article(
        source=path,
        key=key or path,
        title=title,
        body=body,
        body_format=body_format,  # type: ignore[arg-type]
        line=line,
        **fields,
    )
