"""prepare: URLs, summaries and text cleaning, on plain values."""

from __future__ import annotations

from dataclasses import replace

from feeds.model import Article, Author, Origin
from feeds.prepare import prepare
from feeds.registry import Registry
from tests.conftest import NOW, make_article, site_config


def _article(**fields: object) -> Article:
    values: dict[str, object] = {
        "source": "articles/2022-09-13-a-story.md",
        "key": "articles/2022-09-13-a-story.md",
        "title": "A story",
        "date": "2022-09-13T10:00:00+03:00",
    }
    values.update(fields)
    return make_article(**values)


def _entry(article: Article, **config: object):  # type: ignore[no-untyped-def]
    result = prepare([article], site_config(**config), Registry(), NOW)
    assert result.problems == (), result.problems
    return result.entries[0]


def test_slug_from_file_name_without_date_prefix_and_permalink() -> None:
    entry = _entry(_article(), permalink="/{year}/{month}/{day}/{slug}/")
    assert entry.slug == "a-story"
    assert entry.url == "https://example.org/2022/09/13/a-story/"


def test_site_paths_stay_under_a_base_url_with_a_path() -> None:
    config = {"base_url": "https://example.org/blog/"}
    assert _entry(_article(), **config).url == "https://example.org/blog/articles/a-story/"
    assert _entry(_article(url="/custom/x/"), **config).url == "https://example.org/blog/custom/x/"
    assert _entry(_article(url="https://other.example/x"), **config).url == "https://other.example/x"


def test_relative_links_resolve_against_the_article_url() -> None:
    entry = _entry(_article(body="[next](../b/) ![p](p.png) [top](/about/)"))
    assert 'href="https://example.org/articles/b/"' in entry.content_html
    assert 'src="https://example.org/articles/a-story/p.png"' in entry.content_html
    assert 'href="https://example.org/about/"' in entry.content_html


def test_summary_prefers_own_then_standfirst_then_opening_paragraphs() -> None:
    assert _entry(_article(summary="Own <b>words</b>.", standfirst="Stand.")).summary == "Own words."
    assert _entry(_article(standfirst="Stand  first.")).summary == "Stand first."
    body = "First *para*.\n\nSecond para.\n\n" + "Long " * 100
    assert _entry(_article(body=body)).summary == "First para. Second para."


def test_summary_of_one_long_paragraph_is_cut_at_a_sentence() -> None:
    body = "One sentence here. " * 30
    summary = _entry(_article(body=body), summary_length=100).summary
    assert summary == ("One sentence here. " * 5).strip()
    assert len(summary) <= 100


def test_summary_never_carries_markup_or_attribution() -> None:
    entry = _entry(
        _article(body="<p>Hi <i>there</i> &amp; all</p>", origin=Origin("Outlet", "https://o.example/"))
    )
    assert entry.summary == "Hi there & all"
    assert "First published by" in entry.content_html and "Outlet" not in entry.summary


def test_a_title_only_article_is_summarised_by_its_title() -> None:
    entry = _entry(_article(body="", title="Just  a\\ttitle"))
    assert entry.summary == entry.title == "Just a\\ttitle"


def test_xml_forbidden_characters_leave_every_field() -> None:
    entry = _entry(_article(title="A\x00B\x1fC", body="x\x0by\ufffez", summary="s\x08t", tags=("t\x01",)))
    assert (entry.title, entry.summary, entry.tags) == ("ABC", "st", ("t",))
    assert entry.content_html == "<p>xyz</p>\n"


def test_unsafe_origin_url_is_dropped() -> None:
    entry = _entry(_article(origin=Origin("Outlet", "javascript:alert(1)")))
    assert entry.origin == Origin("Outlet", None)
    assert "javascript" not in entry.content_html


def test_an_author_email_is_an_address_or_left_out_with_a_warning() -> None:
    authors = (
        Author("Ann", email="ann\t@example.\norg\x00"),  # what white space or XML cannot carry goes
        Author("Bob", email="bob at example dot org"),
        Author("Cy", email="cy+feeds@news.example.org"),
    )
    result = prepare([_article(authors=authors)], site_config(), Registry(), NOW)
    assert [(a.name, a.email) for a in result.entries[0].authors] == [
        ("Ann", "ann@example.org"),
        ("Bob", None),
        ("Cy", "cy+feeds@news.example.org"),
    ]
    assert [str(p) for p in result.problems] == [
        "articles/2022-09-13-a-story.md: warning: author 'Bob': email 'bob at example dot org' "
        "is not an address; left out"
    ]


def test_an_author_uri_is_a_web_address_made_absolute_or_left_out() -> None:
    uris = {
        "/people/ann/": "https://example.org/people/ann/",
        "https://ann.example/": "https://ann.example/",
        "javascript:alert(1)": None,
        " JaVaScRiPt:alert(1)": None,
        "data:text/html,x": None,
        "mailto:ann@example.org": None,
    }
    for given, published in uris.items():
        entry = _entry(_article(authors=(Author("Ann", uri=given),)))
        assert entry.authors[0].uri == published, given


def test_what_one_build_dates_by_its_clock_gets_a_second_each() -> None:
    from datetime import timedelta

    def article(name: str, **fields: object) -> Article:
        return make_article(source=f"articles/{name}.md", key=f"articles/{name}.md", title=name, **fields)

    dated = article("a-dated", date="2022-09-13T10:00:00+03:00")
    undated = [article(f"b-undated-{n}") for n in range(3)]
    first = prepare([dated, *undated], site_config(), Registry(), NOW)
    published = [e.published for e in first.entries]
    # The dated article shows no stamp; the three undated ones get NOW, NOW - 1 s, NOW - 2 s.
    assert published[1:] == [NOW, NOW - timedelta(seconds=1), NOW - timedelta(seconds=2)]
    # Two edits in one later build: distinct `updated` times, the published ones untouched.
    later = NOW + timedelta(days=1)
    edited = [dated, *(replace(a, body="Edited.") for a in undated[:2]), undated[2]]
    second = prepare(edited, site_config(), first.registry, later)
    assert [e.published for e in second.entries] == published
    assert [e.updated for e in second.entries][1:3] == [later, later - timedelta(seconds=1)]
