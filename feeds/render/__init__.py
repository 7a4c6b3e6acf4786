"""render: a `Feed` in, the bytes of one format out. Pure; feedgen lives here and nowhere else."""

from __future__ import annotations

from collections.abc import Callable

from feeds.model import Feed, FeedFormat
from feeds.render.jsonfeed import render_json
from feeds.render.xml import render_atom, render_rss

RENDERERS: dict[FeedFormat, Callable[[Feed], bytes]] = {
    "rss": render_rss,
    "atom": render_atom,
    "json": render_json,
}


def render(feed: Feed, fmt: FeedFormat) -> bytes:
    return RENDERERS[fmt](feed)


__all__ = ["RENDERERS", "render", "render_atom", "render_json", "render_rss"]
