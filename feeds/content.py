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

# Markdown is CommonMark with GitHub's tables and strikethrough (`feeds.cmark`); raw HTML is kept
# there and made safe by `sanitise`, like every other HTML.
_URL_SCHEMES = {"http", "https", "mailto"}
_URL_ATTRIBUTES = {"href", "src", "cite"}
_TAG = re.compile(r"</?[A-Za-z!]")
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "td", "th", "tr", "ul",
})  # fmt: skip


def body_html(body: str, body_format: BodyFormat) -> str:
    """The body as (unsanitised) HTML: Markdown rendered, plain paragraphs wrapped.

    Character references to what XML cannot carry are removed first, as `xml_safe` removes the
    characters themselves (Markdown and HTML decode `&#1;` into U+0001, which no feed can hold).
    """
    if body_format == "markdown":
        from feeds.cmark import markdown_html

        return markdown_html(without_forbidden_references(body))
    if body_format == "html":
        return without_forbidden_references(body)
    return "".join(f"<p>{html.escape(p, quote=False)}</p>\n" for p in body.split("\n\n") if p)


def without_forbidden_references(markup: str) -> str:
    """HTML or Markdown without numeric character references to characters XML 1.0 forbids
    (C0 controls but tab, LF and CR; U+FFFE; U+FFFF), which HTML and Markdown would decode.

    In a Markdown code span such a reference is literal text, and goes too. cmark-gfm writes
    U+FFFE and U+FFFF as single bytes that are not UTF-8 (utf8proc's encoder), and failed on them.
    """
    if "&#" not in markup:
        return markup
    return _REFERENCE.sub(_unless_forbidden, markup)


def _unless_forbidden(reference: re.Match[str]) -> str:
    hexadecimal, decimal = reference.groups()
    code = int(hexadecimal, 16) if hexadecimal else int(decimal)
    forbidden = (0 < code < 0x20 and code not in (0x09, 0x0A, 0x0D)) or code in (0xFFFE, 0xFFFF)
    return "" if forbidden else reference.group(0)


_REFERENCE = re.compile(r"&#(?:[xX]([0-9A-Fa-f]{1,8})|([0-9]{1,10}));?")
"""A numeric character reference (HTML decodes one without its `;` too)."""


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
        return paragraphs_text(_harmless(body_html(body, body_format)))
    blocks = body.split("\n\n")
    taken, length, size = 0, 0, 4 * enough
    while True:
        while taken < len(blocks) and length < size:
            length += len(blocks[taken]) + 2
            taken += 1
        opening = "\n\n".join(blocks[:taken])
        rendered = body_html(opening, body_format)
        # Markdown without a `<` holds no HTML of its own: what cmark-gfm makes of it is harmless
        # already, and reads the same unsanitised (a third of a summary's time went to nh3).
        texts = paragraphs_text(rendered if "<" not in opening else _harmless(rendered))
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
    texts = _plain_paragraphs_text(fragment)
    return texts if texts is not None else _parsed_paragraphs_text(fragment)


def _parsed_paragraphs_text(fragment: str) -> list[str]:
    """`paragraphs_text` of any fragment, by parsing it."""
    root = _parse(fragment)
    if root is None:
        return []
    texts = [text for paragraph in root.iter("p") if (text := _text(paragraph))]
    if not texts and (whole := _text(root)):
        texts = [whole]
    return texts


def _plain_paragraphs_text(fragment: str) -> list[str] | None:
    """`paragraphs_text` of a fragment of bare `<p>`s holding text and inline elements only (what
    a summary's Markdown opening mostly is, once sanitised), read without a parser; else None.

    Half a summary's time went to lxml's parse and walk. A `<br>` reads as a space, as it does in
    `_parse`; any other inline tag as nothing; the text's character references are decoded.
    """
    texts: list[str] = []
    at = 0
    for match in _PLAIN_PARAGRAPH.finditer(fragment):
        if fragment[at : match.start()].strip():
            return None  # something between paragraphs (text, or another element)
        at = match.end()
        inner = _INLINE_TAG.sub("", _BREAK.sub(" ", match.group(1)))
        if text := one_line(html.unescape(inner)):
            texts.append(text)
    if fragment[at:].strip() or not texts:
        return None  # none at all, or all empty: the whole fragment's text, the general way
    return texts


_INLINE = (
    "a|abbr|b|bdi|bdo|br|cite|code|del|dfn|em|i|img|ins|kbd|mark|q|s|samp|small|span|strike|strong"
    "|sub|sup|time|tt|u|var"
)
_REST_OF_TAG = r'(?=[\s/>])(?:[^>"]++|"[^"]*+")*+>'
"""After a tag's name: its attributes, quoted with `"` (as nh3 writes them), and the `>`."""
_INLINE_TAG_TEXT = rf"</?(?:{_INLINE}){_REST_OF_TAG}"
_INLINE_TAG = re.compile(_INLINE_TAG_TEXT)
_BREAK = re.compile(rf"<br{_REST_OF_TAG}")
_PLAIN_PARAGRAPH = re.compile(rf"<p>((?:[^<]++|{_INLINE_TAG_TEXT})*+)</p>")
"""A bare `<p>` of text and inline tags. Possessive (`++`, `*+`): a paragraph that is not one fails
at once, where backtracking would try every way to split its text (hostile input could make that
take minutes)."""


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
    root = _parse(without_forbidden_references(fragment))
    return _text(root) if root is not None else ""
