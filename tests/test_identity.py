"""Ids and times come from the registry: minted once, never recomputed from mutable data."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

import feeds.build
import feeds.registry
from feeds.build import BuildOutcome
from feeds.errors import BuildError
from feeds.model import Article
from feeds.prepare import Draft, Settling, digest, mint_id, prepare, settle, vanished
from feeds.registry import (
    Record,
    Registry,
    content_hash,
    dump_registry,
    load_registry,
    registry_file_spliced,
    registry_line,
    registry_spliced,
)
from feeds.state import STATE_FILE
from tests.conftest import NOW, Build, make_article, site_config

CONFIG = site_config()


def _article(**fields: object) -> Article:
    return make_article(**fields)


def test_mint_id_is_a_tag_uri() -> None:
    published = datetime(2022, 9, 13, 14, 5, tzinfo=UTC)
    assert mint_id("example.org", published, "a-slug") == "tag:example.org,2022-09-13:a-slug"


def test_an_undated_article_takes_its_first_seen_time_and_keeps_it() -> None:
    first = prepare([_article()], CONFIG, Registry(), NOW)
    (entry,) = first.entries
    assert entry.published == NOW
    assert entry.id == "tag:example.org,2026-11-25:a"
    later = prepare([_article()], CONFIG, first.registry, NOW + timedelta(days=30))
    assert later.entries[0].published == NOW
    assert later.entries[0].id == entry.id


def test_the_id_survives_a_changed_title_slug_url_and_domain() -> None:
    first = prepare([_article()], CONFIG, Registry(), NOW)
    moved = site_config(base_url="https://new.example.com/")
    changed = _article(title="A new title", slug="new-slug", url="/elsewhere/")
    later = prepare([changed], moved, first.registry, NOW + timedelta(days=1))
    assert later.entries[0].id == first.entries[0].id
    assert later.entries[0].url == "https://new.example.com/elsewhere/"


def test_a_dated_article_gets_the_same_id_when_the_registry_is_lost() -> None:
    dated = _article(date="2022-09-13T10:00:00+03:00")
    first = prepare([dated], CONFIG, Registry(), NOW)
    again = prepare([dated], CONFIG, Registry(), NOW + timedelta(days=3))
    assert first.entries[0].id == again.entries[0].id == "tag:example.org,2022-09-13:a"


def test_an_explicit_id_wins_and_needs_no_registry() -> None:
    result = prepare([_article(id="urn:uuid:1234")], CONFIG, Registry(), NOW)
    assert result.entries[0].id == "urn:uuid:1234"


def test_an_edit_moves_updated_but_not_published() -> None:
    dated = _article(date="2022-09-13T10:00:00+03:00")
    first = prepare([dated], CONFIG, Registry(), NOW)
    assert first.entries[0].updated == first.entries[0].published
    edit_time = NOW + timedelta(days=2)
    edited = prepare([_article(date=dated.date, body="Corrected body.")], CONFIG, first.registry, edit_time)
    entry = edited.entries[0]
    assert entry.published == first.entries[0].published
    assert entry.updated == edit_time
    # A rebuild after the edit keeps the edit's time.
    again = prepare(
        [_article(date=dated.date, body="Corrected body.")],
        CONFIG,
        edited.registry,
        edit_time + timedelta(days=5),
    )
    assert again.entries[0].updated == edit_time


def test_an_articles_own_updated_field_wins() -> None:
    article = _article(date="2022-09-13T10:00:00Z", updated="2022-09-14T10:00:00Z")
    entry = prepare([article], CONFIG, Registry(), NOW).entries[0]
    assert entry.updated == datetime(2022, 9, 14, 10, tzinfo=UTC)


def test_drafts_and_future_articles_are_held_and_not_registered() -> None:
    draft = _article(key="articles/d.md", source="articles/d.md", draft=True)
    future = _article(
        key="articles/f.md", source="articles/f.md", date=(NOW + timedelta(hours=1)).isoformat()
    )
    result = prepare([draft, future], CONFIG, Registry(), NOW)
    assert result.entries == ()
    assert result.held == 2
    assert dict(result.registry.records) == {}
    due = prepare([future], CONFIG, Registry(), NOW + timedelta(hours=2))
    assert len(due.entries) == 1


def test_duplicate_slugs_and_ids_reject_the_later_article() -> None:
    first = _article(source="articles/a.md", key="articles/a.md", slug="same")
    second = _article(source="articles/b.md", key="articles/b.md", slug="same")
    third = _article(source="articles/c.md", key="articles/c.md", id="urn:x")
    fourth = _article(source="articles/d.md", key="articles/d.md", id="urn:x")
    result = prepare([first, second, third, fourth], CONFIG, Registry(), NOW)
    assert [e.source for e in result.entries] == ["articles/a.md", "articles/c.md"]
    messages = [str(p) for p in result.problems]
    assert messages == [
        "articles/b.md: error: duplicate slug 'same' (also used by articles/a.md)",
        "articles/d.md: error: duplicate id 'urn:x' (also used by articles/c.md)",
    ]
    assert set(result.registry.records) == {"articles/a.md", "articles/c.md"}


def test_a_duplicate_names_the_other_article_by_its_source_however_its_key_is_made() -> None:
    # As the reader makes them (the folder as shown, then the key; a record keyed within its
    # file), and as a library user may: a source that is not the folder and key.
    articles = [
        _article(source="site/articles/a.jsonl", key="a.jsonl#one", slug="one"),
        _article(source="elsewhere/b.md", key="b.md", slug="two"),
        _article(source="site/articles/c.md", key="c.md", slug="three", id="urn:x"),
        _article(source="site/articles/d.md", key="d.md", slug="one"),
        _article(source="site/articles/e.md", key="e.md", slug="two"),
        _article(source="site/articles/f.md", key="f.md", id="urn:x"),
    ]
    result = prepare(articles, CONFIG, Registry(), NOW)
    assert [str(p) for p in result.problems] == [
        "site/articles/d.md: error: duplicate slug 'one' (also used by site/articles/a.jsonl)",
        "site/articles/e.md: error: duplicate slug 'two' (also used by elsewhere/b.md)",
        "site/articles/f.md: error: duplicate id 'urn:x' (also used by site/articles/c.md)",
    ]


def test_slugs_with_path_tricks_are_errors() -> None:
    for slug in ("../etc", "a/b", "..", "a\\b"):
        result = prepare([_article(slug=slug)], CONFIG, Registry(), NOW)
        assert result.entries == ()
        assert "one path segment" in result.problems[0].message


def test_impossible_date_is_an_error_naming_the_file() -> None:
    result = prepare([_article(date="2022-02-30", line=4)], CONFIG, Registry(), NOW)
    assert str(result.problems[0]) == (
        "articles/a.md:4: error: '2022-02-30' is not a real date (day is out of range for month)"
    )


def test_registry_file_round_trips_sorted_and_stable(tmp_path: Path) -> None:
    records = {
        "articles/b.md": Record("tag:example.org,2022-01-02:b", datetime(2022, 1, 2, tzinfo=UTC), "bb"),
        "articles/a.md": Record(
            "tag:example.org,2022-01-01:a",
            datetime(2022, 1, 1, tzinfo=UTC),
            "aa",
            datetime(2022, 2, 1, tzinfo=UTC),
        ),
    }
    data = dump_registry(Registry(records))
    assert data == (
        b'{\n  "format": 1,\n  "articles": {\n'
        b'    "articles/a.md": {"id": "tag:example.org,2022-01-01:a", "first_seen": "2022-01-01T00:00:00Z", '
        b'"hash": "aa", "changed": "2022-02-01T00:00:00Z"},\n'
        b'    "articles/b.md": {"id": "tag:example.org,2022-01-02:b", "first_seen": "2022-01-02T00:00:00Z", '
        b'"hash": "bb"}\n  }\n}\n'
    )
    path = tmp_path / "feeds.registry.json"
    path.write_bytes(data)
    assert dict(load_registry(path).records) == records
    assert dump_registry(load_registry(path)) == data


_GOOD = '{"id": "tag:example.org,2022-01-01:a", "first_seen": "2022-01-01T00:00:00Z", "hash": "aa"}'


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{not json", "cannot be read (Expecting property name"),
        ('{"format": 2, "articles": {}}', "is damaged (unknown format 2)"),
        ("[1, 2]", "is damaged (unknown format [1, 2])"),
        ('{"format": 1}', "is damaged ('articles')"),
        ('{"format": 1, "articles": [' + _GOOD + "]}", "is damaged ('articles' is not an object)"),
        ('{"format": 1, "articles": {"a.md": "tag:x"}}', "the record of 'a.md' is not an object"),
        ('{"format": 1, "articles": {"a.md": {"id": "tag:x", "hash": "aa"}}}', "the record of 'a.md'"),
        (
            '{"format": 1, "articles": {"a.md": '
            + _GOOD.replace('"id": "tag:example.org,2022-01-01:a", ', "")
            + "}}",
            "('id')",
        ),
        (
            '{"format": 1, "articles": {"a.md": '
            + _GOOD.replace('"tag:example.org,2022-01-01:a"', "5")
            + "}}",
            "an id and a hash are text",
        ),
        (
            '{"format": 1, "articles": {"a.md": ' + _GOOD.replace("T00:00:00Z", " 00:00") + "}}",
            "is not a time such as",
        ),
        ('{"format": 1, "articles": {"a.md": ' + _GOOD[:-1] + ', "retired": 7}}}', "7 is not a time"),
    ],
)
def test_a_damaged_registry_stops_the_build_with_a_line_naming_it(
    tmp_path: Path, text: str, says: str
) -> None:
    path = tmp_path / "feeds.registry.json"
    path.write_text(text)
    with pytest.raises(BuildError) as caught:
        load_registry(path)
    assert str(caught.value).startswith(f"{path}: the registry ")
    assert says in str(caught.value)
    assert str(caught.value).endswith("; restore it from version control")


def test_records_of_one_first_seen_time_share_it_and_unchanged_records_are_kept_as_they_are(
    tmp_path: Path,
) -> None:
    path = tmp_path / "feeds.registry.json"
    path.write_text(
        '{"format": 1, "articles": {"a.md": ' + _GOOD + ', "b.md": ' + _GOOD.replace(":a", ":b") + "}}"
    )
    records = load_registry(path).records
    assert records["a.md"].first_seen == datetime(2022, 1, 1, tzinfo=UTC)
    assert records["a.md"].first_seen is records["b.md"].first_seen  # one value, not one each
    first = prepare([_article()], CONFIG, Registry(), NOW)
    again = prepare([_article()], CONFIG, first.registry, NOW + timedelta(days=1))
    (key,) = first.registry.records
    assert again.registry.records[key] is first.registry.records[key]  # a build holds one record, not two
    edited = prepare([_article(body="Edited.")], CONFIG, first.registry, NOW + timedelta(days=1))
    assert edited.registry.records[key].changed == NOW + timedelta(days=1)


_KEYS = st.text(alphabet='ab/."\\é😀 \n', min_size=1, max_size=6)
_RECORDS = st.builds(
    Record,
    id=st.text(max_size=8),
    first_seen=st.just(datetime(2022, 1, 1, tzinfo=UTC)),
    hash=st.text(alphabet="0123456789abcdef", max_size=4),
    changed=st.none() | st.just(datetime(2022, 2, 1, tzinfo=UTC)),
)


@given(
    st.dictionaries(_KEYS, _RECORDS, max_size=12),
    st.dictionaries(_KEYS, st.none() | _RECORDS, max_size=5),
)
def test_a_spliced_registry_is_the_registry_written_whole(
    old: dict[str, Record], changes: dict[str, Record | None]
) -> None:
    """A rebuild splices its changed lines into the old file: the bytes must be dump_registry's."""
    new = {**old, **{key: record for key, record in changes.items() if record is not None}}
    for key, record in changes.items():
        if record is None:
            new.pop(key, None)
    lines = {key: None if record is None else registry_line(key, record) for key, record in changes.items()}
    spliced = registry_spliced(dump_registry(Registry(old)), lines)
    assert spliced is not None
    assert b"".join(spliced) == dump_registry(Registry(new))
    # The same from the file, read in windows and runs of a few bytes (their ends are crossed).
    with tempfile.TemporaryDirectory() as folder, _small_reads():
        path = Path(folder) / "feeds.registry.json"
        path.write_bytes(dump_registry(Registry(old)))
        from_file = registry_file_spliced(path, lines)
        assert from_file is not None
        assert b"".join(from_file) == dump_registry(Registry(new))


