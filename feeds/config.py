"""The site's configuration: `feeds.toml`, checked as a whole, every problem named."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomli

from feeds.errors import ConfigError, type_name
from feeds.model import Author
from feeds.read.source import Limits

TOPIC_KINDS = ("categories", "tags", "authors")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """Everything a build needs to know about the site, with documented defaults."""

    title: str
    base_url: str
    """Absolute http(s) URL of the site, always ending in `/`."""
    description: str = ""
    language: str = "en"
    timezone: str = "UTC"
    """IANA zone given to dates written without one."""
    author: Author | None = None
    feed_limit: int = 50
    summary_length: int = 280
    permalink: str = "/articles/{slug}/"
    """URL of an article that gives none: `{slug}`, `{year}`, `{month}`, `{day}` are filled in."""
    archive_page_size: int = 50
    """Entries per RFC 5005 archive page (older entries than the head feed's)."""
    archive_content: bool = False
    """Whether archive pages carry each entry's full content (else its summary and link)."""
    topics: tuple[str, ...] = ("categories", "tags", "authors")
    """Which topic feeds to publish, beside the site feed."""
    topic_archives: bool = False
    """Whether topic feeds get RFC 5005 archive pages too (the site feed always has them)."""
    hub: str | None = None
    """WebSub hub URL: announced in every feed; `feeds build --ping` notifies it."""
    max_feed_bytes: int = 1_000_000
    """A feed file larger than this gets a warning: many readers refuse large feeds."""
    max_article_bytes: int = 5_000_000
    """A larger article file is rejected unread."""
    max_front_matter_bytes: int = 65_536
    """Larger front matter (or sidecar) is rejected unparsed."""
    max_articles: int = 1_000_000
    """Article files beyond this many (in path order) are not read."""
    articles: str = "articles"
    output: str = "public"
    registry: str = "feeds.registry.json"
    cache: str = ".feeds-cache"
    """Folder of the build cache (not to be committed): what earlier builds read and rendered."""
    root: Path = field(default=Path(), compare=False)
    """Folder of the configuration file; relative paths above are taken from it."""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def host(self) -> str:
        return _host(self.base_url)

    @property
    def limits(self) -> Limits:
        return Limits(self.max_article_bytes, self.max_front_matter_bytes, self.max_articles)

    @property
    def articles_dir(self) -> Path:
        return self.root / self.articles

    @property
    def output_dir(self) -> Path:
        return self.root / self.output

    @property
    def registry_path(self) -> Path:
        return self.root / self.registry

    @property
    def cache_dir(self) -> Path:
        return self.root / self.cache


@functools.lru_cache(maxsize=16)
def _host(base_url: str) -> str:
    """The host of a site's address: asked for every entry whose id is minted (a parse each: 3 %
    of the build process's time while the workers read, at 100,000 articles)."""
    return urlsplit(base_url).hostname or ""


def load_config(path: Path) -> SiteConfig:
    """Read and check `feeds.toml`; raise `ConfigError` listing every problem."""
    shown = str(path)
    if not path.exists() and (pyproject := path.with_name("pyproject.toml")).is_file():
        # A Python project may keep the site's configuration in its pyproject.toml.
        data = _toml_table(pyproject).get("tool", {}).get("feeds")
        if isinstance(data, dict):
            return config_from_mapping(data, f"{pyproject} [tool.feeds]", root=path.parent)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            shown, "no such file (start a site with `feeds init`; README.md, 'Configuration', lists the keys)"
        ) from None
    except OSError as exc:
        raise ConfigError(shown, f"cannot read: {exc.strerror}") from None
    try:
        data = tomli.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(shown, "is not UTF-8 text") from None
    except tomli.TOMLDecodeError as exc:
        raise ConfigError(shown, f"is not valid TOML: {exc}") from None
    return config_from_mapping(data, shown, root=path.parent)


def _toml_table(path: Path) -> dict[str, Any]:
    try:
        return tomli.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError) as exc:
        raise ConfigError(str(path), f"cannot be read as TOML ({exc})") from None


