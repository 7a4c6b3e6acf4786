"""Unit tests for `feeds.read.read_articles`: real files in a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from feeds.read import bytes_hash, file_of, read_articles, read_file


def _site(tmp_path: Path, files: dict[str, str]) -> tuple[Path, Path]:
    """A site folder with `articles/` holding `files` (relative path -> text), written in the order given."""
    root = tmp_path / "site"
    articles = root / "articles"
    articles.mkdir(parents=True)
    for relative, text in files.items():
        path = articles / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return articles, root


def _md(title: str) -> str:
    return f"---\ntitle: {title}\n---\nBody.\n"


def test_articles_come_in_path_order_not_creation_order(tmp_path: Path) -> None:
    articles, root = _site(
        tmp_path,
        {"c.md": _md("C"), "b/z.md": _md("BZ"), "a.md": _md("A"), "b.md": _md("B"), "B2.md": _md("B2")},
    )
    result = read_articles(articles, root)
    # Sorted as `/`-separated text: upper case before lower, "b.md" before "b/z.md" ('.' < '/').
    assert [a.source for a in result.articles] == [
        "articles/B2.md",
        "articles/a.md",
        "articles/b.md",
        "articles/b/z.md",
        "articles/c.md",
    ]
    assert (result.problems, result.files) == ((), 5)


def test_hidden_files_and_folders_are_skipped(tmp_path: Path) -> None:
    articles, root = _site(
        tmp_path,
        {
            ".draft.md": _md("Hidden file"),
            ".git/x.md": _md("Hidden folder"),
            "sub/.cache/y.txt": "Hidden deep\n",
            "sub/visible.md": _md("Visible"),
        },
    )
    result = read_articles(articles, root)
    assert [a.title for a in result.articles] == ["Visible"]
    assert (result.problems, result.files) == ((), 1)


def test_a_hidden_folder_above_the_articles_folder_does_not_hide_them(tmp_path: Path) -> None:
    articles, root = _site(tmp_path / ".sites", {"a.md": _md("A")})
    assert [a.title for a in read_articles(articles, root).articles] == ["A"]


def test_toml_sidecars_are_not_articles_but_feed_their_txt(tmp_path: Path) -> None:
    articles, root = _site(
        tmp_path,
        {
            "a.txt": "Headline\n\nStand.\n",
            "a.toml": 'slug = "from-sidecar"\n',
            "orphan.toml": 'title = "Not an article"\n',
        },
    )
    result = read_articles(articles, root)
    assert [(a.source, a.title, a.slug) for a in result.articles] == [
        ("articles/a.txt", "Headline", "from-sidecar")
    ]
    assert (result.problems, result.files) == ((), 1)


def test_unknown_extensions_are_ignored(tmp_path: Path) -> None:
    articles, root = _site(
        tmp_path,
        {
            "notes.rst": "x",
            "README": "x",
            "draft.md.bak": "x",
            "draft.md~": "x",
            "page.html": "<p>x</p>",
            "a.md": _md("A"),
        },
    )
    result = read_articles(articles, root)
    assert [a.source for a in result.articles] == ["articles/a.md"]
    assert (result.problems, result.files) == ((), 1)


def test_every_known_extension_is_read_in_any_case(tmp_path: Path) -> None:
    articles, root = _site(
        tmp_path,
        {
            "a.txt": "T\n",
            "b.md": _md("M"),
            "c.markdown": _md("MD"),
            "d.json": '{"title": "J"}',
            "e.jsonl": '{"title": "L"}\n',
            "f.MD": _md("Upper"),
        },
    )
    assert [a.title for a in read_articles(articles, root).articles] == ["T", "M", "MD", "J", "L", "Upper"]


def test_a_folder_named_like_an_article_is_not_read_as_one(tmp_path: Path) -> None:
    articles, root = _site(tmp_path, {"posts.md/inner.md": _md("Inner")})
    result = read_articles(articles, root)
    assert [a.source for a in result.articles] == ["articles/posts.md/inner.md"]
    assert (result.problems, result.files) == ((), 1)


def test_problems_are_collected_while_the_other_files_come_through(tmp_path: Path) -> None:
    articles, root = _site(
        tmp_path,
        {
            "a.md": _md("A"),
            "b.md": "---\ndate: 2022-01-01\n---\nNo title.\n",
            "c.json": '{"title": ',
            "d.jsonl": '{"id": "1", "title": "D1"}\nnot json\n{"id": "3", "title": "D3"}\n',
            "e.txt": "E\n",
        },
    )
    (articles / "f.txt").write_bytes("F\n\nЦе українська мова, записана в cp1251.\n".encode("cp1251"))
    (articles / "g.txt").write_bytes(bytes(range(256)) * 4)  # binary: no encoding fits
    result = read_articles(articles, root)
    assert [(a.source, a.title) for a in result.articles] == [
        ("articles/a.md", "A"),
        ("articles/d.jsonl", "D1"),
        ("articles/d.jsonl", "D3"),
        ("articles/e.txt", "E"),
        ("articles/f.txt", "F"),
    ]
    assert result.articles[-1].body == "Це українська мова, записана в cp1251."
    assert [(p.path, p.line, p.severity) for p in result.problems] == [
        ("articles/b.md", None, "error"),
        ("articles/c.json", 1, "error"),
        ("articles/d.jsonl", 2, "error"),
        ("articles/f.txt", None, "warning"),
        ("articles/g.txt", 2, "error"),  # 0x80 comes after the one newline byte (0x0a)
    ]
    assert result.problems[0].message == "missing title"
    assert result.problems[3].message == "is not UTF-8: read as cp1251 (detected); save it as UTF-8"
    assert result.problems[4].message.startswith("is not UTF-8 text (byte 0x80)")
    assert result.files == 7


def test_an_empty_articles_folder_reads_nothing(tmp_path: Path) -> None:
    articles, root = _site(tmp_path, {})
    result = read_articles(articles, root)
    assert (result.articles, result.problems, result.files) == ((), (), 0)


def test_an_empty_export_is_an_error_and_its_articles_are_not_taken_for_removed(tmp_path: Path) -> None:
    # An export that failed half-way leaves an empty file: retiring all it held would be wrong.
    articles, root = _site(tmp_path, {"export.jsonl": "\n", "list.json": "[]", "items.json": '{"items": []}'})
    result = read_articles(articles, root)
    assert [str(p) for p in result.problems] == [
        "articles/export.jsonl: error: holds no records",
        "articles/items.json: error: holds no records",
        "articles/list.json: error: holds no records",
    ]
    assert result.unreadable == {"export.jsonl", "items.json", "list.json"}


def test_a_file_name_that_is_not_utf8_is_an_error_for_that_file(tmp_path: Path) -> None:
    articles, root = _site(tmp_path, {"fine.md": _md("Fine")})
    (articles / os.fsdecode(b"caf\xe9.md")).write_text(_md("Latin-1 name"), encoding="utf-8")
    result = read_articles(articles, root)
    assert [a.title for a in result.articles] == ["Fine"]
    assert [str(p) for p in result.problems] == [
        "articles/caf\\udce9.md: error: its name is not UTF-8 (byte 0xe9); rename it"
    ]


@pytest.mark.parametrize(
    ("key", "file"),
    [
        ("a.md", "a.md"),
        ("C#-tips.md", "C#-tips.md"),
        ("2022/C#/notes.md", "2022/C#/notes.md"),
        ("C#.json", "C#.json"),
        ("a.json#slug", "a.json"),
        ("C#.json#urn:x#1", "C#.json"),
        ("w.JSONL#7", "w.JSONL"),
        ("a.jsonl#b.json#c", "a.jsonl"),
    ],
)
def test_the_file_of_a_key_is_cut_at_the_hash_that_ends_a_json_name(key: str, file: str) -> None:
    """Only a JSON file's records are keyed `file#name`: a '#' in any other name is the name's."""
    assert file_of(key) == file