def _small_reads() -> mock._patch[int]:
    """`registry_file_spliced` reading 5 bytes at a time to find lines, and copying 7."""
    return mock.patch.multiple(feeds.registry, _WINDOW=5, _RUN=7)


@pytest.mark.parametrize(
    "changes",
    [
        {"c.md": "new"},  # after the last line
        {"0.md": "new"},  # before the first
        {"b.md": None},  # the last line gone
        {"b.md": "new"},  # the last line changed
        {"a.md": None, "b.md": None},  # every line gone
        {"a.md": None, "ab.md": "new", "c.md": "new"},
    ],
)
def test_a_registry_is_spliced_at_its_ends_too(changes: dict[str, str | None]) -> None:
    old = {key: Record(f"tag:{key}", datetime(2022, 1, 1, tzinfo=UTC), "aa") for key in ("a.md", "b.md")}
    records = {key: Record(f"tag:{key}:new", datetime(2023, 1, 1, tzinfo=UTC), "bb") for key in changes}
    lines = {
        key: None if change is None else registry_line(key, records[key]) for key, change in changes.items()
    }
    new = {**old, **{key: records[key] for key, change in changes.items() if change is not None}}
    for key in [key for key, change in changes.items() if change is None]:
        del new[key]
    for start in (old, new):  # and from the registry with those lines, back
        spliced = registry_spliced(dump_registry(Registry(start)), lines)
        assert spliced is not None
        assert b"".join(spliced) == dump_registry(Registry(new))
    assert b"".join(registry_spliced(dump_registry(Registry()), lines) or [b"-"]) == dump_registry(
        Registry({key: records[key] for key, change in changes.items() if change is not None})
    )


