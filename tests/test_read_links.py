"""Links in articles/ that lead outside it are not read."""

from __future__ import annotations

from pathlib import Path

from feeds.read import read_articles


def test_a_symlink_out_of_the_articles_folder_is_skipped_with_an_error(tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Secret\n---\nprivate\n", encoding="utf-8")
    articles = tmp_path / "site" / "articles"
    articles.mkdir(parents=True)
    (articles / "ok.md").write_text("---\ntitle: Fine\n---\nbody\n", encoding="utf-8")
    (articles / "leak.md").symlink_to(secret)
    (articles / "inside.md").symlink_to(articles / "ok.md")
    result = read_articles(articles, tmp_path / "site")
    assert sorted(a.title for a in result.articles) == ["Fine", "Fine"]
    assert [str(p) for p in result.problems] == [
        "articles/leak.md: error: is a link to a file outside the articles folder; skipped"
    ]
