"""Any text or bytes in: a clean entry or a clear error, never an exception; feeds stay valid."""

from __future__ import annotations

import contextlib
import json

import feedparser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from feeds.build import build_site
from feeds.errors import ArticleError
from feeds.model import Article
from feeds.read import READERS, parse_source
from feeds.read.source import SourceFile
from feeds.registry import Registry
from tests.conftest import NOW, site_config

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BUILD = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ATOM = "{http://www.w3.org/2005/Atom}"

front_matter_text = st.builds(
    lambda fence, body, rest: f"{fence}\n{body}\n{fence}\n{rest}",
    st.sampled_from(["---", "+++"]),
    st.text(),
    st.text(),
)


def _parsed(path: str, data: bytes) -> list[Article | ArticleError]:
    results = parse_source(SourceFile(path, data))
    assert all(isinstance(r, Article | ArticleError) for r in results)
    return results


@FAST
@given(text=st.text(), extension=st.sampled_from(sorted(READERS)))
def test_any_text_gives_articles_or_errors(text: str, extension: str) -> None:
    _parsed(f"articles/a{extension}", text.encode("utf-8"))


@FAST
@given(text=front_matter_text)
def test_any_front_matter_gives_articles_or_errors(text: str) -> None:
    _parsed("articles/a.md", text.encode("utf-8"))


@FAST
@given(data=st.binary(), extension=st.sampled_from(sorted(READERS)))
def test_any_bytes_give_articles_or_errors(data: bytes, extension: str) -> None:
    _parsed(f"articles/a{extension}", data)


def _as_feedparser_reads(title: str) -> set[str]:
    """The title, and how feedparser shows it if it looks like UTF-8 mis-read as Latin-1.

    feedparser "repairs" such text ('à¡¡' becomes 'ࡡ'); the bytes we wrote are right.
    """
    readings = {title}
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        readings.add(title.encode("latin-1").decode("utf-8"))
    return readings


def _articles(texts: list[tuple[str, str]]) -> list[Article]:
    articles = []
    for number, (extension, text) in enumerate(texts):
        for result in parse_source(SourceFile(f"articles/{number}{extension}", text.encode("utf-8"))):
            if isinstance(result, Article):
                articles.append(result)
    return articles


article_texts = st.lists(
    st.tuples(
        st.sampled_from([".txt", ".md"]),
        st.one_of(
            st.text(min_size=1),
            st.builds(lambda t, b: f"---\ntitle: {json.dumps(t)}\n---\n{b}", st.text(), st.text()),
        ),
    ),
    min_size=1,
    max_size=6,
)


@BUILD
@given(texts=article_texts)
def test_any_articles_build_feeds_that_readers_accept(texts: list[tuple[str, str]]) -> None:
    articles = _articles(texts)
    result = build_site(articles, site_config(), Registry(), NOW)
    entries = {e.id: e for e in result.entries}
    for path, data in result.files.items():
        if not path.endswith(("rss.xml", "atom.xml", "feed.json")):
            continue
        is_site_head = "/" not in path
        if path.endswith(".json"):
            document = json.loads(data)
            ids = [item["id"] for item in document["items"]]
        else:
            root = etree.fromstring(data)
            parsed = feedparser.parse(data)
            assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
            ids = [e.id for e in parsed.entries]
            for parsed_entry in parsed.entries:
                assert parsed_entry.title in _as_feedparser_reads(entries[parsed_entry.id].title)
            if root.tag == f"{ATOM}feed":
                assert [e.findtext(f"{ATOM}id") for e in root.iterfind(f"{ATOM}entry")] == ids
        if is_site_head:
            assert len(ids) == len(entries)
        assert len(ids) == len(set(ids))
        assert set(ids) <= set(entries)