def test_a_name_holding_hash_in_a_file_is_read_as_itself_and_one_read_as_a_record_is_an_error(
    tmp_path: Path,
) -> None:
    articles, root = _site(tmp_path, {"C#-tips.md": _md("Sharp"), "x.json#y.md": _md("Ambiguous")})
    result = read_articles(articles, root)
    assert [(a.key, a.title) for a in result.articles] == [("C#-tips.md", "Sharp")]
    assert [str(p) for p in result.problems] == [
        "articles/x.json#y.md: error: its path holds 'x.json#', which names a record of a JSON file;"
        " rename it"
    ]


def test_folders_scanned_in_worker_processes_give_the_scan_made_in_this_one(tmp_path: Path) -> None:
    from feeds.build import _scanning
    from feeds.read import scan_folders

    articles, _ = _site(
        tmp_path,
        {
            "top.md": _md("Top"),
            "2023/a.txt": "Headline\n\nStand.\n",
            "2023/a.toml": 'slug = "a"\n',
            "2023/b.md": _md("B"),
            "2024/05/c.md": _md("C"),
            "2024/05/.hidden.md": _md("Hidden"),
            "2024/d.md/inside.md": _md("In a folder named like an article"),
            "2025/notes.rst": "not an article",
        },
    )
    (articles / "2025/linked.md").symlink_to(articles / "2023/b.md")
    here = scan_folders(articles)
    spread = scan_folders(articles, _scanning(0, 2, None))  # two processes, however few the files
    assert spread == here
    assert [(f.key, f.link, f.state.sidecar is not None) for f in here.files] == [
        ("2023/a.txt", False, True),
        ("2023/b.md", False, False),
        ("2024/05/c.md", False, False),
        ("2024/d.md/inside.md", False, False),
        ("2025/linked.md", True, False),
        ("top.md", False, False),
    ]
    assert sorted(here.folders) == ["", "2023/", "2024/", "2024/05/", "2024/d.md/", "2025/"]


