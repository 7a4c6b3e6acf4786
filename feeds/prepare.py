"""prepare: `Article` values in, `Entry` values out. Pure: the clock comes in as `now`.

Per article: drafts and embargoed articles are held back; dates are parsed and
zoned; the slug and URL are fixed; id and times come from the registry (minted
once for new articles); the body becomes safe, absolute HTML; the summary is
chosen. Across articles: slugs and ids must be unique (the first, in path order,
wins).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Collection, Container, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from html import escape
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Protocol
from urllib.parse import quote, urljoin, urlsplit

from feeds.config import SiteConfig
from feeds.content import body_html, opening_paragraphs, plain_text, sanitise
from feeds.dates import DateError, in_zone, parse_date
from feeds.errors import ArticleError, Fail, Problem, Warn, quoted
from feeds.model import Article, Author, Enclosure, Entry, Origin
from feeds.read import file_of
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
    pending: tuple[tuple[str, float | None], ...]
    """Drafts and articles dated in the future, not published yet: by key, with when each is `due`."""

    @property
    def held(self) -> int:
        return len(self.pending)


@dataclass(frozen=True, slots=True)
class Draft:
    """An article digested: all of `prepare` that needs neither the registry nor the clock.

    Small (no body): a build keeps one per article, and its cache keeps them between
    builds, so an unchanged file is neither read nor parsed again. A held draft (`draft:
    true`) is not checked: it carries its key, hash and title alone.
    """

    key: str
    source: str
    line: int | None
    hash: str
    """`content_hash` of the article: what the registry compares to see an edit."""
    held: bool
    """A draft (`draft: true`): not published whatever the date."""
    title: str
    slug: str = ""
    dated: datetime | None = None
    edited: datetime | None = None
    summary: str = ""
    id: str = ""
    """The article's own id, cleaned; empty when it has none."""
    url: str | None = None
    """The article's own URL, cleaned; None for the configured permalink."""
    authors: tuple[Author, ...] = ()
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    lang: str | None = None
    image: str | None = None
    enclosure: Enclosure | None = None
    origin: Origin | None = None
    related: tuple[str, ...] = ()


def digest(article: Article, config: SiteConfig, warn: Warn | None = None) -> Draft:
    """The registry- and clock-free part of preparing `article`; raises `ArticleError`.

    `warn` is told what is published, but not as given (an author's email that is no address).
    """

    def fail(message: str) -> ArticleError:
        return ArticleError(article.source, message, article.line)

    if article.draft:  # not checked either, until it is no longer a draft
        return _held(article)
    zone = config.zone
    try:
        dated = parse_date(article.date, zone) if article.date is not None else None
        edited = parse_date(article.updated, zone) if article.updated is not None else None
    except DateError as exc:
        raise fail(str(exc)) from None
    title = one_line(article.title)
    if not title:
        raise fail("missing title: it holds only characters a feed cannot carry")
    return Draft(
        key=article.key,
        source=article.source,
        line=article.line,
        hash=content_hash(article),
        held=False,
        title=title,
        slug=_slug(article, fail),
        dated=dated,
        edited=edited,
        # An article with no text at all is summarised by its title: readers need some text.
        summary=_summary(article, config.summary_length) or title,
        id=xml_safe(article.id).strip() if article.id else "",
        url=xml_safe(article.url).strip() or None if article.url else None,
        authors=tuple(_clean_author(a, warn) for a in article.authors),
        tags=tuple(one_line(t) for t in article.tags if one_line(t)),
        categories=tuple(one_line(c) for c in article.categories if one_line(c)),
        lang=article.lang if article.lang and _LANGUAGE.match(article.lang) else None,
        image=article.image,
        enclosure=article.enclosure,
        origin=_clean_origin(article.origin),
        related=tuple(one_line(r) for r in article.related),
    )


def _held(article: Article) -> Draft:
    return Draft(article.key, article.source, article.line, content_hash(article), True, article.title)


def content_of(article: Article, entry: Entry) -> str:
    """The entry's full content: the article's body as safe, absolute HTML, with its attribution."""
    return sanitise(body_html(xml_safe(article.body), article.body_format), entry.url) + _attribution(
        entry.origin
    )


