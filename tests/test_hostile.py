"""Hostile articles through the whole build: each gives a clean entry, an entry and a warning, or an error.

The corpus is written byte for byte by tests/hostile/make_corpus.py (git and editors would
"fix" some of its bytes), which says what each file must give. One build of the whole corpus
is shared by the checks per file; the checks on the site as a whole (nothing outside public/,
links that lead out, the command line's report) build their own copy.

What a feed may carry is checked where readers meet it: feedparser reads the RSS and Atom,
`json` the JSON Feed, lxml every fragment of HTML.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import lxml.html
import pytest
from lxml import etree

from feeds.build import BuildOutcome, run_build
from feeds.cli import main
from feeds.config import load_config
from feeds.errors import Problem
from feeds.model import Entry
from tests.conftest import NOW, Build
from tests.hostile.make_corpus import DATE_CASES, Case, cases, write_corpus

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
CASES = {case.name: case for case in cases()}
SITE_CONFIG = 'title = "Test Site"\nbase_url = "https://example.org/"\ntimezone = "Europe/Kyiv"\n'
"""The `empty_site` fixture's feeds.toml (the shared build below cannot use a per-test fixture)."""
WEB_SCHEMES = {"http", "https", "mailto"}
ACTIVE_ELEMENTS = {"script", "iframe", "frame", "object", "embed", "applet", "style", "form", "input",
                   "button", "base", "meta", "link", "svg", "math", "template"}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "cite", "poster", "background", "srcset", "data"}
NOW_ARG = "2026-11-25T12:00:00Z"


@dataclass(frozen=True)
class Built:
    """The corpus built once: the outcome, the output folder, and the site feeds as readers see them."""

    outcome: BuildOutcome
    public: Path
    atom: Any  # feedparser's result for atom.xml
    rss: Any
    json: dict[str, Any]
    atom_tree: etree._Element
    rss_tree: etree._Element

    def problems_for(self, case: Case) -> list[Problem]:
        names = {f"articles/{case.name}", *(f"articles/{name}" for name in case.extra)}
        return [p for p in self.outcome.result.problems if p.path in names]

    def entries_for(self, case: Case) -> list[Entry]:
        return [e for e in self.outcome.result.entries if e.source == f"articles/{case.name}"]


def _site_with_corpus(folder: Path, **corpus: bool) -> Path:
    site = folder / "site"
    (site / "articles").mkdir(parents=True)
    # Every entry in the head feeds, so that each file's entry is found in one place.
    (site / "feeds.toml").write_text(SITE_CONFIG + "feed_limit = 1000\n", encoding="utf-8")
    write_corpus(site / "articles", **corpus)
    return site


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    site = _site_with_corpus(tmp_path_factory.mktemp("hostile"))
    outcome = run_build(load_config(site / "feeds.toml"), NOW)
    public = site / "public"
    return Built(
        outcome=outcome,
        public=public,
        atom=feedparser.parse((public / "atom.xml").read_bytes()),
        rss=feedparser.parse((public / "rss.xml").read_bytes()),
        json=json.loads((public / "feed.json").read_bytes()),
        atom_tree=etree.fromstring((public / "atom.xml").read_bytes()),
        rss_tree=etree.fromstring((public / "rss.xml").read_bytes()),
    )


# --- helpers -------------------------------------------------------------------------------------


def _html_text(fragment: str) -> str:
    if not fragment.strip():
        return ""
    return str(lxml.html.fromstring(f"<div>{fragment}</div>").text_content())


def _scheme(url: str) -> str:
    # Browsers drop ASCII white space and controls inside a scheme ("java\tscript:"): so do we.
    squeezed = "".join(c for c in url if c > " ").lower()
    return urlsplit(squeezed).scheme