def test_the_files_of_one_folder_are_given_without_unpacking_every_folder(tmp_path: Path) -> None:
    from feeds.read import FolderFiles, in_folder, scan_folders

    articles, _ = _site(
        tmp_path,
        {
            "top.md": _md("Top"),
            "2023/a.txt": "Headline\n\nStand.\n",
            "2023/a.toml": 'slug = "a"\n',
            "2023/b.md": _md("B"),
            "2023/01/c.md": _md("C"),
            "2024/d.md": _md("D"),
        },
    )
    files = scan_folders(articles).files
    assert isinstance(files, FolderFiles)
    assert len(files) == 5
    assert [f.key for f in in_folder(files, "2023/")] == ["2023/a.txt", "2023/b.md"]
    assert [f.key for f in in_folder(files, "")] == ["top.md"]
    assert in_folder(files, "2025/") == []
    assert files._all is None  # nothing else was unpacked
    everything = list(files)
    assert [f.key for f in everything] == ["2023/01/c.md", "2023/a.txt", "2023/b.md", "2024/d.md", "top.md"]
    assert [f.key for f in in_folder(files, "2023/")] == ["2023/a.txt", "2023/b.md"]  # now from the list
    assert in_folder(everything, "2023/01/") == in_folder(files, "2023/01/")
    side = everything[1].state.sidecar
    assert side is not None and side[0] == len('slug = "a"\n')
    assert everything[0].state.sidecar is None


def test_a_scans_files_are_streamed_in_path_order_without_keeping_them(tmp_path: Path) -> None:
    """A build from scratch reads them so (`FolderFiles.stream`): one folder's files interleave
    with another's ('2023/z/e.md' comes between '2023/b.md' and '2023/zz.md')."""
    from feeds.read import FolderFiles, file_keys, scan_folders

    names = ["2023/b.md", "2023/z/e.md", "2023/zz.md", "top.md", "2023/01/c.md"]
    articles, _ = _site(tmp_path, {name: _md(name) for name in names})
    files = scan_folders(articles).files
    assert isinstance(files, FolderFiles)
    assert sorted(file_keys(files)) == sorted(names)
    streamed = list(files.stream())
    assert files._all is None  # nothing kept
    assert [f.key for f in streamed] == sorted(names)
    assert streamed == list(files)  # what unpacking them all gives
    assert list(files.stream()) == streamed  # from the list, now that it is kept
    assert sorted(file_keys(files)) == sorted(names) == sorted(file_keys(list(files)))


def test_a_folder_swapped_for_a_named_pipe_is_skipped_not_waited_on(tmp_path: Path) -> None:
    import threading

    from feeds.read import _scan_folder

    pipe = tmp_path / "2024"
    os.mkfifo(pipe)  # what a folder listed a moment ago may have become: opening it would block
    found: list[object] = []
    scanning = threading.Thread(target=lambda: found.append(_scan_folder(str(pipe), "2024/")), daemon=True)
    scanning.start()
    scanning.join(10)
    assert not scanning.is_alive(), "the scan waited on a named pipe"
    ((scan, below),) = found  # type: ignore[misc]
    assert (scan.names, below) == ("", [])