def prepare(
    articles: Sequence[Article],
    config: SiteConfig,
    registry: Registry,
    now: datetime,
    unreadable: Collection[str] = (),
) -> Prepared:
    """Entries for `articles` (with their content), and the registry updated with them.

    `unreadable` names files that could not be read this time: their articles are
    not taken for removed. Any other registered article that is gone is retired.
    """
    drafts, problems, rejected = digest_all(articles, config)
    settled = settle(drafts, config, registry, now, {*unreadable, *rejected})
    by_key = {article.key: article for article in articles}
    entries = tuple(replace(e, content_html=content_of(by_key[e.key], e)) for e in settled.entries)
    return replace(settled, entries=entries, problems=(*problems, *settled.problems))


def digest_all(
    articles: Sequence[Article], config: SiteConfig
) -> tuple[list[Draft], list[Problem], set[str]]:
    """Drafts of `articles`, the problems of those rejected, and the files these came from.

    A rejected article is not a removed one: its file is to be treated as unreadable,
    so that its registry record is not retired.
    """
    drafts: list[Draft] = []
    problems: list[Problem] = []
    rejected: set[str] = set()
    for article in articles:
        try:
            drafts.append(digest(article, config, _warner(article, problems)))
        except ArticleError as exc:
            problems.append(exc.problem)
            rejected.add(file_of(article.key))
    return drafts, problems, rejected


def settle(
    drafts: Sequence[Draft],
    config: SiteConfig,
    registry: Registry,
    now: datetime,
    unreadable: Collection[str] = (),
) -> Prepared:
    """Entries (without content) for `drafts`, their ids and times from the registry.

    Across articles: slugs and ids must be unique (the first, in path order, wins).
    A registered article whose file is gone is retired, unless its file was merely
    unreadable this time (`unreadable`).
    """
    present = {draft.key for draft in drafts}
    settling = Settling(config, registry, now, vanished(registry, present.__contains__, unreadable))
    for draft in drafts:
        settling.add(draft)
    return settling.finish(unreadable)


def vanished(
    registry: Registry, present: Callable[[str], bool], unreadable: Collection[str] = ()
) -> dict[str, Record]:
    """The records whose article is gone, by their text's hash (the last in key order, for a
    text that several had): an article found elsewhere with that text was moved or renamed,
    and keeps its identity. `present` tells a key that is still there; a record of a file
    that is `unreadable` this time is not gone."""
    return {
        record.hash: record
        for key, record in sorted(registry.records.items())
        if not present(key) and file_of(key) not in unreadable
    }


class Claims(Protocol):
    """Which article took each slug and each id, by its key (`Settling`'s, while it settles)."""

    def owners(self, slug: str, id_: str) -> tuple[str | None, str | None]:
        """The keys of the articles that took `slug` and `id_`, None where none did."""
        ...

    def claim(self, slug: str, id_: str, key: str) -> None: ...


class ClaimsInMemory:
    """`Claims` in two dictionaries."""

    def __init__(self) -> None:
        self._slugs: dict[str, str] = {}
        self._ids: dict[str, str] = {}

    def owners(self, slug: str, id_: str) -> tuple[str | None, str | None]:
        return self._slugs.get(slug), self._ids.get(id_)

    def claim(self, slug: str, id_: str, key: str) -> None:
        self._slugs[slug] = self._ids[id_] = key