def active_html(fragment: str) -> list[str]:
    """What in an HTML fragment could run code or load something other than a web page."""
    if not fragment.strip():
        return []
    found = []
    for element in lxml.html.fromstring(f"<div>{fragment}</div>").iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag.lower() in ACTIVE_ELEMENTS:
            found.append(f"<{element.tag}>")
        for name, value in element.attrib.items():
            if name.lower().startswith("on") or name.lower() == "style":
                found.append(f"{name}= on <{element.tag}>")
            elif name.lower() in URL_ATTRIBUTES and _scheme(value) not in WEB_SCHEMES:
                found.append(f"{name}={value!r} on <{element.tag}>")
    return found


def xml_urls(root: etree._Element) -> Iterator[str]:
    """Every URL an RSS or Atom element carries: href/src/url attributes, uri/link/url texts."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name in ("href", "src", "url"):
            if (value := element.get(name)) is not None:
                yield value
        if etree.QName(element).localname in ("uri", "link", "url", "docs", "comments") and element.text:
            yield element.text.strip()


def json_urls(value: Any) -> Iterator[str]:
    """Every URL a JSON Feed carries: values of `url`, `*_url`, `image`, `icon` and `favicon`."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and (
                key == "url" or key.endswith("_url") or key in ("image", "icon", "favicon")
            ):
                yield item
            else:
                yield from json_urls(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_urls(item)


def _bad_urls(urls: Iterator[str]) -> list[str]:
    return [url for url in urls if _scheme(url) not in WEB_SCHEMES]


def html_fragments(path: Path, *, descriptions: bool = False) -> Iterator[str]:
    """The HTML in a feed file: Atom html content/summary, RSS content:encoded, JSON content_html.

    With `descriptions`, only RSS <description>s, which readers take as HTML.
    """
    if path.suffix == ".json":
        for item in json.loads(path.read_bytes()).get("items", []) if not descriptions else ():
            yield item.get("content_html", "")
        return
    root = etree.fromstring(path.read_bytes())
    if descriptions:
        yield from (item.findtext("description") or "" for item in root.iter("item"))
        return
    for element in root.iter(f"{ATOM}content", f"{ATOM}summary", CONTENT_ENCODED):
        if element.tag == CONTENT_ENCODED or element.get("type") == "html":
            yield element.text or ""


def feed_files(public: Path) -> list[Path]:
    return sorted(p for p in public.rglob("*") if p.name in ("rss.xml", "atom.xml", "feed.json"))


def _param(case: Case) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []
    return pytest.param(case, id=case.name, marks=marks)


# --- each file -------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [_param(c) for c in CASES.values() if not c.hangs])
def test_each_hostile_file_gives_its_outcome(built: Built, case: Case) -> None:
    problems = built.problems_for(case)
    entries = built.entries_for(case)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    for problem in problems:
        assert "\n" not in str(problem), f"a problem is reported on one line: {str(problem)!r}"

    assert len(entries) == case.expected_entries, f"{case.name}: {len(entries)} entries"
    if case.outcome == "error":
        assert any(_matches(p, case) for p in errors), [str(p) for p in problems]
        return

    assert not errors, [str(p) for p in errors]
    if case.outcome == "warning":
        assert any(_matches(p, case) for p in warnings), [str(p) for p in warnings]
    else:
        assert not warnings, [str(p) for p in warnings]
    for entry in entries:
        _check_entry_as_readers_see_it(built, case, entry)


def _matches(problem: Problem, case: Case) -> bool:
    if case.message and not re.search(case.message, problem.message):
        return False
    return case.line is None or problem.line == case.line


def _check_entry_as_readers_see_it(built: Built, case: Case, entry: Entry) -> None:
    atom = next(e for e in built.atom.entries if e.id == entry.id)
    rss = next(e for e in built.rss.entries if e.id == entry.id)
    item = next(i for i in built.json["items"] if i["id"] == entry.id)
    if case.title is not None:
        assert atom.title == case.title, "Atom title"
        assert rss.title == case.title, "RSS title"
        assert item["title"] == case.title, "JSON Feed title"
    for text in case.keep:
        assert text in _html_text(_content(atom)), f"Atom content lost {text!r}"
        assert text in _html_text(_content(rss)), f"RSS content lost {text!r}"
        assert text in _html_text(item["content_html"]), f"JSON Feed content lost {text!r}"
    assert atom.summary == item["summary"], "Atom summary"  # RSS: test_rss_descriptions_...
    atom_entry = next(e for e in built.atom_tree.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}id") == entry.id)
    for email in atom_entry.iter(f"{ATOM}email"):
        assert re.fullmatch(r"[^\s@<>]+@[^\s@<>]+", email.text or ""), f"Atom email {email.text!r}"
    rss_item = next(i for i in built.rss_tree.iter("item") if i.findtext("guid") == entry.id)
    assert _bad_urls(xml_urls(atom_entry)) == [], "Atom entry URLs"
    assert _bad_urls(xml_urls(rss_item)) == [], "RSS item URLs"
    assert _bad_urls(json_urls(item)) == [], "JSON Feed item URLs"
    for fragment in (item.get("content_html", ""), _content(atom), _content(rss)):
        assert active_html(fragment) == []


def _content(parsed_entry: Any) -> str:
    """The HTML content feedparser found in an entry ("" for a title-only article)."""
    return str(parsed_entry.content[0].value) if parsed_entry.get("content") else ""


def test_dates_in_many_formats_give_the_right_instants(built: Built) -> None:
    published = {
        e.findtext(f"{ATOM}id"): e.findtext(f"{ATOM}published") for e in built.atom_tree.iter(f"{ATOM}entry")
    }
    rss = {i.findtext("guid"): i.findtext("pubDate") for i in built.rss_tree.iter("item")}
    items = {i["id"]: i["date_published"] for i in built.json["items"]}
    for number, (raw, expected) in enumerate(DATE_CASES, start=1):
        entry_id = f"urn:x-hostile:date-{number}"
        instant = datetime.fromisoformat(expected)
        assert datetime.fromisoformat(published[entry_id]) == instant, (raw, published[entry_id])
        assert parsedate_to_datetime(rss[entry_id]) == instant, (raw, rss[entry_id])
        assert datetime.fromisoformat(items[entry_id]) == instant, (raw, items[entry_id])
    # A date without a zone is shown on the site's clock (Kyiv), not in UTC.
    assert published["urn:x-hostile:date-7"] == "2022-09-13T14:05:00+03:00"


# --- the site as a whole ----------------------------------------------------------------------------


def test_every_feed_parses_cleanly_with_unique_ids(built: Built) -> None:
    files = feed_files(built.public)
    assert len(files) >= 9  # the site, a tag and an author, in three formats
    for path in files:
        if path.suffix == ".json":
            document = json.loads(path.read_bytes())
            assert document["version"] == "https://jsonfeed.org/version/1.1"
            ids = [item["id"] for item in document["items"]]
        else:
            parsed = feedparser.parse(path.read_bytes())
            assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
            ids = [entry.id for entry in parsed.entries]
        assert ids and len(ids) == len(set(ids)), path
    # The site feed carries every entry the build published, and each came from a corpus file.
    assert len(built.atom.entries) == len(built.outcome.result.entries)
    assert {e.source.removeprefix("articles/") for e in built.outcome.result.entries} <= set(CASES)
    etree.fromstring((built.public / "feeds.opml").read_bytes())


def test_no_feed_carries_active_content(built: Built) -> None:
    for path in feed_files(built.public):
        if path.suffix == ".xml":
            assert b"<script" not in path.read_bytes().lower(), path
        for fragment in html_fragments(path):
            assert active_html(fragment) == [], path
    page = lxml.html.fromstring((built.public / "index.html").read_bytes())
    for script in page.iter("script"):  # the page's own script, and only that
        assert script.get("src") is None and "alert(" not in (script.text or "")
    for element in page.iter():
        if isinstance(element.tag, str):
            assert not [name for name in element.attrib if name.lower().startswith("on")], element.tag
            for name in ("href", "src"):
                if (value := element.get(name)) is not None:
                    assert _scheme(value) in WEB_SCHEMES | {""}, value  # "" is a page-relative link


def test_rss_descriptions_read_as_html_give_the_summary_text(built: Built) -> None:
    summaries = {item["id"]: item["summary"] for item in built.json["items"]}
    wrong = {
        entry.id: entry.summary
        for entry in built.rss.entries
        if _html_text(entry.summary) != summaries[entry.id]
    }
    assert wrong == {}
    for path in feed_files(built.public):
        if path.name == "rss.xml":
            for fragment in html_fragments(path, descriptions=True):
                assert active_html(fragment) == [], path


def test_a_second_build_of_the_corpus_rewrites_nothing(built: Built) -> None:
    site = built.public.parent
    again = run_build(load_config(site / "feeds.toml"), NOW)
    assert again.written is not None
    assert again.written.changed == ()
    assert again.result.files == built.outcome.result.files


def _tree(root: Path, skip: Path) -> dict[str, str]:
    """Every path under `root` (not under `skip`) and what it is: its bytes' hash, or where it links."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path == skip or skip in path.parents:
            continue
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[relative] = f"-> {path.readlink()}"
        elif path.is_file():
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[relative] = "folder"
    return found


def test_nothing_is_written_outside_the_output_folder(
    tmp_path: Path, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site_with_corpus(tmp_path)
    monkeypatch.chdir(tmp_path)  # where `touch yaml-was-here` would land, if any YAML ran it
    before = _tree(tmp_path, skip=site / "public")
    outcome = build(site)
    after = _tree(tmp_path, skip=site / "public")
    assert outcome.written is not None and outcome.written.changed
    added = {path for path in after if path not in before}
    # The registry and the build cache live beside feeds.toml, by design; nothing else.
    assert added == {"site/feeds.registry.json", "site/.feeds-cache", "site/.feeds-cache/state.sqlite"}
    assert {path: after[path] for path in before} == before, "a file outside public/ was changed"
    assert not Path("/tmp/feeds-hostile-escape").exists()
    for path in (site / "public").rglob("*"):
        assert path.resolve().is_relative_to((site / "public").resolve())


def test_links_that_lead_out_of_the_articles_folder_are_refused(empty_site: Path, build: Build) -> None:
    outside = empty_site.parent / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("---\ntitle: SECRET outside\n---\nSECRET body\n", encoding="utf-8")
    articles = empty_site / "articles"
    (articles / "fine.md").write_text("---\ntitle: Fine\n---\nBody\n", encoding="utf-8")
    (articles / "relative-out.md").symlink_to(Path("..") / ".." / "outside" / "secret.md")
    (articles / "absolute-out.md").symlink_to(outside / "secret.md")
    (articles / "folder-out").symlink_to(outside, target_is_directory=True)
    (articles / "inside.md").symlink_to(articles / "fine.md")
    (articles / "dangling.md").symlink_to(empty_site / "nowhere.md")
    (articles / "loop-a.md").symlink_to(articles / "loop-b.md")
    (articles / "loop-b.md").symlink_to(articles / "loop-a.md")

    outcome = build(empty_site)

    errors = {p.path: p.message for p in outcome.result.problems if p.severity == "error"}
    assert errors == {
        "articles/relative-out.md": "is a link to a file outside the articles folder; skipped",
        "articles/absolute-out.md": "is a link to a file outside the articles folder; skipped",
    }
    assert sorted(e.source for e in outcome.result.entries) == ["articles/fine.md", "articles/inside.md"]
    for path in (empty_site / "public").rglob("*"):
        if path.is_file():
            assert b"SECRET" not in path.read_bytes(), path


def test_the_command_reports_every_problem_and_publishes_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _site_with_corpus(tmp_path)
    status = main(["build", "--config", str(site / "feeds.toml"), "--now", NOW_ARG])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "Traceback" not in out + err
    for case in CASES.values():
        if case.outcome != "clean" and not case.bug and not case.hangs:
            named = [f"articles/{case.name}", *(f"articles/{name}" for name in case.extra)]
            assert any(line.startswith(tuple(named)) for line in err.splitlines()), case.name
    assert "published" in out


def test_alias_bombs_are_handled_in_well_under_a_second(empty_site: Path, build: Build) -> None:
    for case in CASES.values():
        if case.name.startswith("yaml-alias-bomb") and not case.hangs:
            (empty_site / "articles" / case.name).write_bytes(case.data)
    started = time.perf_counter()
    outcome = build(empty_site)
    elapsed = time.perf_counter() - started
    assert [e.title for e in outcome.result.entries] == ["Billion laughs, ignored"]
    assert elapsed < 1.0, f"{elapsed:.2f} s"


def _build_in_a_box(site: Path, seconds: float, memory: int = 1 << 30) -> subprocess.CompletedProcess[str]:
    """`feeds build` in a child process with a time limit and an address-space cap."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [sys.executable, "-m", "feeds", "build", "--config", str(site / "feeds.toml"), "--now", NOW_ARG],
        capture_output=True,
        text=True,
        timeout=seconds,
        preexec_fn=cap,
        check=False,
    )