def test_a_registry_not_laid_out_as_written_is_not_spliced(tmp_path: Path) -> None:
    line = registry_line("a.md", Record("x", datetime(2022, 1, 1, tzinfo=UTC), "aa"))
    path = tmp_path / "feeds.registry.json"
    assert registry_file_spliced(path, {"a.md": line}) is None  # no file
    assert registry_spliced(b'{"format": 1, "articles": {}}', {"a.md": line}) is None
    path.write_bytes(b'{"format": 1, "articles": {}}')
    assert registry_file_spliced(path, {"a.md": line}) is None
    not_a_record = dump_registry(Registry()).replace(b"\n\n", b"\n    // a.md\n")
    assert registry_spliced(not_a_record, {"b.md": line}) is None
    path.write_bytes(not_a_record)
    assert registry_file_spliced(path, {"b.md": line}) is None


def _registry_of(count: int) -> Registry:
    first_seen = datetime(2022, 1, 1, tzinfo=UTC)
    return Registry(
        {f"{n:05}.md": Record(f"tag:example.org,2022-01-01:{n}", first_seen, "ab") for n in range(count)}
    )


def test_a_registry_file_is_spliced_without_being_read_whole(tmp_path: Path) -> None:
    """At 100,000 articles the file is 25 MB: a rebuild reads a few windows of it to find where
    the changed lines go, and copies the rest a run at a time, never holding it all."""
    path = tmp_path / "feeds.registry.json"
    path.write_bytes(dump_registry(_registry_of(20_000)))  # about 2 MB
    added = Record("tag:example.org,2026-11-25:new", NOW, "cd")
    lines = {"15000a.md": registry_line("15000a.md", added)}
    reads: list[int] = []
    real_pread = os.pread

    def pread(fd: int, size: int, offset: int) -> bytes:
        reads.append(size)
        return real_pread(fd, size, offset)

    with mock.patch("os.pread", pread), mock.patch.object(feeds.registry, "_RUN", 65536):
        spliced = registry_file_spliced(path, lines)
        assert spliced is not None
        planned = sum(reads)
        new = b"".join(spliced)
    assert new == dump_registry(Registry({**_registry_of(20_000).records, "15000a.md": added}))
    assert planned < 64 * 1024  # the bisection's windows: 15 steps, not the file's 2 MB
    assert max(reads) <= 65536 < len(new)