class Settling:
    """`settle`, one draft at a time in path order: a build from scratch settles each file's
    drafts as the workers give them, while this process would otherwise wait for them.

    `gone` is `vanished` of the registry, which needs to know which keys are still there: a
    build that has not read every file yet takes the keys its scan found, and `finish` tells
    whether that was right (`assumed`).

    `records`, where given, is sent the record of each entry as it is settled and, by `finish`,
    every other record of the new registry, instead of this keeping them (at 100,000 new articles,
    a build from scratch's main process peaked at 98 MB so, 130 MB keeping them): `finish` then
    gives an empty registry, and `changed` tells whether the new one differs from `registry`.
    `claims` keeps which article took each slug and id (by default, in memory).
    """

    def __init__(
        self,
        config: SiteConfig,
        registry: Registry,
        now: datetime,
        gone: dict[str, Record],
        *,
        keep_entries: bool = True,
        records: Callable[[str, Record], None] | None = None,
        claims: Claims | None = None,
    ) -> None:
        self.config, self.registry, self.now = config, registry, now
        self._send = records
        self.changed = False
        """Whether a record is not the registry's own (new, changed, taken over, retired)."""
        self._held_back: set[str] = set()
        """The keys of the registry's records whose drafts were added but gave no entry (sent by
        `finish`, as they are)."""
        self.assumed = MappingProxyType(dict(gone))
        """The records taken for gone, before any draft took one over."""
        self._gone = gone
        self._records: dict[str, Record] = {}
        """The records that are not the registry's own (new, changed, or taken over)."""
        self._taken = {record.id for record in registry.records.values()}
        self._present: set[str] = set()
        """The keys of the registry's records whose drafts were added (only those are asked
        about: at 100,000 articles with no registry, every key was 17 MB)."""
        self._keep = keep_entries
        self.entries: list[Entry] = []
        """The entries settled (none unless `keep_entries`: then `add` gives each, to keep elsewhere)."""
        self.problems: list[Problem] = []
        self.pending: list[tuple[str, float | None]] = []
        # Which draft took each slug and id, by its key (which its entry keeps anyway); its
        # source, for a message, is the articles folder as shown before its file, as the reader
        # names it, and is kept only where it is not (at 100,000 articles, the sources were 11 MB).
        self._claims = ClaimsInMemory() if claims is None else claims
        self._shown_folder: str | None = None
        self._sources: dict[str, str] = {}
        self._stamped = 0
        # What this build sees first and dates by it (an undated article, an edit without an
        # `updated` of its own) is stamped `now`, the next such one a second before, and so on:
        # no two entries of one build share a time (the W3C validator warns when two entries have
        # one `updated`), and each keeps its stamp in the registry. One value until a stamp shows:
        # every new article's record holds it (at 100,000, a datetime each was 4.6 MB).
        self._seen = now

    def add(self, draft: Draft) -> tuple[Entry, Record] | None:
        """Settle the next draft in path order: its entry and record, if it is published."""
        own = self.registry.records.get(draft.key)
        if own is not None:
            self._present.add(draft.key)
        settled = self._settle(draft, own)
        if settled is None:
            if own is not None:
                self._held_back.add(draft.key)
        elif self._send is not None:
            self._send(draft.key, settled[1])
        return settled

    def _settle(self, draft: Draft, own: Record | None) -> tuple[Entry, Record] | None:
        record = own
        try:
            if record is None and self._gone:
                record = self._gone.pop(draft.hash, None)
            prepared = settle_draft(draft, self.config, record, self.now, self._taken, self._seen)
        except ArticleError as exc:
            self.problems.append(exc.problem)
            return None
        if prepared is None:
            self.pending.append((draft.key, due(draft)))
            return None
        entry, record = prepared
        slug_owner, id_owner = self._claims.owners(entry.slug, entry.id)
        if (other := slug_owner) is not None:
            self.problems.append(
                Problem(
                    draft.source,
                    f"duplicate slug '{entry.slug}' (also used by {self._source(other)})",
                    draft.line,
                )
            )
            return None
        if (other := id_owner) is not None:
            self.problems.append(
                Problem(
                    draft.source,
                    f"duplicate id '{entry.id}' (also used by {self._source(other)})",
                    draft.line,
                )
            )
            return None
        self._claims.claim(entry.slug, entry.id, draft.key)
        self._remember_source(draft)
        if self._seen in (entry.published, entry.updated):  # the stamp shows: the next gets another
            self._stamped += 1
            self._seen = self.now - timedelta(seconds=self._stamped)
        if record is not own:
            self.changed = True
            if self._send is None:
                self._records[draft.key] = record
        if self._keep:
            self.entries.append(entry)
        return prepared

    def _remember_source(self, draft: Draft) -> None:
        file = file_of(draft.key)
        if self._shown_folder is None and draft.source.endswith(file):
            self._shown_folder = draft.source[: len(draft.source) - len(file)]
        if draft.source != f"{self._shown_folder}{file}":
            self._sources[draft.key] = draft.source

    def _source(self, key: str) -> str:
        """The source of the draft of `key` (one settled before)."""
        return self._sources.get(key) or f"{self._shown_folder}{file_of(key)}"

    def assumed_right(self, unreadable: Collection[str]) -> bool:
        """Whether the records taken for gone are those `settle` takes, now that every draft was added."""
        return vanished(self.registry, self._present.__contains__, unreadable) == self.assumed

    def finish(self, unreadable: Collection[str] = ()) -> Prepared:
        """What `settle` gives: the records of the articles gone retired (not of those `unreadable`).

        Where the records are sent, the rest are sent now (the registry's own of every article
        that gave no entry, retired if it is gone) and the registry given is empty."""
        records, now = dict(self._records), self.now
        for key, record in self.registry.records.items():
            if key not in self._present and record.retired is None and file_of(key) not in unreadable:
                records[key] = replace(record, retired=now)
                self.changed = True
            elif self._send is not None and (key not in self._present or key in self._held_back):
                records[key] = record
        if self._send is None:
            registry = Registry(MappingProxyType({**self.registry.records, **records}))
        else:
            for key, record in sorted(records.items()):
                self._send(key, record)
            registry = Registry()
        return Prepared(tuple(self.entries), registry, tuple(self.problems), tuple(self.pending))


