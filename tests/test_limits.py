"""Caps on what one input may cost: article size, front matter size, number of articles."""

from __future__ import annotations

from pathlib import Path

from feeds.read import read_articles
from feeds.read.source import Limits
from tests.conftest import NOW, Build


def _folder(tmp_path: Path, files: dict[str, bytes]) -> Path:
    articles = tmp_path / "articles"
    articles.mkdir()
    for name, data in files.items():
        (articles / name).write_bytes(data)
    return articles


def test_an_oversized_article_is_rejected_unread(tmp_path: Path) -> None:
    articles = _folder(tmp_path, {"big.md": b"---\ntitle: Big\n---\n" + b"x" * 5000, "ok.md": b"# Fine\n"})
    result = read_articles(articles, tmp_path, Limits(max_article_bytes=2000))
    assert [a.title for a in result.articles] == ["Fine"]
    assert [str(p) for p in result.problems] == [
        "articles/big.md: error: is 5,019 bytes, more than max_article_bytes (2,000)"
    ]
    assert result.unreadable == {"big.md"}


def test_oversized_front_matter_and_sidecars_are_rejected(tmp_path: Path) -> None:
    bulky = "tags: [" + ", ".join(f"t{n}" for n in range(200)) + "]\n"
    articles = _folder(
        tmp_path,
        {
            "a.md": f"---\ntitle: A\n{bulky}---\nBody\n".encode(),
            "b.txt": b"Headline\n\nBody\n",
            "b.toml": f"title = 'B'\nsummary = '{'s' * 600}'\n".encode(),
            "c.md": b"---\ntitle: C\n---\nBody\n",
        },
    )
    result = read_articles(articles, tmp_path, Limits(max_front_matter_bytes=300))
    assert [a.title for a in result.articles] == ["C"]
    messages = [str(p) for p in result.problems]
    assert messages[0].startswith("articles/a.md:2: error: front matter is ")
    assert messages[0].endswith("more than max_front_matter_bytes (300)")
    assert (
        messages[1].startswith("articles/b.toml: error: is ")
        and "max_front_matter_bytes (300)" in messages[1]
    )


def test_articles_beyond_the_cap_are_not_read(tmp_path: Path) -> None:
    articles = _folder(tmp_path, {f"{n}.md": f"# T{n}\n".encode() for n in range(5)})
    result = read_articles(articles, tmp_path, Limits(max_articles=3))
    assert [a.title for a in result.articles] == ["T0", "T1", "T2"]
    assert [p.message for p in result.problems] == [
        "holds 5 article files, more than max_articles (3); the last 2 in path order were not read"
    ]


def test_caps_come_from_the_site_configuration(empty_site: Path, build: Build) -> None:
    config = empty_site / "feeds.toml"
    config.write_text(config.read_text(encoding="utf-8") + "max_article_bytes = 1000\n", encoding="utf-8")
    (empty_site / "articles" / "big.md").write_bytes(b"# Big\n" + b"word " * 400)
    (empty_site / "articles" / "small.md").write_bytes(b"# Small\n\nText.\n")
    outcome = build(empty_site, NOW)
    assert [e.title for e in outcome.result.entries] == ["Small"]
    assert outcome.result.rejected == 1


def test_a_legacy_encoding_is_published_with_a_warning(empty_site: Path, build: Build) -> None:
    text = "Харків: світло повернулося\n\nМер сказав, що воду дадуть завтра.\n"
    (empty_site / "articles" / "kharkiv.txt").write_bytes(text.encode("cp1251"))
    (empty_site / "articles" / "utf16.txt").write_bytes(("Заголовок\n\nТекст.\n").encode("utf-16"))
    outcome = build(empty_site, NOW)
    assert sorted(e.title for e in outcome.result.entries) == ["Заголовок", "Харків: світло повернулося"]
    assert sorted(str(p) for p in outcome.result.problems) == [
        "articles/kharkiv.txt: warning: is not UTF-8: read as cp1251 (detected); save it as UTF-8",
        "articles/utf16.txt: warning: is not UTF-8: read as UTF-16 (detected); save it as UTF-8",
    ]
    assert outcome.result.rejected == 0