def test_a_registry_file_changed_after_its_splice_was_planned_is_not_copied(tmp_path: Path) -> None:
    path = tmp_path / "feeds.registry.json"
    path.write_bytes(dump_registry(_registry_of(10)))
    line = registry_line("00005a.md", Record("tag:new", NOW, "cd"))
    spliced = registry_file_spliced(path, {"00005a.md": line})
    assert spliced is not None
    path.write_bytes(dump_registry(_registry_of(11)))  # a checkout meanwhile
    with pytest.raises(BuildError, match=r"feeds\.registry\.json: changed while this build rewrote it"):
        b"".join(spliced)


def test_content_hash_ignores_housekeeping_but_sees_text() -> None:
    base = _article()
    assert content_hash(base) == content_hash(_article(tags=("x",), slug="other", date="2020-01-01"))
    assert content_hash(base) != content_hash(_article(body="Body text!"))
    assert content_hash(base) != content_hash(_article(title="Another"))


def test_a_removed_article_is_retired_and_its_id_never_reused() -> None:
    original = _article(date="2022-09-13T10:00:00+03:00")
    first = prepare([original], CONFIG, Registry(), NOW)
    gone = prepare([], CONFIG, first.registry, NOW + timedelta(days=1))
    assert gone.registry.records["articles/a.md"].retired == NOW + timedelta(days=1)
    # Another article at the same path, same date and slug: a new article, a new id.
    other = _article(date="2022-09-13T10:00:00+03:00", body="Something else entirely.")
    reborn = prepare([other], CONFIG, gone.registry, NOW + timedelta(days=2))
    assert first.entries[0].id == "tag:example.org,2022-09-13:a"
    assert reborn.entries[0].id == "tag:example.org,2022-09-13:a-2"
    assert reborn.entries[0].published == datetime(2022, 9, 13, 7, tzinfo=UTC)


