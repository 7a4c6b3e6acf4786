"""Starting things: a new site (`feeds init`) and a new article (`feeds new`).

The texts are pure functions; `create` is the edge that writes them, and it never
overwrites a file: a user's work is worth more than our example.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Literal

from slugify import slugify

from feeds.errors import FeedsError
from feeds.read import scan_article_files

ArticleFormat = Literal["md", "txt", "json"]
_SLUG_MAX = 80
_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}[-_]")
"""What a file name may start with that its slug leaves out (`2022-09-20-how-we-publish.md`)."""


class ExistsError(FeedsError):
    """A file we were asked to create is already there."""


@dataclass(frozen=True, slots=True)
class NewSite:
    title: str
    base_url: str
    timezone: str
    now: datetime


def site_files(site: NewSite) -> dict[str, str]:
    """The files of a new site, by path relative to its folder."""
    return {
        "feeds.toml": _config(site),
        "articles/welcome.md": _welcome(site),
        ".gitignore": (
            "# Built by `feeds build`: publish it, do not commit it.\n/public/\n"
            "# The build cache: what earlier builds read and rendered (safe to delete).\n/.feeds-cache/\n"
        ),
    }


def article_files(title: str, fmt: ArticleFormat, now: datetime, *, draft: bool) -> dict[str, str]:
    """A new article's file(s), named after its slug, relative to the articles folder."""
    slug = str(slugify(title, max_length=_SLUG_MAX)) or "article"
    date = now.replace(microsecond=0).isoformat()
    if fmt == "md":
        front = f"title: {json.dumps(title, ensure_ascii=False)}\ndate: {date}\nslug: {slug}\n"
        front += f"draft: {'true' if draft else 'false'}\ntags: []\nsummary: \n"
        return {f"{slug}.md": f"---\n{front}---\n\nWrite the article here, in Markdown.\n"}
    if fmt == "txt":
        sidecar = (
            f"date = {json.dumps(date)}\nslug = {json.dumps(slug)}\ndraft = {'true' if draft else 'false'}\n"
        )
        standfirst = "The standfirst: one or two sentences that sum the story up."
        body = f"{title}\n\n{standfirst}\n\nThe first paragraph.\n"
        return {f"{slug}.txt": body, f"{slug}.toml": sidecar}
    record = {
        "title": title,
        "date": date,
        "slug": slug,
        "draft": draft,
        "tags": [],
        "content": "Write here.",
    }
    return {f"{slug}.json": json.dumps(record, ensure_ascii=False, indent=2) + "\n"}


def new_article(
    articles_dir: Path, title: str, fmt: ArticleFormat, now: datetime, *, draft: bool
) -> list[Path]:
    """Start an article: its file(s) in `articles_dir`, unless an article file there has its slug.

    Another format's file of the same name (`x.md` beside a new `x.json`) would be a
    duplicate slug, rejected on the day both are published.
    """
    files = article_files(title, fmt, now, draft=draft)
    slug = PurePosixPath(next(iter(files))).stem
    taken = [
        str(articles_dir / found.key)
        for found in scan_article_files(articles_dir)
        if slugify(_DATE_PREFIX.sub("", PurePosixPath(found.key).stem), max_length=_SLUG_MAX) == slug
    ]
    if taken:
        raise ExistsError(f"refusing to start '{slug}': {', '.join(taken)} already has that slug")
    return create(articles_dir, files)


def create(folder: Path, files: Mapping[str, str]) -> list[Path]:
    """Write `files` under `folder`, refusing (before writing any) if one already exists."""
    targets = {folder / name: text for name, text in files.items()}
    existing = [str(path) for path in targets if path.exists()]
    if existing:
        raise ExistsError(f"refusing to overwrite {', '.join(existing)}")
    for path, text in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as stream:
            stream.write(text)
    return list(targets)


def _config(site: NewSite) -> str:
    return f"""# feeds configuration: every key, its default and meaning is in README.md ("Configuration").

# The site's name: the title of its feeds.
title = {json.dumps(site.title, ensure_ascii=False)}
# Where the site (and the output folder, public/) is served: feeds link to it.
base_url = {json.dumps(site.base_url)}
description = ""
# BCP 47 language tag: en, uk, en-GB.
language = "en"
# Dates written without a zone are in this one.
timezone = {json.dumps(site.timezone)}

# Entries in each feed (newest first); older ones go to archive pages.
feed_limit = 50
# The longest automatic summary, in characters.
summary_length = 280
# URL of an article that gives none.
permalink = "/articles/{{slug}}/"
# Feeds per category, tag and author.
topics = ["categories", "tags", "authors"]
# A WebSub hub to announce changes to with `feeds build --ping`.
# hub = "https://pubsubhubbub.appspot.com/"

[author]
name = {json.dumps(site.title, ensure_ascii=False)}
# email = "desk@example.org"
"""


def _welcome(site: NewSite) -> str:
    return f"""---
title: "Welcome to {site.title.replace('"', "'")}"
date: {site.now.replace(microsecond=0).isoformat()}
tags: [news]
summary: The first article of this site, written by `feeds init`. Edit it or delete it.
---

This article was written by `feeds init`. Every file in `articles/` becomes an entry
in the site's feeds: Markdown with front matter like this one, plain text, or JSON.

Run `feeds build` to publish, and `feeds serve` to look at the result.
"""