def test_an_alias_bomb_as_the_draft_flag_is_rejected_quickly(empty_site: Path) -> None:
    case = CASES["yaml-alias-bomb-draft.md"]
    (empty_site / "articles" / case.name).write_bytes(case.data)
    (empty_site / "articles" / "fine.md").write_text("---\ntitle: Fine\n---\n", encoding="utf-8")
    done = _build_in_a_box(empty_site, seconds=3)
    assert done.returncode == 0, done.stderr
    assert f"articles/{case.name}: error: 'draft' must be true or false" in done.stderr


def test_a_20_mb_article_is_rejected_unread(tmp_path: Path, build: Build) -> None:
    site = tmp_path / "site"
    (site / "articles").mkdir(parents=True)
    (site / "feeds.toml").write_text(SITE_CONFIG, encoding="utf-8")
    huge = next(c for c in cases(huge=True) if c.name == "huge.md")
    (site / "articles" / huge.name).write_bytes(huge.data)
    (site / "articles" / "fine.md").write_text("---\ntitle: Fine\n---\n", encoding="utf-8")
    assert (site / "articles" / "huge.md").stat().st_size == 20_000_000
    outcome = build(site)
    assert [str(p) for p in outcome.result.problems] == [
        "articles/huge.md: error: is 20,000,000 bytes, more than max_article_bytes (5,000,000)"
    ]
    assert [e.title for e in outcome.result.entries] == ["Fine"]


