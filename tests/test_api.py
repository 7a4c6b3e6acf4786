"""The public API: `import feeds`, as the README's "Use as a library" example uses it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO


def _readme_example() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Use as a library\n", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None
    return found.group(1)


def test_the_readme_library_example_builds_the_site(
    sample_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    example = _readme_example()
    # The example reads the clock; the test builds at a fixed time instead.
    assert example.count("datetime.now(UTC)") == 1
    example = example.replace("datetime.now(UTC)", "datetime(2026, 11, 25, 12, 0, tzinfo=UTC)")
    monkeypatch.chdir(sample_site)
    exec(compile(example, "README.md", "exec"), {"__name__": "readme_example"})
    printed = capsys.readouterr().out.splitlines()
    assert printed and printed[-1].startswith("(") and "'atom.xml'" in printed[-1]
    assert (sample_site / "public/atom.xml").is_file()
    assert b"How we publish" in (sample_site / "public/atom.xml").read_bytes()
