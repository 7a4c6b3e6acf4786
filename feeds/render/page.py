"""The page for people: `index.html`, what someone who opens the site in a browser sees.

Feeds are for machines; a person who follows a link to one sees raw XML. This page
shows them the site's feeds with their addresses to copy into a feed reader, the
topic feeds, the OPML list and the newest entries.

It is one self-contained file: an inline stylesheet and a small inline script, no
fonts, images or anything else fetched. A Content-Security-Policy allows exactly
those two blocks (by their hashes) and nothing else, so a browser refuses any
other load or script even if one slipped in. Without JavaScript the page still
works: every address is in a read-only field to select and copy by hand; the
script only adds the Copy buttons. Pure, like every renderer: the same feeds give
the same bytes, and no clock is read.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape
from urllib.parse import quote, urlsplit

from feeds.model import FORMATS, MEDIA_TYPES, Entry, Feed, FeedFormat
from feeds.render.listing import OPML_FILE
from feeds.select import TOPIC_TITLES

INDEX_FILE = "index.html"
FORMAT_NAMES: dict[FeedFormat, str] = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}
TOPIC_GROUPS = {"categories": "Categories", "tags": "Tags", "authors": "Authors"}
OPEN_GROUP_LIMIT = 20
"""A topic group with more feeds than this starts folded, so a phone reaches the entries."""

_STYLE = """
:root { color-scheme: light dark; }
body {
  margin: 0 auto; padding: 1rem; max-width: 42rem;
  font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  overflow-wrap: anywhere;
}
h1 { font-size: 1.75rem; line-height: 1.2; margin: 0.5rem 0; }
h2 { font-size: 1.3rem; margin: 2rem 0 0.5rem; border-bottom: 1px solid #8884; }
h3 { font-size: 1.1rem; margin: 0 0 0.25rem; }
ul, ol { padding: 0; list-style: none; }
.lead { font-size: 1.1rem; margin-top: 0; }
.feed { margin: 0 0 1rem; }
.feed a { font-weight: 600; }
.copy { display: flex; gap: 0.5rem; margin-top: 0.25rem; }
.copy input {
  flex: 1; min-width: 0; padding: 0.4rem; font: 0.85rem ui-monospace, monospace;
  border: 1px solid #8888; border-radius: 4px; background: transparent; color: inherit;
}
.copy button { padding: 0.4rem 0.9rem; font: inherit; border-radius: 4px; cursor: pointer; }
[hidden] { display: none !important; }
details { margin: 0.5rem 0; }
summary { cursor: pointer; font-weight: 600; }
details li { display: inline-block; margin: 0.2rem 0.75rem 0.2rem 0; }
.entries li { margin: 0 0 1.5rem; }
.meta { margin: 0 0 0.25rem; font-size: 0.9rem; opacity: 0.8; }
.meta time { white-space: nowrap; }
.summary { margin: 0; }
.note { font-size: 0.9rem; opacity: 0.8; }
"""

_SCRIPT = """
document.querySelectorAll("button[data-copy]").forEach((button) => {
  const field = document.getElementById(button.dataset.copy);
  const label = button.textContent;
  const say = (text) => {
    button.textContent = text;
    setTimeout(() => { button.textContent = label; }, 2000);
  };
  const select = () => { field.focus(); field.select(); say("Selected: copy it"); };
  field.addEventListener("click", () => field.select());
  button.addEventListener("click", () => {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(() => say("Copied"), select);
    } else {
      select();
    }
  });
  button.hidden = false;
});
"""


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src {_csp_hash(_STYLE)}; script-src {_csp_hash(_SCRIPT)}; "
    "base-uri 'none'; form-action 'none'"
)
"""Only the page's own inline style and script: a browser loads nothing else."""


def render_index(
    feeds: Sequence[Feed], title: str, description: str, language: str, *, newest: int = 20
) -> bytes:
    """`index.html` for the site whose feeds (as the build selected them) are `feeds`.

    The first feed is the site's head feed; the others' head feeds (not their
    archive pages) are listed as topic feeds. `newest` entries of the site feed are
    shown, in the feed's order (newest first).
    """
    if newest < 0:
        raise ValueError(f"newest must be 0 or more, not {newest}")
    if not feeds or feeds[0].kind != "site" or feeds[0].is_archive:
        raise ValueError("render_index needs the site's head feed first")
    site = feeds[0]
    parts = [
        "<!doctype html>",
        f'<html lang="{_attr(language)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{_attr(CONTENT_SECURITY_POLICY)}">',
        f"<title>{_text(title)}</title>",
        f'<meta name="description" content="{_attr(description)}">',
        *(
            f'<link rel="alternate" type="{MEDIA_TYPES[fmt]}" title="{_attr(_label(title, fmt))}" '
            f'href="{_attr(site.url(fmt))}">'
            for fmt in FORMATS
        ),
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_text(title)}</h1>",
        f'<p class="lead">{_text(description)}</p>',
        "</header>",
        "<main>",
        *_subscribe(site),
        *_topics(feeds[1:], title),
        *_entries(site.entries[:newest]),
        "</main>",
        f"<script>{_SCRIPT}</script>",
        "</body>",
        "</html>",
    ]
    return ("\n".join(parts) + "\n").encode()


