"""An article's body as safe, absolute HTML, and the plain text of its opening paragraphs."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import urljoin

import lxml.html
import nh3
from lxml import etree
from markdown_it import MarkdownIt

from feeds.model import BodyFormat
from feeds.text import one_line

_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_URL_SCHEMES = {"http", "https", "mailto"}
_URL_ATTRIBUTES = {"href", "src", "cite"}
_TAG = re.compile(r"</?[A-Za-z!]")


def body_html(body: str, body_format: BodyFormat) -> str:
    """The body as (unsanitised) HTML: Markdown rendered, plain paragraphs wrapped."""
    if body_format == "markdown":
        return str(_MARKDOWN.render(body))
    if body_format == "html":
        return body
    return "".join(f"<p>{html.escape(p, quote=False)}</p>\n" for p in body.split("\n\n") if p)


def sanitise(fragment: str, base_url: str) -> str:
    """Only harmless HTML: no script, iframe, style, event handlers or javascript:/data: URLs.

    Relative `href`/`src`/`cite` are made absolute against `base_url` (the article's URL):
    many readers would otherwise resolve them against the feed's URL, or not at all.
    """
    return str(
        nh3.clean(
            fragment,
            url_schemes=_URL_SCHEMES,
            attribute_filter=_absolutiser(base_url),
            link_rel=None,
        )
    )


def _absolutiser(base_url: str) -> Callable[[str, str, str], str | None]:
    def absolutise(element: str, attribute: str, value: str) -> str | None:
        del element
        if attribute in _URL_ATTRIBUTES:
            return urljoin(base_url, value.strip())
        return value

    return absolutise


def paragraphs_text(fragment: str) -> list[str]:
    """The plain text of each paragraph of an HTML fragment (or of the whole, if it has none)."""
    if not fragment.strip():
        return []
    try:
        roots = lxml.html.fragments_fromstring(fragment)
    except (etree.ParserError, ValueError):
        return []
    texts: list[str] = []
    for root in roots:
        if isinstance(root, str):
            texts.append(one_line(root))
        elif root.tag == "p":
            texts.append(_text(root))
        else:
            texts += [_text(block) for block in root.iter("p")]
    texts = [text for text in texts if text]
    if not texts:
        whole = " ".join(one_line(r) if isinstance(r, str) else _text(r) for r in roots)
        texts = [whole] if whole else []
    return texts


def _text(element: etree._Element) -> str:
    return one_line("".join(str(part) for part in element.itertext()))


def plain_text(fragment: str) -> str:
    """Text with any markup removed, on one line (for summaries given as HTML)."""
    if not _TAG.search(fragment):
        return one_line(fragment)
    return " ".join(paragraphs_text(fragment))
