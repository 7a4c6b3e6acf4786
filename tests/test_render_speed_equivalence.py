"""The renderers' bytes, pinned: rendering may get faster, never different.

feeds/render/xml.py builds feedgen's tree directly (not its string, reparsed) and keeps the
elements of full-content entries for the next feed that carries them. The files in
tests/render_golden/ are what the renderers gave before either change (feedgen's string, parsed
again and corrected); a change of output that is meant regenerates them:
`python -m tests.test_render_speed_equivalence`.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from feedgen.feed import FeedGenerator
from lxml import etree

import feeds.build
from feeds.build import RenderJob
from feeds.model import FORMATS, Author, Enclosure, Entry, Feed, FeedFiles, FeedFormat, Origin
from feeds.render import forget_shared, render
from feeds.render import xml as render_xml
from feeds.write import StagedFile
from tests.conftest import make_entry, site_config

GOLDEN = Path(__file__).parent / "render_golden"
WHEN = datetime(2022, 9, 13, 14, 5, tzinfo=UTC)


def _entries() -> tuple[Entry, ...]:
    """One entry for each branch of the renderers."""
    return (
        make_entry(
            1,
            authors=(Author("Olena Marchuk", "olena@example.org", "https://example.org/olena"),),
            categories=("war",),
            tags=("izyum", "war", "demining"),
            image="https://example.org/i.jpg",
            lang="uk",
            summary="Plain <b>text</b> & more",
            content_html="<p>a ]]> b &amp; <em>c</em></p>",
        ),
        make_entry(
            2,
            authors=(Author("Taras Hnatiuk"),),
            enclosure=Enclosure("https://example.org/a.mp3", "audio/mpeg", 1234),
            origin=Origin("Ukrinform", "https://www.ukrinform.net/x"),
        ),
        make_entry(
            3,
            authors=(Author("Ann", "ann@example.org"), Author("Bob", uri="https://bob.example.org/")),
            origin=Origin("A wire, no URL"),
            updated=datetime(2022, 10, 1, 8, 0, tzinfo=UTC),
        ),
        make_entry(4, summary="", content_html=""),
        make_entry(5, id="https://example.org/e5/", title="  spaced\ttitle\n", summary=" "),
        make_entry(
            6,
            authors=(Author("Name Only"), Author("Other Name", uri="https://example.org/o")),
            image="https://example.org/six.jpg",
            tags=("six",),
            origin=Origin("Wire", "https://wire.example.org/6"),
        ),
    )


def _feed(*, archive: bool) -> Feed:
    entries = _entries()
    files = FeedFiles(rss="rss.xml", atom="atom.xml", json="feed.json")
    page = FeedFiles(rss="archive/2/rss.xml", atom="archive/2/atom.xml", json="archive/2/feed.json")
    older = FeedFiles(rss="archive/1/rss.xml", atom="archive/1/atom.xml", json="archive/1/feed.json")
    return Feed(
        id="https://example.org/",
        title="Site & <Co>",
        description="About the site",
        home_url="https://example.org/",
        base_url="https://example.org/",
        files=page if archive else files,
        language="en",
        authors=(Author("Desk", "desk@example.org"), Author("Name Only")),
        entries=entries,
        updated=max(e.updated for e in entries),
        prev_archive=older,
        next_archive=files if archive else None,
        current=files if archive else None,
        hubs=("https://hub.example.org/",),
        full_content=not archive,
    )


CASES = [(kind, fmt) for kind in ("head", "archive") for fmt in FORMATS]


@pytest.mark.parametrize(("kind", "fmt"), CASES)
def test_rendered_bytes_are_the_pinned_bytes(kind: str, fmt: FeedFormat) -> None:
    expected = (GOLDEN / f"{kind}.{fmt}").read_bytes()
    feed = _feed(archive=kind == "archive")
    assert render(feed, fmt) == expected
    assert render(feed, fmt) == expected  # again, from the memo of entry elements


def test_an_entry_renders_the_same_in_every_feed_and_order() -> None:
    head = _feed(archive=False)
    topic = replace(head, entries=head.entries[1:3], files=FeedFiles("t.xml", "t.atom", "t.json"))
    render_xml._full_entry_element.cache_clear()
    fresh = {fmt: render(topic, fmt) for fmt in FORMATS}
    for fmt in FORMATS:
        render(head, fmt)
    assert {fmt: render(topic, fmt) for fmt in FORMATS} == fresh
    assert render_xml._full_entry_element.cache_info().hits > 0


@pytest.mark.parametrize("fmt", ["rss", "atom"])
@pytest.mark.parametrize("summary", ["A summary.", ""])
def test_the_memo_keeps_no_content_and_its_copies_carry_it_where_feedgen_puts_it(
    fmt: FeedFormat, summary: str
) -> None:
    """In RSS, an entry without a summary has its content as its description."""
    content = "<p>The whole <em>text</em> &amp; more ]]> than that.</p>"
    entry = make_entry(7, summary=summary, content_html=content)
    render_xml._full_entry_element.cache_clear()
    made = etree.tostring(render_xml._make_entry_element(entry, fmt, full_content=True))
    for _ in range(2):  # made, then from the memo
        assert etree.tostring(render_xml._entry_element(entry, fmt, full_content=True)) == made
    kept = etree.tostring(render_xml._full_entry_element(entry, fmt))
    assert b"whole" in made and b"whole" not in kept


def test_the_memo_of_entry_elements_is_bounded() -> None:
    assert render_xml._full_entry_element.cache_info().maxsize == render_xml.ENTRY_MEMO_SIZE <= 10_000


def test_forgetting_the_memo_lets_its_elements_go_and_changes_no_byte() -> None:
    head = _feed(archive=False)
    render_xml._full_entry_element.cache_clear()
    assert forget_shared() is False  # nothing held
    before = {fmt: render(head, fmt) for fmt in FORMATS}
    assert render_xml._full_entry_element.cache_info().currsize > 0
    assert forget_shared() is True
    assert render_xml._full_entry_element.cache_info().currsize == 0
    assert {fmt: render(head, fmt) for fmt in FORMATS} == before


def test_a_worker_forgets_the_entries_of_the_feeds_in_full_once_past_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # At 100,000 articles a worker held 25 MB of them at the end of the build, when the build's
    # own process peaks too: the feeds in full are sent first, and their memo goes after them.
    head, archive = _feed(archive=False), _feed(archive=True)
    given_back: list[bool] = []
    monkeypatch.setattr(feeds.build, "give_back", lambda: given_back.append(True))
    render_xml._full_entry_element.cache_clear()
    jobs: list[RenderJob] = [
        RenderJob(head, "atom"),
        RenderJob(head, "rss"),
        RenderJob(archive, "rss"),
        RenderJob(archive, "atom"),
    ]
    staged = feeds.build._rendered_in_worker(jobs, tmp_path)
    assert render_xml._full_entry_element.cache_info().currsize == 0
    assert given_back == [True]  # once a chunk: not after each feed
    assert [file.relative for file in staged] == [feed.files.path(fmt) for feed, fmt, _ in jobs]
    # Each staged beside its place, with the feed's bytes, for the build's staging to adopt.
    assert [Path(file.temporary or "").read_bytes() for file in staged] == [
        render(f, fmt) for f, fmt, _ in jobs
    ]
    assert [Path(file.temporary or "").parent for file in staged] == [
        (tmp_path / feed.files.path(fmt)).parent for feed, fmt, _ in jobs
    ]


def test_the_feeds_in_full_go_to_few_workers_in_chunks_of_their_own() -> None:
    # Each worker keeps the elements of the entries that the feeds in full share: a site's
    # head feeds in one chunk are made, and kept, by one worker, not by every worker, while
    # the others render the archive pages.
    head, archive = _feed(archive=False), _feed(archive=True)
    jobs: list[RenderJob] = [RenderJob(head, "rss")] * 126 + [RenderJob(archive, "rss")] * 600
    chunks = feeds.build.render_chunks(jobs, 2)
    assert [index for chunk in chunks for index in chunk] == list(range(726))  # each once, in order
    assert chunks[0] == range(126)  # the 42 head feeds of the benchmark's site, in 3 formats
    assert {len(chunk) for chunk in chunks[1:]} == {16, 8}  # 600 = 37 x 16 + 8
    alone = feeds.build.render_chunks(jobs[126:], 2)  # no feed in full
    assert alone == [*(range(s, s + 16) for s in range(0, 592, 16)), range(592, 600)]
    many = [RenderJob(head, "rss")] * 300 + [RenderJob(archive, "rss")] * 1200
    assert [len(chunk) for chunk in feeds.build.render_chunks(many, 2)[:3]] == [128, 128, 44]


def test_the_feeds_in_full_of_a_small_site_are_shared_out_among_the_workers() -> None:
    # Mostly head feeds (1,000 articles: 126 jobs in full, 60 others): one worker alone took
    # 0.3 s longer, while the other had too little else to do.
    head, archive = _feed(archive=False), _feed(archive=True)
    jobs: list[RenderJob] = [RenderJob(head, "rss")] * 126 + [RenderJob(archive, "rss")] * 60
    chunks = feeds.build.render_chunks(jobs, 2)
    assert [index for chunk in chunks for index in chunk] == list(range(186))
    assert chunks[:2] == [range(63), range(63, 126)]
    assert {len(chunk) for chunk in chunks[2:-1]} == {11}  # 186 // 16
    assert all({jobs[i][0].full_content for i in chunk} in ({True}, {False}) for chunk in chunks)


def test_a_worker_whose_feed_fails_removes_what_it_staged_before(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    head = _feed(archive=False)
    real = feeds.build.render_checked

    def failing_on_json(feed: Feed, fmt: FeedFormat) -> tuple[str, bytes]:
        if fmt == "json":
            raise feeds.BuildError("feed.json: the rendered feed fails our checks")
        return real(feed, fmt)

    monkeypatch.setattr(feeds.build, "render_checked", failing_on_json)
    with pytest.raises(feeds.BuildError):
        feeds.build._rendered_in_worker(
            [RenderJob(head, "rss"), RenderJob(head, "atom"), RenderJob(head, "json")], tmp_path
        )
    assert list(tmp_path.rglob("*")) == []


def test_a_render_stopped_midway_removes_the_files_staged_and_not_taken(tmp_path: Path) -> None:
    """What the workers staged for the build's staging and it never adopted (the build stopped
    while they rendered) is removed: of the chunk being handed over, and of those in flight."""
    head, archive = _feed(archive=False), _feed(archive=True)
    jobs: list[RenderJob] = [RenderJob(feed, fmt) for feed in (head, archive) for fmt in FORMATS] * 8
    rendered = feeds.build._render_all(jobs, tmp_path, 2)
    taken = next(rendered)
    assert taken.temporary is not None and Path(taken.temporary).exists()
    rendered.close()  # as a failing build's staging does: it removes the one it took itself
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == [Path(taken.temporary)]


def test_the_feeds_in_full_are_rendered_first(tmp_path: Path) -> None:
    head, archive = _feed(archive=False), _feed(archive=True)
    offered: list[str] = []

    class Recorder:
        def adopt(self, file: StagedFile) -> None:
            offered.append(file.relative)

    jobs: list[RenderJob] = [
        RenderJob(archive, "rss"),
        RenderJob(head, "rss"),
        RenderJob(archive, "json"),
        RenderJob(head, "json"),
    ]
    config = site_config(root=tmp_path)
    feeds.build.stage_rendered(Recorder(), config, jobs, None, 1, None)  # type: ignore[arg-type]
    assert offered == ["rss.xml", "feed.json", "archive/2/rss.xml", "archive/2/feed.json"]


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_feedgen_tree_is_the_tree_feedgen_serialises(fmt: FeedFormat) -> None:
    """render_xml.feedgen_tree calls feedgen's private `_create_atom`/`_create_rss`: this fails
    when feedgen renames them or makes their tree differ from what `atom_str`/`rss_str` write."""
    generator = FeedGenerator()
    generator.load_extension("media")
    generator.id("https://example.org/")
    generator.title("Site")
    generator.description("About")
    generator.link(href="https://example.org/", rel="alternate")
    generator.updated(WHEN)
    item = generator.add_entry()
    item.id("x")
    item.title("x")
    item.link(href="https://example.org/x")
    item.updated(WHEN)
    item.media.content({"url": "https://example.org/a.jpg", "medium": "image"})
    published = generator.atom_str() if fmt == "atom" else generator.rss_str()
    tree = render_xml.feedgen_tree(generator, fmt)
    assert etree.tostring(tree, encoding="UTF-8", xml_declaration=True) == published


def _write_golden() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for kind, fmt in CASES:
        (GOLDEN / f"{kind}.{fmt}").write_bytes(render(_feed(archive=kind == "archive"), fmt))


if __name__ == "__main__":
    _write_golden()
    sys.exit(0)