def test_a_restored_article_keeps_its_id() -> None:
    original = _article()
    first = prepare([original], CONFIG, Registry(), NOW)
    gone = prepare([], CONFIG, first.registry, NOW + timedelta(days=1))
    back = prepare([original], CONFIG, gone.registry, NOW + timedelta(days=2))
    assert back.entries[0].id == first.entries[0].id
    assert back.entries[0].published == NOW
    assert back.registry.records["articles/a.md"].retired is None


def test_an_unreadable_file_is_not_taken_for_removed() -> None:
    first = prepare([_article()], CONFIG, Registry(), NOW)
    broken = prepare([], CONFIG, first.registry, NOW, unreadable={"articles/a.md"})
    assert broken.registry.records["articles/a.md"].retired is None


def test_a_large_registry_is_written_as_one_sorted_document() -> None:
    """Written in pieces of a few thousand lines: the pieces join into the one layout."""
    first = datetime(2024, 1, 1, tzinfo=UTC)
    records = {
        f"{n % 7}/a{n:05}.md": Record(f"tag:example.org,2024:a{n}", first + timedelta(minutes=n), f"{n:032x}")
        for n in range(10_001)
    }
    data = dump_registry(Registry(records))
    lines = [registry_line(key, records[key]) for key in sorted(records)]
    assert data == ('{\n  "format": 1,\n  "articles": {\n' + ",\n".join(lines) + "\n  }\n}\n").encode()
    assert json.loads(data)["articles"].keys() == records.keys()


# A build from scratch settles each file's drafts as it reads them (`feeds.prepare.Settling`),
# taking for gone the records of the files its scan did not find.


def _records_site(tmp_path: Path) -> Path:
    """A site of one JSON export of two undated records, built once (their ids minted then)."""
    site = tmp_path / "site"
    (site / "articles").mkdir(parents=True)
    (site / "feeds.toml").write_text(
        'title = "Desk"\nbase_url = "https://example.org/"\ntimezone = "Europe/Kyiv"\n', encoding="utf-8"
    )
    records = [
        {"slug": "kept", "title": "Kept", "summary": "Stays.", "body": "Still here."},
        {"slug": "moving", "title": "Moving", "summary": "Goes.", "body": "Moved out."},
    ]
    (site / "articles" / "b.json").write_text(json.dumps(records), encoding="utf-8")
    return site


def _ids(outcome: BuildOutcome) -> dict[str, str]:
    return {entry.key: entry.id for entry in outcome.result.entries}