def _subscribe(site: Feed) -> list[str]:
    lines = [
        "<section>",
        '<h2 id="subscribe">Subscribe</h2>',
        "<p>Copy an address below and paste it into your feed reader, where it says <q>Add feed</q> "
        "or <q>Subscribe</q>: it then fetches new entries by itself, with no account here. The three "
        "formats carry the same entries; if unsure, choose RSS.</p>",
        '<ul class="feeds">',
    ]
    for fmt in FORMATS:
        field = f"feed-{fmt}"
        name = FORMAT_NAMES[fmt]
        lines += [
            '<li class="feed">',
            f'<a href="{_href(site.files.path(fmt))}" type="{MEDIA_TYPES[fmt]}">{name}</a>',
            '<span class="copy">',
            f'<input id="{field}" type="text" readonly spellcheck="false" aria-label="{name} feed address" '
            f'value="{_attr(site.url(fmt))}">',
            f'<button type="button" data-copy="{field}" hidden>Copy</button>',
            "</span>",
            "</li>",
        ]
    lines += [
        "</ul>",
        '<p class="note">A feed opened in a browser shows its code: it is written for feed readers.</p>',
        f'<p>Readers that import lists take <a href="{OPML_FILE}" type="text/x-opml">{OPML_FILE}</a> '
        "(OPML), which names every feed of this site.</p>",
        "</section>",
    ]
    return lines


def _topics(feeds: Sequence[Feed], title: str) -> list[str]:
    groups: dict[str, list[tuple[str, Feed]]] = {kind: [] for kind in TOPIC_GROUPS}
    for feed in feeds:
        if feed.kind in groups and not feed.is_archive:
            groups[feed.kind].append((_topic_name(feed, title), feed))
    if not any(groups.values()):
        return []
    lines = [
        "<section>",
        '<h2 id="topics">Topic feeds</h2>',
        "<p>To follow only part of the site, subscribe to a category, a tag or an author. "
        "These links are Atom feeds; each has RSS and JSON Feed beside it.</p>",
    ]
    for kind, members in groups.items():
        if not members:
            continue
        members.sort(key=lambda pair: (pair[0].casefold(), pair[0], pair[1].files.atom))
        unfolded = " open" if len(members) <= OPEN_GROUP_LIMIT else ""
        lines += [
            f'<details id="{kind}"{unfolded}>',
            f"<summary>{TOPIC_GROUPS[kind]} ({len(members)})</summary>",
            "<ul>",
            *(
                f'<li><a href="{_href(feed.files.atom)}" type="{MEDIA_TYPES["atom"]}">{_text(name)}</a></li>'
                for name, feed in members
            ),
            "</ul>",
            "</details>",
        ]
    lines.append("</section>")
    return lines


def _entries(entries: Sequence[Entry]) -> list[str]:
    lines = ["<section>", '<h2 id="newest">Newest entries</h2>']
    if not entries:
        return [*lines, "<p>No entries yet.</p>", "</section>"]
    lines.append('<ol class="entries">')
    for entry in entries:
        meta = [_time(entry.published)]
        if entry.updated > entry.published:
            meta.append(f"updated {_time(entry.updated)}")
        if entry.authors:
            meta.append("by " + _text(", ".join(author.name for author in entry.authors)))
        lines += [
            "<li><article>",
            f"<h3>{_link(entry.url, _text(entry.title))}</h3>",
            f'<p class="meta">{" · ".join(meta)}</p>',
            f'<p class="summary">{_text(entry.summary)}</p>',
            "</article></li>",
        ]
    return [*lines, "</ol>", "</section>"]


def _link(url: str, html: str) -> str:
    """`html` linked to `url`, unless the URL is not a web address (no `javascript:` link, ever)."""
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return html
    return f'<a href="{_attr(url)}">{html}</a>'


def _topic_name(feed: Feed, title: str) -> str:
    """'Izyum' from the feed title 'Frontline Desk: tag Izyum' (the whole title if it is not so shaped)."""
    prefix = f"{title}: {TOPIC_TITLES.get(feed.kind, '')} "
    return feed.title.removeprefix(prefix) if feed.title.startswith(prefix) else feed.title


def _time(moment: datetime) -> str:
    """A `<time>` in the moment's own offset, as its entry gave it: `2022-09-13 14:05 +03:00`."""
    stamp = moment.isoformat(timespec="seconds")
    return f'<time datetime="{stamp}">{moment:%Y-%m-%d %H:%M} {_offset(moment.utcoffset())}</time>'


def _offset(offset: timedelta | None) -> str:
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def _label(title: str, fmt: FeedFormat) -> str:
    return f"{title} ({FORMAT_NAMES[fmt]})"


def _href(path: str) -> str:
    """A link to an output file, relative to the page, so it works in a preview and on any host.

    Percent-encoded: no colon survives, so a path can never read as a scheme (`javascript:`).
    """
    return _attr(quote(path, safe="/"))


def _text(value: str) -> str:
    return escape(value, quote=False)


def _attr(value: str) -> str:
    return escape(value, quote=True)