def test_a_file_name_that_is_not_utf8_rejects_one_article_only(empty_site: Path) -> None:
    # A CMS export unpacked on Linux: the name is Latin-1 bytes, not UTF-8.
    (empty_site / "articles" / os.fsdecode(b"caf\xe9.md")).write_bytes(
        b"---\ntitle: Latin-1 file name\n---\n"
    )
    (empty_site / "articles" / "fine.md").write_text("---\ntitle: Fine\n---\n", encoding="utf-8")
    done = _build_in_a_box(empty_site, seconds=60)
    assert done.returncode == 0, done.stderr
    assert "internal error" not in done.stderr
    assert done.stderr == "articles/caf\\udce9.md: error: its name is not UTF-8 (byte 0xe9); rename it\n"
    assert b"Fine" in (empty_site / "public" / "atom.xml").read_bytes()


def test_a_file_name_with_a_newline_is_reported_on_one_line(empty_site: Path) -> None:
    (empty_site / "articles" / "two\nlines.md").write_text("---\ntitle: [broken\n---\n", encoding="utf-8")
    done = _build_in_a_box(empty_site, seconds=60)
    assert done.returncode == 0, done.stderr
    problems = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(problems) == 1 and ": error: broken YAML front matter" in problems[0], problems


def test_outcome_counts_are_what_the_corpus_says() -> None:
    """The corpus's own bookkeeping: every class is represented, names are unique."""
    counts = Counter(case.outcome for case in CASES.values())
    assert set(counts) == {"clean", "warning", "error"}
    assert counts["clean"] >= 20 and counts["error"] >= 30
    assert "huge.md" not in CASES, "the 20 MB file is written only when asked"
