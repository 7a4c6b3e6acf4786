"""The writer: atomic, skips unchanged bytes, never writes outside the output folder."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from feeds.errors import BuildError
from feeds.write import safe_target, write_file, write_files


def test_writes_then_skips_unchanged(tmp_path: Path) -> None:
    out = tmp_path / "public"
    report = write_files(out, {"b.xml": b"B", "a/c.json": b"C"})
    assert report.changed == ("a/c.json", "b.xml")
    assert (out / "a" / "c.json").read_bytes() == b"C"
    again = write_files(out, {"b.xml": b"B", "a/c.json": b"C2"})
    assert again.changed == ("a/c.json",)
    assert again.unchanged == ("b.xml",)


def test_leaves_no_temporary_files(tmp_path: Path) -> None:
    write_files(tmp_path, {"rss.xml": b"x"})
    write_files(tmp_path, {"rss.xml": b"y"})
    assert sorted(p.name for p in tmp_path.iterdir()) == [".feeds-manifest.json", "rss.xml"]


@pytest.mark.parametrize("relative", ["../escape.xml", "/etc/passwd", "a/../../x", "", "a\\..\\x"])
def test_refuses_paths_outside_the_output_folder(tmp_path: Path, relative: str) -> None:
    with pytest.raises(BuildError, match=r"outside the output folder|not a path inside"):
        safe_target(tmp_path / "public", relative)
    assert not (tmp_path / "escape.xml").exists()


def test_refuses_to_follow_a_symlink_out(tmp_path: Path) -> None:
    out = tmp_path / "public"
    out.mkdir()
    (out / "link").symlink_to(tmp_path)
    with pytest.raises(BuildError):
        write_files(out, {"link/evil.xml": b"x"})
    assert not (tmp_path / "evil.xml").exists()


def test_a_full_disk_leaves_the_old_file_and_no_debris(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "rss.xml"
    target.write_bytes(b"old")

    def disk_full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(BuildError, match=r"No space left on device.*previous file is untouched"):
        write_file(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["rss.xml"]


def test_an_unusable_output_path_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "public").write_bytes(b"a file where a folder should be")
    with pytest.raises(BuildError, match=r"public/rss.xml: cannot .*Not a directory"):
        write_files(tmp_path / "public", {"rss.xml": b"x"})
