#!/usr/bin/env python3
"""The "plain feedgen script" that issue 5 compares `feeds build` with.

What a user would write in an afternoon: read every article, parse its front matter with
PyYAML's safe loader (`yaml.safe_load`, as the PyYAML documentation shows it), render the
Markdown with markdown-it-py, and write RSS and Atom of ALL entries with feedgen. No cache, no
topic feeds, no archives, no sanitising: one pass, two files.

    python benchmarks/feedgen_baseline.py SITE_DIR OUTPUT_DIR

SITE_DIR holds `feeds.toml` and `articles/` (`.md` with YAML front matter, `.txt` with a TOML
sidecar, as benchmarks/bench.py generates them).
"""

from __future__ import annotations

import html
import sys
import tomllib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from dateutil import parser as dateparser
from feedgen.feed import FeedGenerator
from markdown_it import MarkdownIt

TZINFOS = {"EET": 2 * 3600, "EEST": 3 * 3600, "UTC": 0, "GMT": 0}


def to_date(value: object, zone: ZoneInfo) -> datetime:
    date = value if isinstance(value, datetime) else dateparser.parse(str(value), tzinfos=TZINFOS)
    return date if date.tzinfo is not None else date.replace(tzinfo=zone)


def as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(item) for item in value]  # type: ignore[attr-defined]


def read_markdown(path: Path, md: MarkdownIt) -> tuple[dict, str, str]:
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    meta = yaml.safe_load(front) or {}
    first = body.strip().split("\n\n", 1)[0]
    return meta, md.render(body), meta.get("description") or first[:280]


def read_text(path: Path) -> tuple[dict, str, str]:
    meta = tomllib.loads(path.with_suffix(".toml").read_text(encoding="utf-8"))
    paragraphs = [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    meta["title"] = paragraphs[0]
    body = [p for p in paragraphs[1:] if not p.startswith(("Read also:", "Read the original article on"))]
    content = "".join(f"<p>{html.escape(p)}</p>\n" for p in body)
    return meta, content, body[0].split("\n")[0] if body else meta["title"]


def main(argv: list[str]) -> int:
    site, output = Path(argv[1]), Path(argv[2])
    config = tomllib.loads((site / "feeds.toml").read_text(encoding="utf-8"))
    zone = ZoneInfo(config.get("timezone", "UTC"))
    base = config["base_url"].rstrip("/") + "/"
    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")

    entries = []
    for path in sorted((site / "articles").rglob("*")):
        if path.suffix == ".md":
            meta, content, summary = read_markdown(path, md)
            slug = meta.get("slug") or path.stem[11:]
        elif path.suffix == ".txt":
            meta, content, summary = read_text(path)
            slug = meta.get("slug") or path.stem
        else:
            continue
        date = to_date(meta["date"], zone)
        url = f"{base}articles/{date.year}/{slug}/"
        entries.append((date, url, meta, content, summary))
    entries.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)

    fg = FeedGenerator()
    fg.id(base)
    fg.title(config["title"])
    fg.author(name=config.get("author", {}).get("name", config["title"]))
    fg.link(href=base, rel="alternate")
    fg.link(href=base + "atom.xml", rel="self")
    fg.description(config.get("description", config["title"]))
    fg.language(config.get("language", "en"))
    if entries:
        fg.updated(entries[0][0])
    for date, url, meta, content, summary in entries:
        fe = fg.add_entry(order="append")
        fe.id(url)
        fe.title(str(meta["title"]))
        fe.link(href=url)
        fe.published(date)
        fe.updated(date)
        for author in as_list(meta.get("author")):
            fe.author(name=author)
        for tag in as_list(meta.get("tags")) + as_list(meta.get("categories")):
            fe.category(term=tag)
        fe.description(summary)
        fe.content(content, type="html")

    output.mkdir(parents=True, exist_ok=True)
    fg.rss_file(str(output / "rss.xml"))
    fg.atom_file(str(output / "atom.xml"))
    print(f"{len(entries)} entries", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