def due(draft: Draft) -> float | None:
    """When a draft held back is to be published: its date (a timestamp); None under `draft: true`."""
    return None if draft.held or draft.dated is None else draft.dated.timestamp()


def settle_changed(
    drafts: Sequence[Draft | tuple[datetime, datetime]],
    config: SiteConfig,
    records: Mapping[str, Record],
    taken: Container[str],
    now: datetime,
) -> tuple[list[tuple[Entry, Record]], list[Draft], list[Problem]]:
    """`settle` for the drafts of the files that changed since the last build (`feeds.incremental`).

    Gives the entries with their records, the drafts held back, and the problems. It
    neither retires records nor checks duplicates: the caller knows the rest of the
    site, and makes sure no record could be taken over by a moved article. Between the
    drafts come the (published, updated) times of the other entries that `settle` would
    meet in its stamping window, where it would meet them: their stamps are stepped past.
    """
    settled: list[tuple[Entry, Record]] = []
    held: list[Draft] = []
    problems: list[Problem] = []
    stamped = 0
    for draft in drafts:
        seen = now - timedelta(seconds=stamped)  # as in `settle`
        if not isinstance(draft, Draft):  # another entry's times
            stamped += seen in draft
            continue
        try:
            prepared = settle_draft(draft, config, records.get(draft.key), now, taken, seen)
        except ArticleError as exc:
            problems.append(exc.problem)
            continue
        if prepared is None:
            held.append(draft)
            continue
        if seen in (prepared[0].published, prepared[0].updated):
            stamped += 1
        settled.append(prepared)
    return settled, held, problems


