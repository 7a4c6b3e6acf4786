"""Markdown rendered by cmark-gfm without its wrapper's leak (`feeds.cmark`).

`test_upstream_*` describes cmarkgfm as it is: when it fails, cmarkgfm frees its renderings
(its issue #53), and `feeds.cmark` can give way to `cmarkgfm.markdown_to_html_with_extensions`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from hypothesis import given
from hypothesis import strategies as st

from feeds.cmark import EXTENSIONS, markdown_html


def _wrapper(text: str) -> str:
    return str(
        cmarkgfm.markdown_to_html_with_extensions(
            text, options=Options.CMARK_OPT_UNSAFE, extensions=list(EXTENSIONS)
        )
    )


_PARTS = st.sampled_from([
    "Text. ", "Київ ", "*em* ", "**strong** ", "~~gone~~ ", "`code` ", "[link](/x) ", "<b>raw</b> ",
    "<script>s()</script>", "![alt](/i.png) ", "&amp; ", "&#169; ", "  \n", "\n", "\n\n", "\n\n# Head\n\n",
    "\n\n> quoted\n\n", "\n\n- item\n- [ ] task\n\n", "\n\n```py\nfenced\n```\n\n", "\n\n---\n\n",
    "\n\n| a | b |\n|:--|--:|\n| c | ~~d~~ |\n\n", "https://example.org/auto ", "_", "*", "|", "~",
])  # fmt: skip


@given(st.one_of(st.lists(_PARTS, max_size=30).map("".join), st.text(max_size=200)))
def test_markdown_renders_as_cmarkgfms_own_wrapper_renders_it(text: str) -> None:
    assert markdown_html(text) == _wrapper(text)


def test_tables_and_strikethrough_are_rendered_and_raw_html_is_kept() -> None:
    assert markdown_html("| a |\n|---|\n| ~~b~~ <i>c</i> |\n") == (
        "<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n<tbody>\n"
        "<tr>\n<td><del>b</del> <i>c</i></td>\n</tr>\n</tbody>\n</table>\n"
    )


_ARTICLE = "\n\n".join(
    [
        "# A report from Kharkiv",
        "Power came back to *most* of the city overnight, officials said. " * 8,
        "| district | homes |\n|---|---|\n| Saltivka | 1,200 |\n| Kholodna Hora | ~~900~~ 950 |",
        "- generators\n- [water](https://example.org/water)\n- heating",
        "Read the original article on [The Outlet](https://example.org/).",
    ]
)
"""About 1 KB of Markdown, each kind of node the articles hold."""


def _growth(render: Callable[[str], str], times: int) -> float:
    """How many MB the resident memory grew over `times` renderings (after as many to warm up)."""
    page = os.sysconf("SC_PAGE_SIZE")

    def resident() -> int:
        return int(Path("/proc/self/statm").read_text().split()[1]) * page

    for _ in range(times):
        render(_ARTICLE)
    before = resident()
    for _ in range(times):
        render(_ARTICLE)
    return (resident() - before) / 1e6


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")


@linux_only
def test_rendering_again_and_again_does_not_grow_the_process() -> None:
    # 4,000 renderings leaked about 60 MB through cmarkgfm's wrapper (below).
    assert _growth(markdown_html, 4000) < 5


@linux_only
def test_upstream_wrapper_keeps_what_each_rendering_allocates() -> None:
    assert _growth(_wrapper, 4000) > 10, "cmarkgfm frees its renderings now: feeds.cmark can go"