def config_from_mapping(data: Mapping[str, Any], shown: str, root: Path) -> SiteConfig:
    """Check a parsed configuration table and make a `SiteConfig` of it."""
    problems: list[str] = []
    values: dict[str, Any] = {}

    for key in data:
        if key not in _CHECKS:
            close = difflib.get_close_matches(key, _CHECKS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(f"unknown key '{key}'{hint}")
    for key in ("title", "base_url"):
        if key not in data:
            problems.append(f"missing required key '{key}'")
    for key, check in _CHECKS.items():
        if key in data:
            try:
                values[key] = check(data[key])
            except ValueError as exc:
                problems.append(f"'{key}': {exc}")
    if problems:
        raise ConfigError(shown, problems)
    return SiteConfig(**values, root=root)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string, not {type_name(value)}")
    return value.strip()


def _title(value: Any) -> str:
    text = _text(value)
    if not text:
        raise ValueError("must not be empty")
    return text


def _base_url(value: Any) -> str:
    text = _text(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an absolute http(s) URL such as 'https://example.org/', not '{text}'")
    if parts.query or parts.fragment:
        raise ValueError("must not have a query or fragment")
    return text if text.endswith("/") else text + "/"


def _language(value: Any) -> str:
    text = _text(value)
    if not _LANGUAGE.match(text):
        fixed = text.replace("_", "-")
        hint = f" (did you mean '{fixed}'?)" if _LANGUAGE.match(fixed) else ""
        raise ValueError(f"'{text}' is not a BCP 47 language tag such as 'en' or 'uk-UA'{hint}")
    return text


def _timezone(value: Any) -> str:
    text = _text(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{text}' is not an IANA time zone such as 'Europe/Kyiv' or 'UTC'") from None
    return text


def _positive(minimum: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number, not {type_name(value)}")
        if value < minimum:
            raise ValueError(f"must be at least {minimum}")
        return value

    return check


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, not {type_name(value)}")
    return value


def _permalink(value: Any) -> str:
    text = _text(value)
    if "{slug}" not in text:
        raise ValueError("must contain '{slug}' so that every article gets its own URL")
    try:
        text.format(slug="s", year="2000", month="01", day="01")
    except (KeyError, IndexError, ValueError):
        raise ValueError("may use only {slug}, {year}, {month} and {day}") from None
    return text


def _topics(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"must be a list such as {list(TOPIC_KINDS)}, not {type_name(value)}")
    unknown = [v for v in value if v not in TOPIC_KINDS]
    if unknown:
        raise ValueError(f"'{unknown[0]}' is not one of {', '.join(TOPIC_KINDS)}")
    return tuple(kind for kind in TOPIC_KINDS if kind in value)


def _hub(value: Any) -> str:
    text = _text(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an absolute http(s) URL, not '{text}'")
    return text


def _relative_path(value: Any) -> str:
    text = _text(value)
    if not text or Path(text).is_absolute() or ".." in Path(text).parts:
        raise ValueError(f"must be a path inside the site folder, not '{text}'")
    return text


def _author(value: Any) -> Author:
    if isinstance(value, str):
        return Author(name=_title(value))
    if not isinstance(value, Mapping):
        raise ValueError(f"must be a name or a table with name, email, uri; not {type_name(value)}")
    unknown = sorted(set(value) - {"name", "email", "uri"})
    if unknown:
        raise ValueError(f"unknown field '{unknown[0]}' (use name, email, uri)")
    if "name" not in value:
        raise ValueError("needs a name")
    email = _text(value["email"]) if "email" in value else None
    uri = _text(value["uri"]) if "uri" in value else None
    return Author(name=_title(value["name"]), email=email or None, uri=uri or None)


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "title": _title,
    "base_url": _base_url,
    "description": _text,
    "language": _language,
    "timezone": _timezone,
    "author": _author,
    "feed_limit": _positive(1),
    "summary_length": _positive(40),
    "permalink": _permalink,
    "archive_page_size": _positive(1),
    "archive_content": _boolean,
    "topics": _topics,
    "topic_archives": _boolean,
    "hub": _hub,
    "max_feed_bytes": _positive(1000),
    "max_article_bytes": _positive(1000),
    "max_front_matter_bytes": _positive(256),
    "max_articles": _positive(1),
    "articles": _relative_path,
    "output": _relative_path,
    "registry": _relative_path,
    "cache": _relative_path,
}
