"""feeds.toml: every problem named, with the nearest valid key suggested."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.config import config_from_mapping, load_config
from feeds.errors import ConfigError


def _problems(data: dict[str, object]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config_from_mapping(data, "feeds.toml", Path())
    return caught.value.messages


def test_defaults() -> None:
    config = config_from_mapping({"title": "T", "base_url": "https://example.org"}, "feeds.toml", Path())
    assert config.base_url == "https://example.org/"
    assert (config.language, config.timezone, config.feed_limit) == ("en", "UTC", 50)
    assert (config.articles, config.output, config.registry) == ("articles", "public", "feeds.registry.json")


def test_every_problem_is_listed_at_once() -> None:
    problems = _problems({"titel": "T", "base_url": "example.org", "feed_limit": "ten", "language": "en_US"})
    assert problems == [
        "unknown key 'titel' (did you mean 'title'?)",
        "missing required key 'title'",
        "'base_url': must be an absolute http(s) URL such as 'https://example.org/', not 'example.org'",
        "'language': 'en_US' is not a BCP 47 language tag such as 'en' or 'uk-UA' (did you mean 'en-US'?)",
        "'feed_limit': must be a whole number, not text",
    ]


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("timezone", "Mars/Olympus", "not an IANA time zone"),
        ("permalink", "/posts/", "must contain '{slug}'"),
        ("permalink", "/{slug}/{hour}/", "may use only"),
        ("output", "../elsewhere", "inside the site folder"),
        ("output", "/tmp/x", "inside the site folder"),
        ("summary_length", 5, "at least 40"),
        ("author", {"email": "a@b.c"}, "needs a name"),
    ],
)
def test_bad_values(key: str, value: object, fragment: str) -> None:
    (problem,) = _problems({"title": "T", "base_url": "https://example.org/", key: value})
    assert problem.startswith(f"'{key}': ") and fragment in problem


def test_broken_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "feeds.toml")
    (tmp_path / "feeds.toml").write_text('title = "unclosed\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "feeds.toml")


def test_configuration_can_live_in_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.feeds]\ntitle = "From pyproject"\nbase_url = "https://example.org"\n',
        encoding="utf-8",
    )
    config = load_config(tmp_path / "feeds.toml")
    assert (config.title, config.base_url, config.root) == (
        "From pyproject",
        "https://example.org/",
        tmp_path,
    )
    (tmp_path / "feeds.toml").write_text(
        'title = "From feeds.toml"\nbase_url = "https://e.org/"\n', encoding="utf-8"
    )
    assert load_config(tmp_path / "feeds.toml").title == "From feeds.toml"  # feeds.toml wins


def test_pyproject_problems_name_the_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.feeds]\ntitel = "T"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "feeds.toml")
    assert caught.value.path.endswith("pyproject.toml [tool.feeds]")
    assert "unknown key 'titel' (did you mean 'title'?)" in caught.value.messages