def test_a_record_moved_out_of_an_export_still_there_keeps_its_id_in_a_build_from_scratch(
    tmp_path: Path, build: Build
) -> None:
    """Its file is still there, so the reading took it for present: all is settled again."""
    site = _records_site(tmp_path)
    before = _ids(build(site, NOW))
    export = site / "articles" / "b.json"
    records = json.loads(export.read_text(encoding="utf-8"))
    export.write_text(json.dumps(records[:1]), encoding="utf-8")
    # The same text, in a file read before the export: the moved article, not a new one.
    (site / "articles" / "a.md").write_text(
        "---\ntitle: Moving\nsummary: Goes.\nslug: moving\n---\nMoved out.", encoding="utf-8"
    )
    # And one that claims that id, read after: taken for a moved article, a.md holds the id.
    (site / "articles" / "c.md").write_text(
        f"---\ntitle: Claim\nid: {before['b.json#moving']}\n---\nMine.", encoding="utf-8"
    )
    shutil.rmtree(site / ".feeds-cache")  # a build from scratch, with the registry
    outcome = build(site, NOW + timedelta(days=1))
    assert _ids(outcome) == {"b.json#kept": before["b.json#kept"], "a.md": before["b.json#moving"]}
    (problem,) = outcome.result.problems
    assert problem.path == "articles/c.md" and "duplicate id" in problem.message
    record = load_registry(site / "feeds.registry.json").records["b.json#moving"]
    assert record.retired == NOW + timedelta(days=1)  # the old key is gone; its id lives on at a.md
    with sqlite3.connect(site / ".feeds-cache" / STATE_FILE) as db:  # what the next build starts from
        assert [key for (key,) in db.execute("SELECT key FROM entries ORDER BY key")] == [
            "a.md",
            "b.json#kept",
        ]


def test_a_build_from_scratch_settles_as_it_reads_when_the_scan_tells_what_is_gone(
    tmp_path: Path, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file moved: the record of the path the scan did not find is taken over as it is read."""
    site = _records_site(tmp_path)
    (site / "articles" / "c.md").write_text("---\ntitle: C\nsummary: S.\n---\nC's text.", encoding="utf-8")
    before = _ids(build(site, NOW))
    (site / "articles" / "c.md").rename(site / "articles" / "a.md")
    shutil.rmtree(site / ".feeds-cache")

    def settled_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("every draft settled a second time")

    monkeypatch.setattr(feeds.build, "settle", settled_again)
    after = _ids(build(site, NOW + timedelta(days=1)))
    assert after["a.md"] == before["c.md"]
    assert after["b.json#moving"] == before["b.json#moving"]


def _drafts(*articles: Article) -> list[Draft]:
    return [digest(article, site_config()) for article in articles]


def _named(name: str, **fields: object) -> Article:
    values: dict[str, object] = {"title": name.title(), "body": f"Text of {name}."}
    values.update(fields)
    return make_article(source=f"articles/{name}.md", key=f"{name}.md", **values)


def test_a_settling_that_sends_its_records_sends_the_registry_that_settle_gives() -> None:
    """A build from scratch's records go to the state as they are settled (`Settling(records=)`):
    every record of the new registry once, whatever became of its article."""
    config, later = site_config(), NOW + timedelta(days=3)
    first = settle(
        _drafts(_named("kept"), _named("edited"), _named("gone"), _named("held"), _named("retired")),
        config,
        Registry(),
        NOW,
    ).registry
    retired = replace(first.records["retired.md"], retired=NOW)  # removed before
    registry = Registry(MappingProxyType({**first.records, "retired.md": retired}))
    drafts = _drafts(
        _named("kept"),
        _named("edited", body="New text."),
        _named("held", draft=True),
        _named("new"),
    )
    expected = settle(drafts, config, registry, later).registry.records
    sent: dict[str, Record] = {}
    present = {draft.key for draft in drafts}
    settling = Settling(
        config, registry, later, vanished(registry, present.__contains__), records=sent.setdefault
    )
    for draft in drafts:
        settling.add(draft)
    assert settling.finish().registry == Registry()
    assert sent == expected
    assert sent["kept.md"] is registry.records["kept.md"]  # as it was
    assert sent["held.md"] is registry.records["held.md"]  # its article gave no entry this time
    assert sent["gone.md"].retired == later and sent["retired.md"] == retired
    assert sent["edited.md"].changed == later and "new.md" not in registry.records
    assert settling.changed


def test_a_settling_that_sends_its_records_tells_when_the_registry_stays_the_same() -> None:
    config = site_config()
    drafts = _drafts(_named("one"), _named("two"))
    registry = settle(drafts, config, Registry(), NOW).registry
    sent: dict[str, Record] = {}
    later = NOW + timedelta(days=1)
    settling = Settling(config, registry, later, {}, records=sent.setdefault)
    for draft in drafts:
        settling.add(draft)
    settling.finish()
    assert sent == registry.records and not settling.changed
    settling = Settling(config, registry, later, {}, records=sent.setdefault)
    for draft in [*drafts, *_drafts(_named("three"))]:  # one new article: no record retired
        settling.add(draft)
    settling.finish()
    assert settling.changed