@pytest.mark.parametrize("by_descriptor", [True, False], ids=["through-the-open-folder", "by-path"])
def test_each_files_status_is_its_own_and_its_sidecars_however_the_folder_is_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by_descriptor: bool
) -> None:
    import feeds.read
    from feeds.read import scan_folders

    articles, _ = _site(
        tmp_path,
        {
            "2023/a.txt": "Headline\n\nStand.\n",
            "2023/a.toml": 'slug = "a"\n',
            "2023/b.md": _md("A longer one, so that sizes differ"),
            "c.md": _md("C"),
        },
    )
    (articles / "2023/linked.md").symlink_to(articles / "c.md")
    os.utime(articles / "2023/a.toml", ns=(1, 1_500_000_000_123_456_789))
    monkeypatch.setattr(feeds.read, "_BY_DESCRIPTOR", by_descriptor)
    found = list(scan_folders(articles).files)

    def status(relative: str) -> tuple[int, int]:
        known = (articles / relative).stat()  # through the link, as the reader will read it
        return known.st_size, known.st_mtime_ns

    assert [(f.key, f.link, (f.state.size, f.state.mtime_ns), f.state.sidecar) for f in found] == [
        ("2023/a.txt", False, status("2023/a.txt"), (len('slug = "a"\n'), 1_500_000_000_123_456_789)),
        ("2023/b.md", False, status("2023/b.md"), None),
        ("2023/linked.md", True, status("c.md"), None),
        ("c.md", False, status("c.md"), None),
    ]


def test_a_time_beyond_64_bits_of_nanoseconds_is_scanned_and_its_change_seen(tmp_path: Path) -> None:
    """Statuses are packed as 64-bit numbers; ext4 holds times to the year 2446."""
    from feeds.read import scan_folders

    articles, _ = _site(tmp_path, {"2023/a.md": _md("A"), "2023/b.md": _md("B")})
    far = 2**63 + 5 * 10**9  # 2262-04-11
    try:
        os.utime(articles / "2023/b.md", ns=(1, far))
    except (OSError, OverflowError):
        pytest.skip("this file system cannot hold such a time")
    if (articles / "2023/b.md").stat().st_mtime_ns != far:
        pytest.skip("this file system cannot hold such a time")
    scan = scan_folders(articles)
    assert [(f.key, f.state.mtime_ns) for f in scan.files][1] == ("2023/b.md", far)
    os.utime(articles / "2023/b.md", ns=(1, far + 10**9))
    again = scan_folders(articles)
    assert again.folders["2023/"] != scan.folders["2023/"]
    os.utime(articles / "2023/b.md", ns=(1, 10**18))  # back within 64 bits
    assert scan_folders(articles).folders["2023/"] not in {scan.folders["2023/"], again.folders["2023/"]}


def test_the_changed_files_of_a_folder_are_found_from_its_packed_scan_as_from_a_list(tmp_path: Path) -> None:
    from feeds.read import FolderFiles, changed_in, packed_state, scan_folders

    articles, _ = _site(
        tmp_path,
        {
            "2023/a.txt": "Headline\n\nStand.\n",
            "2023/a.toml": 'slug = "a"\n',
            "2023/b.md": _md("B"),
            "2023/c.md": _md("C"),
            "2023/d.md": _md("D"),
            "2023/sub/e.md": _md("E"),
            "2024/f.md": _md("F"),
        },
    )
    before = {file.key: packed_state(file.state) for file in scan_folders(articles).files}
    assert before["2023/a.txt"][2:] != (-1, 0) and before["2023/b.md"][2:] == (-1, 0)
    os.utime(articles / "2023/a.toml", ns=(1, 1_000_000_000))  # only the sidecar: the .txt changed
    (articles / "2023/c.md").write_text(_md("C, edited"), encoding="utf-8")
    (articles / "2023/d.md").unlink()
    (articles / "2023/new.md").write_text(_md("New"), encoding="utf-8")
    known = {key: status for key, status in before.items() if key.startswith("2023/") and "/sub/" not in key}
    known["2023/gone-before.md"] = (1, 2, -1, 0)

    files = scan_folders(articles).files
    assert isinstance(files, FolderFiles)
    changed, gone = changed_in(files, "2023/", known)
    assert [file.key for file in changed] == ["2023/a.txt", "2023/c.md", "2023/new.md"]
    assert gone == ["2023/d.md", "2023/gone-before.md"]
    assert files._all is None  # nothing unpacked but the changed files
    assert changed == [file for file in files if file.key in {"2023/a.txt", "2023/c.md", "2023/new.md"}]
    assert changed_in(list(files), "2023/", known) == (changed, gone)  # a watcher's list: the same
    assert changed_in(files, "2023/", known) == (changed, gone)  # now unpacked: the same
    assert changed_in(files, "2025/", {"2025/x.md": (1, 2, -1, 0)}) == ([], ["2025/x.md"])


