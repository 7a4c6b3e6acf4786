"""Plain-text articles shaped like the seed: a scraped news page.

    Headline                                  <- first non-empty line: the title

    Standfirst                                <- next paragraph (scrapes often repeat it)
    Standfirst

    Body paragraph ...
    Read also: Another headline               <- cross-promotion: kept as related, not text
    Body paragraph ...
    Read the original article on The Outlet   <- last line: attribution

Date, URL, author, tags come from an optional sidecar `NAME.toml` with the same
keys as front matter.
"""

from __future__ import annotations

import re

from feeds.errors import ArticleError
from feeds.model import Article, Origin
from feeds.read.fields import article_fields, make_article
from feeds.read.source import DEFAULT_LIMITS, Limits, SourceFile, decode, parse_toml

PROMO = re.compile(r"^read also\s*:\s*", re.IGNORECASE)
ATTRIBUTION = re.compile(r"^read the original article on\s+(?P<outlet>.+?)\s*\.?$", re.IGNORECASE)


def read_text(source: SourceFile, limits: Limits = DEFAULT_LIMITS) -> list[Article | ArticleError]:
    text = decode(source.path, source.data)
    paragraphs = _paragraphs(text)
    if not paragraphs:
        raise ArticleError(source.path, "missing title: the file is empty")

    title_lines = paragraphs[0]
    title = title_lines[0]
    rest = ([title_lines[1:]] if len(title_lines) > 1 else []) + paragraphs[1:]

    related: list[str] = []
    outlet: str | None = None
    kept: list[list[str]] = []
    for block in rest:
        lines: list[str] = []
        for line in block:
            if PROMO.match(line):
                if headline := PROMO.sub("", line):
                    related.append(headline)
            else:
                lines.append(line)
        if lines:
            kept.append(lines)
    if kept and (found := ATTRIBUTION.match(kept[-1][-1])):
        outlet = found.group("outlet")
        kept[-1].pop()
        if not kept[-1]:
            kept.pop()

    standfirst = _dedupe_lines(kept[0]) if kept else None
    body = [" ".join(standfirst)] if standfirst else []
    body += [" ".join(_dedupe_lines(block)) for block in kept[1:]]

    fields = {}
    if source.sidecar is not None:
        if len(source.sidecar) > (cap := limits.max_front_matter_bytes):
            raise ArticleError(
                source.sidecar_path,
                f"is {len(source.sidecar):,} bytes, more than max_front_matter_bytes ({cap:,})",
            )
        sidecar_text = decode(source.sidecar_path, source.sidecar)
        fields = article_fields(parse_toml(source.sidecar_path, sidecar_text), source.sidecar_path, None)
    fields.setdefault("title", title)
    if standfirst:
        fields.setdefault("standfirst", " ".join(standfirst))
    if related:
        fields["related"] = tuple(related)
    if outlet:
        given = fields.get("origin")
        fields["origin"] = Origin(name=outlet, url=given.url if given else None)
    return [make_article(source.path, fields, "\n\n".join(body), "text", key=source.article_key)]


def _paragraphs(text: str) -> list[list[str]]:
    """Blocks of non-blank lines, each line stripped."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if line:
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _dedupe_lines(lines: list[str]) -> list[str]:
    """Drop a line that repeats the one before it, as scraped standfirsts do."""
    return [line for i, line in enumerate(lines) if i == 0 or line != lines[i - 1]]