def settle_draft(
    draft: Draft,
    config: SiteConfig,
    record: Record | None,
    now: datetime,
    taken: Container[str] = frozenset(),
    seen: datetime | None = None,
) -> tuple[Entry, Record] | None:
    """The entry for one article (without content) and its registry record, or None while it is not due.

    A retired record (its file was gone) comes back to life only for the same text:
    a different article at that path is a new article, with a new id, never one of
    the ids in `taken`. `seen` (default `now`) is recorded as the time a new article
    or a new text was first seen.
    """
    seen = seen or now
    if draft.held or (draft.dated is not None and draft.dated > now):
        return None
    zone = config.zone
    digest = draft.hash
    if record is not None and record.retired is not None and record.hash != digest:
        record = None
    first_seen = record.first_seen if record else seen
    published = draft.dated or in_zone(first_seen, zone)
    url = _url(draft, config, published)
    entry_id = draft.id or (record.id if record else mint_id(config.host, published, draft.slug, taken))

    changed = record.changed if record else None
    if record is not None and record.hash != digest:
        changed = seen
    updated = draft.edited or (in_zone(changed, zone) if changed else published)
    if updated < published:
        updated = published
    entry = Entry(
        id=entry_id,
        key=draft.key,
        source=draft.source,
        slug=draft.slug,
        title=draft.title,
        url=url,
        published=published,
        updated=updated,
        summary=draft.summary,
        content_html="",
        authors=draft.authors
        if all(a.uri is None for a in draft.authors)
        else tuple(a if a.uri is None else replace(a, uri=_web_url(url, a.uri)) for a in draft.authors),
        tags=draft.tags,
        categories=draft.categories,
        lang=draft.lang,
        image=_web_url(url, draft.image),
        enclosure=replace(
            draft.enclosure,
            url=_web_url(url, draft.enclosure.url) or url,
            type=one_line(draft.enclosure.type) or "application/octet-stream",
        )
        if draft.enclosure
        else None,
        origin=draft.origin,
        related=draft.related,
    )
    settled = Record(id=entry_id, first_seen=first_seen, hash=digest, changed=changed)
    # The registry's own record where nothing changed: a build holds one, not two (at 100,000
    # articles with their registry, 100,000 more records in the build from scratch's process).
    return entry, record if settled == record else settled


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
    from slugify import slugify  # loaded by a build that digests an article, not by one that reads none

    if article.slug is not None:
        given = article.slug.strip()
        if "/" in given or "\\" in given or ".." in given:
            raise fail(f"slug {quoted(given)} must be one path segment (no '/', '\\' or '..')")
        slug = slugify(given, max_length=_SLUG_MAX)
        if not slug:
            raise fail(f"slug {quoted(given)} has no letters or digits to make a URL of")
        return str(slug)
    # One record of many shares its file's name: its title names it instead.
    shared_file = file_of(article.key) != article.key
    name = article.title if shared_file else _DATE_PREFIX.sub("", PurePosixPath(article.source).stem)
    slug = slugify(name, max_length=_SLUG_MAX)
    if not slug:  # nothing slugify can spell (emoji only, say): a stable name from the key
        slug = "article-" + hashlib.blake2b(article.key.encode(), digest_size=4).hexdigest()
    return str(slug)


def _url(draft: Draft, config: SiteConfig, published: datetime) -> str:
    # Site paths (`/2022/x/`) are taken from base_url, which may itself have a path.
    if draft.url:
        url = _uri(urljoin(config.base_url, _site_relative(draft.url)))
    else:
        path = config.permalink.format(
            slug=draft.slug,
            year=f"{published.year:04d}",
            month=f"{published.month:02d}",
            day=f"{published.day:02d}",
        )
        if _PLAIN_PATH.fullmatch(path) and _is_uri(config.base_url):
            return config.base_url + path.lstrip("/")  # what the general case gives, 30 times faster
        url = _uri(urljoin(config.base_url, _site_relative(path)))
    if not _is_web_url(url):
        raise ArticleError(draft.source, f"url {quoted(draft.url)} is not an http(s) address", draft.line)
    return url


def _summary(article: Article, limit: int) -> str:
    """The article's own summary, else its standfirst, else its opening paragraphs cut to `limit`."""
    if article.summary and (own := plain_text(xml_safe(article.summary))):
        return own
    if article.standfirst and (standfirst := one_line(article.standfirst)):
        return standfirst
    taken: list[str] = []
    for paragraph in opening_paragraphs(xml_safe(article.body), article.body_format, limit):
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


_PLAIN_PATH = re.compile(r"/?(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*/)*(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*)?")
"""A path of plain segments (none of them `.` or `..`): joined to a base, it needs no resolving."""


@functools.cache
def _is_uri(url: str) -> bool:
    return _uri(url) == url


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


def _clean_author(author: Author, warn: Warn | None) -> Author:
    """The author with an email that is an address, or none; the uri is checked in `settle_draft`.

    No address holds white space or what XML cannot carry: those are removed. What still is
    not an address is left out, with a warning. (A uri that is not http(s) is left out, as
    every other URL of an article is, once the article's own URL is known.)
    """
    name = one_line(author.name)
    email = "".join(xml_safe(author.email).split()) if author.email else None
    if email is not None and not _ADDR_SPEC.fullmatch(email):
        if warn is not None:
            warn(f"author {quoted(name)}: email {quoted(author.email)} is not an address; left out")
        email = None
    return Author(name=name, email=email, uri=xml_safe(author.uri).strip() or None if author.uri else None)
