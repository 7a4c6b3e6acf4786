"""render: a `Feed` in, the bytes of one format out. Pure; feedgen lives here and nowhere else.

The renderers (and feedgen and lxml under them) are imported on first use: a rebuild that
renders nothing does not wait for them to load.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from feeds.model import Feed, FeedFormat

_RENDERERS = {
    "rss": ("feeds.render.xml", "render_rss"),
    "atom": ("feeds.render.xml", "render_atom"),
    "json": ("feeds.render.jsonfeed", "render_json"),
}


def render(feed: Feed, fmt: FeedFormat) -> bytes:
    module, name = _RENDERERS[fmt]
    data: bytes = getattr(importlib.import_module(module), name)(feed)
    return data


def forget_shared() -> bool:
    """Let go of what the renderers keep for entries that several feeds share (`render.xml`'s
    memo of full-content entries); whether they kept anything. Nothing is loaded to ask."""
    xml = sys.modules.get("feeds.render.xml")
    return xml is not None and bool(xml.forget_entries())


def __getattr__(name: str) -> Any:
    for module, renderer in _RENDERERS.values():
        if name == renderer:
            return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module 'feeds.render' has no attribute '{name}'")


__all__ = ["forget_shared", "render", "render_atom", "render_json", "render_rss"]
