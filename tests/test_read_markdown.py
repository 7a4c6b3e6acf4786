"""The .md reader (`feeds.read.markdown.read_markdown`): YAML or TOML front matter, the keys and
aliases Jekyll, Hugo and Pelican use."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.errors import ArticleError
from feeds.model import Article, Author
from feeds.read.markdown import _FrontMatterLoader, load_front_matter, read_markdown
from feeds.read.source import SourceFile

PATH = "articles/a.md"


def _bytes(text: str | bytes) -> bytes:
    return text.encode("utf-8") if isinstance(text, str) else text


def _read(text: str | bytes) -> Article:
    results = read_markdown(SourceFile(PATH, _bytes(text)))
    assert len(results) == 1
    (article,) = results
    assert isinstance(article, Article)
    return article


def _error(text: str | bytes) -> ArticleError:
    with pytest.raises(ArticleError) as caught:
        read_markdown(SourceFile(PATH, _bytes(text)))
    return caught.value


# Front matter.


def test_yaml_front_matter() -> None:
    article = _read("---\ntitle: Hello\ndate: 2022-09-13\nslug: hi\ntags: [a, b]\n---\nBody *here*.\n")
    assert (article.title, article.date, article.tags) == ("Hello", "2022-09-13", ("a", "b"))
    assert article.slug == "hi"
    assert article.body == "Body *here*.\n"
    assert article.body_format == "markdown"
    assert (article.source, article.key) == (PATH, PATH)  # no key given: the path is the key


def test_the_key_is_the_path_inside_the_articles_folder_when_given() -> None:
    (article,) = read_markdown(SourceFile(PATH, b"# T\n", key="a.md"))
    assert isinstance(article, Article)
    assert (article.source, article.key) == (PATH, "a.md")


def test_toml_front_matter() -> None:
    article = _read('+++\ntitle = "Hello"\ndate = 2022-09-13T10:00:00+03:00\ntags = ["a"]\n+++\nBody\n')
    assert (article.title, article.tags, article.body) == ("Hello", ("a",), "Body\n")
    assert article.date == datetime(2022, 9, 13, 10, 0, tzinfo=timezone(timedelta(hours=3)))
    assert article.date is not None and article.date.isoformat() == "2022-09-13T10:00:00+03:00"  # type: ignore[union-attr]


def test_yaml_front_matter_may_close_with_dots() -> None:
    article = _read("---\ntitle: T\n...\nBody\n")
    assert (article.title, article.body) == ("T", "Body\n")


def test_without_front_matter_the_body_is_the_whole_file() -> None:
    assert _read("# T\n\nText.\n").body.strip() == "Text."


def test_bom_and_crlf_around_front_matter() -> None:
    article = _read(b"\xef\xbb\xbf---\r\ntitle: T\r\n---\r\nBody\r\n")
    assert (article.title, article.body) == ("T", "Body\n")


def test_unknown_keys_are_ignored() -> None:
    assert _read("---\ntitle: T\nlayout: post\nweight: 3\n---\n").title == "T"


# Aliases, any case.


@pytest.mark.parametrize(
    ("line", "field", "expected"),
    [
        ("Title: T2", "title", "T2"),
        ("date: d", "date", "d"),
        ("PUBLISHED: d", "date", "d"),
        ("Published: v", "date", "v"),
        ("pubDate: v", "date", "v"),
        ("Updated: u", "updated", "u"),
        ("lastmod: v", "updated", "v"),
        ("modified: v", "updated", "v"),
        ("MODIFIED: u", "updated", "u"),
        ("summary: s", "summary", "s"),
        ("description: v", "summary", "v"),
        ("Description: s", "summary", "s"),
        ("author: Ann", "authors", (Author("Ann"),)),
        ("AUTHORS: [Ann, Bob]", "authors", (Author("Ann"), Author("Bob"))),
        ("tags: [x, y]", "tags", ("x", "y")),
        ("keywords: a, b", "tags", ("a", "b")),
        ("Keywords: x, y", "tags", ("x", "y")),
        ("categories: [x]", "categories", ("x",)),
        ("category: a, b", "categories", ("a", "b")),
        ("CATEGORY: x", "categories", ("x",)),
        ("guid: v", "id", "v"),
        ("link: v", "url", "v"),
    ],
)
def test_aliases_in_any_case(line: str, field: str, expected: object) -> None:
    text = f"---\n{line}\n---\n" if field == "title" else f"---\ntitle: T\n{line}\n---\n"
    assert getattr(_read(text), field) == expected


def test_the_first_alias_wins() -> None:
    assert _read("---\ntitle: T\npublished: p\ndate: d\n---\n").date == "d"


# YAML is loaded safely, and every plain scalar stays text (an empty one is null).


@pytest.mark.parametrize(
    "tag",
    ["!!python/object/apply:os.system", "!!python/object/new:os.system"],
)
def test_yaml_python_tags_are_an_error_and_run_nothing(tag: str, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    error = _error(f"---\ntitle: {tag} ['touch {marker}']\n---\n")
    assert not marker.exists()
    assert error.problem.path == PATH
    assert error.problem.line == 2
    assert error.problem.message.startswith("broken YAML front matter")


def test_yaml_dates_stay_text_so_one_parser_judges_them() -> None:
    assert _read("---\ntitle: T\ndate: 2022-02-30\n---\n").date == "2022-02-30"


@pytest.mark.parametrize(
    "value",
    ["2022-09-13", "2022-09-13 10:00:00", "2022-09-13T10:00:00+03:00"],
)
def test_yaml_dates_are_not_turned_into_datetimes(value: str) -> None:
    article = _read(f"---\ntitle: T\ndate: {value}\nupdated: {value}\n---\n")
    assert (article.date, article.updated) == (value, value)


def test_yaml_scalars_keep_what_the_author_wrote() -> None:
    # YAML 1.1 would read 12:30 as 750 (base 60), 0123 as 83 (octal) and No as false.
    article = _read("---\ntitle: 12:30\nid: 0123\nslug: No\nupdated: 1663067100\n---\n")
    assert (article.title, article.id, article.slug, article.updated) == ("12:30", "0123", "No", "1663067100")


@pytest.mark.parametrize(("value", "draft"), [("yes", True), ("No", False), ("TRUE", True), ("false", False)])
def test_draft_is_read_by_the_draft_check(value: str, draft: bool) -> None:
    assert _read(f"---\ntitle: T\ndraft: {value}\n---\n").draft is draft


def test_an_empty_yaml_value_is_no_value() -> None:
    assert _error("---\ntitle:\n---\n").problem.message == "missing title"
    assert _read("---\ntitle: T\ndate:\nsummary:\n---\n").date is None


# Errors point at the line of the file.


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("---\nbad: : x\n---\n", 2),
        ("---\ntitle: T\nbad: : x\n---\n", 3),
        ("---\ntitle: T\ntags: [a]\nslug: @x\n---\n", 4),
        ("---\ntitle: T\ntags: [a, b\ndate: x\n---\n", 4),
        ("---\r\ntitle: T\r\nbad: : x\r\n---\r\n", 3),
    ],
)
def test_broken_yaml_reports_the_file_line_counting_the_fence(text: str, line: int) -> None:
    problem = _error(text).problem
    assert (problem.path, problem.line) == (PATH, line)
    assert problem.message.startswith("broken YAML front matter")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('+++\ntitle = "T"\ndate = = 3\n+++\n', 3),
        ('+++\ntitle = "T"\nslug = "s"\ntags = [\n+++\n', 4),
    ],
)
def test_broken_toml_reports_the_file_line(text: str, line: int) -> None:
    problem = _error(text).problem
    assert (problem.path, problem.line) == (PATH, line)
    assert problem.message.startswith("broken TOML")


@pytest.mark.parametrize("text", ["---\ntitle: T\n", "---\ntitle: T\n\nBody\n", '+++\ntitle = "T"\n\nBody\n'])
def test_unclosed_front_matter_is_an_error(text: str) -> None:
    problem = _error(text).problem
    assert "never closed" in problem.message
    assert problem.line == 1


def test_front_matter_that_is_not_a_table_is_an_error() -> None:
    assert "must be a table" in _error("---\n- a\n- b\n---\n").problem.message


# The title.


@pytest.mark.parametrize(
    ("text", "title"),
    [("# The title #\n\nBody.\n", "The title"), ("# The Title\n\nBody.\n", "The Title")],
)
def test_title_from_a_leading_heading_when_there_is_no_title_key(text: str, title: str) -> None:
    article = _read(text)
    assert article.title == title
    assert title not in article.body
    assert article.body.strip() == "Body."


def test_title_from_a_heading_after_front_matter_without_title() -> None:
    assert _read("---\nslug: s\n---\n\n# From Heading ##\nText\n").title == "From Heading"


def test_a_heading_title_keeps_a_hash_that_ends_a_word() -> None:
    # CommonMark strips a closing run of '#' only after a space: <h1>Learning C#</h1>.
    assert _read("# Learning C#\n\nBody.\n").title == "Learning C#"


def test_a_title_key_wins_over_the_heading_which_stays_in_the_body() -> None:
    article = _read("---\ntitle: Key\n---\n# Heading\n")
    assert article.title == "Key"
    assert article.body == "# Heading\n"


@pytest.mark.parametrize(
    "text",
    [
        "---\ndate: 2022-01-01\n---\nNo heading.\n",
        "Just text, no front matter.\n",
        "## Only a second-level heading\n",
        "---\ntitle: '  '\n---\n",
        "",
    ],
)
def test_no_title_at_all_is_missing_title(text: str) -> None:
    problem = _error(text).problem
    assert (problem.path, problem.message) == (PATH, "missing title")


# Types.


def test_wrong_types_are_named() -> None:
    assert _error("---\ntitle: [a, b]\n---\n").problem.message == "'title' must be text, not a list"
    assert (
        _error("---\ntitle: T\ndraft: maybe\n---\n").problem.message
        == "'draft' must be true or false, not 'maybe'"
    )
    assert (
        _error("---\ntitle: T\ntags: [[a]]\n---\n").problem.message
        == "'tags' must be a list of names; found a list"
    )


def test_a_value_quoted_in_a_message_is_cut_short() -> None:
    # What a message quotes is what the user wrote: a page of it (or an alias bomb) is not a message.
    message = _error(f"---\ntitle: T\ndraft: {'no ' * 5000}\n---\n").problem.message
    assert message.startswith("'draft' must be true or false, not 'no no ") and len(message) < 150
    nested = _error("---\ntitle: T\ndraft: [[[1, 2, 3, 4, 5, 6]]]\n---\n").problem.message
    assert nested == "'draft' must be true or false, not [[[...]]]"


# Authors.


@pytest.mark.parametrize(
    ("line", "authors"),
    [
        ("author: Ann", (Author("Ann"),)),
        ("author: Ann <ann@example.org>", (Author("Ann", "ann@example.org"),)),
        ("author: {name: Ann, email: ann@example.org}", (Author("Ann", "ann@example.org"),)),
        ("author: {name: Ann, url: 'https://ann.example/'}", (Author("Ann", None, "https://ann.example/"),)),
        (
            "author: {name: Ann, email: a@e.org, url: https://e.org/}",
            (Author("Ann", "a@e.org", "https://e.org/"),),
        ),
        (
            "author: [Ann, 'Bob <bob@example.org>', {name: Cy}]",
            (Author("Ann"), Author("Bob", "bob@example.org"), Author("Cy")),
        ),
        ("author: [Ann, Ann]", (Author("Ann"),)),
        ("authors: [Ann, {name: Bob}, Ann]", (Author("Ann"), Author("Bob"))),
        ("author: 'Doe, Jane <jane@example.org>'", (Author("Doe, Jane", "jane@example.org"),)),
    ],
)
def test_author_forms(line: str, authors: tuple[Author, ...]) -> None:
    assert _read(f"---\ntitle: T\n{line}\n---\n").authors == authors


def test_an_author_table_without_a_name_is_an_error() -> None:
    assert _error("---\ntitle: T\nauthor: {email: a@e.org}\n---\n").problem.message == (
        "an author needs a 'name'"
    )


# Draft and enclosure.


def test_draft_and_enclosure() -> None:
    article = _read("---\ntitle: T\ndraft: yes\nenclosure: ep.mp3\n---\n")
    assert article.draft is True
    assert article.enclosure is not None
    assert (article.enclosure.url, article.enclosure.type, article.enclosure.length) == (
        "ep.mp3",
        "audio/mpeg",
        0,
    )


# The front matter's values made without PyYAML's constructor where they are plain
# (`load_front_matter`): always what `yaml.load` with the front-matter loader makes.

_PLAIN = st.recursive(
    st.none() | st.text(max_size=12) | st.integers() | st.booleans(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(value=st.dictionaries(st.text(max_size=10), _PLAIN, max_size=6), flow=st.booleans())
def test_plain_front_matter_loads_as_yaml_loads_it(value: dict[str, object], flow: bool) -> None:
    raw = yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True)
    assert load_front_matter(raw) == yaml.load(raw, Loader=_FrontMatterLoader)


@pytest.mark.parametrize(
    "raw",
    [
        "a: &x [1, 2]\nb: *x\n",  # an alias: one list, shared
        "base: &b {k: v}\nitem:\n  <<: *b\n  own: 1\n",  # a merge
        "d: !!timestamp 2022-09-13 14:05:00\n",  # an explicit tag
        "null: x\n~: y\n",  # keys that are not text
        "? [a, b]\n: c\n",  # a key that is a list: the constructor's own error
        "t: !!str [a]\n",  # a tag for text on a list: the constructor's own error
        "",
        "- a\n- {b: ~}\n",
        "just text\n",
    ],
)
def test_front_matter_beyond_plain_values_goes_through_the_constructor(raw: str) -> None:
    try:
        expected: object = yaml.load(raw, Loader=_FrontMatterLoader)
    except yaml.YAMLError as exc:
        with pytest.raises(type(exc)):
            load_front_matter(raw)
        return
    loaded = load_front_matter(raw)
    assert loaded == expected
    if raw.startswith("a: &x"):
        assert isinstance(loaded, dict) and loaded["a"] is loaded["b"]
