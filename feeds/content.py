"""An article's body as safe, absolute HTML, and the plain text of its opening paragraphs."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from feeds.model import BodyFormat
from feeds.text import one_line

if TYPE_CHECKING:
    from lxml import etree

# The libraries (cmark-gfm, nh3, lxml) are imported where they are used: a build that renders
# no article (a rebuild with nothing changed) does not wait for them to load.

# CommonMark (cmark-gfm, in C) with GitHub's tables and strikethrough; raw HTML is kept here and
# made safe by `sanitise`, like every other HTML.
_MARKDOWN_EXTENSIONS = ["table", "strikethrough"]
_URL_SCHEMES = {"http", "https", "mailto"}
_URL_ATTRIBUTES = {"href", "src", "cite"}
_TAG = re.compile(r"</?[A-Za-z!]")
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "td", "th", "tr", "ul",
})  # fmt: skip


def body_html(body: str, body_format: BodyFormat) -> str:
    """The body as (unsanitised) HTML: Markdown rendered, plain paragraphs wrapped."""
    if body_format == "markdown":
        import cmarkgfm
        from cmarkgfm.cmark import Options

        return str(
            cmarkgfm.markdown_to_html_with_extensions(
                body, options=Options.CMARK_OPT_UNSAFE, extensions=_MARKDOWN_EXTENSIONS
            )
        )
    if body_format == "html":
        return body
    return "".join(f"<p>{html.escape(p, quote=False)}</p>\n" for p in body.split("\n\n") if p)


def sanitise(fragment: str, base_url: str) -> str:
    """Only harmless HTML: no script, iframe, style, event handlers or javascript:/data: URLs.

    Relative `href`/`src`/`cite` are made absolute against `base_url` (the article's URL):
    many readers would otherwise resolve them against the feed's URL, or not at all.
    """
    import nh3

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


def opening_paragraphs(body: str, body_format: BodyFormat, enough: int) -> list[str]:
    """The plain text of the body's opening paragraphs, at least `enough` characters when it has them.

    Only an opening of the body is rendered (a summary needs no more), in blocks of
    the source: at most twice the text needed, doubled until it suffices.
    """
    if body_format == "html":
        return paragraphs_text(_harmless(body))
    blocks = body.split("\n\n")
    taken, length, size = 0, 0, 4 * enough
    while True:
        while taken < len(blocks) and length < size:
            length += len(blocks[taken]) + 2
            taken += 1
        opening = "\n\n".join(blocks[:taken])
        texts = paragraphs_text(_harmless(body_html(opening, body_format)))
        if taken >= len(blocks) or len(" ".join(texts)) > enough:
            return texts
        size *= 2


def _harmless(fragment: str) -> str:
    """`sanitise` for reading the text only: the same elements kept, their attributes unfiltered
    (no URL is published from it; the filter, called back for each attribute, was half the time)."""
    import nh3

    return str(nh3.clean(fragment, url_schemes=_URL_SCHEMES, link_rel=None))


def paragraphs_text(fragment: str) -> list[str]:
    """The plain text of each `<p>` of an HTML fragment (or of the whole, if it has none)."""
    root = _parse(fragment)
    if root is None:
        return []
    texts = [text for paragraph in root.iter("p") if (text := _text(paragraph))]
    if not texts and (whole := _text(root)):
        texts = [whole]
    return texts


def _parse(fragment: str) -> etree._Element | None:
    """The fragment as a tree whose text reads as a person would read it.

    Script and style are dropped with their content; line breaks and the edges of
    block elements become spaces, so `<p>One.</p><p>Two.</p>` reads "One. Two.".
    """
    if not fragment.strip():
        return None
    import lxml.html
    from lxml import etree

    try:
        root: etree._Element = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return None
    for hidden in list(root.iter("script", "style", "template")):
        hidden.drop_tree()  # type: ignore[attr-defined]
    for element in root.iter():
        if element.tag in _BLOCKS:
            element.text = " " + (element.text or "")
            element.tail = " " + (element.tail or "")
    return root


def _text(element: etree._Element) -> str:
    return one_line("".join(str(part) for part in element.itertext()))


def plain_text(fragment: str) -> str:
    """Text with any markup removed, on one line (for summaries that may be given as HTML)."""
    if not _TAG.search(fragment):
        return one_line(fragment)
    root = _parse(fragment)
    return _text(root) if root is not None else ""