def test_a_released_scan_keeps_its_count_and_folders_and_refuses_its_files(tmp_path: Path) -> None:
    from feeds.read import changed_in, in_folder, scan_folders

    articles, _ = _site(tmp_path, {"2023/a.md": _md("A"), "b.md": _md("B")})
    scanned = scan_folders(articles)
    assert [file.key for file in scanned.files] == ["2023/a.md", "b.md"]
    scanned.files.release()  # type: ignore[attr-defined]
    assert len(scanned.files) == 2 and sorted(scanned.folders) == ["", "2023/"]
    with pytest.raises(RuntimeError, match="released"):
        list(scanned.files)
    with pytest.raises(RuntimeError, match="released"):
        in_folder(scanned.files, "2023/")
    with pytest.raises(RuntimeError, match="released"):
        changed_in(scanned.files, "2023/", {})


def test_a_sidecar_the_scan_saw_none_of_is_not_read_and_one_it_may_have_is(tmp_path: Path) -> None:
    # A build reads a changed file with what its scan saw: a file with no sidecar is not asked
    # for one again (at 100,000 articles, one system call less for each of most files).
    articles, root = _site(tmp_path, {"a.txt": "Headline\n\nStand.\n", "a.toml": 'slug = "from-sidecar"\n'})
    path = articles / "a.txt"
    assert [a.slug for a in read_file(path, articles, root, link=False).articles] == ["from-sidecar"]
    unasked = read_file(path, articles, root, link=False, sidecar=False)
    assert [a.slug for a in unasked.articles] == [None]
    assert unasked.content == bytes_hash(path.read_bytes(), None)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize("kind", ["folder", "pipe", "gone"])
def test_something_named_like_a_sidecar_that_is_no_file_is_no_sidecar(tmp_path: Path, kind: str) -> None:
    # A pipe is opened without blocking (opened plainly, it would hold the build until written to).
    articles, root = _site(tmp_path, {"a.txt": "Headline\n\nStand.\n"})
    sidecar = articles / "a.toml"
    if kind == "folder":
        sidecar.mkdir()
    elif kind == "pipe":
        os.mkfifo(sidecar)
    read = read_file(articles / "a.txt", articles, root, link=False)
    assert ([(a.title, a.slug) for a in read.articles], read.problems) == ([("Headline", None)], ())


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_an_article_swapped_for_a_named_pipe_is_an_error_not_a_wait(tmp_path: Path) -> None:
    import threading

    articles, root = _site(tmp_path, {})
    os.mkfifo(articles / "a.md")  # what the scan saw as a file may be a pipe by the time it is read
    found: list[object] = []
    reading = threading.Thread(
        target=lambda: found.append(read_file(articles / "a.md", articles, root, link=False)), daemon=True
    )
    reading.start()
    reading.join(10)
    assert not reading.is_alive(), "the read waited on a named pipe"
    (read,) = found
    assert [str(p) for p in read.problems] == ["articles/a.md: error: cannot read: not a regular file"]  # type: ignore[attr-defined]
    assert read.unreadable  # type: ignore[attr-defined]


@pytest.mark.parametrize("told", [-7, 0, 5], ids=["shrank", "as-told", "grew"])
def test_a_file_that_changed_size_since_its_status_was_asked_is_read_to_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, told: int
) -> None:
    # One read of the size the status gives takes the whole file; a file that grew or shrank
    # in between (the status said otherwise) is read on to its end, not cut at the old size.
    import feeds.read
    from feeds.read import regular_file_bytes

    path = tmp_path / "a.md"
    data = ("# Заголовок\n\n" + "Текст абзацу. " * 3000).encode()
    path.write_bytes(data)
    real_fstat = os.fstat

    def fstat(descriptor: int) -> os.stat_result:
        status = list(real_fstat(descriptor))
        status[6] = max(0, len(data) - told)  # st_size, as if the file had been that long
        return os.stat_result(status)

    monkeypatch.setattr(feeds.read.os, "fstat", fstat)
    assert regular_file_bytes(path) == data
    assert regular_file_bytes(path, limit=max(len(data), len(data) - told)) == data
    with pytest.raises(feeds.read.TooLargeError):  # refused by its status, or once it read past the limit
        regular_file_bytes(path, limit=len(data) - 1)
