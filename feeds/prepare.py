"""prepare: `Article` values in, `Entry` values out. Pure: the clock comes in as `now`.

Per article: drafts and embargoed articles are held back; dates are parsed and
zoned; the slug and URL are fixed; id and times come from the registry (minted
once for new articles); the body becomes safe, absolute HTML; the summary is
chosen. Across articles: slugs and ids must be unique (the first, in path order,
wins).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Container, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from html import escape
from pathlib import PurePosixPath
from types import MappingProxyType
from urllib.parse import quote, urljoin, urlsplit

from slugify import slugify

from feeds.config import SiteConfig
from feeds.content import body_html, paragraphs_text, plain_text, sanitise
from feeds.dates import DateError, in_zone, parse_date
from feeds.errors import ArticleError, Fail, Problem, Warn, quoted
from feeds.model import Article, Author, Entry, Origin
from feeds.registry import Record, Registry, content_hash
from feeds.text import cut, one_line, xml_safe

_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}[-_]")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_SLUG_MAX = 80
_URI_SAFE = ":/?#[]@!$&'()*+,;=%~"
_ADDR_SPEC = re.compile(r"[A-Za-z0-9_.+'-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}")
"""An email address as every feed validator takes it (RFC 5322's dot-atom, ASCII only)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    entries: tuple[Entry, ...]
    """Published entries, in the order their articles were read."""
    registry: Registry
    """The registry with every published entry recorded."""
    problems: tuple[Problem, ...]
    held: int
    """Drafts and articles dated in the future: not published yet."""


def prepare(
    articles: Sequence[Article],
    config: SiteConfig,
    registry: Registry,
    now: datetime,
    unreadable: Collection[str] = (),
) -> Prepared:
    """Entries for `articles`, and the registry updated with them.

    `unreadable` names files that could not be read this time: their articles are
    not taken for removed. Any other registered article that is gone is retired.
    """
    records = dict(registry.records)
    taken = {record.id for record in registry.records.values()}
    present = {article.key for article in articles}
    # Records whose file is gone, by text: an article found elsewhere with the same text was
    # moved or renamed, and keeps its identity.
    vanished = {
        record.hash: record
        for key, record in sorted(registry.records.items())
        if key not in present and key.split("#", 1)[0] not in unreadable
    }
    entries: list[Entry] = []
    problems: list[Problem] = []
    held = 0
    slugs: dict[str, str] = {}
    ids: dict[str, str] = {}
    for article in articles:
        try:
            record = registry.records.get(article.key)
            if record is None and vanished:
                record = vanished.pop(content_hash(article), None)
            prepared = prepare_article(article, config, record, now, taken, _warner(article, problems))
        except ArticleError as exc:
            problems.append(exc.problem)
            continue
        if prepared is None:
            held += 1
            continue
        entry, record = prepared
        if (other := slugs.get(entry.slug)) is not None:
            problems.append(
                Problem(
                    article.source,
                    f"duplicate slug '{entry.slug}' (also used by {other})",
                    article.line,
                )
            )
            continue
        if (other := ids.get(entry.id)) is not None:
            problems.append(
                Problem(
                    article.source,
                    f"duplicate id '{entry.id}' (also used by {other})",
                    article.line,
                )
            )
            continue
        slugs[entry.slug] = ids[entry.id] = article.source
        records[article.key] = record
        entries.append(entry)
    for key, record in registry.records.items():
        if key not in present and record.retired is None and key.split("#", 1)[0] not in unreadable:
            records[key] = replace(record, retired=now)
    return Prepared(tuple(entries), Registry(MappingProxyType(records)), tuple(problems), held)


def prepare_article(
    article: Article,
    config: SiteConfig,
    record: Record | None,
    now: datetime,
    taken: Container[str] = frozenset(),
    warn: Warn | None = None,
) -> tuple[Entry, Record] | None:
    """The entry for one article and its registry record, or None while it is not due.

    A retired record (its file was gone) comes back to life only for the same text:
    a different article at that path is a new article, with a new id, never one of
    the ids in `taken`.
    """

    def fail(message: str) -> ArticleError:
        return ArticleError(article.source, message, article.line)

    if article.draft:
        return None
    zone = config.zone
    try:
        dated = parse_date(article.date, zone) if article.date is not None else None
        edited = parse_date(article.updated, zone) if article.updated is not None else None
    except DateError as exc:
        raise fail(str(exc)) from None
    if dated is not None and dated > now:
        return None

    digest = content_hash(article)
    if record is not None and record.retired is not None and record.hash != digest:
        record = None
    first_seen = record.first_seen if record else now
    published = dated or in_zone(first_seen, zone)
    slug = _slug(article, fail)
    url = _url(article, config, slug, published, fail)
    entry_id = xml_safe(article.id).strip() if article.id else ""
    if not entry_id:
        entry_id = record.id if record else mint_id(config.host, published, slug, taken)

    changed = record.changed if record else None
    if record is not None and record.hash != digest:
        changed = now
    updated = edited or (in_zone(changed, zone) if changed else published)
    if updated < published:
        updated = published

    title = one_line(article.title)
    if not title:
        raise fail("missing title: it holds only characters a feed cannot carry")
    origin = _clean_origin(article.origin)
    content = sanitise(body_html(xml_safe(article.body), article.body_format), url)
    entry = Entry(
        id=entry_id,
        key=article.key,
        source=article.source,
        slug=slug,
        title=title,
        url=url,
        published=published,
        updated=updated,
        # An article with no text at all is summarised by its title: readers need some text.
        summary=_summary(article, content, config.summary_length) or title,
        content_html=content + _attribution(origin),
        authors=tuple(_clean_author(a, url, warn) for a in article.authors),
        tags=tuple(one_line(t) for t in article.tags if one_line(t)),
        categories=tuple(one_line(c) for c in article.categories if one_line(c)),
        lang=article.lang if article.lang and _LANGUAGE.match(article.lang) else None,
        image=_web_url(url, article.image),
        enclosure=replace(
            article.enclosure,
            url=_web_url(url, article.enclosure.url) or url,
            type=one_line(article.enclosure.type) or "application/octet-stream",
        )
        if article.enclosure
        else None,
        origin=origin,
        related=tuple(one_line(r) for r in article.related),
    )
    return entry, Record(id=entry_id, first_seen=first_seen, hash=digest, changed=changed)


def _warner(article: Article, problems: list[Problem]) -> Warn:
    def warn(message: str) -> None:
        problems.append(Problem(article.source, message, article.line, severity="warning"))

    return warn


def mint_id(host: str, published: datetime, slug: str, taken: Container[str] = frozenset()) -> str:
    """A `tag:` URI (RFC 4151) for an article that has no id of its own.

    Minted once and stored in the registry; from then on the id no longer depends on
    the host, date or slug. For a dated article it can be minted again, identically,
    if the registry is lost.
    """
    base = f"tag:{host},{published.date().isoformat()}:{slug}"
    minted, number = base, 1
    while minted in taken:  # an id once given, even to a removed article, is never given again
        number += 1
        minted = f"{base}-{number}"
    return minted


def _slug(article: Article, fail: Fail) -> str:
    if article.slug is not None:
        given = article.slug.strip()
        if "/" in given or "\\" in given or ".." in given:
            raise fail(f"slug {quoted(given)} must be one path segment (no '/', '\\' or '..')")
        slug = slugify(given, max_length=_SLUG_MAX)
        if not slug:
            raise fail(f"slug {quoted(given)} has no letters or digits to make a URL of")
        return str(slug)
    # One record of many shares its file's name: its title names it instead.
    shared_file = "#" in article.key
    name = article.title if shared_file else _DATE_PREFIX.sub("", PurePosixPath(article.source).stem)
    slug = slugify(name, max_length=_SLUG_MAX)
    if not slug:  # nothing slugify can spell (emoji only, say): a stable name from the key
        slug = "article-" + hashlib.blake2b(article.key.encode(), digest_size=4).hexdigest()
    return str(slug)


def _url(article: Article, config: SiteConfig, slug: str, published: datetime, fail: Fail) -> str:
    # Site paths (`/2022/x/`) are taken from base_url, which may itself have a path.
    if article.url:
        url = _uri(urljoin(config.base_url, _site_relative(xml_safe(article.url).strip())))
    else:
        path = config.permalink.format(
            slug=slug,
            year=f"{published.year:04d}",
            month=f"{published.month:02d}",
            day=f"{published.day:02d}",
        )
        url = _uri(urljoin(config.base_url, _site_relative(path)))
    if not _is_web_url(url):
        raise fail(f"url {quoted(article.url)} is not an http(s) address")
    return url


def _summary(article: Article, content: str, limit: int) -> str:
    """The article's own summary, else its standfirst, else its opening paragraphs cut to `limit`."""
    if article.summary and (own := plain_text(xml_safe(article.summary))):
        return own
    if article.standfirst and (standfirst := one_line(article.standfirst)):
        return standfirst
    taken: list[str] = []
    for paragraph in paragraphs_text(content):
        candidate = " ".join([*taken, paragraph])
        if len(candidate) > limit:
            return cut(candidate, limit) if not taken else " ".join(taken)
        taken.append(paragraph)
    return " ".join(taken)


def _attribution(origin: Origin | None) -> str:
    if origin is None:
        return ""
    name = escape(origin.name)
    if origin.url:
        name = f'<a href="{escape(origin.url)}">{name}</a>'
    return f"<p><em>First published by {name}.</em></p>\n"


def _uri(iri: str) -> str:
    """An address as a URI: spaces, non-ASCII and other unsafe characters percent-encoded."""
    return quote(iri, safe=_URI_SAFE)


def _web_url(base: str, given: str | None) -> str | None:
    """`given` resolved against `base` as a URI, if it makes an http(s) address."""
    if not given or not (cleaned := xml_safe(given).strip()):
        return None
    url = _uri(urljoin(base, cleaned))
    return url if _is_web_url(url) else None


def _site_relative(path: str) -> str:
    """`/a/b/` as a path under the site's base URL; absolute URLs and `//host/` untouched."""
    return path.lstrip("/") if path.startswith("/") and not path.startswith("//") else path


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _clean_origin(origin: Origin | None) -> Origin | None:
    if origin is None or not one_line(origin.name):
        return None
    url = _uri(xml_safe(origin.url).strip()) if origin.url else None
    if url and not _is_web_url(url):
        url = None
    return Origin(one_line(origin.name), url)


def _clean_author(author: Author, base: str, warn: Warn | None) -> Author:
    """The author with an email that is an address and a uri that is a web page, or neither.

    No address holds white space or what XML cannot carry: those are removed. What still is
    not an address is left out, with a warning; a uri that is not http(s) is left out as
    every other URL of an article is.
    """
    name = one_line(author.name)
    email = "".join(xml_safe(author.email).split()) if author.email else None
    if email is not None and not _ADDR_SPEC.fullmatch(email):
        if warn is not None:
            warn(f"author {quoted(name)}: email {quoted(author.email)} is not an address; left out")
        email = None
    return Author(name=name, email=email, uri=_web_url(base, author.uri))
